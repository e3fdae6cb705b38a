//! Request bodies that stream from a file or from any image source,
//! counting progress as the bytes leave.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, stream};
use tokio::io::AsyncReadExt;

use super::plan::BlobRef;
use super::progress::{BlobOutcome, Tracker};
use std::future::Future;

use crate::client::Client;
use crate::digest::Digest;
use crate::error::{Error, Result};
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

    /// Reports `n` more bytes of the blob.
    pub fn advance(&self, n: u64) {
        let done = self.sent.fetch_add(n, Ordering::Relaxed) + n;
        self.tracker
            .advance(&self.blob.digest, n, done, self.blob.size);
    }

    /// Takes back what this attempt reported.
    pub fn rewind(&self) {
        self.tracker.rewind(self.sent.swap(0, Ordering::Relaxed));
    }

    /// Reports the rest of the blob (the registry turned out to have it).
    fn complete(&self) {
        let sent = self.sent.load(Ordering::Relaxed);
        if sent < self.blob.size {
            self.advance(self.blob.size - sent);
        }
    }
}

/// Puts `blob` into `target`: nothing moves when the registry has it or
/// mounts it from one of `mounts`; otherwise it is uploaded from a body
/// `open` makes for each attempt: when a cut connection or a lost session
/// fails the upload, the source is opened again and the upload starts over
/// (see [`Client::push_restarting`]). Every attempt's bytes are verified
/// against the blob's digest before the registry is told the upload is
/// complete.
pub(crate) async fn send_blob<F, Fut, S>(
    client: &Client,
    target: &Reference,
    blob: &BlobRef,
    mounts: &[String],
    tracker: &Arc<Tracker>,
    open: F,
) -> Result<()>
where
    F: Fn(AttemptProgress) -> Fut,
    Fut: Future<Output = Result<S>>,
    S: Stream<Item = Result<Bytes>> + Send + 'static,
{
    if let Some(outcome) = client.blob_present_or_mounted(target, blob, mounts).await? {
        tracker.finish(&blob.digest, blob.size, blob.size, outcome);
        return Ok(());
    }
    let open = &open;
    send_restarting(client, (target, blob), tracker, |progress| async move {
        let body = open(progress).await?;
        client
            .push_blob_stream(target, &blob.digest, blob.size, body)
            .await
    })
    .await
}

/// Runs `attempt` (one whole upload of `blob` into `target`, reporting to
/// the progress it is given) until it passes or fails in a way a fresh
/// start would not (see [`Client::push_restarting`]). What a failed attempt
/// reported is taken back before the next; the rest of the blob is
/// reported when the registry turned out to have it.
pub(crate) async fn send_restarting<F, Fut>(
    client: &Client,
    (target, blob): (&Reference, &BlobRef),
    tracker: &Arc<Tracker>,
    attempt: F,
) -> Result<()>
where
    F: Fn(AttemptProgress) -> Fut,
    Fut: Future<Output = Result<Digest>>,
{
    let mut last: Option<AttemptProgress> = None;
    let attempt = &attempt;
    client
        .push_restarting(target, &blob.digest, || {
            if let Some(previous) = last.take() {
                previous.rewind();
            }
            let progress = AttemptProgress::new(tracker, blob);
            last = Some(progress.clone());
            attempt(progress)
        })
        .await?;
    if let Some(progress) = last {
        progress.complete();
    }
    tracker.finish(&blob.digest, 0, blob.size, BlobOutcome::Sent);
    Ok(())
}

/// The bytes of `file` (the attempt's blob), as they are read.
pub(crate) fn file_body(
    file: tokio::fs::File,
    progress: AttemptProgress,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    counted_body(Box::pin(file_chunks(file)), progress)
}

/// The bytes of `file`, as they are read.
pub(crate) fn file_chunks(
    file: tokio::fs::File,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    stream::unfold((file, false), |(mut file, ended)| async move {
        if ended {
            return None;
        }
        let mut buffer = BytesMut::with_capacity(FILE_CHUNK);
        match file.read_buf(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => Some((Ok(buffer.split_to(n).freeze()), (file, false))),
            Err(e) => Some((Err(Error::from(e)), (file, true))),
        }
    })
}

/// The bytes of `body` (the attempt's blob from any source), counted as
/// they leave.
pub(crate) fn counted_body<S>(
    body: S,
    progress: AttemptProgress,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static
where
    S: Stream<Item = Result<Bytes>> + Send + Unpin + 'static,
{
    use futures_util::StreamExt;
    body.inspect(move |item| {
        if let Ok(bytes) = item {
            progress.advance(bytes.len() as u64);
        }
    })
}
