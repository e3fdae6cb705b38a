//! The one error type of ocireg, with a stable [`ErrorKind`].
//!
//! Every failure, from a bad reference to a registry's `MANIFEST_UNKNOWN`,
//! is an [`Error`]. The kind is what callers branch on (the C status codes
//! are the kinds one-to-one); the rest is detail for people: a message, the
//! HTTP status, every entry of the registry's OCI error body and the
//! `Retry-After` the registry asked for. No credential ever enters an error.

use std::fmt;
use std::time::Duration;

use crate::transport::rate_limit::RateLimit;

/// The stable classification of an [`Error`].
///
/// The numbers are part of the C ABI (`ocireg_status`): they are assigned
/// once and never reused. `0` is success and so is not a kind.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument was malformed or out of range.
    InvalidArgument = 3,
    /// An image reference could not be parsed.
    InvalidReference = 4,
    /// A digest could not be parsed or uses an unsupported algorithm.
    InvalidDigest = 5,
    /// The registry does not have the manifest, blob, repository or upload.
    NotFound = 6,
    /// Authentication is missing or was refused (HTTP 401).
    Unauthorized = 7,
    /// The credentials are valid but lack the permission (HTTP 403).
    Denied = 8,
    /// The registry rate-limited the request (HTTP 429) beyond our retries.
    TooManyRequests = 9,
    /// The registry or the content uses something ocireg does not support.
    Unsupported = 10,
    /// Content did not hash to the digest it was addressed by.
    DigestMismatch = 11,
    /// Content exceeded a size limit or its declared size.
    SizeExceeded = 12,
    /// The registry broke the protocol (bad status, bad JSON, bad header).
    Protocol = 13,
    /// A connection could not be made or was lost.
    Network = 14,
    /// TLS failed: handshake, certificate, or a file of TLS material.
    Tls = 15,
    /// An operation ran past its configured time.
    Timeout = 16,
    /// A local file could not be read or written.
    Io = 17,
    /// A caller's callback asked to stop.
    Aborted = 18,
    /// The operation was cancelled from another thread.
    Cancelled = 19,
    /// A bug in ocireg; please report it.
    Internal = 20,
    /// The registry answered with a server error (HTTP 5xx) beyond our retries.
    Server = 21,
    /// The registry refused the request as malformed (HTTP 400 and others).
    Rejected = 22,
}

impl ErrorKind {
    /// The static upper-case name of the kind, such as `NOT_FOUND`, used in
    /// messages and (as the name of the matching status) by the C API's
    /// `ocireg_status_str`. This is the one table of these names.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::InvalidReference => "INVALID_REFERENCE",
            ErrorKind::InvalidDigest => "INVALID_DIGEST",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Unauthorized => "UNAUTHORIZED",
            ErrorKind::Denied => "DENIED",
            ErrorKind::TooManyRequests => "TOO_MANY_REQUESTS",
            ErrorKind::Unsupported => "UNSUPPORTED",
            ErrorKind::DigestMismatch => "DIGEST_MISMATCH",
            ErrorKind::SizeExceeded => "SIZE_EXCEEDED",
            ErrorKind::Protocol => "PROTOCOL",
            ErrorKind::Network => "NETWORK",
            ErrorKind::Tls => "TLS",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Io => "IO",
            ErrorKind::Aborted => "ABORTED",
            ErrorKind::Cancelled => "CANCELLED",
            ErrorKind::Internal => "INTERNAL",
            ErrorKind::Server => "SERVER",
            ErrorKind::Rejected => "REJECTED",
        }
    }

    /// The kind numbered `number`, if there is one.
    #[must_use]
    pub fn from_number(number: u32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| *k as u32 == number)
    }

    /// Every kind, in numeric order.
    pub const ALL: [ErrorKind; 20] = [
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidReference,
        ErrorKind::InvalidDigest,
        ErrorKind::NotFound,
        ErrorKind::Unauthorized,
        ErrorKind::Denied,
        ErrorKind::TooManyRequests,
        ErrorKind::Unsupported,
        ErrorKind::DigestMismatch,
        ErrorKind::SizeExceeded,
        ErrorKind::Protocol,
        ErrorKind::Network,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Io,
        ErrorKind::Aborted,
        ErrorKind::Cancelled,
        ErrorKind::Internal,
        ErrorKind::Server,
        ErrorKind::Rejected,
    ];
}

/// One entry of a registry's OCI error body (`{"errors":[{code,message,detail}]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The OCI error code, such as `MANIFEST_UNKNOWN` or `DENIED`.
    pub code: String,
    /// The registry's human-readable message.
    pub message: String,
    /// The `detail` member, re-serialized as compact JSON (empty when absent).
    pub detail: String,
}

/// An ocireg failure: a stable kind plus the detail a person needs.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
    registry_errors: Vec<RegistryError>,
    retry_after: Option<Duration>,
    rate_limit: Option<Box<RateLimit>>,
}

/// The result type of every fallible ocireg operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            http_status: None,
            registry_errors: Vec::new(),
            retry_after: None,
            rate_limit: None,
        }
    }

    /// Attaches the HTTP status of the response that failed.
    #[must_use]
    pub fn with_http_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }

    /// Attaches the entries of the registry's OCI error body.
    #[must_use]
    pub fn with_registry_errors(mut self, errors: Vec<RegistryError>) -> Error {
        self.registry_errors = errors;
        self
    }

    /// Attaches the delay the registry asked for in `Retry-After`.
    #[must_use]
    pub fn with_retry_after(mut self, delay: Option<Duration>) -> Error {
        self.retry_after = delay;
        self
    }

    /// Attaches the rate limit the failing response reported (kept only
    /// when the registry said something about it).
    #[must_use]
    pub fn with_rate_limit(mut self, rate_limit: RateLimit) -> Error {
        self.rate_limit = (!rate_limit.is_unknown()).then(|| Box::new(rate_limit));
        self
    }

    /// The stable kind of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind's name.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the failing response, when there was one.
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// Every entry of the registry's OCI error body, in order.
    #[must_use]
    pub fn registry_errors(&self) -> &[RegistryError] {
        &self.registry_errors
    }

    /// The first OCI error code the registry sent, such as `MANIFEST_UNKNOWN`.
    #[must_use]
    pub fn registry_code(&self) -> Option<&str> {
        self.registry_errors.first().map(|e| e.code.as_str())
    }

    /// The `Retry-After` delay the registry asked for, when it sent one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The rate limit the failing response reported (`ratelimit-limit`,
    /// `ratelimit-remaining`, `docker-ratelimit-source`), as a 429 from
    /// Docker Hub carries; `None` when it reported none.
    #[must_use]
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_deref()
    }

    /// Adds context in front of the message: `"{context}: {message}"`.
    pub fn context(mut self, context: impl fmt::Display) -> Error {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl Error {
    /// The message with the HTTP status and the registry's error entries,
    /// without the kind's name (what the C API's last-error message gives).
    #[must_use]
    pub fn detail(&self) -> String {
        let mut text = self.message.clone();
        if let Some(status) = self.http_status {
            text.push_str(&format!(" (HTTP {status})"));
        }
        for e in &self.registry_errors {
            text.push_str(&format!(" [{}: {}]", e.code, e.message));
        }
        text
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.detail())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    /// An I/O error, unless it carries an ocireg [`Error`] (from a reader
    /// or writer of ours), which comes back out unchanged.
    fn from(e: std::io::Error) -> Error {
        match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            Some(inner) => inner.clone(),
            None => Error::new(ErrorKind::Io, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_numbered_once() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(seen.insert(kind as u32), "{kind:?} reuses a number");
            assert!(
                kind as u32 >= 3,
                "0..=2 are reserved for OK and the C-only codes"
            );
        }
    }

    #[test]
    fn display_carries_status_and_registry_codes() {
        let e = Error::new(ErrorKind::NotFound, "manifest latest")
            .with_http_status(404)
            .with_registry_errors(vec![RegistryError {
                code: "MANIFEST_UNKNOWN".into(),
                message: "manifest unknown".into(),
                detail: String::new(),
            }]);
        assert_eq!(
            e.to_string(),
            "NOT_FOUND: manifest latest (HTTP 404) [MANIFEST_UNKNOWN: manifest unknown]"
        );
        assert_eq!(e.registry_code(), Some("MANIFEST_UNKNOWN"));
    }
}
