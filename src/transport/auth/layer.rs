//! The auth layer: [`Transport::send`] adds `Authorization` (basic
//! credentials, or a bearer token fetched through the token sender) for the
//! registry's own origin, learns a 401's challenge and tries once more,
//! each try going through the retrying sender (`sender.rs`).

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use zeroize::Zeroizing;

use super::challenge::parse_challenges;
use super::credentials::Credential;
use super::scheme_race::prefer_https;
use super::token_cache::RegistryHint;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::{api_host, credential_key};
use crate::transport::error_map::error_from_response;
use crate::transport::registry_state::{AuthMode, RegistryState};
use crate::transport::request::{Body, Request, Target};
use crate::transport::sender::Retries;
use crate::transport::{Transport, header_values, is_transport_failure, registry_url};

impl Transport {
    /// Whether `registry` asks for authentication (as last learned from a
    /// ping or a challenge).
    pub fn requires_auth(&self, registry: &str) -> bool {
        self.state(api_host(registry)).auth_mode() != AuthMode::Anonymous
    }

    /// Whether a credential is configured for `registry` (its host key,
    /// not a namespaced one); fails when the lookup does (an unreadable
    /// auth file, a failing credential helper).
    pub async fn credential_configured(&self, registry: &str) -> Result<bool> {
        Ok(self.credential(registry, &[]).await?.is_some())
    }

    /// The credential for a request to `registry` needing `scopes`: the
    /// one filed for the repository of its first `repository:` scope (a
    /// namespaced auth-file key) or for the registry.
    pub(super) async fn credential(
        &self,
        registry: &str,
        scopes: &[String],
    ) -> Result<Option<Credential>> {
        let key = credential_key(api_host(registry));
        self.credentials
            .lookup_for(key, scope_repository(scopes))
            .await
    }

    /// Sends `request` to `registry` and returns the response when its
    /// status is below 400, or the registry's error. See
    /// [`Transport::send_any_status`] for what happens on the way.
    pub async fn send(
        &self,
        registry: &str,
        request: Request,
        what: &str,
    ) -> Result<reqwest::Response> {
        let request_scopes = request.scopes.clone();
        let (response, auth_retried) = self.send_with_auth(registry, request, what).await?;
        let status = response.status();
        if status.as_u16() < 400 {
            return Ok(response);
        }
        if status == StatusCode::UNAUTHORIZED
            && auth_retried
            && insufficient_scope(&response)
            && self.has_credential(registry, &request_scopes).await
        {
            // Authenticated, and still not allowed: a missing permission.
            let error = error_from_response(what, response).await;
            return Err(Error::new(ErrorKind::Denied, error.message().to_string())
                .with_http_status(401)
                .with_registry_errors(error.registry_errors().to_vec()));
        }
        Err(error_from_response(what, response).await)
    }

    /// Sends `request` to `registry` and returns the final response
    /// whatever its status (a raw request's caller reads it). This is the
    /// auth layer: it adds `Authorization` for the registry's own origin,
    /// and after a 401 learns the challenge and tries once more with a
    /// fresh token. Each try goes through the retrying sender
    /// (`sender.rs`). A one-shot stream body is sent once, never retried.
    pub async fn send_any_status(
        &self,
        registry: &str,
        request: Request,
        what: &str,
    ) -> Result<reqwest::Response> {
        Ok(self.send_with_auth(registry, request, what).await?.0)
    }

    /// [`Transport::send_any_status`], also saying whether a 401 was
    /// answered with a second, freshly authenticated try.
    async fn send_with_auth(
        &self,
        registry: &str,
        mut request: Request,
        what: &str,
    ) -> Result<(reqwest::Response, bool)> {
        self.check_allowed(registry, &request.scopes)?;
        let state = self.state(registry);
        let replayable = request.body.is_replayable();
        let retries = match (replayable && request.retry, request.repeatable) {
            (true, true) => Retries::ALL.repeatable(),
            (true, false) => Retries::ALL,
            (false, _) => Retries::NONE,
        };
        // On first contact a replayable request to a path is its own ping;
        // anything else pings first.
        let (base, mut first, mut contact) = match state.base.get() {
            Some(base) => (base.clone(), None, None),
            None if replayable && matches!(request.target, Target::Path(_)) => {
                self.first_contact(registry, &state, &request, retries, what)
                    .await?
            }
            None => (self.base_url(registry).await?, None, None),
        };
        let url = resolve(&base, &request.target, what)?;
        let same_origin = url.origin() == base.origin();
        let mut stream = match &mut request.body {
            Body::Stream(stream, len) => Some((
                stream
                    .take()
                    .ok_or_else(|| Error::new(ErrorKind::Internal, "stream body already used"))?,
                *len,
            )),
            _ => None,
        };
        let senders = self.senders(registry, &state).await?;
        let mut auth_retried = false;
        loop {
            // The first contact's 401 is a ping's answer: it does not use
            // up the one retry a refused authorization gets.
            let from_first_contact = first.is_some();
            let response = match first.take() {
                Some(response) => response,
                None => {
                    let authorization = if same_origin {
                        self.authorization(registry, &state, &request.scopes)
                            .await?
                    } else {
                        None
                    };
                    senders
                        .registry
                        .send(what, retries, request.bounded, |http| {
                            build(http, &request, &url, authorization.clone(), stream.take())
                        })
                        .await?
                }
            };
            if response.status() == StatusCode::UNAUTHORIZED
                && same_origin
                && (from_first_contact || !auth_retried)
                && replayable
            {
                auth_retried |= !from_first_contact;
                if self
                    .learn_challenge(registry, &state, &response, &mut request.scopes)
                    .await
                {
                    continue;
                }
            }
            if let Some(hint) = contact.take()
                && response.status().as_u16() < 400
            {
                self.remember(registry, &state, &base, hint.as_ref()).await;
            }
            return Ok((response, auth_retried));
        }
    }

    /// The first request to `registry` this client sends, sent without
    /// credentials (nothing is known yet): it finds the scheme as a ping
    /// would (https, or for an insecure registry plain HTTP when TLS cannot
    /// be spoken) and its answer (a 401 with a challenge, or success) tells
    /// the auth layer what a ping would have, saving that round trip.
    /// With a token cache file, what it remembers of the registry is tried
    /// first (`remembered.rs`).
    /// Returns the base URL and the request's response, or no response when
    /// another task made first contact meanwhile (the caller sends then),
    /// and when this call made it, what the file remembered (to be updated
    /// once the request succeeds).
    async fn first_contact(
        &self,
        registry: &str,
        state: &RegistryState,
        request: &Request,
        retries: Retries,
        what: &str,
    ) -> Result<(Url, Option<reqwest::Response>, Option<Option<RegistryHint>>)> {
        let mut first = None;
        let mut contact = None;
        let base = state
            .base
            .get_or_try_init(|| async {
                let hint = self.remembered(registry).await;
                let remembered = match &hint {
                    Some(hint) => {
                        self.contact_as_remembered(registry, state, request, (retries, what), hint)
                            .await
                    }
                    None => None,
                };
                let (base, response) = match remembered {
                    Some(found) => found,
                    None => {
                        self.probe_scheme(registry, state, request, retries, what)
                            .await?
                    }
                };
                first = Some(response);
                contact = Some(hint);
                Ok::<_, Error>(base)
            })
            .await?
            .clone();
        Ok((base, first, contact))
    }

    /// Sends `request` (replayable, without credentials) over https and,
    /// for an insecure registry whose TLS fails, over plain HTTP; a read
    /// to an insecure registry goes over both at once (`scheme_race.rs`).
    async fn probe_scheme(
        &self,
        registry: &str,
        state: &RegistryState,
        request: &Request,
        retries: Retries,
        what: &str,
    ) -> Result<(Url, reqwest::Response)> {
        let https = registry_url("https", registry)?;
        let insecure = self.options.is_insecure(registry);
        let senders = self.senders(registry, state).await?;
        let senders = &senders;
        // For an insecure registry a failed TLS connection most likely
        // means plain HTTP: try that at once rather than retrying https.
        let https_retries = Retries {
            connection_errors: retries.connection_errors && !insecure,
            ..retries
        };
        let send = |base: Url, retries: Retries| async move {
            let url = resolve(&base, &request.target, what)?;
            let response = senders
                .registry
                .send(what, retries, request.bounded, |http| {
                    build(http, request, &url, None, None)
                })
                .await?;
            Ok::<_, Error>((base, response))
        };
        if !insecure {
            return send(https, https_retries).await;
        }
        let http = registry_url("http", registry)?;
        if matches!(request.method, Method::GET | Method::HEAD) {
            return prefer_https(send(https, https_retries), send(http, retries)).await;
        }
        // Anything else is sent once: over plain HTTP only once TLS failed.
        match send(https, https_retries).await {
            Err(e) if is_transport_failure(&e) => send(http, retries).await,
            other => other,
        }
    }

    /// The same as [`Transport::send`], which sends stream bodies too.
    pub async fn send_stream(
        &self,
        registry: &str,
        request: Request,
        what: &str,
    ) -> Result<reqwest::Response> {
        self.send(registry, request, what).await
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
        let mut refused_from_file = false;
        if let AuthMode::Bearer { realm, service } = &previous {
            refused_from_file = self
                .tokens
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
        // but only when there is a credential to show, or when the refused
        // token came from the token cache file (another process's).
        changed || refused_from_file || self.has_credential(registry, scopes).await
    }

    /// Whether a credential is configured for a request needing `scopes`,
    /// a failed lookup counting as none.
    async fn has_credential(&self, registry: &str, scopes: &[String]) -> bool {
        matches!(self.credential(registry, scopes).await, Ok(Some(_)))
    }

    /// The `Authorization` header for `registry`'s auth mode: basic
    /// credentials, a bearer token for `scopes`, or none.
    pub(super) async fn authorization(
        &self,
        registry: &str,
        state: &RegistryState,
        scopes: &[String],
    ) -> Result<Option<HeaderValue>> {
        // Every string holding a secret here is wiped when dropped.
        let value = match state.auth_mode() {
            AuthMode::Anonymous => return Ok(None),
            AuthMode::Basic => match self.credential(registry, scopes).await? {
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
                let credential = self.credential(registry, scopes).await?;
                if credential.is_some() {
                    self.check_realm_is_safe(&realm)?;
                }
                let senders = self.senders(registry, state).await?;
                let token = self
                    .tokens
                    .token(
                        &senders.token_server,
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
}

/// The repository of the first `repository:NAME:ACTIONS` scope.
fn scope_repository(scopes: &[String]) -> Option<&str> {
    scopes.iter().find_map(|scope| {
        let (name, _actions) = scope.strip_prefix("repository:")?.rsplit_once(':')?;
        Some(name)
    })
}

/// Whether a 401 says the token lacked a scope (rather than being absent or bad).
fn insufficient_scope(response: &reqwest::Response) -> bool {
    let values = header_values(response.headers(), &WWW_AUTHENTICATE);
    parse_challenges(&values)
        .iter()
        .any(|c| c.param("error") == Some("insufficient_scope"))
}

/// The URL a request target names, relative to the registry's base.
pub(super) fn resolve(base: &Url, target: &Target, what: &str) -> Result<Url> {
    match target {
        Target::Path(path) => base
            .join(path)
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("{what}: bad path: {e}"))),
        Target::Url(url) => Ok(url.clone()),
    }
}

/// The reqwest request for one try of `request` at `url`; a stream body is
/// `stream`, taken out of the request beforehand since it is sent only once.
pub(super) fn build(
    http: &reqwest::Client,
    request: &Request,
    url: &Url,
    authorization: Option<HeaderValue>,
    stream: Option<(reqwest::Body, Option<u64>)>,
) -> Result<reqwest::RequestBuilder> {
    let mut builder = http
        .request(request.method.clone(), url.clone())
        .headers(request.headers.clone());
    if let Some(auth) = authorization {
        builder = builder.header(AUTHORIZATION, auth);
    }
    Ok(match (&request.body, stream) {
        (Body::Empty, _) => builder,
        (Body::Bytes(bytes), _) => builder.body(bytes.clone()),
        (Body::Stream(..), Some((body, len))) => {
            let builder = builder.body(body);
            match len {
                Some(len) => builder.header(CONTENT_LENGTH, len),
                None => builder,
            }
        }
        (Body::Stream(..), None) => {
            return Err(Error::new(ErrorKind::Internal, "stream body already used"));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_of_the_first_repository_scope() {
        let scopes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            scope_repository(&scopes(&[
                "registry:catalog:*",
                "repository:team/app:pull,push",
                "repository:other/src:pull"
            ])),
            Some("team/app")
        );
        assert_eq!(
            scope_repository(&scopes(&["repository:localhost:5000/x:pull"])),
            Some("localhost:5000/x")
        );
        assert_eq!(scope_repository(&scopes(&["registry:catalog:*"])), None);
        assert_eq!(scope_repository(&[]), None);
    }
}
