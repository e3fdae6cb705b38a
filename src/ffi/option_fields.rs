//! The setters option handles share: an `artifactType` (a non-empty
//! string), an annotation put in a string map, an annotation key pushed on
//! a string list. Each takes the handle's raw pointer and the field it
//! changes, so an export is its docs plus one call; they export nothing.

use std::collections::BTreeMap;
use std::ffi::c_char;

use super::args::str_arg;
use super::guard::FfiResult;
use super::handle::mut_arg;
use crate::error::{Error, ErrorKind};

/// Sets the `artifactType` field of the handle `handle` (named `name` in
/// errors) from the C string `artifact_type`; an empty one is
/// `OCIREG_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `handle` as [`mut_arg`], `artifact_type` as [`str_arg`].
pub unsafe fn set_artifact_type<T>(
    handle: *mut T,
    name: &'static str,
    artifact_type: *const c_char,
    field: impl FnOnce(&mut T) -> &mut Option<String>,
) -> FfiResult<()> {
    // SAFETY: forwarded from the caller's promise.
    let (h, t) = unsafe {
        (
            mut_arg(handle, name)?,
            str_arg(artifact_type, "artifact_type")?,
        )
    };
    if t.is_empty() {
        return Err(Error::new(ErrorKind::InvalidArgument, "an empty artifact type").into());
    }
    *field(h) = Some(t.to_string());
    Ok(())
}

/// Puts the annotation `key` = `value` in the map `map` of the handle
/// `handle` (named `name` in errors), replacing a value of that key; an
/// empty key is `OCIREG_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `handle` as [`mut_arg`], `key` and `value` as [`str_arg`].
pub unsafe fn put_annotation<T>(
    handle: *mut T,
    name: &'static str,
    key: *const c_char,
    value: *const c_char,
    map: impl FnOnce(&mut T) -> &mut BTreeMap<String, String>,
) -> FfiResult<()> {
    // SAFETY: forwarded from the caller's promise.
    let (h, k, v) = unsafe {
        (
            mut_arg(handle, name)?,
            str_arg(key, "key")?,
            str_arg(value, "value")?,
        )
    };
    map(h).insert(annotation_key(k)?, v.to_string());
    Ok(())
}

/// Pushes the annotation key `key` on the list `list` of the handle
/// `handle` (named `name` in errors); an empty key is
/// `OCIREG_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `handle` as [`mut_arg`], `key` as [`str_arg`].
pub unsafe fn push_annotation_key<T>(
    handle: *mut T,
    name: &'static str,
    key: *const c_char,
    list: impl FnOnce(&mut T) -> &mut Vec<String>,
) -> FfiResult<()> {
    // SAFETY: forwarded from the caller's promise.
    let (h, k) = unsafe { (mut_arg(handle, name)?, str_arg(key, "key")?) };
    list(h).push(annotation_key(k)?);
    Ok(())
}

/// `key`, owned, when it is not empty.
fn annotation_key(key: &str) -> FfiResult<String> {
    if key.is_empty() {
        return Err(Error::new(ErrorKind::InvalidArgument, "an empty annotation key").into());
    }
    Ok(key.to_string())
}
