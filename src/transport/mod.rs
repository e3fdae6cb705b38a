//! HTTP to registries: one connection pool, scheme detection, auth
//! (challenges, credentials, tokens), retries, redirects, TLS and proxies,
//! and the mapping of failures to [`Error`]s.
//!
//! A request goes through two layers: the auth layer
//! ([`Transport::send`], in `auth/layer.rs`) wraps the retrying sender
//! (`sender.rs`), which token requests use too.

pub mod auth;
pub(crate) mod body;
pub(crate) mod certs_d;
mod dates;
pub mod error_map;
pub mod headers;
pub(crate) mod pools;
pub mod rate_limit;
pub mod registry_state;
pub mod request;
pub(crate) mod retry;
pub(crate) mod sender;
pub(crate) mod tls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, WWW_AUTHENTICATE};

use self::auth::challenge::parse_challenges;
use self::auth::credentials::CredentialStore;
use self::auth::token::TokenCache;
use self::error_map::error_from_response;
use self::pools::{Pools, Senders};
use self::rate_limit::RateLimit;
use self::registry_state::{AuthMode, RegistryState};
use self::sender::{Retries, Sender};
use crate::error::{Error, ErrorKind, Result};
use crate::options::ClientOptions;
use crate::registries_conf::RegistriesConf;
use crate::registry::api_host;

/// The HTTP layer shared by everything a client does: authentication
/// (challenges, credentials, tokens) wrapped around a retrying sender.
pub struct Transport {
    /// The senders (connection pools) per TLS configuration.
    pools: Pools,
    options: ClientOptions,
    credentials: CredentialStore,
    tokens: TokenCache,
    registries: Mutex<HashMap<String, Arc<RegistryState>>>,
    /// The registries.conf the options asked for, loaded once.
    registries_conf: Option<Arc<RegistriesConf>>,
}

impl Transport {
    /// Builds the transport (connection pool, TLS, proxy) for `options`.
    /// With a registries.conf, its `insecure` endpoints join the options'
    /// insecure registries.
    pub fn new(mut options: ClientOptions) -> Result<Transport> {
        options.validate()?;
        let registries_conf = match &options.registries_conf {
            Some(paths) => Some(Arc::new(paths.load()?)),
            None => None,
        };
        if let Some(conf) = &registries_conf {
            for host in conf.insecure_hosts() {
                for name in [api_host(&host).to_string(), host] {
                    if !options.insecure_registries.contains(&name) {
                        options.insecure_registries.push(name);
                    }
                }
            }
        }
        let pools = Pools::new(&options)?;
        let credentials = CredentialStore::new(
            options.credentials.clone(),
            options.auth_file.clone(),
            // Zero is no limit: the longest wait tokio's timer knows.
            crate::options::timeout_limit(options.credential_helper_timeout)
                .unwrap_or(Duration::MAX),
        );
        let tokens = TokenCache::with_oauth2(auth::oauth2::OAuth2Options::from_client(&options))
            .with_file(options.token_cache.clone());
        Ok(Transport {
            pools,
            options,
            credentials,
            tokens,
            registries: Mutex::new(HashMap::new()),
            registries_conf,
        })
    }

    /// The registries.conf this transport follows, if the options asked for one.
    pub fn registries_conf(&self) -> Option<&Arc<RegistriesConf>> {
        self.registries_conf.as_ref()
    }

    /// Refuses, before anything is sent, a request that registries.conf
    /// blocks (`DENIED`, naming the file).
    pub(crate) fn check_allowed(&self, registry: &str, scopes: &[String]) -> Result<()> {
        match &self.registries_conf {
            Some(conf) => conf.check_request_allowed(registry, scopes),
            None => Ok(()),
        }
    }

    /// The sender for lookaside signature servers: the client's TLS, proxy,
    /// timeouts and retries, but no authentication and no redirect off the
    /// first URL's origin. Built on the first call.
    pub fn lookaside_sender(&self) -> Result<&Sender> {
        self.pools.lookaside(&self.options)
    }

    /// The options this transport was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The base URL of `registry` (`https://host/` or, for insecure
    /// registries that do not speak TLS, `http://host/`), pinging it when no
    /// request has reached it yet.
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
        self.check_allowed(registry, &[])?;
        let state = self.state(registry);
        match state.base.get() {
            Some(base) => self.ping_at(registry, base, &state, true).await,
            None => self.base_url(registry).await.map(drop),
        }
    }

    /// Remembers the rate limit a response from `registry` reported.
    pub fn record_rate_limit(&self, registry: &str, rate_limit: RateLimit) {
        self.state(api_host(registry)).record_rate_limit(rate_limit);
    }

    /// The rate limit `registry` reported last, if it ever did.
    pub fn last_rate_limit(&self, registry: &str) -> Option<RateLimit> {
        self.state(api_host(registry)).rate_limit()
    }

    /// The senders for `registry` (its `certs.d` directory's TLS
    /// configuration, or the client's), chosen at its first request.
    async fn senders(&self, registry: &str, state: &RegistryState) -> Result<Arc<Senders>> {
        state
            .senders
            .get_or_try_init(|| async { self.pools.for_registry(&self.options, registry) })
            .await
            .cloned()
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
        let retries = Retries {
            statuses: true,
            connection_errors: retry_connection,
            repeatable: false,
        };
        let senders = self.senders(registry, state).await?;
        let response = senders
            .registry
            .send(&what, retries, true, |http| Ok(http.get(url.clone())))
            .await?;
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
}

pub(crate) fn registry_url(scheme: &str, registry: &str) -> Result<Url> {
    Url::parse(&format!("{scheme}://{registry}/")).map_err(|e| {
        Error::new(
            ErrorKind::InvalidReference,
            format!("registry {registry:?}: {e}"),
        )
    })
}

pub(crate) fn is_transport_failure(e: &Error) -> bool {
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
