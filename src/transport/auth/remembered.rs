//! First contact as remembered (issue 16): with a token cache file, what a
//! registry was found to speak (its scheme and how it asked to be
//! authenticated, `token_cache.rs`) is kept across processes, so that a
//! cold process sends its first request straight to the right scheme and,
//! when the file also holds a good token for it, with that token: one round
//! trip instead of a scheme probe and a 401.
//!
//! Where it is safe, and how a stale memory falls back:
//! - Plain HTTP is used only for a registry this client marks insecure.
//! - No credential goes anywhere a file told: a bearer registry's first
//!   request carries only a token the file (or this client) already holds
//!   for that realm and credential, else it goes without, as a plain first
//!   contact would; basic credentials go to the registry itself, as they
//!   would after its challenge.
//! - A transport failure (the registry changed scheme) or a `400` (plain
//!   HTTP to a TLS port) makes the client probe as if nothing were known.
//! - A `401` is a first contact's answer: its challenge is learned (a
//!   refused token from the file is dropped) and the request sent again,
//!   as without the memory.
//! - Every successful first contact that found the registry speaking
//!   otherwise than remembered updates the file.

use reqwest::header::HeaderValue;
use reqwest::{StatusCode, Url};
use zeroize::Zeroizing;

use super::token_cache::RegistryHint;
use crate::log::{LogLevel, log};
use crate::transport::registry_state::{AuthMode, RegistryState};
use crate::transport::request::Request;
use crate::transport::sender::Retries;
use crate::transport::{Transport, registry_url};

impl Transport {
    /// What the token cache file remembers of `registry`, usable by this
    /// client (plain HTTP only for an insecure registry).
    pub(super) async fn remembered(&self, registry: &str) -> Option<RegistryHint> {
        let hint = self.tokens.registry_hint(registry).await?;
        (hint.scheme == "https" || self.options.is_insecure(registry)).then_some(hint)
    }

    /// Sends the first request to `registry` as `hint` says; the base URL
    /// and the response, or `None` when the memory turned out stale (the
    /// caller then probes).
    pub(super) async fn contact_as_remembered(
        &self,
        registry: &str,
        state: &RegistryState,
        request: &Request,
        (retries, what): (Retries, &str),
        hint: &RegistryHint,
    ) -> Option<(Url, reqwest::Response)> {
        let base = registry_url(&hint.scheme, registry).ok()?;
        let url = super::layer::resolve(&base, &request.target, what).ok()?;
        let authorization = self
            .remembered_authorization(registry, state, request, hint)
            .await;
        let senders = self.senders(registry, state).await.ok()?;
        // A refused connection means a stale scheme: probe at once.
        let retries = Retries {
            connection_errors: false,
            ..retries
        };
        let sent = senders
            .registry
            .send(what, retries, request.bounded, |http| {
                super::layer::build(http, request, &url, authorization.clone(), None)
            })
            .await;
        match sent {
            Ok(response) if response.status() != StatusCode::BAD_REQUEST => Some((base, response)),
            other => {
                let why = match other {
                    Ok(response) => format!("HTTP {}", response.status().as_u16()),
                    Err(e) => e.to_string(),
                };
                log(LogLevel::Debug, || {
                    format!(
                        "{registry}: as remembered ({}): {why}; probing",
                        hint.scheme
                    )
                });
                state.set_auth_mode(AuthMode::Anonymous);
                None
            }
        }
    }

    /// The `Authorization` of the remembered first request, setting the
    /// registry's auth mode to the remembered one when it is used.
    async fn remembered_authorization(
        &self,
        registry: &str,
        state: &RegistryState,
        request: &Request,
        hint: &RegistryHint,
    ) -> Option<HeaderValue> {
        let credential = self.credential(registry, &request.scopes).await.ok()?;
        let token = match &hint.auth {
            AuthMode::Anonymous => return None,
            AuthMode::Basic => {
                state.set_auth_mode(AuthMode::Basic);
                return self
                    .authorization(registry, state, &request.scopes)
                    .await
                    .ok()
                    .flatten();
            }
            AuthMode::Bearer { realm, service } => Zeroizing::new(
                self.tokens
                    .cached(
                        realm,
                        service.as_deref(),
                        &request.scopes,
                        credential.as_ref(),
                    )
                    .await?,
            ),
        };
        let value = Zeroizing::new(format!("Bearer {}", token.as_str()));
        let mut header = HeaderValue::from_str(&value).ok()?;
        header.set_sensitive(true);
        state.set_auth_mode(hint.auth.clone());
        Some(header)
    }

    /// Remembers how `registry` answered a successful first contact at
    /// `base`, unless that is what the file said (`hint`).
    pub(super) async fn remember(
        &self,
        registry: &str,
        state: &RegistryState,
        base: &Url,
        hint: Option<&RegistryHint>,
    ) {
        let now = RegistryHint {
            scheme: base.scheme().to_string(),
            auth: state.auth_mode(),
        };
        if hint != Some(&now) {
            self.tokens.remember_registry(registry, &now).await;
        }
    }
}
