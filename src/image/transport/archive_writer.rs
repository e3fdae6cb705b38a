//! Writing a tar archive (oci-archive, docker-archive) as a locked
//! temporary file next to its destination, renamed over it only when
//! complete: an error or a cancellation leaves the destination untouched
//! (see `temp_file`). Entries come in the order written, all with mtime 0,
//! uid/gid 0 and mode 0644 (directories 0755), so the same image gives the
//! same bytes. Every blob is hashed as it is written and checked against
//! its digest and size before the next entry starts.
//!
//! The file is synced before the rename, so that a crash never leaves a
//! renamed but empty archive. Syncing a GiB at the end alone would stall
//! the copy while the disk catches up (skopeo does not sync at all); so
//! every [`SYNC_EVERY`] bytes the data written so far is handed to the disk
//! by a background `fdatasync`, while the copy goes on, and the final sync
//! has only the tail left.

use std::collections::HashSet;
use std::io::{SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::write::MultiGzDecoder;
use futures_util::StreamExt;
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use super::BlobStream;
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::image::layout_fs::io_error;
use crate::image::plan::BlobRef;
use crate::image::progress::{BlobOutcome, Tracker};
use crate::image::tar;
use crate::image::temp_file::{self, TempFile};

/// How many bytes are written between background syncs.
const SYNC_EVERY: u64 = 128 * 1024 * 1024;

/// A tar file being written; see the module documentation.
pub(crate) struct ArchiveWriter {
    partial: TempFile,
    out: BufWriter<tokio::fs::File>,
    target: PathBuf,
    names: HashSet<String>,
    /// Bytes written since the last background sync started.
    unsynced: u64,
    /// The background sync running, if any.
    syncing: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl ArchiveWriter {
    /// Starts the archive that will replace `target`; temporary files a
    /// killed run left for it are removed.
    pub fn create(target: &Path) -> Result<ArchiveWriter> {
        let (dir, name) = split_target(target)?;
        temp_file::remove_stale(dir, &format!("{name}-"));
        let mut partial = TempFile::create(dir, name)?;
        let out = partial
            .file()
            .try_clone()
            .map_err(|e| io_error(partial.path(), e))?;
        Ok(ArchiveWriter {
            out: BufWriter::with_capacity(1024 * 1024, tokio::fs::File::from_std(out)),
            partial,
            target: target.to_path_buf(),
            names: HashSet::new(),
            unsynced: 0,
            syncing: None,
        })
    }

    /// Counts `n` bytes written; past [`SYNC_EVERY`], hands what was
    /// written to the disk in the background (after the previous
    /// background sync ends, so at most one runs).
    async fn written(&mut self, n: u64) -> Result<()> {
        self.unsynced += n;
        if self.unsynced < SYNC_EVERY {
            return Ok(());
        }
        self.unsynced = 0;
        self.wait_sync().await?;
        self.out.flush().await?;
        let file = self
            .partial
            .file()
            .try_clone()
            .map_err(|e| io_error(self.partial.path(), e))?;
        self.syncing = Some(tokio::task::spawn_blocking(move || file.sync_data()));
        Ok(())
    }

    /// Waits for the background sync, if one runs.
    async fn wait_sync(&mut self) -> Result<()> {
        if let Some(task) = self.syncing.take() {
            task.await
                .map_err(|e| Error::new(ErrorKind::Internal, format!("syncing: {e}")))?
                .map_err(|e| io_error(self.partial.path(), e))?;
        }
        Ok(())
    }

    /// Whether an entry `name` was written.
    pub fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// A directory entry (`name` ends with `/`).
    pub async fn dir(&mut self, name: &str) -> Result<()> {
        if self.names.insert(name.to_string()) {
            self.out.write_all(&tar::dir_header(name)?).await?;
        }
        Ok(())
    }

    /// A small file held in memory.
    pub async fn file(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.names.insert(name.to_string());
        tar::write_file(&mut self.out, name, bytes).await
    }

    /// A blob streamed from its source, verified against its digest and
    /// size as it is written; progress goes to `tracker`.
    pub async fn blob(
        &mut self,
        name: &str,
        blob: &BlobRef,
        mut body: BlobStream,
        tracker: &Arc<Tracker>,
    ) -> Result<()> {
        self.out.write_all(&tar::header(name, blob.size)?).await?;
        let mut hasher = Hasher::new(blob.digest.algorithm());
        let mut done = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            done += chunk.len() as u64;
            if done > blob.size {
                return Err(size_error(blob, done));
            }
            hasher.update(&chunk);
            self.out.write_all(&chunk).await?;
            self.written(chunk.len() as u64).await?;
            tracker.advance(&blob.digest, chunk.len() as u64, done, blob.size);
        }
        if done != blob.size {
            return Err(size_error(blob, done));
        }
        hasher.finish().expect_equal(&blob.digest)?;
        self.out
            .write_all(&[0u8; 512][..tar::padding(blob.size)])
            .await?;
        self.names.insert(name.to_string());
        tracker.finish(&blob.digest, 0, blob.size, BlobOutcome::Sent);
        Ok(())
    }

    /// Ends the archive, syncs it and renames it over the target.
    /// Writes the gzip-compressed `blob` decompressed, as member
    /// `<diff ID hex>.tar` (skopeo's and `docker save`'s naming): the
    /// compressed bytes are verified against the blob's digest, and the
    /// diff ID (the digest of the plain tar) is returned. The member's
    /// header is written last, once its size is known.
    pub async fn gunzipped_blob(
        &mut self,
        blob: &BlobRef,
        mut body: BlobStream,
        tracker: &Arc<Tracker>,
    ) -> Result<Digest> {
        let start = self.out.stream_position().await?;
        self.out.write_all(&[0u8; 512]).await?;
        let mut compressed = Hasher::new(blob.digest.algorithm());
        let mut plain = Hasher::new(Algorithm::Sha256);
        let mut decoder = MultiGzDecoder::new(Vec::new());
        let (mut done, mut size) = (0u64, 0u64);
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            done += chunk.len() as u64;
            if done > blob.size {
                return Err(size_error(blob, done));
            }
            compressed.update(&chunk);
            // Small pieces bound what one write can inflate to in memory.
            for piece in chunk.chunks(GUNZIP_PIECE) {
                decoder.write_all(piece).map_err(|e| gzip_error(blob, &e))?;
                let out = std::mem::take(decoder.get_mut());
                plain.update(&out);
                size += out.len() as u64;
                self.out.write_all(&out).await?;
                self.written(out.len() as u64).await?;
            }
            tracker.advance(&blob.digest, chunk.len() as u64, done, blob.size);
        }
        if done != blob.size {
            return Err(size_error(blob, done));
        }
        compressed.finish().expect_equal(&blob.digest)?;
        let rest = decoder.finish().map_err(|e| gzip_error(blob, &e))?;
        plain.update(&rest);
        size += rest.len() as u64;
        self.out.write_all(&rest).await?;
        self.out
            .write_all(&[0u8; 512][..tar::padding(size)])
            .await?;
        let diff_id = plain.finish();
        let name = format!("{}.tar", diff_id.hex());
        let end = self.out.stream_position().await?;
        self.out.seek(SeekFrom::Start(start)).await?;
        self.out.write_all(&tar::header(&name, size)?).await?;
        self.out.seek(SeekFrom::Start(end)).await?;
        self.names.insert(name);
        tracker.finish(&blob.digest, 0, blob.size, BlobOutcome::Sent);
        Ok(diff_id)
    }

    pub async fn finish(mut self) -> Result<()> {
        tar::finish(&mut self.out).await?;
        self.wait_sync().await?;
        self.out
            .into_inner()
            .sync_all()
            .await
            .map_err(|e| io_error(self.partial.path(), e))?;
        self.partial.persist(&self.target)
    }
}

/// The most compressed bytes inflated at once (their output stays in
/// memory until written; deflate inflates at most about 1032 to 1).
const GUNZIP_PIECE: usize = 4096;

fn gzip_error(blob: &BlobRef, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("layer {} is not valid gzip: {e}", blob.digest),
    )
}

fn size_error(blob: &BlobRef, got: u64) -> Error {
    Error::new(
        ErrorKind::SizeExceeded,
        format!(
            "blob {} gave {}{got} bytes, the manifest says {}",
            blob.digest,
            if got > blob.size { "at least " } else { "" },
            blob.size
        ),
    )
}

/// The directory and file name of `file`: the temporary file goes next to
/// it, so that the final rename stays within one file system.
pub(crate) fn split_target(file: &Path) -> Result<(&Path, &str)> {
    let name = file.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{}: not a file name", file.display()),
        )
    })?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Ok((dir, name))
}
