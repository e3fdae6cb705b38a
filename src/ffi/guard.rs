//! The panic boundary every export runs inside, and the error type of the
//! code within it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::last_error::{set_error, set_plain};
use super::panic_log::InCall;
use super::signals::with_sigpipe_blocked;
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

/// Runs `body` inside the panic boundary, with `SIGPIPE` blocked in this
/// thread (see `signals`), and turns its outcome into a status, recording
/// the detail of a failure for `ocireg_last_error_*`.
/// A panic's message goes to the log sink (see `panic_log`), not stderr.
pub fn guard(body: impl FnOnce() -> FfiResult) -> ocireg_status {
    let _in_call = InCall::enter();
    // Socket writes on this thread (the blocking facade polls here) must
    // not raise SIGPIPE in a host that leaves it at its default.
    match with_sigpipe_blocked(|| catch_unwind(AssertUnwindSafe(body))) {
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
    let _in_call = InCall::enter();
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}
