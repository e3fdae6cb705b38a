//! The blocking facade: the same operations as [`crate::Client`], run on
//! one process-wide tokio runtime and waited for on the caller's thread.
//!
//! Calling it from inside an async runtime would deadlock or panic in
//! tokio, so it returns an `UNSUPPORTED` error instead.

use std::future::Future;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use tokio::runtime::Runtime;

pub use crate::cancel::CancelToken;
use crate::client::{
    self, BlobInfo, Manifest, ManifestInfo, RawBody, RawRequest, Referrer, SearchResult,
    UntagFallback, Untagged,
};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::fork_guard::Inherited;
use crate::image::{
    ArtifactFile, ArtifactOptions, ImageConfig, ImageInfo, ImageName, ImageOptions, ImagePlatform,
    IndexOptions, IndexUpdate, Platform, Progress, PulledFile,
};
use crate::options::ClientOptions;
use crate::reference::Reference;
use crate::transport::auth::credentials::{LoginDestination, LoginLocation};
use crate::transport::rate_limit::RateLimit;

mod image_source;

/// The runtime of the first process that used the facade, with its pid.
static FIRST: OnceLock<(u32, std::result::Result<Runtime, String>)> = OnceLock::new();
/// The runtimes of processes forked from it that used the facade too. The
/// first process never takes this lock, so no child inherits it locked.
static FORKED: Mutex<Vec<(u32, &'static Runtime)>> = Mutex::new(Vec::new());

fn new_runtime() -> std::result::Result<Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ocireg")
        .on_thread_start(|| {
            crate::log::mark_library_thread();
            crate::ffi::signals::block_sigpipe_in_this_thread();
        })
        .build()
        .map_err(|e| e.to_string())
}

/// This process's runtime. A child forked from a process that had one gets
/// a runtime of its own: the inherited one has no threads, and its I/O
/// driver shares the parent's epoll instance (see `fork_guard`), so it is
/// never touched.
fn runtime() -> Result<&'static Runtime> {
    let pid = std::process::id();
    let failed = |e: &str| {
        Error::new(
            ErrorKind::Internal,
            format!("starting the tokio runtime: {e}"),
        )
    };
    let (first_pid, first) = FIRST.get_or_init(|| (pid, new_runtime()));
    if *first_pid == pid {
        return first.as_ref().map_err(|e| failed(e));
    }
    let mut forked = FORKED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, runtime)) = forked.iter().find(|(p, _)| *p == pid) {
        return Ok(runtime);
    }
    // Leaked on purpose: a runtime lives as long as its process.
    let runtime: &'static Runtime = Box::leak(Box::new(new_runtime().map_err(|e| failed(&e))?));
    forked.push((pid, runtime));
    Ok(runtime)
}

/// Test support: runs `work` on one of the runtime's own threads; its
/// result.
#[cfg(test)]
pub(crate) fn run_on_runtime_for_tests<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let runtime = runtime().expect("the runtime starts");
    runtime
        .block_on(runtime.spawn(async move { work() }))
        .expect("the task ends")
}

/// Runs `future` to completion on the shared runtime.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "the blocking API was called from inside an async runtime; use ocireg::Client there",
        ));
    }
    Ok(runtime()?.block_on(future))
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
    inner: Inherited<client::Client>,
    cancel: Option<CancelToken>,
}

impl Client {
    /// A client with `options`.
    pub fn new(options: ClientOptions) -> Result<Client> {
        // Built inside the runtime: reqwest's pool needs its timer and I/O driver.
        let inner = block_on(async move { client::Client::new(options) })??;
        Ok(Client {
            inner: Inherited::new(inner),
            cancel: None,
        })
    }

    /// The same client (sharing its connections and tokens) whose calls, and
    /// the readers and uploads they return, stop with `CANCELLED` once
    /// `token` is cancelled.
    #[must_use]
    pub fn with_cancel(&self, token: &CancelToken) -> Client {
        Client {
            inner: self.inner.clone(),
            cancel: Some(token.clone()),
        }
    }

    fn run<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        self.inner.check()?;
        run_cancellable(self.cancel.as_ref(), future)
    }

    /// See [`crate::Client::ping`].
    pub fn ping(&self, registry: &str) -> Result<()> {
        self.run(self.inner.ping(registry))
    }

    /// See [`crate::Client::check_credentials`].
    pub fn check_credentials(&self, registry: &str) -> Result<()> {
        self.run(self.inner.check_credentials(registry))
    }

    /// See [`crate::Client::login`].
    pub fn login(
        &self,
        registry: &str,
        username: &str,
        password: &str,
        destination: &LoginDestination,
    ) -> Result<LoginLocation> {
        self.run(self.inner.login(registry, username, password, destination))
    }

    /// See [`crate::Client::logout`].
    pub fn logout(
        &self,
        registry: &str,
        destination: &LoginDestination,
        all: bool,
    ) -> Result<LoginLocation> {
        self.run(self.inner.logout(registry, destination, all))
    }

    /// See [`crate::Client::search`].
    pub fn search(&self, registry: &str, term: &str, limit: usize) -> Result<Vec<SearchResult>> {
        self.run(self.inner.search(registry, term, limit))
    }

    /// See [`crate::Client::digest`].
    pub fn digest(&self, reference: &Reference) -> Result<Digest> {
        self.run(self.inner.digest(reference))
    }

    /// See [`crate::Client::rate_limit`].
    pub fn rate_limit(&self, reference: &Reference) -> Result<RateLimit> {
        self.run(self.inner.rate_limit(reference))
    }

    /// See [`crate::Client::last_rate_limit`].
    #[must_use]
    pub fn last_rate_limit(&self, registry: &str) -> Option<RateLimit> {
        self.inner.last_rate_limit(registry)
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

    /// See [`crate::Client::pull_source`].
    pub fn pull_source(&self, reference: &Reference) -> Result<Reference> {
        self.run(self.inner.pull_source(reference))
    }

    /// See [`crate::Client::resolve_name`].
    pub fn resolve_name(
        &self,
        name: &str,
        name_use: crate::NameUse,
    ) -> Result<crate::ResolvedName> {
        self.run(self.inner.resolve_name(name, name_use))
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

    /// See [`crate::Client::untag`].
    pub fn untag(&self, reference: &Reference, fallback: UntagFallback) -> Result<Untagged> {
        self.run(self.inner.untag(reference, fallback))
    }

    /// See [`crate::Client::push_artifact`].
    pub fn push_artifact(
        &self,
        reference: &Reference,
        files: &[ArtifactFile],
        options: &ArtifactOptions,
    ) -> Result<Digest> {
        self.run(self.inner.push_artifact(reference, files, options))
    }

    /// See [`crate::Client::pull_artifact`].
    pub fn pull_artifact(
        &self,
        reference: &Reference,
        dir: &Path,
        overwrite: bool,
    ) -> Result<Vec<PulledFile>> {
        self.run(self.inner.pull_artifact(reference, dir, overwrite))
    }

    /// See [`crate::Client::create_index`].
    pub fn create_index(
        &self,
        target: &Reference,
        sources: &[Reference],
        options: &IndexOptions,
    ) -> Result<Digest> {
        self.run(self.inner.create_index(target, sources, options))
    }

    /// See [`crate::Client::update_index`].
    pub fn update_index(&self, target: &Reference, update: &IndexUpdate) -> Result<Digest> {
        self.run(self.inner.update_index(target, update))
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
    /// cancels the session. `reader` is read on this thread.
    pub fn push_blob_with_progress<R: Read>(
        &self,
        reference: &Reference,
        reader: &mut R,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<Digest> {
        // A writer dropped on an error below cancels its session.
        let mut writer = self.start_upload(reference)?;
        let mut buffer = vec![0; writer.chunk_size().min(client::READ_SIZE)];
        loop {
            // Never across a chunk's end, so progress comes once a chunk.
            let room = writer.inner.room().min(buffer.len());
            let n = read_some(reader, &mut buffer[..room])?;
            let sent = writer.offset();
            if n == 0 {
                writer.flush()?;
            } else {
                writer.write(&buffer[..n])?;
            }
            if (n == 0 || writer.offset() != sent) && !progress(writer.offset()) {
                return Err(Error::new(
                    ErrorKind::Aborted,
                    "the progress callback stopped the upload",
                ));
            }
            if n == 0 {
                return writer.finish(None);
            }
        }
    }

    /// Sends a raw request; see [`crate::Client::raw_request`]. The
    /// response's body is read through the [`RawResponse`] returned.
    pub fn raw_request(
        &self,
        registry: &str,
        request: &RawRequest,
        body: RawBody,
    ) -> Result<RawResponse> {
        let inner = self.run(self.inner.raw_request(registry, request, body))?;
        Ok(RawResponse::new(inner, self.cancel.clone()))
    }

    /// Sends a raw request whose body is everything `body` yields (`len`
    /// bytes when known), read on this thread while the request goes out.
    /// The body is sent once (no retry). A failing `body` fails the call
    /// with its error.
    pub fn raw_request_from_reader(
        &self,
        registry: &str,
        request: &RawRequest,
        body: &mut dyn Read,
        len: Option<u64>,
    ) -> Result<RawResponse> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(2);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let stream = RawBody::stream(stream, len);
        let inner = &self.inner;
        let inner = self.run(async move {
            let send = inner.raw_request(registry, request, stream);
            let pump = async move {
                let mut buffer = vec![0; client::READ_SIZE];
                loop {
                    let n = match read_some(body, &mut buffer) {
                        Ok(n) => n,
                        Err(e) => {
                            // Aborts the request's body, then fails the call.
                            let _ = tx.send(Err(e.clone())).await;
                            return Err(e);
                        }
                    };
                    // At the end, dropping `tx` ends the body; a failed send
                    // means the request is over (answered, or failed).
                    if n == 0
                        || tx
                            .send(Ok(Bytes::copy_from_slice(&buffer[..n])))
                            .await
                            .is_err()
                    {
                        return Ok(());
                    }
                }
            };
            let (response, pumped) = tokio::join!(send, pump);
            pumped?;
            response
        })?;
        Ok(RawResponse::new(inner, self.cancel.clone()))
    }

    /// See [`crate::Client::start_upload`].
    pub fn start_upload(&self, reference: &Reference) -> Result<BlobWriter> {
        let inner = self.run(self.inner.start_upload(reference))?;
        Ok(self.writer(inner))
    }

    /// See [`crate::Client::resume_upload`].
    pub fn resume_upload(&self, reference: &Reference, location: &str) -> Result<BlobWriter> {
        let inner = self.run(self.inner.resume_upload(reference, location))?;
        Ok(self.writer(inner))
    }

    /// See [`crate::Client::mount_blob`]: `Ok(None)` when mounted, else the
    /// upload the registry opened instead.
    pub fn mount_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        from: &str,
    ) -> Result<Option<BlobWriter>> {
        match self.run(self.inner.mount_blob(reference, digest, from))? {
            client::MountResult::Mounted => Ok(None),
            client::MountResult::Upload(inner) => Ok(Some(self.writer(*inner))),
        }
    }

    fn writer(&self, inner: client::BlobWriter) -> BlobWriter {
        BlobWriter {
            inner: Inherited::new(inner),
            cancel: self.cancel.clone(),
        }
    }

    /// See [`crate::Client::image_manifest`].
    pub fn image_manifest(&self, reference: &Reference, platform: &Platform) -> Result<Manifest> {
        self.run(self.inner.image_manifest(reference, platform))
    }

    /// See [`crate::Client::platforms`].
    pub fn platforms(&self, reference: &Reference) -> Result<Vec<ImagePlatform>> {
        self.run(self.inner.platforms(reference))
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

    /// See [`crate::Client::copy_image`]; `progress` as for [`Client::pull`].
    pub fn copy_image(
        &self,
        source: &ImageName,
        target: &ImageName,
        options: &ImageOptions,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<Digest> {
        self.run_image(options, progress, |o| async move {
            self.inner.copy_image(source, target, &o).await
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
        self.inner.check()?;
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
                        // Reports sent before the end are still owed to the
                        // caller: the last one says done == total.
                        while let Ok(p) = receiver.try_recv() {
                            if !aborted {
                                progress(&p);
                            }
                        }
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
    ) -> Result<Vec<Referrer>> {
        self.run(self.inner.referrers(reference, artifact_type))
    }

    /// See [`crate::Client::signatures`].
    pub fn signatures(
        &self,
        reference: &Reference,
        options: &crate::signatures::SignatureOptions,
    ) -> Result<Vec<crate::signatures::Signature>> {
        self.run(self.inner.signatures(reference, options))
    }

    /// See [`crate::Client::put_signatures`].
    pub fn put_signatures(
        &self,
        reference: &Reference,
        signatures: &[crate::signatures::Signature],
        options: &crate::signatures::SignatureOptions,
    ) -> Result<usize> {
        self.run(self.inner.put_signatures(reference, signatures, options))
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

/// One `read` of `reader` into `buffer` (retried when interrupted).
fn read_some<R: Read + ?Sized>(reader: &mut R, buffer: &mut [u8]) -> Result<usize> {
    loop {
        match reader.read(buffer) {
            Ok(n) => return Ok(n.min(buffer.len())),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// A blocking, verified blob download; also an [`std::io::Read`]. The
/// final `read` that returns 0 comes only after the digest checked out; a
/// mismatch is an error from `read` (its inner error is an [`Error`]).
pub struct BlobReader {
    inner: Inherited<client::BlobReader>,
    pending: Bytes,
    cancel: Option<CancelToken>,
}

impl BlobReader {
    fn new(inner: client::BlobReader, cancel: Option<CancelToken>) -> BlobReader {
        BlobReader {
            inner: Inherited::new(inner),
            pending: Bytes::new(),
            cancel,
        }
    }

    /// The next chunk, or `None` at the verified end.
    pub fn chunk(&mut self) -> Result<Option<Bytes>> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        self.inner.check()?;
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

/// A blocking blob writer; see [`crate::BlobWriter`]. Also an
/// [`std::io::Write`] (whose `flush` sends the buffered bytes as a chunk).
/// Dropping a writer that was neither finished nor suspended cancels its
/// upload (best effort, a `DELETE` waited for at most
/// [`CANCEL_ON_DROP_TIMEOUT`], even when the client has no timeout or was
/// cancelled). One thread at a time.
pub struct BlobWriter {
    inner: Inherited<client::BlobWriter>,
    cancel: Option<CancelToken>,
}

impl BlobWriter {
    fn run<T>(&mut self, op: impl AsyncFnOnce(&mut client::BlobWriter) -> Result<T>) -> Result<T> {
        self.inner.check()?;
        run_cancellable(self.cancel.as_ref(), op(&mut self.inner))
    }

    /// The session's URL, to resume it later.
    #[must_use]
    pub fn location(&self) -> &str {
        self.inner.location()
    }

    /// How many bytes the registry holds (buffered bytes not included).
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.inner.offset()
    }

    /// The registry's minimum chunk size, when it sent one.
    #[must_use]
    pub fn min_chunk_size(&self) -> Option<u64> {
        self.inner.min_chunk_size()
    }

    /// See [`crate::BlobWriter::chunk_size`].
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.inner.chunk_size()
    }

    /// Appends `data`; every chunk that fills is sent.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.run(async |w| w.write(data).await)
    }

    /// Sends the buffered bytes now as one chunk; see
    /// [`crate::BlobWriter::flush`].
    pub fn flush(&mut self) -> Result<()> {
        self.run(async |w| w.flush().await)
    }

    /// Asks the registry how many bytes it holds.
    pub fn refresh(&mut self) -> Result<u64> {
        self.run(async |w| w.refresh().await)
    }

    /// Sends the buffered bytes and completes the upload; see
    /// [`crate::BlobWriter::finish`]. On failure the writer is still usable.
    pub fn finish(&mut self, digest: Option<&Digest>) -> Result<Digest> {
        self.run(async |w| w.finish(digest).await)
    }

    /// Sends the buffered bytes and leaves the session on the registry for
    /// [`Client::resume_upload`] (at [`BlobWriter::location`], holding
    /// [`BlobWriter::offset`] bytes); see [`crate::BlobWriter::suspend`].
    pub fn suspend(&mut self) -> Result<()> {
        self.run(async |w| w.suspend().await)
    }

    /// Abandons the session.
    pub fn cancel(mut self) -> Result<()> {
        self.run(async |w| w.cancel().await)
    }
}

impl std::io::Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        BlobWriter::write(self, buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        BlobWriter::flush(self).map_err(std::io::Error::other)
    }
}

/// How long dropping an open [`BlobWriter`] waits for its `DELETE`. It has
/// a bound of its own: the client's timeouts may be zero (none), and its
/// cancel token may have fired (which is often why the writer is dropped).
pub const CANCEL_ON_DROP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.inner.is_open() && self.inner.is_home() {
            // Best effort: the registry also expires abandoned sessions.
            // Not through `run`: a fired cancel token must not stop it.
            let writer = &mut *self.inner;
            let _ = block_on(async {
                tokio::time::timeout(CANCEL_ON_DROP_TIMEOUT, writer.cancel()).await
            });
        }
    }
}

/// The response to a blocking raw request; see [`crate::RawResponse`].
/// Also an [`std::io::Read`] of the body. One thread at a time.
pub struct RawResponse {
    inner: Inherited<client::RawResponse>,
    pending: Bytes,
    cancel: Option<CancelToken>,
}

impl RawResponse {
    fn new(inner: client::RawResponse, cancel: Option<CancelToken>) -> RawResponse {
        RawResponse {
            inner: Inherited::new(inner),
            pending: Bytes::new(),
            cancel,
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.inner.status()
    }

    /// See [`crate::RawResponse::headers`].
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        self.inner.headers()
    }

    /// The first value of header `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.header(name)
    }

    /// The next piece of the body; `None` at its end.
    pub fn chunk(&mut self) -> Result<Option<Bytes>> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        self.inner.check()?;
        run_cancellable(self.cancel.as_ref(), self.inner.chunk())
    }

    /// Hands the rest of the body to `sink`, piece by piece, and gives its
    /// length; beyond `limit` bytes (when set) it stops with
    /// `SIZE_EXCEEDED` before `sink` sees the excess.
    pub fn read_to(
        &mut self,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
        limit: Option<u64>,
    ) -> Result<u64> {
        let mut done = 0u64;
        while let Some(chunk) = self.chunk()? {
            done += chunk.len() as u64;
            if let Some(limit) = limit
                && done > limit
            {
                return Err(Error::new(
                    ErrorKind::SizeExceeded,
                    format!("the response body is larger than {limit} bytes"),
                ));
            }
            sink(&chunk)?;
        }
        Ok(done)
    }

    /// The rest of the body, refused with `SIZE_EXCEEDED` beyond `limit` bytes.
    pub fn bytes(&mut self, limit: usize) -> Result<Bytes> {
        let mut body = bytes::BytesMut::new();
        self.read_to(
            &mut |chunk| {
                body.extend_from_slice(chunk);
                Ok(())
            },
            Some(limit as u64),
        )?;
        Ok(body.freeze())
    }
}

impl Read for RawResponse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            match self.chunk().map_err(std::io::Error::other)? {
                Some(bytes) => self.pending = bytes,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        let _ = self.pending.split_to(n);
        Ok(n)
    }
}
