//! The buffers the blob sinks of one layout handle share (issue 16).
//!
//! A sink copies what it receives into a buffer and hands the buffer to
//! its writing thread. Freed at the end of each blob, those buffers went
//! back to the kernel and the next blob faulted fresh, zeroed pages in
//! again (a 50 x 4 MiB pull took 15-18k minor faults, 89% of them in that
//! copy) while each blob kept up to four 1 MiB buffers: a peak RSS of
//! 36-42 MiB. Here the buffers are smaller and outlive the blob: a
//! written buffer goes back to the layout's pool and the next blob, or a
//! concurrent one, takes it, so pages are faulted in once per operation.

use std::sync::{Mutex, PoisonError};

/// The size of a sink's buffers: the writing thread hashes one and then
/// writes it while its bytes are still in the CPU's cache.
pub(super) const SINK_BUFFER: usize = 256 * 1024;
/// The most idle buffers a pool keeps (8 MiB); more are freed. A pull of
/// six blobs at once uses at most 24 (four per blob).
const MAX_IDLE: usize = 32;

/// Idle sink buffers, empty, each of [`SINK_BUFFER`] bytes of capacity.
#[derive(Default)]
pub(crate) struct SinkBuffers {
    idle: Mutex<Vec<Vec<u8>>>,
}

impl SinkBuffers {
    /// An idle buffer, or a new one when none is.
    pub(super) fn take(&self) -> Vec<u8> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(SINK_BUFFER))
    }

    /// Gives `buffer` back, emptied, unless the pool holds enough.
    pub(super) fn give(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() != SINK_BUFFER {
            return;
        }
        buffer.clear();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(buffer);
        }
    }
}

#[cfg(test)]
impl SinkBuffers {
    /// How many buffers are idle.
    pub(super) fn idle_count(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl std::fmt::Debug for SinkBuffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("SinkBuffers").field("idle", &idle).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_empty() {
        let pool = SinkBuffers::default();
        let mut buffer = pool.take();
        buffer.extend_from_slice(b"bytes");
        let at = buffer.as_ptr();
        pool.give(buffer);
        let again = pool.take();
        assert_eq!(again.as_ptr(), at, "the same allocation, not a fresh one");
        assert!(again.is_empty());
        assert_eq!(again.capacity(), SINK_BUFFER);
    }

    #[test]
    fn the_pool_keeps_a_bounded_number() {
        let pool = SinkBuffers::default();
        let taken: Vec<Vec<u8>> = (0..MAX_IDLE + 5).map(|_| pool.take()).collect();
        for buffer in taken {
            pool.give(buffer);
        }
        assert_eq!(pool.idle_count(), MAX_IDLE);
    }

    #[test]
    fn a_buffer_of_another_size_is_not_kept() {
        let pool = SinkBuffers::default();
        pool.give(Vec::with_capacity(SINK_BUFFER * 2));
        assert_eq!(pool.idle_count(), 0);
    }
}
