//! Argument conversions: C strings, string arrays, byte buffers, and the
//! references and digests parsed from strings. NULL where a value is
//! required is `OCIREG_ERR_NULL_ARGUMENT` naming the argument; a string
//! that is not UTF-8 is `OCIREG_ERR_INVALID_UTF8`.
//!
//! Each helper taking a raw pointer is `unsafe` with one promise, the
//! header's: the pointer is NULL or valid as its C type says, for the
//! length of the call.

use std::ffi::{CStr, c_char};

use super::guard::{FfiError, FfiResult};
use crate::digest::Digest;
use crate::reference::Reference;

/// A required NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, name: &'static str) -> FfiResult<&'a str> {
    if ptr.is_null() {
        return Err(FfiError::Null(name));
    }
    // SAFETY: non-NULL, and the caller promises a valid C string.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map_err(|_| FfiError::Utf8(name))
}

/// An optional string: NULL is `None`.
///
/// # Safety
/// As [`str_arg`].
pub unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
    name: &'static str,
) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller's promise.
        unsafe { str_arg(ptr, name) }.map(Some)
    }
}

/// An array of `count` required strings (NULL allowed when `count` is 0).
///
/// # Safety
/// `ptr` is NULL or points to `count` pointers, each as [`str_arg`].
pub unsafe fn str_array_arg<'a>(
    ptr: *const *const c_char,
    count: usize,
    name: &'static str,
    item_name: &'static str,
) -> FfiResult<Vec<&'a str>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(FfiError::Null(name));
    }
    // SAFETY: non-NULL with `count` entries, as the caller promises.
    let ptrs = unsafe { std::slice::from_raw_parts(ptr, count) };
    ptrs.iter()
        // SAFETY: each entry is NULL or a C string, as the caller promises.
        .map(|p| unsafe { str_arg(*p, item_name) })
        .collect()
}

/// A buffer of `len` bytes to read; NULL is allowed only with `len == 0`.
///
/// # Safety
/// `ptr` points to `len` readable bytes valid for `'a` when `len > 0`.
pub unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, name: &'static str) -> FfiResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(FfiError::Null(name));
    }
    // SAFETY: non-NULL and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A buffer of `cap` bytes to fill; NULL is allowed only with `cap == 0`.
///
/// # Safety
/// `ptr` points to `cap` writable bytes, used by nothing else, valid for
/// `'a` when `cap > 0`.
pub unsafe fn buf_arg<'a>(ptr: *mut u8, cap: usize, name: &'static str) -> FfiResult<&'a mut [u8]> {
    if cap == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(FfiError::Null(name));
    }
    // SAFETY: non-NULL and the caller promises `cap` writable bytes.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, cap) })
}

/// A required image reference, parsed.
///
/// # Safety
/// As [`str_arg`].
pub unsafe fn reference_arg(ptr: *const c_char, name: &'static str) -> FfiResult<Reference> {
    // SAFETY: forwarded from the caller's promise.
    Ok(Reference::parse(unsafe { str_arg(ptr, name) }?)?)
}

/// A required digest, parsed.
///
/// # Safety
/// As [`str_arg`].
pub unsafe fn digest_arg(ptr: *const c_char, name: &'static str) -> FfiResult<Digest> {
    // SAFETY: forwarded from the caller's promise.
    Ok(Digest::parse(unsafe { str_arg(ptr, name) }?)?)
}
