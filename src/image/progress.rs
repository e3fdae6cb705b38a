//! Progress of whole-image operations: per-blob and total bytes, and how
//! many blobs were skipped, mounted and sent.

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
    /// Blobs of the whole operation.
    pub blobs: u64,
    /// Blobs finished so far that needed no transfer: already in the
    /// destination (registry or layout).
    pub blobs_skipped: u64,
    /// Blobs finished so far that the registry mounted from another
    /// repository (push, copy).
    pub blobs_mounted: u64,
    /// Blobs finished so far whose bytes moved: uploaded (push, copy),
    /// downloaded (pull) or written (save).
    pub blobs_sent: u64,
}

/// How a blob of an operation reached its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlobOutcome {
    /// It was there already.
    Skipped,
    /// The registry mounted it from another repository.
    Mounted,
    /// Its bytes moved.
    Sent,
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
    blobs: AtomicU64,
    skipped: AtomicU64,
    mounted: AtomicU64,
    sent: AtomicU64,
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

    /// Adds `count` blobs of `bytes` in all to the operation's totals.
    pub fn add_blobs(&self, count: u64, bytes: u64) {
        self.blobs.fetch_add(count, Ordering::Relaxed);
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
        self.report(digest, blob_done, blob_total);
    }

    /// Records that blob `digest` of `blob_total` bytes is finished, how,
    /// and its last `n` bytes not yet counted.
    pub fn finish(&self, digest: &Digest, n: u64, blob_total: u64, outcome: BlobOutcome) {
        let count = match outcome {
            BlobOutcome::Skipped => &self.skipped,
            BlobOutcome::Mounted => &self.mounted,
            BlobOutcome::Sent => &self.sent,
        };
        count.fetch_add(1, Ordering::Relaxed);
        self.advance(digest, n, blob_total, blob_total);
    }

    fn report(&self, digest: &Digest, blob_done: u64, blob_total: u64) {
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
                blobs: self.blobs.load(Ordering::Relaxed),
                blobs_skipped: self.skipped.load(Ordering::Relaxed),
                blobs_mounted: self.mounted.load(Ordering::Relaxed),
                blobs_sent: self.sent.load(Ordering::Relaxed),
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
        tracker.add_blobs(1, THREADS * STEPS);
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

    #[test]
    fn finished_blobs_are_counted_by_outcome_and_their_bytes_are_done() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let tracker = Tracker::new(Some(Arc::new(move |p: &Progress| {
            record.lock().unwrap().push(p.clone());
        })));
        tracker.add_blobs(3, 30);
        let (a, b, c) = (
            Digest::sha256_of(b"a"),
            Digest::sha256_of(b"b"),
            Digest::sha256_of(b"c"),
        );
        tracker.finish(&a, 10, 10, BlobOutcome::Skipped);
        tracker.finish(&b, 10, 10, BlobOutcome::Mounted);
        tracker.advance(&c, 4, 4, 10);
        tracker.finish(&c, 6, 10, BlobOutcome::Sent);
        let seen = seen.lock().unwrap();
        let counts: Vec<_> = seen
            .iter()
            .map(|p| (p.blobs_skipped, p.blobs_mounted, p.blobs_sent, p.done))
            .collect();
        assert_eq!(
            counts,
            [(1, 0, 0, 10), (1, 1, 0, 20), (1, 1, 0, 24), (1, 1, 1, 30)]
        );
        assert!(seen.iter().all(|p| p.blobs == 3 && p.total == 30));
        let last = seen.last().unwrap();
        assert_eq!(
            (&last.digest, last.blob_done, last.blob_total),
            (&c, 10, 10)
        );
    }
}
