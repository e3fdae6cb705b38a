//! The blocking facade: the same operations as [`crate::Client`], run on
//! one process-wide tokio runtime and waited for on the caller's thread.
//!
//! Calling it from inside an async runtime would deadlock or panic in
//! tokio, so it returns an `UNSUPPORTED` error instead.

use std::future::Future;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::LazyLock;

use bytes::{Bytes, BytesMut};
use tokio::runtime::Runtime;

pub use crate::cancel::CancelToken;
use crate::client::{self, BlobInfo, Manifest, ManifestInfo};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::{ImageConfig, ImageInfo, ImageOptions, Platform, Progress};
use crate::options::ClientOptions;
use crate::reference::Reference;

static RUNTIME: LazyLock<std::result::Result<Runtime, String>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ocireg")
        .build()
        .map_err(|e| e.to_string())
});

/// Runs `future` to completion on the shared runtime.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "the blocking API was called from inside an async runtime; use ocireg::Client there",
        ));
    }
    let runtime = RUNTIME.as_ref().map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("starting the tokio runtime: {e}"),
        )
    })?;
    Ok(runtime.block_on(future))
}

/// Runs `future`, stopping it with `CANCELLED` when `cancel` fires.
fn run_cancellable<T>(
    cancel: Option<&CancelToken>,
    future: impl Future<Output = Result<T>>,
) -> Result<T> {
    match cancel {
        None => block_on(future)?,
        Some(token) => {
            if token.is_cancelled() {
                return Err(CancelToken::error());
            }
            block_on(async {
                tokio::select! {
                    result = future => result,
                    () = token.cancelled() => Err(CancelToken::error()),
                }
            })?
        }
    }
}

/// A blocking registry client; see [`crate::Client`] for each operation.
/// Cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct Client {
    inner: client::Client,
    cancel: Option<CancelToken>,
}

impl Client {
    /// A client with `options`.
    pub fn new(options: ClientOptions) -> Result<Client> {
        // Built inside the runtime: reqwest's pool needs its timer and I/O driver.
        let inner = block_on(async move { client::Client::new(options) })??;
        Ok(Client {
            inner,
            cancel: None,
        })
    }

    /// The same client (sharing its connections and tokens) whose calls, and
    /// the readers and uploads they return, stop with `CANCELLED` once
    /// `token` is cancelled.
    pub fn with_cancel(&self, token: &CancelToken) -> Client {
        Client {
            inner: self.inner.clone(),
            cancel: Some(token.clone()),
        }
    }

    fn run<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        run_cancellable(self.cancel.as_ref(), future)
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &client::Client {
        &self.inner
    }

    /// See [`crate::Client::ping`].
    pub fn ping(&self, registry: &str) -> Result<()> {
        self.run(self.inner.ping(registry))
    }

    /// See [`crate::Client::check_credentials`].
    pub fn check_credentials(&self, registry: &str) -> Result<()> {
        self.run(self.inner.check_credentials(registry))
    }

    /// See [`crate::Client::catalog`].
    pub fn catalog(&self, registry: &str) -> Result<Vec<String>> {
        self.run(self.inner.catalog(registry))
    }

    /// See [`crate::Client::tags`].
    pub fn tags(&self, reference: &Reference) -> Result<Vec<String>> {
        self.run(self.inner.tags(reference))
    }

    /// See [`crate::Client::get_manifest`].
    pub fn get_manifest(&self, reference: &Reference) -> Result<Manifest> {
        self.run(self.inner.get_manifest(reference))
    }

    /// See [`crate::Client::head_manifest`].
    pub fn head_manifest(&self, reference: &Reference) -> Result<ManifestInfo> {
        self.run(self.inner.head_manifest(reference))
    }

    /// See [`crate::Client::put_manifest`].
    pub fn put_manifest(
        &self,
        reference: &Reference,
        bytes: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        self.run(self.inner.put_manifest(reference, bytes, media_type))
    }

    /// See [`crate::Client::put_manifest_tags`].
    pub fn put_manifest_tags(
        &self,
        reference: &Reference,
        tags: &[String],
        bytes: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        self.run(
            self.inner
                .put_manifest_tags(reference, tags, bytes, media_type),
        )
    }

    /// See [`crate::Client::delete_manifest`].
    pub fn delete_manifest(&self, reference: &Reference) -> Result<()> {
        self.run(self.inner.delete_manifest(reference))
    }

    /// See [`crate::Client::get_blob`].
    pub fn get_blob(&self, reference: &Reference, digest: &Digest) -> Result<BlobReader> {
        let inner = self.run(self.inner.get_blob(reference, digest))?;
        Ok(BlobReader::new(inner, self.cancel.clone()))
    }

    /// Streams blob `digest` into `sink` chunk by chunk, reporting
    /// `progress(done, total or 0)` after each; returns the byte count once
    /// the digest verified. A sink error or a `false` from `progress` stops
    /// the download (use `ABORTED` for a caller's own stop).
    pub fn get_blob_to(
        &self,
        reference: &Reference,
        digest: &Digest,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<u64> {
        let mut reader = self.get_blob(reference, digest)?;
        drain(&mut reader, sink, progress)
    }

    /// Like [`Client::get_blob_to`] for `length` bytes (to the end when
    /// `None`) from `offset`; partial reads are not verified.
    pub fn get_blob_range_to(
        &self,
        reference: &Reference,
        digest: &Digest,
        offset: u64,
        length: Option<u64>,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<u64> {
        let mut reader = self.get_blob_range(reference, digest, offset, length)?;
        drain(&mut reader, sink, &mut |_, _| true)
    }

    /// See [`crate::Client::get_blob_range`].
    pub fn get_blob_range(
        &self,
        reference: &Reference,
        digest: &Digest,
        offset: u64,
        length: Option<u64>,
    ) -> Result<BlobReader> {
        let inner = self.run(self.inner.get_blob_range(reference, digest, offset, length))?;
        Ok(BlobReader::new(inner, self.cancel.clone()))
    }

    /// See [`crate::Client::head_blob`].
    pub fn head_blob(&self, reference: &Reference, digest: &Digest) -> Result<BlobInfo> {
        self.run(self.inner.head_blob(reference, digest))
    }

    /// See [`crate::Client::blob_exists`].
    pub fn blob_exists(&self, reference: &Reference, digest: &Digest) -> Result<bool> {
        self.run(self.inner.blob_exists(reference, digest))
    }

    /// See [`crate::Client::delete_blob`].
    pub fn delete_blob(&self, reference: &Reference, digest: &Digest) -> Result<()> {
        self.run(self.inner.delete_blob(reference, digest))
    }

    /// See [`crate::Client::push_blob`].
    pub fn push_blob(&self, reference: &Reference, data: Bytes) -> Result<Digest> {
        self.run(self.inner.push_blob(reference, data))
    }

    /// Uploads everything `reader` yields in chunks; see
    /// [`crate::Client::push_blob_chunked`].
    pub fn push_blob_from_reader<R: Read>(
        &self,
        reference: &Reference,
        reader: &mut R,
    ) -> Result<Digest> {
        self.push_blob_with_progress(reference, reader, &mut |_| true)
    }

    /// Like [`Client::push_blob_from_reader`], reporting `progress(bytes
    /// sent)` after each chunk; `false` stops the upload with `ABORTED` and
    /// cancels the session.
    pub fn push_blob_with_progress<R: Read>(
        &self,
        reference: &Reference,
        reader: &mut R,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<Digest> {
        let mut session = self.start_upload(reference)?;
        let chunk_size = session
            .inner
            .chunk_size(self.inner.options().upload_chunk_size);
        loop {
            let chunk = match read_up_to(reader, chunk_size) {
                Ok(c) => c,
                Err(e) => {
                    // Best effort: the registry also expires abandoned sessions.
                    let _ = session.cancel();
                    return Err(e);
                }
            };
            let last = chunk.len() < chunk_size;
            session.write_chunk(chunk)?;
            if !progress(session.offset()) {
                let _ = session.cancel();
                return Err(Error::new(
                    ErrorKind::Aborted,
                    "the progress callback stopped the upload",
                ));
            }
            if last {
                break;
            }
        }
        session.finish(None)
    }

    /// See [`crate::Client::start_upload`].
    pub fn start_upload(&self, reference: &Reference) -> Result<UploadSession> {
        let inner = self.run(self.inner.start_upload(reference))?;
        Ok(UploadSession {
            inner,
            cancel: self.cancel.clone(),
        })
    }

    /// See [`crate::Client::resume_upload`].
    pub fn resume_upload(&self, reference: &Reference, location: &str) -> Result<UploadSession> {
        let inner = self.run(self.inner.resume_upload(reference, location))?;
        Ok(UploadSession {
            inner,
            cancel: self.cancel.clone(),
        })
    }

    /// See [`crate::Client::mount_blob`]: `Ok(None)` when mounted, else the
    /// upload session the registry opened instead.
    pub fn mount_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        from: &str,
    ) -> Result<Option<UploadSession>> {
        match self.run(self.inner.mount_blob(reference, digest, from))? {
            client::MountResult::Mounted => Ok(None),
            client::MountResult::Upload(inner) => Ok(Some(UploadSession {
                inner: *inner,
                cancel: self.cancel.clone(),
            })),
        }
    }

    /// See [`crate::Client::image_manifest`].
    pub fn image_manifest(&self, reference: &Reference, platform: &Platform) -> Result<Manifest> {
        self.run(self.inner.image_manifest(reference, platform))
    }

    /// See [`crate::Client::image_config`].
    pub fn image_config(&self, reference: &Reference, platform: &Platform) -> Result<ImageConfig> {
        self.run(self.inner.image_config(reference, platform))
    }

    /// See [`crate::Client::pull`]. `progress` is called on this thread;
    /// `false` stops the pull with `ABORTED` (temporary files removed).
    pub fn pull(
        &self,
        reference: &Reference,
        dir: &Path,
        options: &ImageOptions,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<Descriptor> {
        self.run_image(options, progress, |o| async move {
            self.inner.pull(reference, dir, &o).await
        })
    }

    /// See [`crate::Client::push`]; `progress` as for [`Client::pull`].
    pub fn push(
        &self,
        dir: &Path,
        reference: &Reference,
        options: &ImageOptions,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<Digest> {
        self.run_image(options, progress, |o| async move {
            self.inner.push(dir, reference, &o).await
        })
    }

    /// See [`crate::Client::copy`]; `progress` as for [`Client::pull`].
    pub fn copy(
        &self,
        source: &Reference,
        target: &Reference,
        options: &ImageOptions,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<Digest> {
        self.run_image(options, progress, |o| async move {
            self.inner.copy(source, target, &o).await
        })
    }

    /// See [`crate::Client::save`]; `progress` as for [`Client::pull`].
    pub fn save(
        &self,
        reference: &Reference,
        file: &Path,
        options: &ImageOptions,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<Digest> {
        self.run_image(options, progress, |o| async move {
            self.inner.save(reference, file, &o).await
        })
    }

    /// See [`crate::Client::inspect`].
    pub fn inspect(
        &self,
        reference: &Reference,
        options: &ImageOptions,
        with_tags: bool,
    ) -> Result<ImageInfo> {
        self.run(self.inner.inspect(reference, options, with_tags))
    }

    /// Runs an image operation with progress reported on this thread and
    /// cancellation (this client's token, or `progress` returning `false`)
    /// handed to the operation so that it winds down cleanly.
    fn run_image<T, F, Fut>(
        &self,
        options: &ImageOptions,
        progress: &mut dyn FnMut(&Progress) -> bool,
        op: F,
    ) -> Result<T>
    where
        F: FnOnce(ImageOptions) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let stop = CancelToken::new();
        let mut options = options.clone();
        let outer = options.cancel.replace(stop.clone());
        let observer = options.progress.take();
        options.progress = Some(Arc::new(move |p: &Progress| {
            if let Some(o) = &observer {
                o(p);
            }
            let _ = sender.send(p.clone());
        }));
        let external = [self.cancel.clone(), outer]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        block_on(async {
            let operation = op(options);
            tokio::pin!(operation);
            let mut aborted = false;
            loop {
                tokio::select! {
                    result = &mut operation => {
                        return match result {
                            Err(e) if aborted && e.kind() == ErrorKind::Cancelled => Err(Error::new(
                                ErrorKind::Aborted,
                                "the progress callback stopped the operation",
                            )),
                            other => other,
                        };
                    }
                    Some(p) = receiver.recv() => {
                        if !aborted && !progress(&p) {
                            aborted = true;
                            stop.cancel();
                        }
                    }
                    () = any_cancelled(&external), if !stop.is_cancelled() => stop.cancel(),
                }
            }
        })?
    }

    /// See [`crate::Client::referrers`].
    pub fn referrers(
        &self,
        reference: &Reference,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        self.run(self.inner.referrers(reference, artifact_type))
    }
}

/// Feeds every chunk of `reader` to `sink`, with progress after each.
fn drain(
    reader: &mut BlobReader,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<u64> {
    let total = reader.size().unwrap_or(0);
    let mut done = 0u64;
    while let Some(chunk) = reader.chunk()? {
        sink(&chunk)?;
        done += chunk.len() as u64;
        if !progress(done, total) {
            return Err(Error::new(
                ErrorKind::Aborted,
                "the progress callback stopped the download",
            ));
        }
    }
    Ok(done)
}

/// Completes when any of `tokens` is cancelled (never, for none).
async fn any_cancelled(tokens: &[CancelToken]) {
    if tokens.is_empty() {
        std::future::pending::<()>().await;
    }
    let waits = tokens.iter().map(|t| Box::pin(t.cancelled()));
    futures_util::future::select_all(waits).await;
}

/// Reads until `limit` bytes or the end of `reader`.
fn read_up_to<R: Read>(reader: &mut R, limit: usize) -> Result<Bytes> {
    let mut buffer = BytesMut::zeroed(limit);
    let mut filled = 0;
    while filled < limit {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
    buffer.truncate(filled);
    Ok(buffer.freeze())
}

/// A blocking, verified blob download; also an [`std::io::Read`]. The
/// final `read` that returns 0 comes only after the digest checked out; a
/// mismatch is an error from `read` (its inner error is an [`Error`]).
pub struct BlobReader {
    inner: client::BlobReader,
    pending: Bytes,
    cancel: Option<CancelToken>,
}

impl BlobReader {
    fn new(inner: client::BlobReader, cancel: Option<CancelToken>) -> BlobReader {
        BlobReader {
            inner,
            pending: Bytes::new(),
            cancel,
        }
    }

    /// The next chunk, or `None` at the verified end.
    pub fn chunk(&mut self) -> Result<Option<Bytes>> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        run_cancellable(self.cancel.as_ref(), self.inner.chunk())
    }

    /// Copies the next bytes into `buf`; 0 only at the verified end (or
    /// for an empty `buf`).
    pub fn read_into(&mut self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            match self.chunk()? {
                Some(bytes) => self.pending = bytes,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        let _ = self.pending.split_to(n);
        Ok(n)
    }

    /// See [`crate::BlobReader::expect_size`].
    pub fn expect_size(&mut self, size: u64) -> Result<()> {
        self.inner.expect_size(size)
    }

    /// The number of bytes the download delivers in all, when known.
    pub fn size(&self) -> Option<u64> {
        self.inner.size()
    }

    /// The number of bytes handed out so far.
    pub fn position(&self) -> u64 {
        self.inner.position() - self.pending.len() as u64
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.read_into(buf).map_err(std::io::Error::other)
    }
}

/// A blocking upload session; see [`crate::UploadSession`].
pub struct UploadSession {
    inner: client::UploadSession,
    cancel: Option<CancelToken>,
}

impl UploadSession {
    /// The session's URL, to resume it later.
    pub fn location(&self) -> &str {
        self.inner.location()
    }

    /// How many bytes the registry holds.
    pub fn offset(&self) -> u64 {
        self.inner.offset()
    }

    /// The registry's minimum chunk size, when it sent one.
    pub fn min_chunk_size(&self) -> Option<u64> {
        self.inner.min_chunk_size()
    }

    /// Appends a chunk.
    pub fn write_chunk(&mut self, data: Bytes) -> Result<()> {
        run_cancellable(self.cancel.as_ref(), self.inner.write_chunk(data))
    }

    /// Asks the registry how many bytes it holds.
    pub fn refresh(&mut self) -> Result<u64> {
        run_cancellable(self.cancel.as_ref(), self.inner.refresh())
    }

    /// Completes the upload; see [`crate::UploadSession::finish`]. On
    /// failure the session is still usable.
    pub fn finish(&mut self, digest: Option<&Digest>) -> Result<Digest> {
        run_cancellable(self.cancel.as_ref(), self.inner.finish(digest))
    }

    /// Abandons the session.
    pub fn cancel(self) -> Result<()> {
        run_cancellable(self.cancel.as_ref(), self.inner.cancel())
    }
}
