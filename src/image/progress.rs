//! Progress of whole-image operations: per-blob and total bytes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// A progress observer; called from any thread, so keep it cheap.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Counts bytes for one operation and reports them.
#[derive(Default)]
pub(crate) struct Tracker {
    total: AtomicU64,
    done: AtomicU64,
    observer: Option<ProgressFn>,
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
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(observer) = &self.observer {
            observer(&Progress {
                digest: digest.clone(),
                blob_done,
                blob_total,
                done,
                total: self.total.load(Ordering::Relaxed),
            });
        }
    }
}
