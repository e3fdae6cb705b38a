//! `dir:DIR`: skopeo's directory format. `version` holds
//! `Directory Transport Version: 1.1\n`, `manifest.json` the top manifest
//! (byte for byte), `<hex>.manifest.json` the manifests an index names,
//! and each blob is the file named by its digest's hex. Signatures
//! (`signature-N`) are neither read nor written.
//!
//! Reading opens regular files only, never through a symlink (see
//! `layout_fs`). Writing fills a new directory next to `DIR` and renames it
//! into place at the end, so `DIR` is either left as it was or holds the
//! whole image; an existing `DIR` is replaced only when it is empty or is
//! itself a `dir:` image (it has the `version` file), as skopeo allows.
//! The new directory (`.tmp-<name>-<pid>-<n>` beside `DIR`) is removed on
//! every error and on cancellation; only a killed process leaves one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{BlobStream, MAX_MANIFEST, Source};
use crate::client::Manifest;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::blob_file::write_verified;
use crate::image::layout::read_limited;
use crate::image::layout_fs::{self, io_error};
use crate::image::plan::{BlobRef, Plan};
use crate::image::progress::{BlobOutcome, Tracker};
use crate::image::transport::tar_index::region_stream;
use crate::media_type;

/// The content of `version`.
const VERSION: &str = "Directory Transport Version: 1.1\n";

/// Reads an image from a `dir:` directory.
pub(crate) struct DirSource {
    root: PathBuf,
}

impl DirSource {
    pub fn open(root: &Path) -> DirSource {
        DirSource {
            root: root.to_path_buf(),
        }
    }

    async fn read(&self, name: &str) -> Result<bytes::Bytes> {
        let path = self.root.join(name);
        let (file, len) = layout_fs::open_regular(&self.root, &[name])?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("{}: no such file", path.display()),
            )
        })?;
        read_limited(file, len, MAX_MANIFEST, &path).await
    }

    pub async fn top(&self) -> Result<Manifest> {
        let bytes = self.read("manifest.json").await?;
        Ok(Manifest {
            digest: Digest::sha256_of(&bytes),
            media_type: guess_media_type(&bytes),
            bytes,
            source: None,
        })
    }

    pub async fn manifest(&self, digest: Digest, media_type: String) -> Result<Manifest> {
        let bytes = self
            .read(&format!("{}.manifest.json", digest.hex()))
            .await?;
        digest
            .verify(&bytes)
            .map_err(|e| e.context(self.root.display()))?;
        Ok(Manifest {
            bytes,
            media_type,
            digest,
            source: None,
        })
    }

    pub async fn blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        let path = self.root.join(blob.digest.hex());
        let (file, len) =
            layout_fs::open_regular(&self.root, &[blob.digest.hex()])?.ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("{}: no such file", path.display()),
                )
            })?;
        if len != blob.size {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{} is {len} bytes, the manifest says {}",
                    path.display(),
                    blob.size
                ),
            ));
        }
        Ok(Box::pin(region_stream(
            tokio::fs::File::from_std(file),
            len,
            path,
        )))
    }
}

/// The media type of manifest bytes that do not come with one: their
/// `mediaType`, else what their fields say (as containers/image guesses).
fn guess_media_type(bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        media_type: Option<String>,
        schema_version: Option<u32>,
        manifests: Option<serde_json::Value>,
        config: Option<serde_json::Value>,
    }
    let Ok(probe) = serde_json::from_slice::<Probe>(bytes) else {
        return media_type::OCI_MANIFEST.to_string();
    };
    match probe {
        Probe {
            media_type: Some(m),
            ..
        } => m,
        Probe {
            schema_version: Some(1),
            ..
        } => media_type::DOCKER_SCHEMA1.to_string(),
        Probe {
            manifests: Some(_), ..
        } => media_type::OCI_INDEX.to_string(),
        Probe {
            config: Some(_), ..
        } => media_type::OCI_MANIFEST.to_string(),
        _ => media_type::OCI_MANIFEST.to_string(),
    }
}

/// A directory being filled next to its target; removed when dropped
/// unless it was put in place.
#[derive(Debug)]
struct PendingDir {
    path: PathBuf,
    kept: std::sync::atomic::AtomicBool,
}

impl Drop for PendingDir {
    fn drop(&mut self) {
        if !self.kept.load(Ordering::Relaxed) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes an image as a `dir:` directory; see the module documentation.
#[derive(Clone)]
pub(crate) struct DirDestination {
    pending: Arc<PendingDir>,
    target: PathBuf,
}

impl DirDestination {
    pub fn create(target: &Path) -> Result<DirDestination> {
        check_replaceable(target)?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let (parent, name) = super::archive_writer::split_target(target)?;
        let path = parent.join(format!(
            ".tmp-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&path).map_err(|e| io_error(&path, e))?;
        Ok(DirDestination {
            pending: Arc::new(PendingDir {
                path,
                kept: false.into(),
            }),
            target: target.to_path_buf(),
        })
    }

    pub async fn put_blob(
        &self,
        source: &Arc<Source>,
        blob: &BlobRef,
        tracker: &Arc<Tracker>,
    ) -> Result<()> {
        let path = self.pending.path.join(blob.digest.hex());
        let mut out = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| io_error(&path, e))?;
        write_verified(source, blob, &mut out, &path, tracker).await?;
        tracker.finish(&blob.digest, 0, blob.size, BlobOutcome::Sent);
        Ok(())
    }

    /// Writes the manifests and `version`, then puts the directory in place.
    pub async fn finish(&self, plan: &Plan) -> Result<Digest> {
        let dir = &self.pending.path;
        for child in &plan.children {
            child.digest.verify(&child.bytes)?;
            write(
                dir,
                &format!("{}.manifest.json", child.digest.hex()),
                &child.bytes,
            )
            .await?;
        }
        write(dir, "manifest.json", &plan.top.bytes).await?;
        write(dir, "version", VERSION.as_bytes()).await?;
        replace(dir, &self.target)?;
        self.pending.kept.store(true, Ordering::Relaxed);
        Ok(plan.top.digest.clone())
    }
}

async fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| io_error(&path, e))
}

/// Fails unless `target` is missing, an empty directory, or a `dir:` image.
fn check_replaceable(target: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(target, e)),
    };
    let refuse = |what: &str| {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{} {what}; a dir: destination must be missing, empty, or a dir: image",
                target.display()
            ),
        ))
    };
    if !meta.is_dir() {
        return refuse("exists and is not a directory");
    }
    let mut entries = std::fs::read_dir(target).map_err(|e| io_error(target, e))?;
    if entries.next().is_none() {
        return Ok(());
    }
    match layout_fs::open_regular(target, &["version"])? {
        Some(_) => Ok(()),
        None => refuse("holds files but no version file"),
    }
}

/// Renames `dir` to `target`, replacing what `check_replaceable` allowed.
fn replace(dir: &Path, target: &Path) -> Result<()> {
    check_replaceable(target)?;
    match std::fs::rename(dir, target) {
        Ok(()) => return Ok(()),
        Err(e) if !matches!(e.raw_os_error(), Some(libc::ENOTEMPTY | libc::EEXIST)) => {
            return Err(io_error(target, e));
        }
        Err(_) => {}
    }
    // A previous dir: image: move it aside, put ours in, remove it.
    let old = dir.with_extension("old");
    std::fs::rename(target, &old).map_err(|e| io_error(target, e))?;
    if let Err(e) = std::fs::rename(dir, target) {
        let _ = std::fs::rename(&old, target);
        return Err(io_error(target, e));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}
