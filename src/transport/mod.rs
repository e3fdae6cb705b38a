//! HTTP to registries: one connection pool, scheme detection, auth
//! (challenges, credentials, tokens), retries, redirects, TLS and proxies,
//! and the mapping of failures to [`Error`]s.

pub mod auth;
pub mod config;
mod dates;
pub mod error_map;
pub mod headers;
pub mod registry_state;
pub mod request;
mod retry;
mod tls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url, redirect};
use zeroize::Zeroizing;

use self::auth::challenge::parse_challenges;
use self::auth::credentials::{Credential, CredentialStore};
use self::auth::token::TokenCache;
use self::config::ClientOptions;
use self::error_map::{error_from_reqwest, error_from_response, retry_after};
use self::registry_state::{AuthMode, RegistryState};
use self::request::{Body, Request, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::registry::{api_host, credential_key};

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// The HTTP layer shared by everything a client does.
pub struct Transport {
    http: reqwest::Client,
    /// The client for token requests: the same configuration, but a
    /// redirect policy that never leaves the realm's origin (see
    /// [`token_redirect_policy`]).
    token_http: reqwest::Client,
    options: ClientOptions,
    credentials: CredentialStore,
    tokens: TokenCache,
    registries: Mutex<HashMap<String, Arc<RegistryState>>>,
}

impl Transport {
    /// Builds the transport (connection pool, TLS, proxy) for `options`.
    pub fn new(options: ClientOptions) -> Result<Transport> {
        let tls = tls::client_config(&options)?;
        let http = build_client(&options, tls.clone(), redirect_policy())?;
        let token_http = build_client(&options, tls, token_redirect_policy())?;
        let credentials = CredentialStore::new(
            options.credentials.clone(),
            options.auth_file.clone(),
            options.credential_helper_timeout,
        );
        Ok(Transport {
            http,
            token_http,
            options,
            credentials,
            tokens: TokenCache::new(),
            registries: Mutex::new(HashMap::new()),
        })
    }

    /// The options this transport was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The base URL of `registry` (`https://host/` or, for insecure
    /// registries that do not speak TLS, `http://host/`), pinging it once.
    pub async fn base_url(&self, registry: &str) -> Result<Url> {
        let state = self.state(registry);
        state
            .base
            .get_or_try_init(|| self.detect_base(registry, &state))
            .await
            .cloned()
    }

    /// Pings `registry` afresh (`GET /v2/`), learning its auth challenge.
    /// On first contact the ping that finds the scheme is that ping.
    pub async fn ping(&self, registry: &str) -> Result<()> {
        let registry = api_host(registry);
        let state = self.state(registry);
        match state.base.get() {
            Some(base) => self.ping_at(registry, base, &state, true).await,
            None => self.base_url(registry).await.map(drop),
        }
    }

    /// Validates the configured credential for `registry` the way `docker
    /// login` does: a token (or basic) request that must be accepted, then
    /// `GET /v2/` with it.
    pub async fn check_credentials(&self, registry: &str) -> Result<()> {
        let registry = api_host(registry);
        self.ping(registry).await?;
        let state = self.state(registry);
        if state.auth_mode() == AuthMode::Anonymous {
            return Ok(());
        }
        if self
            .credentials
            .lookup(credential_key(registry))
            .await?
            .is_none()
        {
            return Err(Error::new(
                ErrorKind::Unauthorized,
                format!(
                    "{registry} requires authentication and no credentials are configured for it"
                ),
            ));
        }
        let request = Request::new(Method::GET, Target::Path("/v2/".into()), Vec::new());
        self.send(registry, request, "checking credentials").await?;
        Ok(())
    }

    /// Sends `request` to `registry`: authenticates, retries what may be
    /// retried, and returns the response when its status is below 400.
    pub async fn send(
        &self,
        registry: &str,
        mut request: Request,
        what: &str,
    ) -> Result<reqwest::Response> {
        let base = self.base_url(registry).await?;
        let state = self.state(registry);
        let url = resolve(&base, &request.target, what)?;
        let same_origin = url.origin() == base.origin();
        let mut auth_retried = false;
        let mut attempt = 0u32;
        loop {
            let authorization = if same_origin {
                self.authorization(registry, &state, &request.scopes)
                    .await?
            } else {
                None
            };
            let replayable = request.body.is_replayable();
            let may_retry = replayable && request.retry;
            let builder = self.build(&request, &url, authorization.clone())?;
            let result = builder.send().await;
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    let error = error_from_reqwest(what, e);
                    if error.kind() == ErrorKind::Network
                        && may_retry
                        && attempt < self.options.max_retries
                    {
                        retry::sleep_backoff(attempt).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(error);
                }
            };
            let status = response.status();
            if status.as_u16() < 400 {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED
                && auth_retried
                && insufficient_scope(&response)
                && self.has_credential(registry).await
            {
                // Authenticated, and still not allowed: a missing permission.
                let error = error_from_response(what, response).await;
                return Err(Error::new(ErrorKind::Denied, error.message().to_string())
                    .with_http_status(401)
                    .with_registry_errors(error.registry_errors().to_vec()));
            }
            if status == StatusCode::UNAUTHORIZED && same_origin && !auth_retried && replayable {
                auth_retried = true;
                if self
                    .learn_challenge(registry, &state, &response, &mut request.scopes)
                    .await
                {
                    continue;
                }
            }
            if retry::is_retryable(&request.method, status)
                && may_retry
                && attempt < self.options.max_retries
            {
                let Some(delay) = self.retry_delay(attempt, &response) else {
                    return Err(error_from_response(what, response).await);
                };
                drop(response);
                tokio::time::sleep(delay).await;
                attempt += 1;
                continue;
            }
            return Err(error_from_response(what, response).await);
        }
    }

    /// The reqwest client for registry requests.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The wait before retrying after `response` (a retryable status), or
    /// `None` when the server's `Retry-After` exceeds the client's
    /// `max_retry_after` and the request must fail at once.
    fn retry_delay(&self, attempt: u32, response: &reqwest::Response) -> Option<Duration> {
        let asked = retry_after(response.headers());
        if asked.is_some_and(|d| d > self.options.max_retry_after) {
            return None;
        }
        Some(retry::delay(attempt, asked))
    }

    fn state(&self, registry: &str) -> Arc<RegistryState> {
        let mut map = match self.registries.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(registry.to_string())
            .or_insert_with(|| Arc::new(RegistryState::default()))
            .clone()
    }

    async fn detect_base(&self, registry: &str, state: &RegistryState) -> Result<Url> {
        let https = registry_url("https", registry)?;
        let insecure = self.options.is_insecure(registry);
        // For an insecure registry a failed TLS connection most likely means
        // plain HTTP: try that at once rather than retrying https.
        match self.ping_at(registry, &https, state, !insecure).await {
            Ok(()) => Ok(https),
            Err(e) if insecure && is_transport_failure(&e) => {
                let http = registry_url("http", registry)?;
                self.ping_at(registry, &http, state, true)
                    .await
                    .map(|()| http)
            }
            Err(e) => Err(e),
        }
    }

    /// `GET /v2/` at `base`, retried like any request after 429, 502, 503
    /// and 504 and, when `retry_connection` is set, after connection errors.
    async fn ping_at(
        &self,
        registry: &str,
        base: &Url,
        state: &RegistryState,
        retry_connection: bool,
    ) -> Result<()> {
        let url = base.join("/v2/").map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("registry {registry}: {e}"),
            )
        })?;
        let what = format!("pinging {registry}");
        let mut attempt = 0u32;
        let response = loop {
            let result = self
                .http
                .get(url.clone())
                .timeout(self.options.request_timeout)
                .send()
                .await;
            let may_retry = attempt < self.options.max_retries;
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    let error = error_from_reqwest(&what, e);
                    if error.kind() == ErrorKind::Network && retry_connection && may_retry {
                        retry::sleep_backoff(attempt).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(error);
                }
            };
            if !(may_retry && retry::is_retryable(&Method::GET, response.status())) {
                break response;
            }
            let Some(delay) = self.retry_delay(attempt, &response) else {
                return Err(error_from_response(&what, response).await);
            };
            drop(response);
            tokio::time::sleep(delay).await;
            attempt += 1;
        };
        match response.status().as_u16() {
            200..=299 => {
                state.set_auth_mode(AuthMode::Anonymous);
                Ok(())
            }
            401 => {
                let values = header_values(response.headers(), &WWW_AUTHENTICATE);
                let challenges = parse_challenges(&values);
                match AuthMode::from_challenges(&challenges) {
                    Some(mode) => {
                        state.set_auth_mode(mode);
                        Ok(())
                    }
                    None => Err(Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "{registry} asks for an authentication scheme ocireg does not support"
                        ),
                    )
                    .with_http_status(401)),
                }
            }
            404 => Err(Error::new(
                ErrorKind::Unsupported,
                format!("{registry} does not speak the registry V2 API (GET /v2/ is 404)"),
            )
            .with_http_status(404)),
            _ => Err(error_from_response(&what, response).await),
        }
    }

    /// Reads a 401's challenge; returns whether a retry may succeed.
    async fn learn_challenge(
        &self,
        registry: &str,
        state: &RegistryState,
        response: &reqwest::Response,
        scopes: &mut Vec<String>,
    ) -> bool {
        let values = header_values(response.headers(), &WWW_AUTHENTICATE);
        let challenges = parse_challenges(&values);
        let Some(mode) = AuthMode::from_challenges(&challenges) else {
            return false;
        };
        let previous = state.auth_mode();
        if let AuthMode::Bearer { realm, service } = &previous {
            self.tokens
                .invalidate(realm, service.as_deref(), scopes)
                .await;
        }
        let wider = challenges
            .iter()
            .filter(|c| c.scheme == "bearer")
            .filter_map(|c| c.param("scope"))
            .flat_map(|s| s.split(' '))
            .filter(|s| !s.is_empty() && !scopes.iter().any(|have| have == s))
            .map(str::to_string)
            .collect::<Vec<_>>();
        let changed = mode != previous || !wider.is_empty();
        scopes.extend(wider);
        state.set_auth_mode(mode);
        // A retry with the same mode and scopes still helps when the token
        // was refused (it was just invalidated and will be fetched anew),
        // but only when there is a credential to show.
        changed || self.has_credential(registry).await
    }

    async fn has_credential(&self, registry: &str) -> bool {
        matches!(
            self.credentials.lookup(credential_key(registry)).await,
            Ok(Some(_))
        )
    }

    async fn authorization(
        &self,
        registry: &str,
        state: &RegistryState,
        scopes: &[String],
    ) -> Result<Option<HeaderValue>> {
        // Every string holding a secret here is wiped when dropped.
        let value = match state.auth_mode() {
            AuthMode::Anonymous => return Ok(None),
            AuthMode::Basic => match self.credentials.lookup(credential_key(registry)).await? {
                Some(Credential::Basic {
                    ref username,
                    ref password,
                }) => {
                    let raw = Zeroizing::new(format!("{username}:{password}"));
                    let encoded = Zeroizing::new(
                        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()),
                    );
                    Zeroizing::new(format!("Basic {}", encoded.as_str()))
                }
                _ => return Ok(None),
            },
            AuthMode::Bearer { realm, service } => {
                let credential = self.credentials.lookup(credential_key(registry)).await?;
                if credential.is_some() {
                    self.check_realm_is_safe(&realm)?;
                }
                let token = self
                    .tokens
                    .token(
                        &self.token_http,
                        &realm,
                        service.as_deref(),
                        scopes,
                        credential.as_ref(),
                    )
                    .await?;
                let token = Zeroizing::new(token);
                Zeroizing::new(format!("Bearer {}", token.as_str()))
            }
        };
        let mut header = HeaderValue::from_str(&value).map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                "credential contains characters not allowed in a header",
            )
        })?;
        header.set_sensitive(true);
        Ok(Some(header))
    }

    /// Credentials go to a token server over plain HTTP only when its host
    /// was marked insecure.
    fn check_realm_is_safe(&self, realm: &str) -> Result<()> {
        let url = Url::parse(realm).map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                format!("token realm {realm:?} is not a URL: {e}"),
            )
        })?;
        match url.scheme() {
            "https" => Ok(()),
            "http" => {
                let host = match (url.host_str(), url.port()) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.to_string(),
                    _ => String::new(),
                };
                if self.options.is_insecure(&host) {
                    Ok(())
                } else {
                    Err(Error::new(
                        ErrorKind::Denied,
                        format!(
                            "refusing to send credentials to the plain-http token server {realm}; mark {host} insecure to allow it"
                        ),
                    ))
                }
            }
            other => Err(Error::new(
                ErrorKind::Protocol,
                format!("token realm has scheme {other:?}"),
            )),
        }
    }

    fn build(
        &self,
        request: &Request,
        url: &Url,
        authorization: Option<HeaderValue>,
    ) -> Result<reqwest::RequestBuilder> {
        let mut builder = self
            .http
            .request(request.method.clone(), url.clone())
            .headers(request.headers.clone());
        if let Some(auth) = authorization {
            builder = builder.header(AUTHORIZATION, auth);
        }
        if request.bounded {
            builder = builder.timeout(self.options.request_timeout);
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Bytes(bytes) => builder.body(bytes.clone()),
            Body::Stream(_, _) => {
                // A stream can be sent once; `send` never replays it.
                return Err(Error::new(
                    ErrorKind::Internal,
                    "stream bodies go through send_stream",
                ));
            }
        };
        Ok(builder)
    }

    /// Sends a request whose body is a one-shot stream. Auth is settled
    /// first with a cheap request so that the body is not wasted on a 401.
    pub async fn send_stream(
        &self,
        registry: &str,
        mut request: Request,
        what: &str,
    ) -> Result<reqwest::Response> {
        let Body::Stream(stream, len) = &mut request.body else {
            return self.send(registry, request, what).await;
        };
        let body = stream
            .take()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "stream body already used"))?;
        let len = *len;
        let base = self.base_url(registry).await?;
        let state = self.state(registry);
        let url = resolve(&base, &request.target, what)?;
        let authorization = if url.origin() == base.origin() {
            self.authorization(registry, &state, &request.scopes)
                .await?
        } else {
            None
        };
        request.body = Body::Empty;
        let mut builder = self.build(&request, &url, authorization)?.body(body);
        if let Some(len) = len {
            builder = builder.header(reqwest::header::CONTENT_LENGTH, len);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| error_from_reqwest(what, e))?;
        if response.status().as_u16() < 400 {
            Ok(response)
        } else {
            Err(error_from_response(what, response).await)
        }
    }
}

/// Whether a 401 says the token lacked a scope (rather than being absent or bad).
fn insufficient_scope(response: &reqwest::Response) -> bool {
    let values = header_values(response.headers(), &WWW_AUTHENTICATE);
    parse_challenges(&values)
        .iter()
        .any(|c| c.param("error") == Some("insufficient_scope"))
}

/// The URL a request target names, relative to the registry's base.
fn resolve(base: &Url, target: &Target, what: &str) -> Result<Url> {
    match target {
        Target::Path(path) => base
            .join(path)
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("{what}: bad path: {e}"))),
        Target::Url(url) => Ok(url.clone()),
    }
}

fn registry_url(scheme: &str, registry: &str) -> Result<Url> {
    Url::parse(&format!("{scheme}://{registry}/")).map_err(|e| {
        Error::new(
            ErrorKind::InvalidReference,
            format!("registry {registry:?}: {e}"),
        )
    })
}

fn is_transport_failure(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Network | ErrorKind::Tls | ErrorKind::Protocol
    )
}

fn header_values<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

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
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout)
        .tcp_nodelay(true)
        // No `Referer` on redirects: it would hand the previous URL (a
        // signed storage URL, a token request's query) to the next host.
        .referer(false)
        .redirect(policy);
    if let Some(proxy) = &options.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("proxy URL: {e}")))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| error_from_reqwest("building the HTTP client", e))
}

/// The redirect policy of token requests: a token request carries a
/// credential (basic auth on the GET, the identity token in the POST's
/// form body, which reqwest re-sends on 307 and 308 wherever they point),
/// so it follows only redirects that keep the realm's scheme, host and
/// port, and fails with an error on any other.
fn token_redirect_policy() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.error(
                "the token server redirected to another origin (scheme, host or port); \
                 ocireg does not send credentials there",
            )
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Follows up to ten redirects and refuses a downgrade from https to http.
/// reqwest drops `Authorization` whenever the host, port or scheme changes.
fn redirect_policy() -> redirect::Policy {
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
