//! The panic boundary and argument checks every export goes through.

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::last_error::{set_error, set_plain};
use super::status::ocireg_status;
use crate::error::Error;

/// Why a call failed at the boundary or below it.
pub enum FfiError {
    /// A required pointer was NULL; names the argument.
    Null(&'static str),
    /// A string was not UTF-8; names the argument.
    Utf8(&'static str),
    /// The operation failed.
    Core(Error),
}

impl From<Error> for FfiError {
    fn from(e: Error) -> FfiError {
        FfiError::Core(e)
    }
}

/// The result type inside exports.
pub type FfiResult<T = ()> = Result<T, FfiError>;

/// Runs `body` inside the panic boundary and turns its outcome into a
/// status, recording the detail of a failure for `ocireg_last_error_*`.
pub fn guard(body: impl FnOnce() -> FfiResult) -> ocireg_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ocireg_status::OCIREG_OK,
        Ok(Err(FfiError::Null(name))) => set_plain(
            ocireg_status::OCIREG_ERR_NULL_ARGUMENT,
            &format!("argument `{name}` is NULL"),
        ),
        Ok(Err(FfiError::Utf8(name))) => set_plain(
            ocireg_status::OCIREG_ERR_INVALID_UTF8,
            &format!("argument `{name}` is not valid UTF-8"),
        ),
        Ok(Err(FfiError::Core(e))) => set_error(&e),
        Err(_) => set_plain(
            ocireg_status::OCIREG_ERR_PANIC,
            "ocireg panicked; please report this",
        ),
    }
}

/// Runs `body` (which cannot fail) inside the panic boundary, giving
/// `fallback` if it panics.
pub fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid
/// for `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, name: &'static str) -> FfiResult<&'a str> {
    if ptr.is_null() {
        return Err(FfiError::Null(name));
    }
    // SAFETY: non-NULL, and the caller promises a valid C string.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map_err(|_| FfiError::Utf8(name))
}

/// An optional string argument: NULL is `None`.
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

/// A required handle argument.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T` created by this library.
pub unsafe fn ref_arg<'a, T>(ptr: *const T, name: &'static str) -> FfiResult<&'a T> {
    // SAFETY: the caller promises a live handle when non-NULL.
    unsafe { ptr.as_ref() }.ok_or(FfiError::Null(name))
}

/// A required mutable handle argument.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T` not used elsewhere meanwhile.
pub unsafe fn mut_arg<'a, T>(ptr: *mut T, name: &'static str) -> FfiResult<&'a mut T> {
    // SAFETY: the caller promises exclusive access to a live handle.
    unsafe { ptr.as_mut() }.ok_or(FfiError::Null(name))
}

/// A byte-buffer argument; NULL is allowed only with `len == 0`.
///
/// # Safety
/// `ptr` must point to `len` readable bytes valid for `'a` when `len > 0`.
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

/// Checks that an output pointer is not NULL (before any work is done).
pub fn out_arg<T>(ptr: *mut T, name: &'static str) -> FfiResult<()> {
    if ptr.is_null() {
        Err(FfiError::Null(name))
    } else {
        Ok(())
    }
}

/// Writes an output value.
///
/// # Safety
/// `ptr` must be non-NULL (checked with [`out_arg`]) and writable.
pub unsafe fn write_out<T>(ptr: *mut T, value: T) {
    // SAFETY: checked non-NULL by the caller; C gives us a writable slot.
    unsafe { ptr.write(value) }
}
