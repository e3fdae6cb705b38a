//! `ocireg_status`: the result of every fallible C function.

use std::ffi::CStr;

use crate::error::ErrorKind;

/// The result of a fallible ocireg call. `OCIREG_OK` is 0; every other
/// value is an error whose detail `ocireg_last_error_*` gives on the same
/// thread. Values are assigned once and never reused.
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
    /// The status of an error kind (one-to-one, same number).
    pub fn from_kind(kind: ErrorKind) -> ocireg_status {
        use ocireg_status::*;
        match kind {
            ErrorKind::InvalidArgument => OCIREG_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidReference => OCIREG_ERR_INVALID_REFERENCE,
            ErrorKind::InvalidDigest => OCIREG_ERR_INVALID_DIGEST,
            ErrorKind::NotFound => OCIREG_ERR_NOT_FOUND,
            ErrorKind::Unauthorized => OCIREG_ERR_UNAUTHORIZED,
            ErrorKind::Denied => OCIREG_ERR_DENIED,
            ErrorKind::TooManyRequests => OCIREG_ERR_TOO_MANY_REQUESTS,
            ErrorKind::Unsupported => OCIREG_ERR_UNSUPPORTED,
            ErrorKind::DigestMismatch => OCIREG_ERR_DIGEST_MISMATCH,
            ErrorKind::SizeExceeded => OCIREG_ERR_SIZE_EXCEEDED,
            ErrorKind::Protocol => OCIREG_ERR_PROTOCOL,
            ErrorKind::Network => OCIREG_ERR_NETWORK,
            ErrorKind::Tls => OCIREG_ERR_TLS,
            ErrorKind::Timeout => OCIREG_ERR_TIMEOUT,
            ErrorKind::Io => OCIREG_ERR_IO,
            ErrorKind::Aborted => OCIREG_ERR_ABORTED,
            ErrorKind::Cancelled => OCIREG_ERR_CANCELLED,
            ErrorKind::Internal => OCIREG_ERR_INTERNAL,
            ErrorKind::Server => OCIREG_ERR_SERVER,
            ErrorKind::Rejected => OCIREG_ERR_REJECTED,
        }
    }

    /// The static name, such as `NOT_FOUND` (`OK` for success).
    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or("UNKNOWN")
    }

    /// The name as a C string, for `ocireg_status_str`.
    pub fn c_name(self) -> &'static CStr {
        use ocireg_status::*;
        match self {
            OCIREG_OK => c"OK",
            OCIREG_ERR_NULL_ARGUMENT => c"NULL_ARGUMENT",
            OCIREG_ERR_INVALID_UTF8 => c"INVALID_UTF8",
            OCIREG_ERR_INVALID_ARGUMENT => c"INVALID_ARGUMENT",
            OCIREG_ERR_INVALID_REFERENCE => c"INVALID_REFERENCE",
            OCIREG_ERR_INVALID_DIGEST => c"INVALID_DIGEST",
            OCIREG_ERR_NOT_FOUND => c"NOT_FOUND",
            OCIREG_ERR_UNAUTHORIZED => c"UNAUTHORIZED",
            OCIREG_ERR_DENIED => c"DENIED",
            OCIREG_ERR_TOO_MANY_REQUESTS => c"TOO_MANY_REQUESTS",
            OCIREG_ERR_UNSUPPORTED => c"UNSUPPORTED",
            OCIREG_ERR_DIGEST_MISMATCH => c"DIGEST_MISMATCH",
            OCIREG_ERR_SIZE_EXCEEDED => c"SIZE_EXCEEDED",
            OCIREG_ERR_PROTOCOL => c"PROTOCOL",
            OCIREG_ERR_NETWORK => c"NETWORK",
            OCIREG_ERR_TLS => c"TLS",
            OCIREG_ERR_TIMEOUT => c"TIMEOUT",
            OCIREG_ERR_IO => c"IO",
            OCIREG_ERR_ABORTED => c"ABORTED",
            OCIREG_ERR_CANCELLED => c"CANCELLED",
            OCIREG_ERR_INTERNAL => c"INTERNAL",
            OCIREG_ERR_SERVER => c"SERVER",
            OCIREG_ERR_REJECTED => c"REJECTED",
            OCIREG_ERR_PANIC => c"PANIC",
        }
    }

    /// Every status, for tests and tables.
    pub const ALL: [ocireg_status; 24] = {
        use ocireg_status::*;
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
}
