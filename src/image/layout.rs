//! OCI image layout directories: `oci-layout`, `index.json` and
//! `blobs/<alg>/<hex>`, as skopeo and umoci read and write them.
//!
//! Paths come only from validated digests, so nothing read from a hostile
//! `index.json` or manifest can point outside the directory. Blobs are
//! written to a temporary file and renamed into place only after their
//! digest checked out; an interrupted or cancelled write removes its
//! temporary file before the operation returns. Blobs are not
//! fsynced: every reuse verifies them again, so a crash costs a re-fetch,
//! never a wrong byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use crate::descriptor::Descriptor;
use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::OCI_INDEX;

/// The annotation naming an image in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The content of `oci-layout`.
const LAYOUT_FILE: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;
/// The largest `index.json` read.
const MAX_INDEX_SIZE: u64 = 16 * 1024 * 1024;

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct OciLayout {
    root: PathBuf,
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

impl OciLayout {
    /// Opens an existing layout (it must have `oci-layout` and `index.json`).
    pub async fn open(root: impl Into<PathBuf>) -> Result<OciLayout> {
        let layout = OciLayout { root: root.into() };
        let marker = layout.root.join("oci-layout");
        if !tokio::fs::try_exists(&marker).await.unwrap_or(false) {
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
    /// `index.json` when missing.
    pub async fn create(root: impl Into<PathBuf>) -> Result<OciLayout> {
        let layout = OciLayout { root: root.into() };
        tokio::fs::create_dir_all(layout.root.join("blobs"))
            .await
            .map_err(|e| io_error(&layout.root, e))?;
        let marker = layout.root.join("oci-layout");
        if !tokio::fs::try_exists(&marker).await.unwrap_or(false) {
            write_atomically(&marker, LAYOUT_FILE.as_bytes()).await?;
        }
        if !tokio::fs::try_exists(layout.root.join("index.json"))
            .await
            .unwrap_or(false)
        {
            layout
                .write_index(&LayoutIndex {
                    schema_version: 2,
                    media_type: Some(OCI_INDEX.to_string()),
                    manifests: Vec::new(),
                    annotations: None,
                })
                .await?;
        }
        Ok(layout)
    }

    /// A layout at `root`, without touching the disk (for computing paths).
    pub fn at(root: impl Into<PathBuf>) -> OciLayout {
        OciLayout { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where blob `digest` lives: `blobs/<alg>/<hex>` (safe: digests are validated).
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm().name())
            .join(digest.hex())
    }

    /// Whether blob `digest` is present with `size` bytes and hashes to its digest.
    pub async fn has_verified_blob(&self, digest: &Digest, size: u64) -> Result<bool> {
        let path = self.blob_path(digest);
        let meta = match tokio::fs::metadata(&path).await {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_error(&path, e)),
        };
        if meta.len() != size {
            return Ok(false);
        }
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error(&path, e))?;
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
    pub async fn blob_sink(&self, digest: &Digest, size: u64) -> Result<BlobSink> {
        let dir = self.root.join("blobs").join(digest.algorithm().name());
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error(&dir, e))?;
        let temp = temp_path(&dir, digest.hex());
        // Opened without an await, so that a cancelled task cannot leave a
        // file behind that no one removes.
        let file = std::fs::File::create(&temp).map_err(|e| io_error(&temp, e))?;
        let (chunks, receiver) = tokio::sync::mpsc::channel::<Bytes>(SINK_DEPTH);
        let (outcome_tx, outcome) = tokio::sync::oneshot::channel();
        let (done_tx, done) = std::sync::mpsc::channel::<()>();
        let job = SinkJob {
            file,
            temp,
            target: self.blob_path(digest),
            digest: digest.clone(),
            size,
        };
        tokio::task::spawn_blocking(move || {
            let result = job.run(receiver);
            let _ = outcome_tx.send(result);
            drop(done_tx);
        });
        Ok(BlobSink {
            chunks: Some(chunks),
            outcome: Some(outcome),
            done,
        })
    }

    /// Writes a small blob held in memory (manifests, configs), verified.
    pub async fn write_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        digest.verify(bytes)?;
        let dir = self.root.join("blobs").join(digest.algorithm().name());
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error(&dir, e))?;
        write_atomically(&self.blob_path(digest), bytes).await
    }

    /// Reads a small blob (manifest, config) whole, verified, up to `limit` bytes.
    pub async fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Bytes> {
        let path = self.blob_path(digest);
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| io_error(&path, e))?;
        if meta.len() > limit {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{} is {} bytes, more than {limit}",
                    path.display(),
                    meta.len()
                ),
            ));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| io_error(&path, e))?;
        digest
            .verify(&bytes)
            .map_err(|e| e.context(path.display()))?;
        Ok(Bytes::from(bytes))
    }

    /// Opens blob `digest` for streaming (not verified here; the registry
    /// verifies what is pushed).
    pub async fn open_blob(&self, digest: &Digest) -> Result<(tokio::fs::File, u64)> {
        let path = self.blob_path(digest);
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_error(&path, e))?;
        let len = file.metadata().await.map_err(|e| io_error(&path, e))?.len();
        Ok((file, len))
    }

    /// Reads `index.json`.
    pub async fn read_index(&self) -> Result<LayoutIndex> {
        let path = self.root.join("index.json");
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| io_error(&path, e))?;
        if meta.len() > MAX_INDEX_SIZE {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!("{} is too large", path.display()),
            ));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| io_error(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{}: {e}", path.display()),
            )
        })
    }

    /// Writes `index.json` atomically.
    pub async fn write_index(&self, index: &LayoutIndex) -> Result<()> {
        let bytes = serde_json::to_vec(index)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("serializing index.json: {e}")))?;
        write_atomically(&self.root.join("index.json"), &bytes).await
    }

    /// Names `descriptor` `name` in `index.json`, replacing an image of the
    /// same name (or, without a name, the same digest).
    pub async fn set_image(&self, mut descriptor: Descriptor, name: Option<&str>) -> Result<()> {
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
        self.write_index(&index).await
    }

    /// The image named `name` in `index.json`, or the only image when `name`
    /// is `None`.
    pub async fn find_image(&self, name: Option<&str>) -> Result<Descriptor> {
        let index = self.read_index().await?;
        let found: Vec<&Descriptor> = match name {
            Some(name) => index
                .manifests
                .iter()
                .filter(|d| ref_name(d) == Some(name))
                .collect(),
            None => index.manifests.iter().collect(),
        };
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::new(
                ErrorKind::NotFound,
                match name {
                    Some(n) => format!("{} has no image named {n:?}", self.root.display()),
                    None => format!("{} has no image", self.root.display()),
                },
            )),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("{} has several images; name one", self.root.display()),
            )),
        }
    }
}

/// The `ref.name` annotation of an index entry.
pub fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations
        .as_ref()
        .and_then(|a| a.get(REF_NAME))
        .map(String::as_str)
}

/// How many chunks may wait for the writing thread.
const SINK_DEPTH: usize = 4;

/// A blob being written by its own thread; see [`OciLayout::blob_sink`].
/// Dropped before [`BlobSink::finish`], it waits for the thread to remove
/// the temporary file, so that nothing is left behind.
pub struct BlobSink {
    chunks: Option<tokio::sync::mpsc::Sender<Bytes>>,
    outcome: Option<tokio::sync::oneshot::Receiver<Result<()>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl BlobSink {
    /// Hands over the next bytes (waits while the writer is behind).
    pub async fn send(&mut self, bytes: Bytes) -> Result<()> {
        let chunks = self
            .chunks
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "blob sink already finished"))?;
        if chunks.send(bytes).await.is_err() {
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
    }
}

/// The writing thread's side of a [`BlobSink`].
struct SinkJob {
    file: std::fs::File,
    temp: PathBuf,
    target: PathBuf,
    digest: Digest,
    size: u64,
}

impl SinkJob {
    fn run(mut self, mut chunks: tokio::sync::mpsc::Receiver<Bytes>) -> Result<()> {
        let result = self.write_all(&mut chunks);
        if result.is_err() {
            let _ = std::fs::remove_file(&self.temp);
        }
        result
    }

    fn write_all(&mut self, chunks: &mut tokio::sync::mpsc::Receiver<Bytes>) -> Result<()> {
        use std::io::Write as _;
        let mut hasher = Hasher::new(self.digest.algorithm());
        let mut written = 0u64;
        while let Some(bytes) = chunks.blocking_recv() {
            hasher.update(&bytes);
            self.file
                .write_all(&bytes)
                .map_err(|e| io_error(&self.temp, e))?;
            written += bytes.len() as u64;
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
        hasher.finish().expect_equal(&self.digest)?;
        // No fsync: a blob in a layout is hashed again before it is reused
        // (`has_verified_blob`), so one torn by a crash is fetched again;
        // syncing every blob would cost more than the transfer itself.
        std::fs::rename(&self.temp, &self.target).map_err(|e| io_error(&self.target, e))
    }
}

fn temp_path(dir: &Path, hex: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".tmp-{hex}-{}-{n}", std::process::id()))
}

/// Writes a small file (`index.json`, `oci-layout`) under a temporary name
/// and renames it into place. Done without awaiting, so that a cancelled
/// operation can never leave the temporary file behind.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = temp_path(dir, name);
    std::fs::write(&temp, bytes).map_err(|e| io_error(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io_error(path, e)
    })
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {e}", path.display()))
}
