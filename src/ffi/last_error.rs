//! The detail of the last failing call, per thread (libgit2's model).

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::ptr;

use super::guard::guard_value;
use super::rate_limit::ocireg_rate_limit;
use super::status::ocireg_status;
use crate::error::Error;

struct LastError {
    status: ocireg_status,
    message: CString,
    registry_code: Option<CString>,
    registry_errors: Vec<RegistryErrorC>,
    http_status: u16,
    retry_after_ms: u64,
    /// What the registry said about its rate limit on the failing response.
    rate_limit: Option<ocireg_rate_limit>,
}

/// One entry of the registry's OCI error body, as C strings.
struct RegistryErrorC {
    code: CString,
    message: CString,
    detail: CString,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// Text without interior NULs, as a C string.
pub fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

/// Records `error` as this thread's last error and returns its status.
pub fn set_error(error: &Error) -> ocireg_status {
    let status = ocireg_status::from_kind(error.kind());
    store(LastError {
        status,
        message: c_string(&error.detail()),
        registry_code: error.registry_code().map(c_string),
        registry_errors: error
            .registry_errors()
            .iter()
            .map(|e| RegistryErrorC {
                code: c_string(&e.code),
                message: c_string(&e.message),
                detail: c_string(&e.detail),
            })
            .collect(),
        http_status: error.http_status().unwrap_or(0),
        retry_after_ms: error
            .retry_after()
            .map_or(0, |d| d.as_millis().min(u128::from(u64::MAX)) as u64),
        rate_limit: error.rate_limit().map(ocireg_rate_limit::new),
    });
    status
}

/// Records a failure that has no core [`Error`] (NULL, bad UTF-8, panic).
pub fn set_plain(status: ocireg_status, message: &str) -> ocireg_status {
    store(LastError {
        status,
        message: c_string(message),
        registry_code: None,
        registry_errors: Vec::new(),
        http_status: 0,
        retry_after_ms: 0,
        rate_limit: None,
    });
    status
}

fn store(error: LastError) {
    LAST_ERROR.with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = Some(error);
        }
    });
}

fn with_last<T>(f: impl FnOnce(&LastError) -> T, default: T) -> T {
    LAST_ERROR.with(|cell| match cell.try_borrow() {
        Ok(slot) => slot.as_ref().map_or(default, f),
        Err(_) => default,
    })
}

/// The status of the last failing call on this thread.
///
/// @return that status; `OCIREG_OK` when no call on this thread has failed
///         since it started or since `ocireg_last_error_clear`.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_status() -> ocireg_status {
    guard_value(ocireg_status::OCIREG_OK, || {
        with_last(|e| e.status, ocireg_status::OCIREG_OK)
    })
}

/// The message of the last failing call on this thread: what failed, then
/// the HTTP status and the registry's error entries when there were any
/// (the status name is not repeated; see `ocireg_status_str`).
///
/// @return the message, never NULL: an empty string when there is no error.
///         Owned by the library; valid until the next ocireg call on this
///         thread.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_message() -> *const c_char {
    guard_value(c"".as_ptr(), || {
        with_last(|e| e.message.as_ptr(), c"".as_ptr())
    })
}

/// The registry's OCI error code of the last failing call on this thread,
/// such as `MANIFEST_UNKNOWN`.
///
/// @return the code, or NULL when the registry sent none (or there is no
///         error). Valid like `ocireg_last_error_message`.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_registry_code() -> *const c_char {
    guard_value(ptr::null(), || {
        with_last(
            |e| e.registry_code.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
            ptr::null(),
        )
    })
}

/// The number of entries in the registry's OCI error body (`errors[]`) of
/// the last failing call on this thread. At most the first 64 entries are
/// kept, each code cut to 256 bytes and each message and detail to 4096.
///
/// @return the number of entries; 0 when the registry sent none (or there
///         is no error).
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_registry_count() -> usize {
    guard_value(0, || with_last(|e| e.registry_errors.len(), 0))
}

/// Entry `index` of the last failing call's registry errors, if any.
fn registry_entry<T: Copy>(index: usize, f: impl FnOnce(&RegistryErrorC) -> T, default: T) -> T {
    with_last(|e| e.registry_errors.get(index).map_or(default, f), default)
}

/// The OCI error code of entry `index` of the registry's error body of the
/// last failing call on this thread, such as `MANIFEST_UNKNOWN`.
///
/// @param index the entry, from 0 to `ocireg_last_error_registry_count()` - 1.
/// @return the code ("" when the entry has none); NULL when `index` is out
///         of range. Valid like `ocireg_last_error_message`.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_registry_entry_code(index: usize) -> *const c_char {
    guard_value(ptr::null(), || {
        registry_entry(index, |e| e.code.as_ptr(), ptr::null())
    })
}

/// The message of entry `index` of the registry's error body of the last
/// failing call on this thread.
///
/// @param index the entry, from 0 to `ocireg_last_error_registry_count()` - 1.
/// @return the message ("" when the entry has none); NULL when `index` is
///         out of range. Valid like `ocireg_last_error_message`.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_registry_entry_message(index: usize) -> *const c_char {
    guard_value(ptr::null(), || {
        registry_entry(index, |e| e.message.as_ptr(), ptr::null())
    })
}

/// The `detail` of entry `index` of the registry's error body of the last
/// failing call on this thread, as compact JSON text (such as
/// `{"Tag":"latest"}`; a detail over 4096 bytes is cut there and is then
/// not valid JSON).
///
/// @param index the entry, from 0 to `ocireg_last_error_registry_count()` - 1.
/// @return the detail ("" when the entry has none or it is JSON null); NULL
///         when `index` is out of range. Valid like
///         `ocireg_last_error_message`.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_registry_entry_detail(index: usize) -> *const c_char {
    guard_value(ptr::null(), || {
        registry_entry(index, |e| e.detail.as_ptr(), ptr::null())
    })
}

/// The HTTP status of the last failing call on this thread.
///
/// @return the HTTP status, or 0 when there was no response (or no error).
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_http_status() -> u16 {
    guard_value(0, || with_last(|e| e.http_status, 0))
}

/// The `Retry-After` the registry asked for in the last failing call on
/// this thread.
///
/// @return the wait in milliseconds, or 0 when it asked for none.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_retry_after_ms() -> u64 {
    guard_value(0, || with_last(|e| e.retry_after_ms, 0))
}

/// A value of the last failing call's rate limit, `unknown` when it had none.
fn rate_limit_value<T>(read: fn(&ocireg_rate_limit) -> T, unknown: T) -> T {
    with_last(|e| e.rate_limit.as_ref().map(read), None).unwrap_or(unknown)
}

/// The `ratelimit-limit` count (requests allowed per window) the registry
/// sent with the last failing call on this thread, typically a 429
/// (`OCIREG_ERR_TOO_MANY_REQUESTS`). The same values as
/// `ocireg_client_last_rate_limit` gives for that response.
///
/// @return the count; -1 when unknown (no error, or the response reported
///         no rate limit).
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_rate_limit_limit() -> i64 {
    guard_value(-1, || rate_limit_value(ocireg_rate_limit::limit_count, -1))
}

/// The window of the `ratelimit-limit` (`;w=`) of the last failing call on
/// this thread, in seconds.
///
/// @return the seconds; -1 when unknown.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_rate_limit_limit_window_s() -> i64 {
    guard_value(-1, || {
        rate_limit_value(ocireg_rate_limit::limit_window_s, -1)
    })
}

/// The `ratelimit-remaining` count (requests left in the window) of the
/// last failing call on this thread.
///
/// @return the count (0 on a typical 429); -1 when unknown.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_rate_limit_remaining() -> i64 {
    guard_value(-1, || {
        rate_limit_value(ocireg_rate_limit::remaining_count, -1)
    })
}

/// The window of the `ratelimit-remaining` (`;w=`) of the last failing call
/// on this thread, in seconds.
///
/// @return the seconds; -1 when unknown.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_rate_limit_remaining_window_s() -> i64 {
    guard_value(-1, || {
        rate_limit_value(ocireg_rate_limit::remaining_window_s, -1)
    })
}

/// The `docker-ratelimit-source` (what the registry counts against: an
/// address or an account id) of the last failing call on this thread.
///
/// @return the source, or NULL when unknown. Valid like
///         `ocireg_last_error_message`.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_rate_limit_source() -> *const c_char {
    guard_value(ptr::null(), || {
        rate_limit_value(ocireg_rate_limit::source_ptr, ptr::null())
    })
}

/// Forgets this thread's last error: afterwards the status is `OCIREG_OK`
/// and the message empty.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_last_error_clear() {
    guard_value((), || {
        LAST_ERROR.with(|cell| {
            if let Ok(mut slot) = cell.try_borrow_mut() {
                *slot = None;
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::time::Duration;

    use super::*;
    use crate::error::ErrorKind;
    use crate::transport::rate_limit::{RateLimit, RateQuota};

    #[test]
    fn a_429_leaves_its_rate_limit_and_a_plain_failure_forgets_it() {
        let window = Some(Duration::from_secs(21600));
        let error = Error::new(ErrorKind::TooManyRequests, "pull limit")
            .with_http_status(429)
            .with_retry_after(Some(Duration::from_secs(30)))
            .with_rate_limit(RateLimit {
                limit: Some(RateQuota { count: 100, window }),
                remaining: Some(RateQuota {
                    count: 0,
                    window: None,
                }),
                source: Some("192.0.2.7".into()),
            });
        assert_eq!(
            set_error(&error),
            ocireg_status::OCIREG_ERR_TOO_MANY_REQUESTS
        );
        assert_eq!(ocireg_last_error_rate_limit_limit(), 100);
        assert_eq!(ocireg_last_error_rate_limit_limit_window_s(), 21600);
        assert_eq!(ocireg_last_error_rate_limit_remaining(), 0);
        assert_eq!(ocireg_last_error_rate_limit_remaining_window_s(), -1);
        assert_eq!(ocireg_last_error_retry_after_ms(), 30_000);
        let source = ocireg_last_error_rate_limit_source();
        assert!(!source.is_null());
        // SAFETY: a non-NULL source is a C string valid until the next call.
        assert_eq!(unsafe { CStr::from_ptr(source) }.to_str(), Ok("192.0.2.7"));

        set_plain(ocireg_status::OCIREG_ERR_NULL_ARGUMENT, "argument");
        assert_eq!(ocireg_last_error_rate_limit_limit(), -1);
        assert_eq!(ocireg_last_error_rate_limit_remaining(), -1);
        assert!(ocireg_last_error_rate_limit_source().is_null());

        // An error without rate-limit headers has none either.
        set_error(&Error::new(ErrorKind::TooManyRequests, "no headers"));
        assert_eq!(ocireg_last_error_rate_limit_limit(), -1);
        ocireg_last_error_clear();
        assert_eq!(ocireg_last_error_rate_limit_remaining(), -1);
    }
}
