//! Turning HTTP failures into [`Error`]s: status codes to kinds, the OCI
//! error body to [`RegistryError`]s, and reqwest's errors to kinds.

use reqwest::StatusCode;
use serde::Deserialize;

use super::dates::retry_after;
use super::rate_limit::RateLimit;
use crate::error::{Error, ErrorKind, RegistryError};

/// The largest error body read to find the OCI error entries.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The kind an HTTP error status maps to.
pub fn kind_for_status(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Denied,
        404 => ErrorKind::NotFound,
        405 => ErrorKind::Unsupported,
        408 => ErrorKind::Timeout,
        413 => ErrorKind::SizeExceeded,
        416 => ErrorKind::InvalidArgument,
        429 => ErrorKind::TooManyRequests,
        400 | 409 | 411 | 412 | 415 | 422 => ErrorKind::Rejected,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Protocol,
    }
}

/// Builds the error for a failed response, reading (a bounded part of) its
/// body for the registry's OCI error entries. `what` names the operation.
pub async fn error_from_response(what: &str, mut response: reqwest::Response) -> Error {
    let status = response.status();
    let retry = retry_after(response.headers());
    let rate_limit = RateLimit::from_headers(response.headers());
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let entries = parse_error_body(&body);
    let mut kind = kind_for_status(status);
    if entries.iter().any(|e| e.code == "DIGEST_INVALID") && kind == ErrorKind::Rejected {
        kind = ErrorKind::DigestMismatch;
    }
    let reason = status.canonical_reason().unwrap_or("unexpected status");
    Error::new(kind, format!("{what}: {reason}"))
        .with_http_status(status.as_u16())
        .with_registry_errors(entries)
        .with_retry_after(retry)
        .with_rate_limit(rate_limit)
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

/// The most entries of an OCI error body kept on an [`Error`].
pub const MAX_REGISTRY_ERRORS: usize = 64;
/// The most bytes kept of an entry's code.
pub const MAX_CODE_LEN: usize = 256;
/// The most bytes kept of an entry's message, and of its detail's JSON text.
pub const MAX_TEXT_LEN: usize = 4096;

/// The entries of an OCI error body, in order; empty when the body is not
/// one. Bounded: the first [`MAX_REGISTRY_ERRORS`] entries, each code cut
/// to [`MAX_CODE_LEN`] bytes and each message and detail (compact JSON
/// text) to [`MAX_TEXT_LEN`] bytes, on a character boundary (a cut detail
/// is then no longer valid JSON).
pub fn parse_error_body(body: &[u8]) -> Vec<RegistryError> {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        return Vec::new();
    };
    parsed
        .errors
        .into_iter()
        .take(MAX_REGISTRY_ERRORS)
        .map(|e| RegistryError {
            code: cut(e.code, MAX_CODE_LEN),
            message: cut(e.message, MAX_TEXT_LEN),
            detail: match e.detail {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(v) => cut(v.to_string(), MAX_TEXT_LEN),
            },
        })
        .collect()
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Maps a reqwest error to an [`Error`]; the URL is left out of the message
/// because signed storage URLs carry secrets in their query.
pub fn error_from_reqwest(what: &str, e: reqwest::Error) -> Error {
    // A body stream of ours failed (a download that did not verify, a file
    // that could not be read): that error is the cause, keep it.
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
    while let Some(s) = source {
        if let Some(ours) = s.downcast_ref::<Error>() {
            return ours.clone().context(what);
        }
        source = s.source();
    }
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if is_tls(&e) {
        ErrorKind::Tls
    } else if e.is_builder() {
        ErrorKind::InvalidArgument
    } else if e.is_redirect() {
        ErrorKind::Protocol
    } else {
        ErrorKind::Network
    };
    let e = e.without_url();
    let mut message = format!("{what}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::new(kind, message)
}

fn is_tls(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if is_rustls(s) {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether `e` is a rustls error, looking through the `io::Error`s that
/// wrap it (an `io::Error`'s `source` skips its own payload).
fn is_rustls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    match e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        Some(inner) => is_rustls(inner),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_entry_of_an_oci_error_body() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}},{"code":"NAME_UNKNOWN","message":"repo"}]}"#;
        let entries = parse_error_body(body);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].code, "MANIFEST_UNKNOWN");
        assert_eq!(entries[0].detail, r#"{"Tag":"x"}"#);
        assert_eq!(entries[1].detail, "");
        assert!(parse_error_body(b"<html>").is_empty());
        assert!(parse_error_body(b"").is_empty());
    }

    #[test]
    fn keeps_a_bounded_number_of_bounded_entries() {
        let long = "é".repeat(MAX_TEXT_LEN);
        let entries: Vec<_> = (0..200)
            .map(|i| serde_json::json!({"code": "X".repeat(1000), "message": long, "detail": {"n": i, "s": long}}))
            .collect();
        let body = serde_json::to_vec(&serde_json::json!({ "errors": entries })).unwrap();
        let parsed = parse_error_body(&body);
        assert_eq!(parsed.len(), MAX_REGISTRY_ERRORS);
        for e in &parsed {
            assert_eq!(e.code.len(), MAX_CODE_LEN);
            assert!(e.message.len() <= MAX_TEXT_LEN && e.message.len() > MAX_TEXT_LEN - 2);
            assert!(e.detail.len() <= MAX_TEXT_LEN && e.detail.starts_with("{\"n\":"));
        }
        assert!(parsed[63].detail.starts_with("{\"n\":63,"));
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(kind_for_status(StatusCode::NOT_FOUND), ErrorKind::NotFound);
        assert_eq!(
            kind_for_status(StatusCode::TOO_MANY_REQUESTS),
            ErrorKind::TooManyRequests
        );
        assert_eq!(kind_for_status(StatusCode::BAD_GATEWAY), ErrorKind::Server);
        assert_eq!(
            kind_for_status(StatusCode::IM_A_TEAPOT),
            ErrorKind::Protocol
        );
    }
}
