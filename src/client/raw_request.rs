//! Raw requests: a request of the caller's own (a vendor API beside the
//! registry API, such as Harbor's, Quay's or GitLab's) sent to a path on a
//! registry with the client's authentication, retries, TLS and proxy.
//!
//! What keeps it bounded and on the registry's origin:
//! - the method is one of GET, HEAD, POST, PUT, PATCH and DELETE;
//! - the path starts with one `/`, has no scheme, host, fragment, `\`,
//!   control characters or `.`/`..` segments (plain or percent-encoded),
//!   and resolves on the registry's origin; the query is the caller's;
//! - the caller's headers are at most [`MAX_REQUEST_HEADERS`] of at most
//!   [`MAX_HEADER_BYTES`] in all, and never `Authorization`, `Host`,
//!   `Content-Length` or a hop-by-hop header (the client sets those);
//! - `Authorization` goes to the registry's origin only: a redirect that
//!   leaves it (scheme, host or port) reaches the new place without it;
//! - the response's headers are at most [`MAX_RESPONSE_HEADERS`] of at
//!   most [`MAX_HEADER_BYTES`] in all, and its body is streamed, or read
//!   whole up to a bound the caller names.
//!
//! Idempotent methods (GET, HEAD, PUT, DELETE) are retried like any
//! registry request while the body is replayable (none or bytes); a
//! stream body is sent once. A status of 400 or more is not an error
//! here: the caller reads it from the response.

use bytes::Bytes;
use futures_util::Stream;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::body::read_bounded;
use crate::transport::error_map::error_from_reqwest;
use crate::transport::request::{Body, Request, Target};

/// The most headers a caller may add to a raw request.
pub const MAX_REQUEST_HEADERS: usize = 64;
/// The most headers kept from a raw response.
pub const MAX_RESPONSE_HEADERS: usize = 256;
/// The most bytes of header names and values, in all, in a raw request
/// or kept from a raw response.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The longest raw request path (with its query).
pub const MAX_PATH_LENGTH: usize = 8 * 1024;
/// The most token scopes a raw request may ask for.
pub const MAX_SCOPES: usize = 16;

/// The methods a raw request may use.
const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
/// Headers the client sets itself, which a caller may not.
const RESERVED_HEADERS: [&str; 12] = [
    "authorization",
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A request of the caller's own to a path on a registry, sent (with a
/// [`RawBody`]) by [`Client::raw_request`], as often as wanted. Built with
/// [`RawRequest::new`] and the methods that add headers and scopes; each
/// checks its input at once (`INVALID_ARGUMENT`) and leaves the request as
/// it was when it refuses.
#[derive(Debug, Clone)]
pub struct RawRequest {
    method: Method,
    path: String,
    headers: HeaderMap,
    header_bytes: usize,
    scopes: Vec<String>,
}

/// The body of a raw request: none, bytes (replayable: retries and a second
/// try after a 401 send them again), or a stream sent once.
#[derive(Debug)]
pub struct RawBody(Body);

impl RawBody {
    /// No body.
    #[must_use]
    pub fn empty() -> RawBody {
        RawBody(Body::Empty)
    }

    /// `data` as the body.
    #[must_use]
    pub fn bytes(data: Bytes) -> RawBody {
        RawBody(Body::Bytes(data))
    }

    /// The body streamed from `stream` (of `len` bytes when known, sent as
    /// `Content-Length`; chunked otherwise). A stream is sent once: the
    /// request is not retried, and a 401 is returned as it is.
    #[must_use]
    pub fn stream<S>(stream: S, len: Option<u64>) -> RawBody
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        RawBody(Body::Stream(Some(reqwest::Body::wrap_stream(stream)), len))
    }
}

impl RawRequest {
    /// A request with `method` (GET, HEAD, POST, PUT, PATCH or DELETE,
    /// any case) to `path` on the registry (`/api/v2.0/projects?page=1`):
    /// it must start with one `/` and stay on the registry's origin (no
    /// scheme, host, fragment, `\`, control characters, or `.`/`..`
    /// segments, also percent-encoded); the query is the caller's.
    pub fn new(method: &str, path: &str) -> Result<RawRequest> {
        let upper = method.to_ascii_uppercase();
        if !METHODS.contains(&upper.as_str()) {
            return Err(invalid(format!(
                "raw request method {method:?} is not one of {}",
                METHODS.join(", ")
            )));
        }
        check_path(path)?;
        Ok(RawRequest {
            method: Method::from_bytes(upper.as_bytes())
                .map_err(|_| invalid(format!("raw request method {method:?}")))?,
            path: path.to_string(),
            headers: HeaderMap::new(),
            header_bytes: 0,
            scopes: Vec::new(),
        })
    }

    /// Adds a header. `Authorization`, `Host`, `Content-Length` and
    /// hop-by-hop headers are refused (the client sets them), as are
    /// malformed names and values and more than [`MAX_REQUEST_HEADERS`]
    /// headers or [`MAX_HEADER_BYTES`] bytes in all.
    pub fn header(&mut self, name: &str, value: &str) -> Result<()> {
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(invalid(format!(
                "raw request header {name:?} is set by the client, not the caller"
            )));
        }
        if self.headers.len() >= MAX_REQUEST_HEADERS {
            return Err(invalid(format!(
                "a raw request takes at most {MAX_REQUEST_HEADERS} headers"
            )));
        }
        let bytes = self.header_bytes + name.len() + value.len();
        if bytes > MAX_HEADER_BYTES {
            return Err(invalid(format!(
                "a raw request's headers take at most {MAX_HEADER_BYTES} bytes"
            )));
        }
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
        // The value is never echoed: it may be a credential of its own.
        let mut header_value = HeaderValue::from_str(value)
            .map_err(|_| invalid(format!("invalid value for header {name}")))?;
        header_value.set_sensitive(true);
        self.headers.append(header_name, header_value);
        self.header_bytes = bytes;
        Ok(())
    }

    /// Asks for a token with `scope` (such as `repository:foo:pull`) when
    /// the registry uses token auth; none is asked for by default. At most
    /// [`MAX_SCOPES`], each printable ASCII without spaces, of at most 256
    /// bytes.
    pub fn scope(&mut self, scope: &str) -> Result<()> {
        let printable = scope.bytes().all(|b| b.is_ascii_graphic());
        if scope.is_empty() || scope.len() > 256 || !printable {
            return Err(invalid(format!(
                "token scope {scope:?} must be 1 to 256 printable characters without spaces"
            )));
        }
        if self.scopes.len() >= MAX_SCOPES {
            return Err(invalid(format!(
                "a raw request asks for at most {MAX_SCOPES} scopes"
            )));
        }
        self.scopes.push(scope.to_string());
        Ok(())
    }

    /// The method, upper case.
    #[must_use]
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The path, with its query.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// The response to a raw request: status and headers at once, the body
/// streamed by [`RawResponse::chunk`] or read whole by
/// [`RawResponse::bytes`].
#[derive(Debug)]
pub struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: reqwest::Response,
    what: String,
}

impl RawResponse {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers, in order, names lower case; values that are not UTF-8
    /// have the offending bytes replaced.
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of header `name` (any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        self.body
            .chunk()
            .await
            .map_err(|e| error_from_reqwest(&self.what, e))
    }

    /// The whole body, refused with `SIZE_EXCEEDED` beyond `limit` bytes.
    pub async fn bytes(self, limit: usize) -> Result<Bytes> {
        read_bounded(self.body, limit, &self.what).await
    }
}

impl Client {
    /// Sends `request` with `body` to `registry` (`host[:port]`) with this
    /// client's authentication, retries, TLS and proxy, and returns the
    /// response whatever its status; see the module's documentation for
    /// the bounds.
    pub async fn raw_request(
        &self,
        registry: &str,
        request: &RawRequest,
        body: RawBody,
    ) -> Result<RawResponse> {
        let registry = crate::registry::api_host(registry);
        let what = format!("{} {} on {registry}", request.method, request.path);
        let idempotent = matches!(
            request.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        let mut inner = Request::new(
            request.method.clone(),
            Target::Path(request.path.clone()),
            request.scopes.clone(),
        )
        .body(body.0)
        .unbounded();
        inner.headers = request.headers.clone();
        inner.retry = idempotent;
        inner.repeatable = idempotent;
        let response = self
            .transport
            .send_any_status(registry, inner, &what)
            .await?;
        let status = response.status();
        let headers = kept_headers(response.headers(), &what)?;
        Ok(RawResponse {
            status: status.as_u16(),
            headers,
            body: response,
            what,
        })
    }
}

/// The response's headers as strings, refused with `SIZE_EXCEEDED` beyond
/// [`MAX_RESPONSE_HEADERS`] or [`MAX_HEADER_BYTES`].
fn kept_headers(headers: &HeaderMap, what: &str) -> Result<Vec<(String, String)>> {
    let too_many = || {
        Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "{what}: the response has more than {MAX_RESPONSE_HEADERS} headers \
                 or {MAX_HEADER_BYTES} bytes of them"
            ),
        )
    };
    if headers.len() > MAX_RESPONSE_HEADERS {
        return Err(too_many());
    }
    let mut bytes = 0usize;
    let mut kept = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        bytes += name.as_str().len() + value.len();
        if bytes > MAX_HEADER_BYTES {
            return Err(too_many());
        }
        kept.push((
            name.as_str().to_string(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        ));
    }
    Ok(kept)
}

/// Refuses a path that could leave the registry's origin or hide a
/// traversal; see [`RawRequest::new`].
fn check_path(path: &str) -> Result<()> {
    let refuse = |why: &str| Err(invalid(format!("raw request path {path:?}: {why}")));
    if path.len() > MAX_PATH_LENGTH {
        return refuse(&format!("longer than {MAX_PATH_LENGTH} bytes"));
    }
    if !path.starts_with('/') || path.starts_with("//") {
        return refuse("must start with a single /, with no scheme or host");
    }
    if path
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '\\' || c == '#')
    {
        return refuse("spaces, control characters, \\ and # are not allowed");
    }
    let route = path.split('?').next().unwrap_or(path);
    for segment in route.split('/') {
        let decoded = percent_decoded_lower(segment);
        if decoded == "." || decoded == ".." {
            return refuse("`.` and `..` segments are not allowed");
        }
        if decoded.contains('/') || decoded.contains('\\') {
            return refuse("an encoded / or \\ is not allowed in the path");
        }
    }
    Ok(())
}

/// `segment` with `%XX` escapes decoded (bytes kept as Latin-1 chars: only
/// `.`, `/` and `\` matter here).
fn percent_decoded_lower(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = String::with_capacity(segment.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = segment.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(char::from(b));
            i += 3;
            continue;
        }
        out.push(char::from(bytes[i]));
        i += 1;
    }
    out
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_checked_and_upper_cased() {
        for m in ["get", "HEAD", "Post", "PUT", "patch", "DELETE"] {
            assert_eq!(
                RawRequest::new(m, "/v2/").unwrap().method(),
                m.to_uppercase()
            );
        }
        for m in ["CONNECT", "TRACE", "OPTIONS", "", "GET "] {
            let err = RawRequest::new(m, "/v2/").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{m}");
        }
    }

    #[test]
    fn paths_stay_on_the_registry() {
        for ok in [
            "/v2/",
            "/api/v2.0/projects?page=1&q=name%3D..x",
            "/v2/a.b/c..d/tags/list",
            "/api/x?redirect=http://elsewhere/",
        ] {
            RawRequest::new("GET", ok).expect(ok);
        }
        for bad in [
            "v2/",
            "//evil.test/v2/",
            "http://evil.test/v2/",
            "/v2/../admin",
            "/v2/%2e%2E/admin",
            "/v2/.",
            "/v2/%2fadmin",
            "/v2/a\\b",
            "/v2/#frag",
            "/v2/ x",
            "/v2/\nx",
            "",
        ] {
            let err = RawRequest::new("GET", bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
        let long = format!("/{}", "a".repeat(MAX_PATH_LENGTH));
        assert!(RawRequest::new("GET", &long).is_err());
    }

    #[test]
    fn reserved_and_excess_headers_are_refused() {
        for name in [
            "Authorization",
            "host",
            "Content-Length",
            "Transfer-Encoding",
            "TE",
        ] {
            let err = RawRequest::new("GET", "/v2/")
                .unwrap()
                .header(name, "x")
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{name}");
        }
        let err = RawRequest::new("GET", "/v2/")
            .unwrap()
            .header("X-Token", "secret\nvalue")
            .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        let mut r = RawRequest::new("GET", "/v2/").unwrap();
        r.header("Accept", "application/json").unwrap();
        for i in 1..MAX_REQUEST_HEADERS {
            r.header(&format!("X-{i}"), "v").unwrap();
        }
        assert!(r.header("X-Last", "v").is_err());
        assert_eq!(
            r.headers.len(),
            MAX_REQUEST_HEADERS,
            "a refusal changes nothing"
        );
        let big = "v".repeat(MAX_HEADER_BYTES);
        assert!(
            RawRequest::new("GET", "/v2/")
                .unwrap()
                .header("X-Big", &big)
                .is_err()
        );
    }

    #[test]
    fn scopes_are_bounded() {
        let mut r = RawRequest::new("GET", "/v2/").unwrap();
        for i in 0..MAX_SCOPES {
            r.scope(&format!("repository:r{i}:pull")).unwrap();
        }
        assert!(r.scope("repository:x:pull").is_err());
        for bad in ["", "a b", "x\n"] {
            assert!(RawRequest::new("GET", "/v2/").unwrap().scope(bad).is_err());
        }
    }
}
