//! Temporary files written next to their final place and renamed there
//! when complete.
//!
//! A temporary file is named `.tmp-<stem>-<pid>-<n>` and holds an advisory
//! lock (`flock`) for as long as its writer has it open, so a later run can
//! tell an abandoned one (its writer was killed: the kernel dropped the
//! lock) from one a live process is still writing, on this machine or in
//! another PID namespace, and removes only the abandoned ones
//! ([`remove_stale`]). Dropped before [`TempFile::persist`], a temporary
//! file removes itself, so every error path (a full disk included) and
//! every cancellation cleans up.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::layout_fs::io_error;
use crate::error::{Error, ErrorKind, Result};

/// How every temporary file's name starts.
const PREFIX: &str = ".tmp-";
/// How often creating a temporary file is tried when a cleaner removed the
/// fresh file before its lock was taken.
const CREATE_TRIES: usize = 3;

/// A locked temporary file; see the module documentation.
#[derive(Debug)]
pub(crate) struct TempFile {
    file: File,
    path: PathBuf,
    kept: bool,
}

impl TempFile {
    /// Creates a new, empty temporary file for `stem` in `dir`, locked.
    // File::lock and try_lock are Rust 1.89; Cargo.toml's rust-version
    // (1.85) is already below what the crate needs (let chains, 1.88).
    pub fn create(dir: &Path, stem: &str) -> Result<TempFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        for _ in 0..CREATE_TRIES {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("{PREFIX}{stem}-{}-{n}", std::process::id()));
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map_err(|e| io_error(&path, e))?;
            // A file system without locks leaves the file unlocked: no
            // cleaner can lock it either, so none removes it.
            let _ = file.lock();
            // A cleaner that locked the file between its creation and our
            // lock has unlinked it: start over under another name.
            let linked = file.metadata().map_or(true, |m| m.nlink() > 0);
            if linked {
                return Ok(TempFile {
                    file,
                    path,
                    kept: false,
                });
            }
        }
        Err(Error::new(
            ErrorKind::Io,
            format!("{}: temporary files keep vanishing", dir.display()),
        ))
    }

    /// The open file, for writing.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file to `target` (replacing a file or symlink there, never
    /// writing through it). On failure the temporary file is removed.
    pub fn persist(mut self, target: &Path) -> Result<()> {
        std::fs::rename(&self.path, target).map_err(|e| io_error(target, e))?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
        // The lock goes with the file, after the name is gone.
    }
}

/// Takes over the longest abandoned temporary file for `stem` in `dir`
/// (one whose writer is gone: it can be locked), to continue it; the other
/// abandoned ones for `stem` are removed. Returns it with its length.
pub(crate) fn adopt(dir: &Path, stem: &str) -> Option<(TempFile, u64)> {
    let prefix = format!("{PREFIX}{stem}-");
    let mut best: Option<(TempFile, u64)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        if let Ok(Some((temp, len))) = lock_abandoned(&entry.path()) {
            // The shorter one is dropped, which removes it.
            if best.as_ref().is_none_or(|(_, longest)| len > *longest) {
                best = Some((temp, len));
            }
        }
    }
    best
}

/// Removes the temporary files for stems starting with `stem` (all of them
/// for `""`) in `dir` whose writers are gone: those that can be locked.
/// Files another live process is writing stay. Best effort: a file that
/// cannot be examined is left alone.
pub(crate) fn remove_stale(dir: &Path, stem: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{PREFIX}{stem}");
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            // Dropped at once: removed.
            let _ = lock_abandoned(&entry.path());
        }
    }
}

/// Opens and locks the temporary file at `path` if its writer is gone;
/// `None` when a live writer holds it or it is not a regular file.
// File::try_lock is Rust 1.89; see TempFile::create.
fn lock_abandoned(path: &Path) -> std::io::Result<Option<(TempFile, u64)>> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() || file.try_lock().is_err() {
        return Ok(None);
    }
    // Still the file we locked under that name (not renamed meanwhile and
    // replaced by another)?
    let now = std::fs::symlink_metadata(path)?;
    if (now.dev(), now.ino()) != (opened.dev(), opened.ino()) {
        return Ok(None);
    }
    let temp = TempFile {
        file,
        path: path.to_path_buf(),
        kept: false,
    };
    Ok(Some((temp, opened.len())))
}
