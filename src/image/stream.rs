//! Request bodies that stream from a file or from a blob download, counting
//! progress as the bytes leave.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::stream;
use tokio::io::AsyncReadExt;

use super::plan::BlobRef;
use super::progress::Tracker;
use crate::client::BlobReader;
use crate::error::{Error, ErrorKind};

/// The read size when streaming a file.
const FILE_CHUNK: usize = 256 * 1024;

/// Progress of one upload attempt of one blob: what it reported can be
/// taken back if the attempt fails and the upload starts over.
#[derive(Clone)]
pub(crate) struct AttemptProgress {
    tracker: Arc<Tracker>,
    blob: BlobRef,
    sent: Arc<AtomicU64>,
}

impl AttemptProgress {
    /// A fresh attempt for `blob`.
    pub fn new(tracker: &Arc<Tracker>, blob: &BlobRef) -> AttemptProgress {
        AttemptProgress {
            tracker: tracker.clone(),
            blob: blob.clone(),
            sent: Arc::default(),
        }
    }

    fn advance(&self, n: u64) {
        let done = self.sent.fetch_add(n, Ordering::Relaxed) + n;
        self.tracker
            .advance(&self.blob.digest, n, done, self.blob.size);
    }

    /// Takes back what this attempt reported.
    pub fn rewind(&self) {
        self.tracker.rewind(self.sent.swap(0, Ordering::Relaxed));
    }
}

/// A body streaming `file` (the bytes of the attempt's blob).
pub(crate) fn file_body(file: tokio::fs::File, progress: AttemptProgress) -> reqwest::Body {
    reqwest::Body::wrap_stream(stream::unfold(
        (file, progress, 0u64),
        |(mut file, progress, done)| async move {
            let mut buffer = BytesMut::with_capacity(FILE_CHUNK);
            match file.read_buf(&mut buffer).await {
                Ok(0) if done == progress.blob.size => None,
                Ok(0) => {
                    let message = format!(
                        "blob {} ended at {done} of {} bytes",
                        progress.blob.digest, progress.blob.size
                    );
                    Some((
                        Err(Error::new(ErrorKind::Io, message)),
                        (file, progress, done),
                    ))
                }
                Ok(n) => {
                    progress.advance(n as u64);
                    Some((Ok(buffer.freeze()), (file, progress, done + n as u64)))
                }
                Err(e) => Some((Err(Error::from(e)), (file, progress, done))),
            }
        },
    ))
}

/// A body streaming a (verifying) blob download: a digest mismatch at the
/// end fails the body, so the registry never completes the upload.
pub(crate) fn download_body(reader: BlobReader, progress: AttemptProgress) -> reqwest::Body {
    reqwest::Body::wrap_stream(stream::unfold(
        (reader, progress, false),
        |(mut reader, progress, failed)| async move {
            if failed {
                return None;
            }
            match reader.chunk().await {
                Ok(Some(bytes)) => {
                    progress.advance(bytes.len() as u64);
                    Some((Ok(bytes), (reader, progress, false)))
                }
                Ok(None) => None,
                Err(e) => Some((Err::<Bytes, Error>(e), (reader, progress, true))),
            }
        },
    ))
}
