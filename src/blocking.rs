//! The blocking facade: the same operations as [`crate::Client`], run on
//! one process-wide tokio runtime and waited for on the caller's thread.
//!
//! Calling it from inside an async runtime would deadlock or panic in
//! tokio, so it returns an `UNSUPPORTED` error instead.

use std::future::Future;
use std::io::Read;
use std::sync::LazyLock;

use bytes::{Bytes, BytesMut};
use tokio::runtime::Runtime;

use crate::client::{self, BlobInfo, Manifest, ManifestInfo};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::config::ClientOptions;

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

/// A blocking registry client; see [`crate::Client`] for each operation.
/// Cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct Client {
    inner: client::Client,
}

impl Client {
    /// A client with `options`.
    pub fn new(options: ClientOptions) -> Result<Client> {
        // Built inside the runtime: reqwest's pool needs its timer and I/O driver.
        let inner = block_on(async move { client::Client::new(options) })??;
        Ok(Client { inner })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &client::Client {
        &self.inner
    }

    /// See [`crate::Client::ping`].
    pub fn ping(&self, registry: &str) -> Result<()> {
        block_on(self.inner.ping(registry))?
    }

    /// See [`crate::Client::check_credentials`].
    pub fn check_credentials(&self, registry: &str) -> Result<()> {
        block_on(self.inner.check_credentials(registry))?
    }

    /// See [`crate::Client::catalog`].
    pub fn catalog(&self, registry: &str) -> Result<Vec<String>> {
        block_on(self.inner.catalog(registry))?
    }

    /// See [`crate::Client::tags`].
    pub fn tags(&self, reference: &Reference) -> Result<Vec<String>> {
        block_on(self.inner.tags(reference))?
    }

    /// See [`crate::Client::get_manifest`].
    pub fn get_manifest(&self, reference: &Reference) -> Result<Manifest> {
        block_on(self.inner.get_manifest(reference))?
    }

    /// See [`crate::Client::head_manifest`].
    pub fn head_manifest(&self, reference: &Reference) -> Result<ManifestInfo> {
        block_on(self.inner.head_manifest(reference))?
    }

    /// See [`crate::Client::put_manifest`].
    pub fn put_manifest(
        &self,
        reference: &Reference,
        bytes: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        block_on(self.inner.put_manifest(reference, bytes, media_type))?
    }

    /// See [`crate::Client::put_manifest_tags`].
    pub fn put_manifest_tags(
        &self,
        reference: &Reference,
        tags: &[String],
        bytes: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        block_on(
            self.inner
                .put_manifest_tags(reference, tags, bytes, media_type),
        )?
    }

    /// See [`crate::Client::delete_manifest`].
    pub fn delete_manifest(&self, reference: &Reference) -> Result<()> {
        block_on(self.inner.delete_manifest(reference))?
    }

    /// See [`crate::Client::get_blob`].
    pub fn get_blob(&self, reference: &Reference, digest: &Digest) -> Result<BlobReader> {
        let inner = block_on(self.inner.get_blob(reference, digest))??;
        Ok(BlobReader::new(inner))
    }

    /// See [`crate::Client::get_blob_range`].
    pub fn get_blob_range(
        &self,
        reference: &Reference,
        digest: &Digest,
        offset: u64,
        length: Option<u64>,
    ) -> Result<BlobReader> {
        let inner = block_on(self.inner.get_blob_range(reference, digest, offset, length))??;
        Ok(BlobReader::new(inner))
    }

    /// See [`crate::Client::head_blob`].
    pub fn head_blob(&self, reference: &Reference, digest: &Digest) -> Result<BlobInfo> {
        block_on(self.inner.head_blob(reference, digest))?
    }

    /// See [`crate::Client::blob_exists`].
    pub fn blob_exists(&self, reference: &Reference, digest: &Digest) -> Result<bool> {
        block_on(self.inner.blob_exists(reference, digest))?
    }

    /// See [`crate::Client::delete_blob`].
    pub fn delete_blob(&self, reference: &Reference, digest: &Digest) -> Result<()> {
        block_on(self.inner.delete_blob(reference, digest))?
    }

    /// See [`crate::Client::push_blob`].
    pub fn push_blob(&self, reference: &Reference, data: Bytes) -> Result<Digest> {
        block_on(self.inner.push_blob(reference, data))?
    }

    /// Uploads everything `reader` yields in chunks; see
    /// [`crate::Client::push_blob_chunked`].
    pub fn push_blob_from_reader<R: Read>(
        &self,
        reference: &Reference,
        reader: &mut R,
    ) -> Result<Digest> {
        let mut session = self.start_upload(reference)?;
        let chunk_size = session
            .inner
            .chunk_size(self.inner.options().upload_chunk_size);
        loop {
            let chunk = read_up_to(reader, chunk_size)?;
            let last = chunk.len() < chunk_size;
            session.write_chunk(chunk)?;
            if last {
                break;
            }
        }
        session.finish(None)
    }

    /// See [`crate::Client::start_upload`].
    pub fn start_upload(&self, reference: &Reference) -> Result<UploadSession> {
        let inner = block_on(self.inner.start_upload(reference))??;
        Ok(UploadSession { inner })
    }

    /// See [`crate::Client::resume_upload`].
    pub fn resume_upload(&self, reference: &Reference, location: &str) -> Result<UploadSession> {
        let inner = block_on(self.inner.resume_upload(reference, location))??;
        Ok(UploadSession { inner })
    }

    /// See [`crate::Client::mount_blob`]: `Ok(None)` when mounted, else the
    /// upload session the registry opened instead.
    pub fn mount_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        from: &str,
    ) -> Result<Option<UploadSession>> {
        match block_on(self.inner.mount_blob(reference, digest, from))?? {
            client::MountResult::Mounted => Ok(None),
            client::MountResult::Upload(inner) => Ok(Some(UploadSession { inner: *inner })),
        }
    }

    /// See [`crate::Client::referrers`].
    pub fn referrers(
        &self,
        reference: &Reference,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        block_on(self.inner.referrers(reference, artifact_type))?
    }
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
}

impl BlobReader {
    fn new(inner: client::BlobReader) -> BlobReader {
        BlobReader {
            inner,
            pending: Bytes::new(),
        }
    }

    /// The next chunk, or `None` at the verified end.
    pub fn chunk(&mut self) -> Result<Option<Bytes>> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        block_on(self.inner.chunk())?
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
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            match self.chunk() {
                Ok(Some(bytes)) => self.pending = bytes,
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        let _ = self.pending.split_to(n);
        Ok(n)
    }
}

/// A blocking upload session; see [`crate::UploadSession`].
pub struct UploadSession {
    inner: client::UploadSession,
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
        block_on(self.inner.write_chunk(data))?
    }

    /// Asks the registry how many bytes it holds.
    pub fn refresh(&mut self) -> Result<u64> {
        block_on(self.inner.refresh())?
    }

    /// Completes the upload; see [`crate::UploadSession::finish`].
    pub fn finish(self, digest: Option<&Digest>) -> Result<Digest> {
        block_on(self.inner.finish(digest))?
    }

    /// Abandons the session.
    pub fn cancel(self) -> Result<()> {
        block_on(self.inner.cancel())?
    }
}
