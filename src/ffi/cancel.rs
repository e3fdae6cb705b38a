//! `ocireg_cancel`: a signal that stops calls from another thread.

use super::guard::guard_value;
use crate::blocking::CancelToken;

/// A cancellation signal. Pass it to any network call; calling
/// `ocireg_cancel_cancel` from any thread makes the calls using it (and the
/// readers and uploads they opened) stop with `OCIREG_ERR_CANCELLED`.
/// Thread-safe. A cancelled signal stays cancelled: make a new one per
/// operation.
pub struct ocireg_cancel {
    pub(crate) token: CancelToken,
}

/// A new, not yet cancelled signal. Free it with `ocireg_cancel_free`.
/// Returns NULL only if the library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_cancel_new() -> *mut ocireg_cancel {
    guard_value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(ocireg_cancel {
            token: CancelToken::new(),
        }))
    })
}

/// Cancels every call using `cancel`. Safe from any thread; NULL is a no-op.
///
/// # Safety
/// `cancel` is NULL or a live `ocireg_cancel`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_cancel_cancel(cancel: *const ocireg_cancel) {
    guard_value((), || {
        // SAFETY: NULL or a live handle, as the caller promises.
        if let Some(c) = unsafe { cancel.as_ref() } {
            c.token.cancel();
        }
    })
}

/// Frees a signal; NULL is a no-op. No call may still be using it.
///
/// # Safety
/// `cancel` is NULL or a live `ocireg_cancel` not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_cancel_free(cancel: *mut ocireg_cancel) {
    guard_value((), || {
        if !cancel.is_null() {
            // SAFETY: made by Box::into_raw in ocireg_cancel_new; freed once.
            drop(unsafe { Box::from_raw(cancel) });
        }
    })
}
