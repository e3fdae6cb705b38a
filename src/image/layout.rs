//! OCI image layout directories: `oci-layout`, `index.json` and
//! `blobs/<alg>/<hex>`, as skopeo and umoci read and write them.
//!
//! Paths come only from validated digests, so nothing read from a hostile
//! `index.json` or manifest can point outside the directory, and no
//! symlink, FIFO or device in the layout is followed or read (see
//! `layout_fs`). Blobs are written to a locked temporary file and renamed
//! into place only after their digest checked out; an interrupted,
//! cancelled or failed (full disk) write removes its temporary file before
//! the operation returns, and one a killed process left is removed by the
//! next [`OciLayout::create`] (see `temp_file`). `index.json` changes under
//! a lock (see [`OciLayout::set_image`]). Blobs are not
//! fsynced: every reuse verifies them again, so a crash costs a re-fetch,
//! never a wrong byte.

use std::collections::BTreeMap;
use std::fs::TryLockError;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use super::layout_fs::{self, io_error};
use super::sink_buffers::{SINK_BUFFER, SinkBuffers};
use super::temp_file::{self, TempFile};
use crate::descriptor::Descriptor;
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::OCI_INDEX;

/// The annotation naming an image in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The content of `oci-layout`.
pub(crate) const LAYOUT_FILE: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;
/// The largest `index.json` read.
pub(crate) const MAX_INDEX_SIZE: u64 = 16 * 1024 * 1024;
/// The index of the layout.
const INDEX: &str = "index.json";
/// The file locked while `index.json` is changed.
const INDEX_LOCK: &str = "index.json.lock";
/// The longest wait between two tries of a held lock.
const MAX_LOCK_POLL: Duration = Duration::from_millis(50);

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct OciLayout {
    root: PathBuf,
    /// The buffers of its blob sinks, shared by its clones.
    buffers: Arc<SinkBuffers>,
}

/// `index.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutIndex {
    /// Always 2.
    pub schema_version: u32,
    /// The index media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The images of the layout.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// Annotations of the index itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl LayoutIndex {
    /// The image named `name`, or the only image when `name` is `None`;
    /// `layout` names the layout in errors.
    pub fn find(&self, name: Option<&str>, layout: &str) -> Result<Descriptor> {
        let found: Vec<&Descriptor> = match name {
            Some(name) => self
                .manifests
                .iter()
                .filter(|d| ref_name(d) == Some(name))
                .collect(),
            None => self.manifests.iter().collect(),
        };
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::new(
                ErrorKind::NotFound,
                match name {
                    Some(n) => format!("{layout} has no image named {n:?}"),
                    None => format!("{layout} has no image"),
                },
            )),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("{layout} has several images; name one"),
            )),
        }
    }
}

impl OciLayout {
    /// Opens an existing layout (it must have `oci-layout` and `index.json`).
    pub async fn open(root: impl Into<PathBuf>) -> Result<OciLayout> {
        let layout = OciLayout::at(root);
        if layout_fs::open_regular(&layout.root, &["oci-layout"])?.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{} is not an OCI image layout (no oci-layout file)",
                    layout.root.display()
                ),
            ));
        }
        Ok(layout)
    }

    /// Opens a layout, creating the directory, `oci-layout` and an empty
    /// `index.json` when missing. Temporary files that killed runs left
    /// next to `index.json` (their writers' locks are gone) are removed.
    pub async fn create(root: impl Into<PathBuf>) -> Result<OciLayout> {
        let layout = OciLayout::at(root);
        tokio::fs::create_dir_all(&layout.root)
            .await
            .map_err(|e| io_error(&layout.root, e))?;
        layout_fs::ensure_dirs(&layout.root, &["blobs"])?;
        let _lock = layout.lock_index().await?;
        if !layout_fs::exists(&layout.root.join("oci-layout"))? {
            write_atomically(&layout.root, "oci-layout", LAYOUT_FILE.as_bytes())?;
        }
        if !layout_fs::exists(&layout.root.join(INDEX))? {
            layout.store_index(&LayoutIndex {
                schema_version: 2,
                media_type: Some(OCI_INDEX.to_string()),
                manifests: Vec::new(),
                annotations: None,
            })?;
        }
        temp_file::remove_stale(&layout.root, "");
        Ok(layout)
    }

    /// Removes the temporary blob files that killed runs left (those no
    /// live writer holds). A pull calls it once its blobs are in place, so
    /// that it could first continue the partial files of its own blobs.
    pub(crate) fn remove_abandoned_blobs(&self) {
        let blobs = self.root.join("blobs");
        for algorithm in std::fs::read_dir(blobs).into_iter().flatten().flatten() {
            if algorithm.file_type().is_ok_and(|t| t.is_dir()) {
                temp_file::remove_stale(&algorithm.path(), "");
            }
        }
    }

    /// A layout at `root`, without touching the disk (for computing paths).
    pub fn at(root: impl Into<PathBuf>) -> OciLayout {
        OciLayout {
            root: root.into(),
            buffers: Arc::default(),
        }
    }

    /// The directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where blob `digest` lives: `blobs/<alg>/<hex>` (safe: digests are validated).
    #[must_use]
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    /// Whether blob `digest` is present with `size` bytes and hashes to its
    /// digest. A symlink, FIFO, device or directory in its place does not
    /// count (and is replaced, not written through, when the blob is
    /// written).
    pub async fn has_verified_blob(&self, digest: &Digest, size: u64) -> Result<bool> {
        let (file, len) = match self.open_blob_file(digest) {
            Ok(Some(opened)) => opened,
            Ok(None) => return Ok(false),
            Err(e) if e.kind() == ErrorKind::InvalidArgument => return Ok(false),
            Err(e) => return Err(e),
        };
        if len != size {
            return Ok(false);
        }
        let path = self.blob_path(digest);
        let mut file = tokio::fs::File::from_std(file);
        let mut hasher = Hasher::new(digest.algorithm());
        let mut buffer = vec![0u8; 1024 * 1024];
        loop {
            let n = file
                .read(&mut buffer)
                .await
                .map_err(|e| io_error(&path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        Ok(&hasher.finish() == digest)
    }

    /// Starts writing blob `digest` of `size` bytes on a thread of its own,
    /// which hashes and writes what [`BlobSink::send`] hands it, so that
    /// receiving, hashing and writing overlap. The file is renamed into
    /// place only when size and digest check out.
    ///
    /// When a killed run left a partial file of this blob, the sink takes
    /// it over: its bytes are hashed and [`BlobSink::offset`] says how many
    /// there are, so that only the rest need be sent. The digest, checked
    /// over the whole file at the end, says whether that prefix was right.
    pub(crate) async fn blob_sink(&self, digest: &Digest, size: u64) -> Result<BlobSink> {
        let dir = layout_fs::ensure_dirs(&self.root, &["blobs", digest.algorithm().name()])?;
        let algorithm = digest.algorithm();
        let (temp, hasher, offset) = match temp_file::adopt(&dir, digest.hex()) {
            Some((temp, len)) if len > 0 && len < size => {
                tokio::task::spawn_blocking(move || hash_prefix(temp, algorithm))
                    .await
                    .map_err(|e| Error::new(ErrorKind::Internal, format!("hashing: {e}")))??
            }
            // Created without an await, so that a cancelled task cannot
            // leave a file behind that no one removes.
            _ => (
                TempFile::create(&dir, digest.hex())?,
                Hasher::new(algorithm),
                0,
            ),
        };
        let (chunks, receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(SINK_DEPTH);
        let (outcome_tx, outcome) = tokio::sync::oneshot::channel();
        let (done_tx, done) = std::sync::mpsc::channel::<()>();
        let job = SinkJob {
            temp,
            target: self.blob_path(digest),
            digest: digest.clone(),
            size,
            hasher,
            written: offset,
        };
        let buffers = self.buffers.clone();
        tokio::task::spawn_blocking(move || {
            let result = job.run(receiver, &buffers);
            let _ = outcome_tx.send(result);
            drop(done_tx);
        });
        Ok(BlobSink {
            chunks: Some(chunks),
            buffer: self.buffers.take(),
            buffers: self.buffers.clone(),
            outcome: Some(outcome),
            done,
            offset,
        })
    }

    /// Writes a small blob held in memory (manifests, configs), verified.
    pub async fn write_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        digest.verify(bytes)?;
        let dir = layout_fs::ensure_dirs(&self.root, &["blobs", digest.algorithm().name()])?;
        write_atomically(&dir, digest.hex(), bytes)
    }

    /// Reads a small blob (manifest, config) whole, verified, up to `limit` bytes.
    pub async fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Bytes> {
        let path = self.blob_path(digest);
        let (file, len) = self.open_blob_file(digest)?.ok_or_else(|| missing(&path))?;
        let bytes = read_limited(file, len, limit, &path).await?;
        digest
            .verify(&bytes)
            .map_err(|e| e.context(path.display()))?;
        Ok(bytes)
    }

    /// Opens blob `digest` for streaming (not verified here; the registry
    /// verifies what is pushed). Only a regular file inside the layout is
    /// opened, never a symlink, FIFO or device.
    pub async fn open_blob(&self, digest: &Digest) -> Result<(tokio::fs::File, u64)> {
        let (file, len) = self
            .open_blob_file(digest)?
            .ok_or_else(|| missing(&self.blob_path(digest)))?;
        Ok((tokio::fs::File::from_std(file), len))
    }

    /// Reads `index.json`.
    pub async fn read_index(&self) -> Result<LayoutIndex> {
        let path = self.root.join(INDEX);
        let (file, len) =
            layout_fs::open_regular(&self.root, &[INDEX])?.ok_or_else(|| missing(&path))?;
        let bytes = read_limited(file, len, MAX_INDEX_SIZE, &path).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{}: {e}", path.display()),
            )
        })
    }

    /// Writes `index.json` atomically, under the layout's lock.
    pub async fn write_index(&self, index: &LayoutIndex) -> Result<()> {
        let _lock = self.lock_index().await?;
        self.store_index(index)
    }

    /// Names `descriptor` `name` in `index.json`, replacing an image of the
    /// same name (or, without a name, the same digest).
    ///
    /// The read, change and write happen under an exclusive advisory lock
    /// (`flock`) on `index.json.lock` in the layout, so that processes (and
    /// threads) naming images in one layout at once never lose each
    /// other's names; the lock file stays (removing it would race).
    pub async fn set_image(&self, mut descriptor: Descriptor, name: Option<&str>) -> Result<()> {
        let _lock = self.lock_index().await?;
        let mut index = self.read_index().await?;
        match name {
            Some(name) => {
                index.manifests.retain(|d| ref_name(d) != Some(name));
                descriptor
                    .annotations
                    .get_or_insert_with(BTreeMap::new)
                    .insert(REF_NAME.to_string(), name.to_string());
            }
            None => index
                .manifests
                .retain(|d| d.digest != descriptor.digest || ref_name(d).is_some()),
        }
        index.manifests.push(descriptor);
        self.store_index(&index)
    }

    /// The image named `name` in `index.json`, or the only image when `name`
    /// is `None`.
    pub async fn find_image(&self, name: Option<&str>) -> Result<Descriptor> {
        let where_ = self.root.display().to_string();
        self.read_index().await?.find(name, &where_)
    }

    /// Opens blob `digest` if it is a regular file inside the layout.
    fn open_blob_file(&self, digest: &Digest) -> Result<Option<(std::fs::File, u64)>> {
        layout_fs::open_regular(
            &self.root,
            &["blobs", digest.algorithm().name(), digest.hex()],
        )
    }

    /// Takes the layout's lock on `index.json` (see [`OciLayout::set_image`]),
    /// waiting without blocking a thread; released when the file is dropped.
    // File::lock and try_lock are Rust 1.89; Cargo.toml's rust-version
    // (1.85) is already below what the crate needs (let chains, 1.88).
    async fn lock_index(&self) -> Result<std::fs::File> {
        let path = self.root.join(INDEX_LOCK);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => Error::new(
                    ErrorKind::InvalidArgument,
                    format!("{} is a symlink, not a regular file", path.display()),
                ),
                _ => io_error(&path, e),
            })?;
        let mut wait = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(TryLockError::WouldBlock) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_LOCK_POLL);
                }
                Err(TryLockError::Error(e)) => return Err(io_error(&path, e)),
            }
        }
    }

    /// Writes `index.json` atomically; the caller holds the lock.
    fn store_index(&self, index: &LayoutIndex) -> Result<()> {
        let bytes = serde_json::to_vec(index)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("serializing index.json: {e}")))?;
        write_atomically(&self.root, INDEX, &bytes)
    }
}

/// The `ref.name` annotation of an index entry.
pub fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations
        .as_ref()
        .and_then(|a| a.get(REF_NAME))
        .map(String::as_str)
}

/// How many full buffers may wait for the writing thread.
/// [`BlobSink::send`] copies the received bytes into a buffer of the
/// layout's pool (`sink_buffers.rs`) and hands it to the writing thread
/// when it is full, or holds at least [`SINK_HANDOFF`] bytes while the
/// thread has nothing queued; the thread gives it back to the pool once
/// written. So the HTTP layer gets its receive buffer back at once and
/// reuses it, no memory is allocated or returned to the kernel per chunk
/// or per blob (page faults on fresh memory cost more CPU than the copy),
/// and a thread that lags behind wakes once per buffer, not per chunk
/// (issue 16). A blob being written holds at most `SINK_DEPTH + 2` buffers.
const SINK_DEPTH: usize = 2;
/// The fewest bytes handed to an idle writing thread: what a killed run
/// has on disk lags what it received by little more than this.
const SINK_HANDOFF: usize = 128 * 1024;

/// A blob being written by its own thread; see [`OciLayout::blob_sink`].
/// Dropped before [`BlobSink::finish`], it waits for the thread to remove
/// the temporary file, so that nothing is left behind.
pub(crate) struct BlobSink {
    chunks: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    /// The buffer being filled.
    buffer: Vec<u8>,
    /// Where buffers come from and go back to.
    buffers: Arc<SinkBuffers>,
    outcome: Option<tokio::sync::oneshot::Receiver<Result<()>>>,
    done: std::sync::mpsc::Receiver<()>,
    offset: u64,
}

impl BlobSink {
    /// How many bytes of the blob the file already holds (from a killed
    /// run's partial file); send only the bytes after them.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Takes the next bytes (a copy: the caller's buffer is free again at
    /// once); waits while the writer is behind.
    pub async fn send(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let n = bytes.len().min(SINK_BUFFER - self.buffer.len());
            self.buffer.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.buffer.len() == SINK_BUFFER {
                self.flush().await?;
            }
        }
        let writer_idle = self
            .chunks
            .as_ref()
            .is_some_and(|c| c.capacity() == SINK_DEPTH);
        if self.buffer.len() >= SINK_HANDOFF && writer_idle {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands the buffer to the writing thread and takes a spare one.
    async fn flush(&mut self) -> Result<()> {
        let chunks = self
            .chunks
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "blob sink already finished"))?;
        if self.buffer.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buffer, self.buffers.take());
        if chunks.send(full).await.is_err() {
            // The thread stopped early: its outcome says why.
            return self
                .outcome()
                .await
                .and(Err(Error::new(ErrorKind::Internal, "blob writer stopped")));
        }
        Ok(())
    }

    /// Ends the blob: the thread checks size and digest, syncs and renames.
    pub async fn finish(mut self) -> Result<()> {
        self.flush().await?;
        self.chunks = None;
        self.outcome().await
    }

    async fn outcome(&mut self) -> Result<()> {
        self.chunks = None;
        match self.outcome.take() {
            Some(receiver) => receiver.await.unwrap_or_else(|_| {
                Err(Error::new(
                    ErrorKind::Internal,
                    "blob writer thread vanished",
                ))
            }),
            None => Err(Error::new(
                ErrorKind::Internal,
                "blob sink already finished",
            )),
        }
    }
}

impl Drop for BlobSink {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; wait until it has
        // removed (or, for a complete and verified blob, placed) the file.
        self.chunks = None;
        let _ = self.done.recv();
        self.buffers.give(std::mem::take(&mut self.buffer));
    }
}

/// The writing thread's side of a [`BlobSink`].
struct SinkJob {
    temp: TempFile,
    target: PathBuf,
    digest: Digest,
    size: u64,
    /// The hash of what the file holds so far.
    hasher: Hasher,
    /// What the file holds so far.
    written: u64,
}

impl SinkJob {
    /// Writes, checks and renames; on any failure the temporary file is
    /// removed (when `temp` is dropped).
    fn run(
        mut self,
        mut chunks: tokio::sync::mpsc::Receiver<Vec<u8>>,
        buffers: &SinkBuffers,
    ) -> Result<()> {
        self.write_all(&mut chunks, buffers)?;
        // No fsync: a blob in a layout is hashed again before it is reused
        // (`has_verified_blob`), so one torn by a crash is fetched again;
        // syncing every blob would cost more than the transfer itself.
        self.temp.persist(&self.target)
    }

    fn write_all(
        &mut self,
        chunks: &mut tokio::sync::mpsc::Receiver<Vec<u8>>,
        buffers: &SinkBuffers,
    ) -> Result<()> {
        use std::io::Write as _;
        let mut hasher = self.hasher.clone();
        let mut written = self.written;
        while let Some(buffer) = chunks.blocking_recv() {
            // Hashed, then written while still in the CPU's cache.
            hasher.update(&buffer);
            self.temp
                .file()
                .write_all(&buffer)
                .map_err(|e| io_error(self.temp.path(), e))?;
            written += buffer.len() as u64;
            buffers.give(buffer);
        }
        if written != self.size {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "blob {}: {written} of {} bytes arrived",
                    self.digest, self.size
                ),
            ));
        }
        hasher.finish().expect_equal(&self.digest)
    }
}

/// Writes a small file (`index.json`, `oci-layout`, a manifest) to `dir`
/// under a temporary name and renames it into place. Synchronous, so that a
/// cancelled operation can never leave the temporary file behind; on a
/// failure (a full disk) the temporary file is removed.
pub(crate) fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut temp = TempFile::create(dir, name)?;
    let path = temp.path().to_path_buf();
    temp.file()
        .write_all(bytes)
        .map_err(|e| io_error(&path, e))?;
    temp.persist(&dir.join(name))
}

/// Hashes what a taken-over temporary file holds, leaving it positioned at
/// its end for appending.
fn hash_prefix(mut temp: TempFile, algorithm: Algorithm) -> Result<(TempFile, Hasher, u64)> {
    use std::io::Read as _;
    let path = temp.path().to_path_buf();
    let mut hasher = Hasher::new(algorithm);
    let mut buffer = vec![0u8; 1024 * 1024];
    let mut len = 0u64;
    loop {
        let n = temp
            .file()
            .read(&mut buffer)
            .map_err(|e| io_error(&path, e))?;
        if n == 0 {
            return Ok((temp, hasher, len));
        }
        hasher.update(&buffer[..n]);
        len += n as u64;
    }
}

/// Reads a file of `len` bytes whole, refusing more than `limit`.
pub(crate) async fn read_limited(
    file: std::fs::File,
    len: u64,
    limit: u64,
    path: &Path,
) -> Result<Bytes> {
    let too_large = || {
        Error::new(
            ErrorKind::SizeExceeded,
            format!("{} is more than {limit} bytes", path.display()),
        )
    };
    if len > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    tokio::fs::File::from_std(file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Bytes::from(bytes))
}

/// A missing file of the layout.
fn missing(path: &Path) -> Error {
    Error::new(ErrorKind::Io, format!("{}: no such file", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blobs of one layout handle share its buffers: once a blob is
    /// written its buffers are back in the pool, and the next blob takes
    /// one of them instead of fresh memory.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn consecutive_blobs_reuse_the_sink_buffers() {
        let dir = std::env::temp_dir().join(format!("ocireg-sink-{}", std::process::id()));
        let layout = OciLayout::create(&dir).await.unwrap();
        let mut idle = 0;
        for fill in [1u8, 2] {
            let bytes = vec![fill; SINK_BUFFER * 3 + 5];
            let digest = Digest::sha256_of(&bytes);
            let mut sink = layout.blob_sink(&digest, bytes.len() as u64).await.unwrap();
            if fill == 2 {
                assert_eq!(layout.buffers.idle_count(), idle - 1, "taken from the pool");
            }
            for piece in bytes.chunks(64 * 1024) {
                sink.send(piece).await.unwrap();
            }
            sink.finish().await.unwrap();
            assert!(
                layout
                    .has_verified_blob(&digest, bytes.len() as u64)
                    .await
                    .unwrap()
            );
            idle = layout.buffers.idle_count();
            assert!(idle >= 1, "every buffer went back to the pool");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
