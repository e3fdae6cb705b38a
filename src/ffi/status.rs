//! `ocireg_status`: the result of every fallible C function, and its name.

use std::ffi::{CStr, CString, c_char};
use std::sync::OnceLock;

use crate::error::ErrorKind;

/// The result of a fallible ocireg call. `OCIREG_OK` is 0; every other
/// value is an error whose detail `ocireg_last_error_*` gives on the same
/// thread. Values are assigned once and never reused; `ocireg_status_str`
/// names them.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ocireg_status {
    /// Success.
    OCIREG_OK = 0,
    /// A required pointer argument was NULL.
    OCIREG_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8.
    OCIREG_ERR_INVALID_UTF8 = 2,
    /// An argument was malformed or out of range.
    OCIREG_ERR_INVALID_ARGUMENT = 3,
    /// An image reference could not be parsed.
    OCIREG_ERR_INVALID_REFERENCE = 4,
    /// A digest could not be parsed.
    OCIREG_ERR_INVALID_DIGEST = 5,
    /// The manifest, blob, repository or upload does not exist.
    OCIREG_ERR_NOT_FOUND = 6,
    /// Authentication is missing or was refused.
    OCIREG_ERR_UNAUTHORIZED = 7,
    /// The credentials lack the permission.
    OCIREG_ERR_DENIED = 8,
    /// The registry rate-limited the request beyond the retries.
    OCIREG_ERR_TOO_MANY_REQUESTS = 9,
    /// Something ocireg does not support.
    OCIREG_ERR_UNSUPPORTED = 10,
    /// Content did not hash to its digest.
    OCIREG_ERR_DIGEST_MISMATCH = 11,
    /// Content exceeded a size limit or its declared size.
    OCIREG_ERR_SIZE_EXCEEDED = 12,
    /// The registry broke the protocol.
    OCIREG_ERR_PROTOCOL = 13,
    /// A connection could not be made or was lost.
    OCIREG_ERR_NETWORK = 14,
    /// TLS failed.
    OCIREG_ERR_TLS = 15,
    /// The operation ran past its configured time.
    OCIREG_ERR_TIMEOUT = 16,
    /// A local file could not be read or written.
    OCIREG_ERR_IO = 17,
    /// A callback returned non-zero.
    OCIREG_ERR_ABORTED = 18,
    /// The operation was cancelled through its `ocireg_cancel`.
    OCIREG_ERR_CANCELLED = 19,
    /// A bug in ocireg.
    OCIREG_ERR_INTERNAL = 20,
    /// The registry answered with a server error beyond the retries.
    OCIREG_ERR_SERVER = 21,
    /// The registry refused the request as malformed.
    OCIREG_ERR_REJECTED = 22,
    /// ocireg panicked; the call was stopped at the boundary. Please report it.
    OCIREG_ERR_PANIC = 100,
}

impl ocireg_status {
    /// Every status, in numeric order.
    pub const ALL: [ocireg_status; 24] = {
        use ocireg_status::{
            OCIREG_ERR_ABORTED, OCIREG_ERR_CANCELLED, OCIREG_ERR_DENIED,
            OCIREG_ERR_DIGEST_MISMATCH, OCIREG_ERR_INTERNAL, OCIREG_ERR_INVALID_ARGUMENT,
            OCIREG_ERR_INVALID_DIGEST, OCIREG_ERR_INVALID_REFERENCE, OCIREG_ERR_INVALID_UTF8,
            OCIREG_ERR_IO, OCIREG_ERR_NETWORK, OCIREG_ERR_NOT_FOUND, OCIREG_ERR_NULL_ARGUMENT,
            OCIREG_ERR_PANIC, OCIREG_ERR_PROTOCOL, OCIREG_ERR_REJECTED, OCIREG_ERR_SERVER,
            OCIREG_ERR_SIZE_EXCEEDED, OCIREG_ERR_TIMEOUT, OCIREG_ERR_TLS,
            OCIREG_ERR_TOO_MANY_REQUESTS, OCIREG_ERR_UNAUTHORIZED, OCIREG_ERR_UNSUPPORTED,
            OCIREG_OK,
        };
        [
            OCIREG_OK,
            OCIREG_ERR_NULL_ARGUMENT,
            OCIREG_ERR_INVALID_UTF8,
            OCIREG_ERR_INVALID_ARGUMENT,
            OCIREG_ERR_INVALID_REFERENCE,
            OCIREG_ERR_INVALID_DIGEST,
            OCIREG_ERR_NOT_FOUND,
            OCIREG_ERR_UNAUTHORIZED,
            OCIREG_ERR_DENIED,
            OCIREG_ERR_TOO_MANY_REQUESTS,
            OCIREG_ERR_UNSUPPORTED,
            OCIREG_ERR_DIGEST_MISMATCH,
            OCIREG_ERR_SIZE_EXCEEDED,
            OCIREG_ERR_PROTOCOL,
            OCIREG_ERR_NETWORK,
            OCIREG_ERR_TLS,
            OCIREG_ERR_TIMEOUT,
            OCIREG_ERR_IO,
            OCIREG_ERR_ABORTED,
            OCIREG_ERR_CANCELLED,
            OCIREG_ERR_INTERNAL,
            OCIREG_ERR_SERVER,
            OCIREG_ERR_REJECTED,
            OCIREG_ERR_PANIC,
        ]
    };

    /// The status numbered `number`, if there is one.
    pub fn from_number(number: u32) -> Option<ocireg_status> {
        ocireg_status::ALL.into_iter().find(|s| *s as u32 == number)
    }

    /// The status of an error kind (one-to-one, same number).
    pub fn from_kind(kind: ErrorKind) -> ocireg_status {
        ocireg_status::from_number(kind as u32).unwrap_or(ocireg_status::OCIREG_ERR_INTERNAL)
    }

    /// The static name, such as `NOT_FOUND`: the error kind's name
    /// ([`ErrorKind::name`]), or for the statuses the boundary adds (success,
    /// NULL, bad UTF-8, panic) their own.
    pub fn name(self) -> &'static str {
        use ocireg_status::{
            OCIREG_ERR_INVALID_UTF8, OCIREG_ERR_NULL_ARGUMENT, OCIREG_ERR_PANIC, OCIREG_OK,
        };
        match self {
            OCIREG_OK => "OK",
            OCIREG_ERR_NULL_ARGUMENT => "NULL_ARGUMENT",
            OCIREG_ERR_INVALID_UTF8 => "INVALID_UTF8",
            OCIREG_ERR_PANIC => "PANIC",
            other => ErrorKind::from_number(other as u32).map_or("UNKNOWN", ErrorKind::name),
        }
    }

    /// The name as a static C string, for `ocireg_status_str`.
    fn c_name(self) -> &'static CStr {
        static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
        let names = NAMES.get_or_init(|| {
            ocireg_status::ALL
                .iter()
                .map(|s| CString::new(s.name()).unwrap_or_default())
                .collect()
        });
        ocireg_status::ALL
            .iter()
            .position(|s| *s == self)
            .and_then(|i| names.get(i))
            .map_or(c"UNKNOWN", CString::as_c_str)
    }
}

/// The name of a status, such as `"NOT_FOUND"` for `OCIREG_ERR_NOT_FOUND`.
///
/// @param status a status (any number is accepted).
/// @return a static string, never NULL and never to be freed: the name, or
///         `"UNKNOWN"` for a number that is not a status.
#[unsafe(no_mangle)]
pub extern "C" fn ocireg_status_str(status: u32) -> *const c_char {
    super::guard::guard_value(c"UNKNOWN".as_ptr(), || {
        ocireg_status::from_number(status)
            .map_or(c"UNKNOWN", ocireg_status::c_name)
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_kinds_one_to_one() {
        for kind in ErrorKind::ALL {
            let status = ocireg_status::from_kind(kind);
            assert_eq!(status as u32, kind as u32);
            assert_eq!(status.name(), kind.name());
        }
        let mut numbers: Vec<u32> = ocireg_status::ALL.iter().map(|s| *s as u32).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), ocireg_status::ALL.len());
    }

    #[test]
    fn status_str_names_every_status() {
        for s in ocireg_status::ALL {
            // SAFETY: ocireg_status_str returns a static C string.
            let name = unsafe { CStr::from_ptr(ocireg_status_str(s as u32)) };
            assert_eq!(name.to_str().ok(), Some(s.name()));
            assert_ne!(s.name(), "UNKNOWN");
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(ocireg_status_str(77)) };
        assert_eq!(unknown.to_str().ok(), Some("UNKNOWN"));
    }
}
