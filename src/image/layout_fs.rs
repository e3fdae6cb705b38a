//! Reaching files inside an OCI image layout without leaving it.
//!
//! A layout may come from anywhere (a tarball, another user's directory),
//! so nothing in it is followed: every directory between the layout's root
//! and a file must be a real directory, not a symbolic link, and the file
//! itself is opened with `O_NOFOLLOW | O_NONBLOCK` and must be a regular
//! file. A symlink (to `/etc/shadow`, to `/dev/zero`, to a directory
//! outside), a FIFO (which would block a reader forever), a device or a
//! directory is refused at once with an `INVALID_ARGUMENT` error naming the
//! path. skopeo, umoci and ocireg itself never write symlinks into a
//! layout, so refusing them outright costs no real layout anything. The
//! root itself is the caller's choice and may be reached through symlinks.
//! The threat is a layout's contents, not a process swapping directories
//! while we read: a directory replaced by a symlink between its check and
//! the open below it is not detected (the file itself still must be a
//! regular file opened without following a symlink).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// Opens `root/parts...` for reading: a regular file inside the layout.
/// `Ok(None)` when it does not exist; an error when it exists but is not a
/// regular file reached without symlinks. Returns the file and its length.
pub(crate) fn open_regular(root: &Path, parts: &[&str]) -> Result<Option<(File, u64)>> {
    let Some((name, dirs)) = parts.split_last() else {
        return Err(Error::new(ErrorKind::Internal, "an empty layout path"));
    };
    let Some(dir) = walk_dirs(root, dirs)? else {
        return Ok(None);
    };
    let path = dir.join(name);
    // lstat first, so that a device or FIFO is never even opened.
    match std::fs::symlink_metadata(&path) {
        Ok(meta) => check_regular(&path, meta.file_type())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path, e)),
    }
    // O_NOFOLLOW and O_NONBLOCK close the gap between that lstat and this
    // open: a symlink put in place meanwhile fails with ELOOP, a FIFO does
    // not block the open, and the fstat below sees what was really opened.
    // A regular file ignores O_NONBLOCK, so reads behave as usual.
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(refused(&path, "a symlink")),
        Err(e) => return Err(io_error(&path, e)),
    };
    let meta = file.metadata().map_err(|e| io_error(&path, e))?;
    check_regular(&path, meta.file_type())?;
    Ok(Some((file, meta.len())))
}

/// Creates (when missing) the directories `root/parts...` and checks that
/// each one is a real directory, not a symlink out of the layout. Returns
/// the innermost one.
pub(crate) fn ensure_dirs(root: &Path, parts: &[&str]) -> Result<PathBuf> {
    let mut dir = root.to_path_buf();
    for part in parts {
        dir.push(part);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_error(&dir, e)),
        }
        let meta = std::fs::symlink_metadata(&dir).map_err(|e| io_error(&dir, e))?;
        check_dir(&dir, meta.file_type())?;
    }
    Ok(dir)
}

/// Whether `path` (inside a layout) exists as anything at all, symlinks
/// included (not followed).
pub(crate) fn exists(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(path, e)),
    }
}

/// An I/O error about `path` (its name, never its contents).
pub(crate) fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {e}", path.display()))
}

/// Walks `root/dirs...`, each of which must be a real directory; `None`
/// when one is missing.
fn walk_dirs(root: &Path, dirs: &[&str]) -> Result<Option<PathBuf>> {
    let mut dir = root.to_path_buf();
    for part in dirs {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) => check_dir(&dir, meta.file_type())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&dir, e)),
        }
    }
    Ok(Some(dir))
}

fn check_regular(path: &Path, kind: std::fs::FileType) -> Result<()> {
    if kind.is_file() {
        return Ok(());
    }
    Err(refused(path, describe(kind)))
}

fn check_dir(path: &Path, kind: std::fs::FileType) -> Result<()> {
    if kind.is_dir() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "{} is {}, not a directory; a layout's directories must be real directories inside it",
            path.display(),
            describe(kind)
        ),
    ))
}

fn refused(path: &Path, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "{} is {what}, not a regular file; a layout's files must be regular files inside it",
            path.display()
        ),
    )
}

fn describe(kind: std::fs::FileType) -> &'static str {
    if kind.is_symlink() {
        "a symlink"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a regular file"
    }
}
