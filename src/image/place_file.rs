//! Putting a verified temporary file in place under a caller's name: the
//! one rule artifact pulls and layer fetches share. Without `overwrite`,
//! a file is linked into place (which fails when the name exists, even as
//! a symlink or when another process made it meanwhile); with it, renamed
//! over a regular file, never over a symlink or directory (and a rename
//! replaces a symlink, never writing through it).

use std::path::Path;

use super::layout_fs::io_error;
use super::temp_file::TempFile;
use crate::error::{Error, ErrorKind, Result};

/// Refuses a target that exists (unless `overwrite` and a regular file).
pub(crate) fn check_target(target: &Path, overwrite: bool) -> Result<()> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(target, e)),
    };
    let why = if meta.file_type().is_symlink() {
        "is a symlink"
    } else if !meta.is_file() {
        "exists and is not a regular file"
    } else if !overwrite {
        "exists (pass overwrite to replace it)"
    } else {
        return Ok(());
    };
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!("refusing to write {}: it {why}", target.display()),
    ))
}

/// Puts the complete, verified `temp` in place as `target`; see the module
/// documentation.
pub(crate) fn place(temp: TempFile, target: &Path, overwrite: bool) -> Result<()> {
    if overwrite {
        check_target(target, true)?;
        return temp.persist(target);
    }
    std::fs::hard_link(temp.path(), target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "refusing to write {}: it appeared meanwhile",
                    target.display()
                ),
            )
        } else {
            io_error(target, e)
        }
    })
    // `temp` is dropped here, removing its name; the file stays linked.
}
