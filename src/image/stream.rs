//! Request bodies that stream from a file or from a blob download, counting
//! progress as the bytes leave.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::stream;
use tokio::io::AsyncReadExt;

use super::plan::BlobRef;
use super::progress::Tracker;
use std::future::Future;

use crate::client::{BlobReader, Client, may_restart};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

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

/// Uploads `blob` to `target` from a body `open` makes for each attempt:
/// when a cut connection or a lost session fails the upload, the source is
/// opened again and the upload starts over (bounded by the client's retries).
pub(crate) async fn upload_restartable<F, Fut>(
    client: &Client,
    target: &Reference,
    blob: &BlobRef,
    tracker: &Arc<Tracker>,
    open: F,
) -> Result<()>
where
    F: Fn(AttemptProgress) -> Fut,
    Fut: Future<Output = Result<reqwest::Body>>,
{
    let mut attempt = 0;
    loop {
        let progress = AttemptProgress::new(tracker, blob);
        let body = open(progress.clone()).await?;
        match client
            .push_blob_stream(target, &blob.digest, blob.size, body)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if may_restart(&e) && attempt < client.options().max_retries => {
                progress.rewind();
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
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
