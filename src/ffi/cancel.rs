//! `ocireg_cancel`: a signal that stops calls from another thread.

use super::guard::guard_value;
use super::handle::{free_handle, get, into_handle};
use crate::blocking::CancelToken;

/// A cancellation signal. Pass it to any network call; calling
/// `ocireg_cancel_cancel` from any thread makes the calls using it (and the
/// readers and uploads they opened) stop with `OCIREG_ERR_CANCELLED`.
/// Thread-safe. A cancelled signal stays cancelled: make a new one per
/// operation.
pub struct ocireg_cancel {
    pub(crate) token: CancelToken,
}

/// Makes a new signal, not yet cancelled.
///
/// @return the signal (free it with `ocireg_cancel_free`); NULL only if the
///         library panicked.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_cancel_new() -> *mut ocireg_cancel {
    guard_value(std::ptr::null_mut(), || {
        into_handle(ocireg_cancel {
            token: CancelToken::new(),
        })
    })
}

/// Cancels every call using a signal. Safe from any thread, also while
/// those calls run.
///
/// @param cancel the signal, or NULL (a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_cancel_cancel(cancel: *const ocireg_cancel) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live signal.
        if let Some(c) = unsafe { get(cancel) } {
            c.token.cancel();
        }
    });
}

/// Frees a signal.
///
/// @param cancel the signal, or NULL (a no-op). No call may still be
///        using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ocireg_cancel_free(cancel: *mut ocireg_cancel) {
    guard_value((), || {
        // SAFETY: the header's conventions: NULL or a live signal, freed once.
        unsafe { free_handle(cancel) }
    });
}
