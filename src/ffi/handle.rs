//! Handles: Rust values C holds behind opaque pointers, and the outputs
//! calls write them (and other values) to.
//!
//! A handle is made by [`into_handle`] (a `Box` turned into a raw pointer
//! that C owns), borrowed by [`ref_arg`], [`mut_arg`] or [`get`] for the
//! length of one call, and given back by [`free_handle`] exactly once.
//! Outputs are checked once, before any work, by [`out_arg`] or
//! [`opt_out_arg`]; the [`Out`] they give is then written safely, and only
//! on success. The helpers that take a raw pointer are `unsafe`: their one
//! promise is the header's (a pointer is NULL or what the library gave out,
//! and an output is writable), so each export needs one `unsafe` block.

use super::guard::{FfiError, FfiResult};

/// Moves `value` to the heap as a handle C owns until it gives it back to
/// [`free_handle`] (through the handle type's `_free`).
pub fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Borrows a handle that may be NULL, for the length of one call.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` from this library, not freed
/// while the borrow lasts.
pub unsafe fn get<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: NULL gives None; otherwise the caller promises a live `T`.
    unsafe { ptr.as_ref() }
}

/// Borrows a required handle: NULL is `OCIREG_ERR_NULL_ARGUMENT` naming it.
///
/// # Safety
/// As [`get`].
pub unsafe fn ref_arg<'a, T>(ptr: *const T, name: &'static str) -> FfiResult<&'a T> {
    // SAFETY: forwarded from the caller's promise.
    unsafe { get(ptr) }.ok_or(FfiError::Null(name))
}

/// Borrows a required handle for a change: NULL is
/// `OCIREG_ERR_NULL_ARGUMENT` naming it.
///
/// # Safety
/// As [`get`], and no other thread uses the handle meanwhile (the header's
/// "one thread at a time").
pub unsafe fn mut_arg<'a, T>(ptr: *mut T, name: &'static str) -> FfiResult<&'a mut T> {
    // SAFETY: the caller promises a live handle used by this thread only.
    unsafe { ptr.as_mut() }.ok_or(FfiError::Null(name))
}

/// Drops a handle made by [`into_handle`]; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` from [`into_handle`], not used
/// afterwards (and not freed twice).
pub unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: made by Box::into_raw in into_handle; the caller gives it
        // back once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// A checked output slot: written once, on success.
pub struct Out<T> {
    slot: *mut T,
}

impl<T> Out<T> {
    /// Writes the output.
    pub fn write(self, value: T) {
        // SAFETY: `slot` is non-NULL and writable, as promised to `out_arg`
        // or `opt_out_arg` when this was made.
        unsafe { self.slot.write(value) }
    }
}

impl<T> Out<*mut T> {
    /// Writes `value` as a new handle (see [`into_handle`]).
    pub fn write_handle(self, value: T) {
        self.write(into_handle(value));
    }
}

/// A required output: NULL is `OCIREG_ERR_NULL_ARGUMENT` naming it.
///
/// # Safety
/// `ptr` is NULL or writable for a `T` until the call returns.
pub unsafe fn out_arg<T>(ptr: *mut T, name: &'static str) -> FfiResult<Out<T>> {
    if ptr.is_null() {
        Err(FfiError::Null(name))
    } else {
        Ok(Out { slot: ptr })
    }
}

/// An output the caller may not want: NULL is `None`.
///
/// # Safety
/// As [`out_arg`].
pub unsafe fn opt_out_arg<T>(ptr: *mut T) -> Option<Out<T>> {
    (!ptr.is_null()).then_some(Out { slot: ptr })
}
