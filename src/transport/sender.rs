//! The one way a request reaches the network: a reqwest client (connection
//! pool, TLS, proxy, redirect policy, no `Referer`), the request timeout,
//! retries with backoff or `Retry-After` (see `retry.rs`), and reqwest's
//! failures mapped to [`Error`]s. Registry requests and token requests both
//! go through a [`Sender`]; authentication wraps it (`Transport::send`).

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{RequestBuilder, Response, redirect};

use super::dates::retry_after;
use super::error_map::{error_from_reqwest, error_from_response};
use super::retry;
use crate::error::{Error, ErrorKind, Result};
use crate::log::{self, LogLevel};
use crate::options::{ClientOptions, check_proxy, timeout_limit};

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// Which redirects a [`Sender`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// Registry requests: up to ten, never from https to plain http.
    /// reqwest drops `Authorization` whenever the host, port or scheme changes.
    Registry,
    /// Token requests: only those that keep the first URL's origin (scheme,
    /// host and port). A token request carries a credential (basic auth on
    /// the GET, the identity token in the POST's form body, which reqwest
    /// re-sends on 307 and 308 wherever they point), so any other redirect
    /// fails the request before anything is sent to the new location.
    WithinOrigin,
    /// Lookaside signature reads: like [`Redirects::WithinOrigin`], so that
    /// a signature server cannot send the client to another origin.
    LookasideWithinOrigin,
}

/// Which failures a request is retried after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// After the statuses [`retry::is_retryable`] names: 429, and 500, 502,
    /// 503 and 504 for GET and HEAD (and for any method when `repeatable`).
    pub statuses: bool,
    /// After a failed connection (`NETWORK`).
    pub connection_errors: bool,
    /// The request is safe to send twice whatever its method.
    pub repeatable: bool,
}

impl Retries {
    /// Retry after a retryable status or a connection error.
    pub const ALL: Retries = Retries {
        statuses: true,
        connection_errors: true,
        repeatable: false,
    };
    /// Never retry (a one-shot body, or the caller recovers another way).
    pub const NONE: Retries = Retries {
        statuses: false,
        connection_errors: false,
        repeatable: false,
    };

    /// These retries, also after a server error for a method other than GET
    /// and HEAD (the protocol makes repeating the request harmless).
    pub const fn repeatable(self) -> Retries {
        Retries {
            repeatable: true,
            ..self
        }
    }
}

/// Sends requests with one reqwest client, retrying as the client's options say.
pub struct Sender {
    http: reqwest::Client,
    request_timeout: Duration,
    max_retries: u32,
    max_retry_after: Duration,
}

impl Sender {
    /// A sender for `options`, speaking TLS with `tls` and following `redirects`.
    pub fn new(
        options: &ClientOptions,
        tls: rustls::ClientConfig,
        redirects: Redirects,
    ) -> Result<Sender> {
        let policy = match redirects {
            Redirects::Registry => registry_redirects(),
            Redirects::WithinOrigin => redirects_within_origin(
                "the token server redirected to another origin (scheme, host or port); \
                 ocireg does not send credentials there",
            ),
            Redirects::LookasideWithinOrigin => redirects_within_origin(
                "the lookaside signature server redirected to another origin (scheme, host or \
                 port); ocireg reads signatures only from the configured origin",
            ),
        };
        Ok(Sender {
            http: build_client(options, tls, policy)?,
            request_timeout: options.request_timeout,
            max_retries: options.max_retries,
            max_retry_after: options.max_retry_after,
        })
    }

    /// Sends the request `build` makes (called afresh for each attempt),
    /// bounded by the request timeout when `bounded`, and retried after the
    /// failures `retries` names, at most `max_retries` times, waiting with
    /// backoff or the server's `Retry-After` (plus jitter).
    ///
    /// Returns the last response whatever its status; fails when the
    /// connection fails, or when a retryable status asks for a longer
    /// `Retry-After` than `max_retry_after` (then at once, with the delay).
    pub async fn send(
        &self,
        what: &str,
        retries: Retries,
        bounded: bool,
        mut build: impl FnMut(&reqwest::Client) -> Result<RequestBuilder>,
    ) -> Result<Response> {
        let mut attempt = 0u32;
        loop {
            let mut request = build(&self.http)?
                .build()
                .map_err(|e| error_from_reqwest(what, e))?;
            if bounded {
                *request.timeout_mut() = timeout_limit(self.request_timeout);
            }
            let method = request.method().clone();
            let may_retry = attempt < self.max_retries;
            let line = log::enabled(LogLevel::Debug)
                .then(|| format!("{method} {}", log::redact_url(request.url())));
            let started = Instant::now();
            let outcome = self.http.execute(request).await;
            if let Some(line) = line {
                log_request(&line, &outcome, started, attempt);
            }
            let response = match outcome {
                Ok(response) => response,
                Err(e) => {
                    let error = error_from_reqwest(what, e);
                    if error.kind() == ErrorKind::Network && retries.connection_errors && may_retry
                    {
                        retry::sleep_backoff(attempt).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(error);
                }
            };
            let status = response.status();
            if !(retries.statuses
                && may_retry
                && retry::is_retryable(&method, status, retries.repeatable))
            {
                return Ok(response);
            }
            let asked = retry_after(response.headers());
            if asked.is_some_and(|d| d > self.max_retry_after) {
                return Err(error_from_response(what, response).await);
            }
            drop(response);
            tokio::time::sleep(retry::delay(attempt, asked)).await;
            attempt += 1;
        }
    }
}

/// Logs one attempt at debug level: `line` (method and redacted URL), then
/// the status or the failure, the time to the response headers, and the
/// retry number (0 for the first attempt). Headers are never logged.
fn log_request(line: &str, outcome: &reqwest::Result<Response>, started: Instant, attempt: u32) {
    let ms = started.elapsed().as_millis();
    log::log(LogLevel::Debug, || match outcome {
        Ok(r) => format!(
            "{line} -> {} in {ms} ms (retry {attempt})",
            r.status().as_u16()
        ),
        Err(e) => {
            let kind = if e.is_timeout() { "timeout" } else { "failed" };
            format!("{line} -> {kind} in {ms} ms (retry {attempt})")
        }
    });
}

/// The headers the caller asked to send with every request.
fn extra_headers(options: &ClientOptions) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in &options.extra_headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid header name {name:?}"),
            )
        })?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid value for header {name}"),
            )
        })?;
        map.append(name, value);
    }
    Ok(map)
}

/// A reqwest client for `options` with `tls` and `policy`.
fn build_client(
    options: &ClientOptions,
    tls: rustls::ClientConfig,
    policy: redirect::Policy,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(options.user_agent.clone())
        .default_headers(extra_headers(options)?)
        .tcp_nodelay(true)
        // No `Referer` on redirects: it would hand the previous URL (a
        // signed storage URL, a token request's query) to the next host.
        .referer(false)
        .redirect(policy);
    if let Some(timeout) = timeout_limit(options.connect_timeout) {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(timeout) = timeout_limit(options.read_timeout) {
        builder = builder.read_timeout(timeout);
    }
    if let Some(proxy) = &options.proxy {
        check_proxy(proxy)?;
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("proxy URL: {e}")))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| error_from_reqwest("building the HTTP client", e))
}

/// [`Redirects::WithinOrigin`].
fn redirects_within_origin(refusal: &'static str) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.error(refusal)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// [`Redirects::Registry`].
fn registry_redirects() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let downgrade = attempt.url().scheme() == "http"
            && attempt.previous().iter().any(|u| u.scheme() == "https");
        if downgrade {
            attempt.error("refusing a redirect from https to plain http")
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}
