//! What a caller of the transport asks for: one registry request.

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

/// Where a request goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// A path on the registry, starting with `/v2/`, with its query.
    Path(String),
    /// An absolute URL the registry handed out (an upload `Location`).
    Url(Url),
}

/// The body of a request.
#[derive(Debug)]
pub enum Body {
    /// No body.
    Empty,
    /// Bytes in memory; the request can be replayed on retry.
    Bytes(Bytes),
    /// A one-shot stream of `len` bytes (if known); the request cannot be
    /// replayed, so it is not retried.
    Stream(Option<reqwest::Body>, Option<u64>),
}

impl Body {
    /// Whether the body can be sent again on a retry.
    pub fn is_replayable(&self) -> bool {
        !matches!(self, Body::Stream(..))
    }
}

/// One registry request, with the token scopes it needs.
#[derive(Debug)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// Where it goes.
    pub target: Target,
    /// Extra headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Body,
    /// Token scopes such as `repository:a/b:pull`.
    pub scopes: Vec<String>,
    /// Whether the whole request is bounded by the client's request
    /// timeout (off for streamed blob bodies, which only have the read timeout).
    pub bounded: bool,
    /// Whether transient failures may be retried by resending the request
    /// (off where the caller recovers another way, such as upload chunks).
    pub retry: bool,
    /// Whether a server error (500, 502, 503, 504) may be retried although
    /// the method is not GET or HEAD: set where the protocol makes sending
    /// the request twice harmless (a manifest PUT stores the same bytes
    /// again). Off, a write the server may have acted on is not repeated.
    pub repeatable: bool,
}

impl Request {
    /// A bounded request with no body.
    pub fn new(method: Method, target: Target, scopes: Vec<String>) -> Request {
        Request {
            method,
            target,
            headers: HeaderMap::new(),
            body: Body::Empty,
            scopes,
            bounded: true,
            retry: true,
            repeatable: false,
        }
    }

    /// Marks a write as safe to repeat after a server error
    /// ([`Request::repeatable`]).
    pub fn repeatable(mut self) -> Request {
        self.repeatable = true;
        self
    }

    /// Adds a header (static name, value already validated).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Request {
        self.headers.append(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Request {
        self.body = body;
        self
    }

    /// Lifts the overall request timeout (for streamed blob transfers).
    pub fn unbounded(mut self) -> Request {
        self.bounded = false;
        self
    }
}

/// The scope to pull from a repository.
pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The scope to pull from and push to a repository.
pub fn push_scope(repository: &str) -> String {
    format!("repository:{repository}:pull,push")
}

/// The scope to delete in a repository.
pub fn delete_scope(repository: &str) -> String {
    format!("repository:{repository}:delete")
}

/// The scope to list the catalog.
pub const CATALOG_SCOPE: &str = "registry:catalog:*";
