//! Progress of whole-image operations: per-blob and total bytes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::digest::Digest;

/// One progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The blob that moved.
    pub digest: Digest,
    /// Bytes of that blob done so far.
    pub blob_done: u64,
    /// The size of that blob.
    pub blob_total: u64,
    /// Bytes of the whole operation done so far (skipped blobs count as done).
    pub done: u64,
    /// Bytes of the whole operation.
    pub total: u64,
}

/// A progress observer; called from any thread, one call at a time, so
/// keep it cheap. The operation's `done` never goes back between calls
/// (unless a transfer starts over), and the last call of a finished
/// operation reports `done == total`.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Counts bytes for one operation and reports them.
#[derive(Default)]
pub(crate) struct Tracker {
    total: AtomicU64,
    done: AtomicU64,
    observer: Option<ProgressFn>,
    /// Held while the observer runs, so reports arrive one at a time and in
    /// order: each reads `done` under it, after every count before it.
    reporting: Mutex<()>,
}

impl Tracker {
    /// A tracker reporting to `observer`.
    pub fn new(observer: Option<ProgressFn>) -> Arc<Tracker> {
        Arc::new(Tracker {
            observer,
            ..Default::default()
        })
    }

    /// Adds `bytes` to the operation's total.
    pub fn add_total(&self, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Takes back `n` bytes counted for a transfer that has to start over.
    pub fn rewind(&self, n: u64) {
        self.done
            .fetch_sub(n.min(self.done.load(Ordering::Relaxed)), Ordering::Relaxed);
    }

    /// Records `n` more bytes of blob `digest` (now at `blob_done` of `blob_total`).
    pub fn advance(&self, digest: &Digest, n: u64, blob_done: u64, blob_total: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        if let Some(observer) = &self.observer {
            // A panicking observer must not silence the ones after it.
            let _turn = self
                .reporting
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            observer(&Progress {
                digest: digest.clone(),
                blob_done,
                blob_total,
                done: self.done.load(Ordering::Relaxed),
                total: self.total.load(Ordering::Relaxed),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_from_many_threads_arrive_in_order_and_end_at_the_total() {
        const THREADS: u64 = 8;
        const STEPS: u64 = 2_000;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let tracker = Tracker::new(Some(Arc::new(move |p: &Progress| {
            record.lock().unwrap().push((p.done, p.total));
        })));
        tracker.add_total(THREADS * STEPS);
        let digest = Digest::sha256_of(b"blob");
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for step in 1..=STEPS {
                        tracker.advance(&digest, 1, step, STEPS);
                    }
                });
            }
        });
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len() as u64, THREADS * STEPS);
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "done went back");
        assert_eq!(seen.last(), Some(&(THREADS * STEPS, THREADS * STEPS)));
    }
}
