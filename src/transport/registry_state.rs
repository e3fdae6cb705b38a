//! What the transport learns about each registry once and remembers: its
//! connection pool, the base URL (scheme), how it wants to be authenticated and the rate limit
//! its last manifest response reported.

use std::sync::{Mutex, PoisonError, RwLock};

use reqwest::Url;
use tokio::sync::OnceCell;

use super::auth::challenge::Challenge;
use super::pools::Senders;
use super::rate_limit::RateLimit;

/// How a registry wants requests authenticated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// No challenge seen: requests go without credentials.
    #[default]
    Anonymous,
    /// HTTP Basic with the registry's credential.
    Basic,
    /// Bearer tokens from a token server.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The `service` parameter, if the challenge had one.
        service: Option<String>,
    },
}

impl AuthMode {
    /// The mode a set of challenges asks for: bearer wins over basic.
    pub fn from_challenges(challenges: &[Challenge]) -> Option<AuthMode> {
        let bearer = challenges.iter().find(|c| c.scheme == "bearer");
        if let Some(c) = bearer
            && let Some(realm) = c.param("realm")
        {
            return Some(AuthMode::Bearer {
                realm: realm.to_string(),
                service: c.param("service").map(str::to_string),
            });
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            return Some(AuthMode::Basic);
        }
        None
    }
}

/// The remembered facts of one registry.
#[derive(Default)]
pub struct RegistryState {
    /// The senders of its TLS configuration (see `pools.rs`).
    pub senders: OnceCell<std::sync::Arc<Senders>>,
    /// `https://host[:port]/` or `http://...`, found by the first ping.
    pub base: OnceCell<Url>,
    /// The authentication the registry asked for last.
    pub auth: RwLock<AuthMode>,
    /// The rate limit of the last manifest response (or 429) that reported one.
    rate_limit: Mutex<Option<RateLimit>>,
}

impl std::fmt::Debug for RegistryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryState")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl RegistryState {
    /// The current auth mode.
    pub fn auth_mode(&self) -> AuthMode {
        match self.auth.read() {
            Ok(mode) => mode.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the auth mode.
    pub fn set_auth_mode(&self, mode: AuthMode) {
        match self.auth.write() {
            Ok(mut m) => *m = mode,
            Err(poisoned) => *poisoned.into_inner() = mode,
        }
    }

    /// Remembers a reported rate limit; one that says nothing is ignored.
    pub fn record_rate_limit(&self, rate_limit: RateLimit) {
        if !rate_limit.is_unknown() {
            *self
                .rate_limit
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(rate_limit);
        }
    }

    /// The rate limit last reported, if any was.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
