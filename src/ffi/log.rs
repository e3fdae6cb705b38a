//! The log callback: where ocireg's diagnostics go (nothing is printed by
//! default).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::guard::guard;
use super::last_error::c_string;
use super::status::ocireg_status;
use crate::error::{Error, ErrorKind};
use crate::log::{LogLevel, set_log_sink};

/// A log level, one of the `OCIREG_LOG_*` values.
pub type ocireg_log_level = u32;
/// Failures the call could not report otherwise (a panic caught at the
/// boundary, with its message).
pub const OCIREG_LOG_ERROR: ocireg_log_level = 1;
/// Something a caller may want to look at.
pub const OCIREG_LOG_WARN: ocireg_log_level = 2;
/// Milestones of an operation.
pub const OCIREG_LOG_INFO: ocireg_log_level = 3;
/// One line per HTTP request: method, URL (without userinfo, signed query
/// values redacted), status, elapsed milliseconds and retry number. No
/// header is ever logged.
pub const OCIREG_LOG_DEBUG: ocireg_log_level = 4;

/// Receives one log message.
///
/// @param userdata the pointer given to `ocireg_set_log_callback`.
/// @param level the message's level, one of `OCIREG_LOG_*`.
/// @param message one line of UTF-8 without a trailing newline, borrowed
///        for the length of this call only.
pub type ocireg_log_cb = Option<
    unsafe extern "C" fn(userdata: *mut c_void, level: ocireg_log_level, message: *const c_char),
>;

/// The callback and its userdata, callable from any thread: the caller of
/// `ocireg_set_log_callback` promised that they may be.
struct CSink {
    callback: unsafe extern "C" fn(*mut c_void, ocireg_log_level, *const c_char),
    userdata: *mut c_void,
}

// SAFETY: ocireg_set_log_callback's contract: the callback is thread-safe
// and its userdata usable from any thread.
unsafe impl Send for CSink {}
// SAFETY: as above; the sink only passes `userdata` through.
unsafe impl Sync for CSink {}

impl CSink {
    fn deliver(&self, level: LogLevel, message: &str) {
        let text = c_string(message);
        // SAFETY: the caller of ocireg_set_log_callback gave a valid
        // callback; `text` outlives the call.
        unsafe { (self.callback)(self.userdata, level as u32, text.as_ptr()) }
    }
}

/// The level numbered `n`, if any.
fn level_of(n: ocireg_log_level) -> Option<LogLevel> {
    match n {
        OCIREG_LOG_ERROR => Some(LogLevel::Error),
        OCIREG_LOG_WARN => Some(LogLevel::Warn),
        OCIREG_LOG_INFO => Some(LogLevel::Info),
        OCIREG_LOG_DEBUG => Some(LogLevel::Debug),
        _ => None,
    }
}

/// Sets where ocireg's diagnostics go, for the whole process: `callback`
/// receives every message of `level` or above (`OCIREG_LOG_ERROR` <
/// `OCIREG_LOG_WARN` < `OCIREG_LOG_INFO` < `OCIREG_LOG_DEBUG`), until this
/// is called again. Nothing is printed by default; a NULL callback turns
/// logging off. This includes the message of a panic caught at the
/// boundary (error level), which would otherwise go nowhere: ocireg never
/// writes to stderr.
///
/// The callback is called from any thread, ocireg's own threads included,
/// and from several at once: it must be thread-safe, must not block for
/// long, and may make no ocireg call but this one. It may still be called
/// with the old userdata for a moment after it is replaced, on another
/// thread: keep that userdata alive. Messages never carry credentials.
///
/// @param level the most detailed level wanted, one of `OCIREG_LOG_*`.
/// @param callback the callback, or NULL to turn logging off.
/// @param userdata passed to the callback untouched.
/// @return `OCIREG_OK`, or `OCIREG_ERR_INVALID_ARGUMENT` for an unknown
///         level (the previous callback stays).
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_set_log_callback(
    level: ocireg_log_level,
    callback: ocireg_log_cb,
    userdata: *mut c_void,
) -> ocireg_status {
    guard(|| {
        let level = level_of(level).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "log level {level} is not one of OCIREG_LOG_ERROR (1) .. OCIREG_LOG_DEBUG (4)"
                ),
            )
        })?;
        let sink = callback.map(|callback| {
            let sink = CSink { callback, userdata };
            Arc::new(move |level: LogLevel, message: &str| sink.deliver(level, message))
                as crate::log::LogSink
        });
        set_log_sink(level, sink);
        Ok(())
    })
}
