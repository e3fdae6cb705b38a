//! Bearer tokens: fetching them from a token server and caching them per
//! realm, service and scope set, one fetch at a time per key.
//!
//! The token server (the challenge's `realm`) may live on another host than
//! the registry. It is asked with a GET (anonymous or with HTTP basic
//! credentials, as in Docker's token spec) or with an `OAuth2` form POST
//! (`oauth2.rs`): the refresh-token grant for an identity token or a
//! refresh token the server handed out earlier, the password grant when the
//! client forces `OAuth2` (a 404 or 405 to it falls back to the GET, as
//! docker does). Tokens are reused until less than a tenth of their
//! lifetime (at least 5 s, at most 30 s) remains.
//! With a token cache file (`token_cache.rs`) they are also kept across
//! processes: a token missing here is looked up there before it is
//! fetched, and a fetched one is stored there.
//!
//! Both go through the transport's sender (`sender.rs`), so they get its
//! timeouts, retries, proxy, TLS and error mapping. Both carry a credential,
//! so the sender they are given follows a redirect only within the realm's
//! origin (scheme, host and port); any other redirect fails the request with
//! `Protocol` before anything is sent to the new location.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Response, Url, header};
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::credentials::Credential;
use super::oauth2::{self, Grant, OAuth2Options, RefreshKey, RefreshTokens};
use super::token_cache::{FileKey, RegistryHint, TokenCacheFile};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::body::read_bounded;
use crate::transport::dates::parse_rfc3339;
use crate::transport::error_map::error_from_response;
use crate::transport::sender::{Retries, Sender};

/// The largest token response read.
const MAX_BODY: usize = 1 << 20;
/// The lifetime assumed when `expires_in` is absent, and the minimum (Docker's token spec).
const MIN_LIFETIME: Duration = Duration::from_secs(60);
/// Longer lifetimes are cut to this, so a token is re-checked at least daily.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The least time before expiry at which a token is refreshed.
const MIN_MARGIN: Duration = Duration::from_secs(5);
/// The most time before expiry at which a token is refreshed.
const MAX_MARGIN: Duration = Duration::from_secs(30);

/// One cache entry, shared by every task asking for its key: the mutex is
/// held across a fetch, which makes concurrent askers wait for it.
type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// A process-wide (per client) cache of bearer tokens.
///
/// A cached token is reused only with the same credential it was fetched
/// with (compared by a keyed hash; no credential is stored here). Refresh
/// tokens servers hand out are kept beside it, per realm, service and
/// credential, in memory only.
pub struct TokenCache {
    slots: Mutex<HashMap<CacheKey, Slot>>,
    fingerprints: RandomState,
    oauth2: OAuth2Options,
    refresh_tokens: RefreshTokens,
    /// Where tokens are also kept across processes, if the client has one.
    file: Option<TokenCacheFile>,
}

/// What a token is cached by: realm, service and the sorted, deduplicated scopes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    realm: String,
    service: Option<String>,
    scopes: Vec<String>,
}

impl CacheKey {
    fn new(realm: &str, service: Option<&str>, scopes: &[String]) -> CacheKey {
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        CacheKey {
            realm: realm.to_string(),
            service: service.map(str::to_string),
            scopes,
        }
    }
}

/// A fetched token (wiped from memory when dropped) and when to fetch the
/// next one.
struct Cached {
    token: Zeroizing<String>,
    refresh_at: Instant,
    credential: u64,
    /// Whether it was read from the token cache file (fetched by another
    /// client or process).
    from_file: bool,
}

/// One key's slot, locked by [`TokenCache::hold`], and what finds its token
/// here and in the token cache file.
struct Held {
    key: CacheKey,
    /// The keyed hash of the credential asking.
    fingerprint: u64,
    /// The token cache file's key, when the client has a file.
    file_key: Option<FileKey>,
    cached: tokio::sync::OwnedMutexGuard<Option<Cached>>,
}

/// How one token request carries its credential.
#[derive(Clone, Copy)]
enum Asking<'a> {
    /// A GET without credentials.
    Anonymous,
    /// A GET with HTTP basic credentials.
    Basic {
        username: &'a str,
        password: &'a str,
    },
    /// An `OAuth2` form POST.
    Form(Grant<'a>),
}

impl TokenCache {
    /// An empty cache with the default `OAuth2` options.
    pub fn new() -> TokenCache {
        TokenCache::with_oauth2(OAuth2Options::default())
    }

    /// An empty cache asking token servers as `oauth2` says.
    pub fn with_oauth2(oauth2: OAuth2Options) -> TokenCache {
        TokenCache {
            slots: Mutex::new(HashMap::new()),
            fingerprints: RandomState::new(),
            oauth2,
            refresh_tokens: RefreshTokens::default(),
            file: None,
        }
    }

    /// The same cache, also reading and writing the token cache file at
    /// `path` (`token_cache.rs`), when there is one.
    pub fn with_file(mut self, path: Option<PathBuf>) -> TokenCache {
        self.file = path.map(TokenCacheFile::new);
        self
    }

    /// A valid token for `scopes` from the token server at `realm`, fetching one
    /// only when none is cached or the cached one nears expiry.
    ///
    /// Concurrent calls for the same key share one fetch, sent with
    /// `sender` (retried like any request). Errors: `Network`, `Timeout`,
    /// `Tls`, `Unauthorized` (401, or an identity token the server does not
    /// accept), `Denied` (403), `TooManyRequests` (429), `Server` (5xx),
    /// `Protocol` (other statuses, a redirect to another origin, a bad
    /// realm, malformed JSON or no token), `SizeExceeded` (a response over
    /// 1 MiB).
    pub async fn token(
        &self,
        sender: &Sender,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credential: Option<&Credential>,
    ) -> Result<String> {
        let mut held = self.hold(realm, service, scopes, credential).await;
        if let Some(token) = self.kept(&mut held).await {
            return Ok(token);
        }
        let fetched = self
            .fetch(sender, &held.key, credential, held.fingerprint)
            .await?;
        if let (Some(file), Some(file_key)) = (&self.file, &held.file_key) {
            file.store(file_key, &fetched.token, fetched.usable_for)
                .await;
        }
        let token = fetched.token.clone();
        *held.cached = Some(Cached {
            token: Zeroizing::new(fetched.token),
            refresh_at: Instant::now() + fetched.usable_for,
            credential: held.fingerprint,
            from_file: false,
        });
        Ok(token)
    }

    /// A valid token for `scopes` from `realm` that this client or the
    /// token cache file already holds; `None` rather than fetching one.
    pub async fn cached(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credential: Option<&Credential>,
    ) -> Option<String> {
        let mut held = self.hold(realm, service, scopes, credential).await;
        self.kept(&mut held).await
    }

    /// The slot of this key, locked (concurrent askers wait until it is
    /// dropped), with the credential's fingerprint and the key the token
    /// cache file knows it by, if the client has one.
    async fn hold(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credential: Option<&Credential>,
    ) -> Held {
        let key = CacheKey::new(realm, service, scopes);
        let fingerprint = self.fingerprints.hash_one(credential);
        let cached = self.slot(&key).lock_owned().await;
        let file_key = self
            .file
            .as_ref()
            .map(|_| FileKey::new(&key.realm, key.service.as_deref(), &key.scopes, credential));
        Held {
            key,
            fingerprint,
            file_key,
            cached,
        }
    }

    /// The token of a held slot while it is good, else the file's for its
    /// file key, kept in the slot.
    async fn kept(&self, held: &mut Held) -> Option<String> {
        if let Some(token) = usable(held.cached.as_ref(), held.fingerprint, Instant::now()) {
            return Some(token.to_string());
        }
        let (token, usable_for) = self.file.as_ref()?.load(held.file_key.as_ref()?).await?;
        let shared = token.to_string();
        *held.cached = Some(Cached {
            token,
            refresh_at: Instant::now() + usable_for,
            credential: held.fingerprint,
            from_file: true,
        });
        Some(shared)
    }

    /// What the token cache file remembers of `registry`, if the client
    /// has one.
    pub async fn registry_hint(&self, registry: &str) -> Option<RegistryHint> {
        self.file.as_ref()?.load_registry(registry).await
    }

    /// Remembers `hint` for `registry` in the token cache file, if any.
    pub async fn remember_registry(&self, registry: &str, hint: &RegistryHint) {
        if let Some(file) = &self.file {
            file.store_registry(registry, hint).await;
        }
    }

    /// Forgets the cached token for this key (after the registry refused
    /// it), here and in the token cache file. Returns whether the token
    /// forgotten had come from the file.
    pub async fn invalidate(&self, realm: &str, service: Option<&str>, scopes: &[String]) -> bool {
        let key = CacheKey::new(realm, service, scopes);
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let mut from_file = false;
        if let Some(slot) = slot {
            from_file = slot.lock().await.take().is_some_and(|c| c.from_file);
        }
        if let Some(file) = &self.file {
            file.remove(&key.realm, key.service.as_deref(), &key.scopes)
                .await;
        }
        from_file
    }

    /// The slot of `key`, created on first use.
    fn slot(&self, key: &CacheKey) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(key.clone()).or_default())
    }

    /// Fetches a token for `key` from its realm: with the refresh token
    /// kept for this realm and credential when there is one (forgotten if
    /// the server refuses it, 400 or 401), else as the credential and the
    /// `OAuth2` options say. A refresh token in the answer is kept.
    async fn fetch(
        &self,
        sender: &Sender,
        key: &CacheKey,
        credential: Option<&Credential>,
        fingerprint: u64,
    ) -> Result<Fetched> {
        let realm = parse_realm(&key.realm)?;
        let refresh_key: RefreshKey = (key.realm.clone(), key.service.clone(), fingerprint);
        if credential.is_some()
            && let Some(kept) = self.refresh_tokens.get(&refresh_key)
        {
            let asking = Asking::Form(Grant::RefreshToken(&kept));
            match self.request(sender, &realm, key, asking).await {
                Ok(fetched) => return Ok(self.keep_refresh_token(refresh_key, fetched)),
                Err(e) if matches!(e.http_status(), Some(400 | 401)) => {
                    self.refresh_tokens.forget(&refresh_key);
                }
                Err(e) => return Err(e),
            }
        }
        let asking = match credential {
            None => Asking::Anonymous,
            Some(Credential::IdentityToken { token }) => Asking::Form(Grant::RefreshToken(token)),
            Some(Credential::Basic { username, password }) if self.oauth2.force => {
                Asking::Form(Grant::Password { username, password })
            }
            Some(Credential::Basic { username, password }) => Asking::Basic { username, password },
        };
        let fetched = match self.request(sender, &realm, key, asking).await {
            // A token server without the OAuth2 POST: the GET, as docker does.
            Err(e)
                if matches!(e.http_status(), Some(404 | 405))
                    && let Asking::Form(Grant::Password { username, password }) = asking =>
            {
                let basic = Asking::Basic { username, password };
                self.request(sender, &realm, key, basic).await?
            }
            other => other?,
        };
        Ok(match credential {
            Some(_) => self.keep_refresh_token(refresh_key, fetched),
            None => fetched,
        })
    }

    /// Keeps the refresh token `fetched` carries, if any.
    fn keep_refresh_token(&self, key: RefreshKey, mut fetched: Fetched) -> Fetched {
        if let Some(token) = fetched.refresh_token.take() {
            self.refresh_tokens.keep(key, token);
        }
        fetched
    }

    /// One token request for `key` at `realm`, asked as `asking`.
    async fn request(
        &self,
        sender: &Sender,
        realm: &Url,
        key: &CacheKey,
        asking: Asking<'_>,
    ) -> Result<Fetched> {
        let shown = display_url(realm);
        let what = format!("token request to {shown}");
        let form = match asking {
            Asking::Form(grant) => Some(oauth2::form(
                realm,
                grant,
                key.service.as_deref(),
                &key.scopes,
                &self.oauth2,
            )),
            _ => None,
        };
        let response = sender
            // Asking for a token changes nothing on the server: the POST of
            // an OAuth2 grant is as safe to repeat as the GET.
            .send(&what, Retries::ALL.repeatable(), true, |http| {
                Ok(match (asking, &form) {
                    (_, Some(form)) => http
                        .post(realm.clone())
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(form.to_string()),
                    (Asking::Basic { username, password }, None) => http
                        .get(token_url(
                            realm,
                            key,
                            Some(username),
                            &self.oauth2.offline_query(),
                        ))
                        .basic_auth(username, Some(password)),
                    _ => http.get(token_url(realm, key, None, &[])),
                })
            })
            .await?;
        if !response.status().is_success() {
            return Err(refusal(response, &shown, &what, asking).await);
        }
        let body = read_bounded(response, MAX_BODY, &what).await?;
        parse_token_response(&body, &shown, SystemTime::now())
    }
}

impl Default for TokenCache {
    fn default() -> TokenCache {
        TokenCache::new()
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("TokenCache")
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

/// The cached token, if it was fetched with the same credential and is not
/// yet due for refresh.
fn usable(cached: Option<&Cached>, fingerprint: u64, now: Instant) -> Option<&str> {
    cached
        .filter(|c| c.credential == fingerprint && now < c.refresh_at)
        .map(|c| c.token.as_str())
}

/// A token fresh from the server.
struct Fetched {
    token: String,
    /// How long from now it may be used before a new one is fetched.
    usable_for: Duration,
    /// The refresh token the server handed out with it, if any.
    refresh_token: Option<Zeroizing<String>>,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("usable_for", &self.usable_for)
            .finish_non_exhaustive()
    }
}

/// The realm as a URL; only http and https are accepted.
fn parse_realm(realm: &str) -> Result<Url> {
    Url::parse(realm)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "the registry named a token realm that is not an http(s) URL",
            )
        })
}

/// A URL for messages: scheme, host, port and path, without user info or query.
fn display_url(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

/// The GET URL: the realm with `service`, each `scope`, with basic
/// credentials `account` (as docker and skopeo send), then `extra`.
fn token_url(realm: &Url, key: &CacheKey, account: Option<&str>, extra: &[(&str, &str)]) -> Url {
    let mut url = realm.clone();
    if key.service.is_none() && key.scopes.is_empty() && account.is_none() && extra.is_empty() {
        return url;
    }
    let mut query = url.query_pairs_mut();
    if let Some(service) = &key.service {
        query.append_pair("service", service);
    }
    for scope in &key.scopes {
        query.append_pair("scope", scope);
    }
    if let Some(account) = account {
        query.append_pair("account", account);
    }
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    drop(query);
    url
}

/// The error for a token response with a failed status: the transport's
/// (HTTP status, `Retry-After`), with what the status means at a token
/// server. 401 is `Unauthorized`, as are 400, 404 and 405 to an `OAuth2`
/// POST (for an identity token there is no fallback to an anonymous GET;
/// the password grant's caller falls back to the GET on 404 and 405);
/// 403, 429 and 5xx keep their kinds; anything else is `Protocol`, since a
/// token server has no other answers.
async fn refusal(response: Response, realm: &str, what: &str, asking: Asking<'_>) -> Error {
    let status = response.status().as_u16();
    let error = error_from_response(what, response).await;
    let (kind, message) = match (status, asking) {
        (400 | 401, Asking::Form(Grant::RefreshToken(_))) => (
            ErrorKind::Unauthorized,
            format!("token server refused the identity token for {realm}"),
        ),
        (404 | 405, Asking::Form(Grant::RefreshToken(_))) => (
            ErrorKind::Unauthorized,
            format!("token server at {realm} does not accept OAuth2 refresh tokens"),
        ),
        (404 | 405, Asking::Form(Grant::Password { .. })) => (
            ErrorKind::Unauthorized,
            format!("token server at {realm} does not accept the OAuth2 password grant"),
        ),
        (400 | 401, Asking::Form(Grant::Password { .. })) | (401, Asking::Basic { .. }) => (
            ErrorKind::Unauthorized,
            format!("token server refused the credentials for {realm}"),
        ),
        (401, Asking::Anonymous) => (
            ErrorKind::Unauthorized,
            format!("token server at {realm} requires credentials"),
        ),
        _ => match error.kind() {
            kind @ (ErrorKind::Denied | ErrorKind::TooManyRequests | ErrorKind::Server) => {
                (kind, error.message().to_string())
            }
            _ => (
                ErrorKind::Protocol,
                format!("{what}: unexpected status {status}"),
            ),
        },
    };
    Error::new(kind, message)
        .with_http_status(status)
        .with_retry_after(error.retry_after())
}

/// The fields of a token response ocireg uses; others are ignored.
#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<Value>,
    issued_at: Option<Value>,
    refresh_token: Option<String>,
}

/// Parses a token response received at `now`. Messages never quote the
/// body: it may hold a token.
fn parse_token_response(body: &[u8], realm: &str, now: SystemTime) -> Result<Fetched> {
    let response: TokenResponse = serde_json::from_slice(body).map_err(|_| {
        Error::new(
            ErrorKind::Protocol,
            format!("token server at {realm} sent malformed JSON"),
        )
    })?;
    let token = [response.token, response.access_token]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!("token server at {realm} sent no token"),
            )
        })?;
    let lifetime = lifetime(response.expires_in.as_ref());
    let issued_at = response
        .issued_at
        .as_ref()
        .and_then(Value::as_str)
        .and_then(parse_rfc3339);
    Ok(Fetched {
        token,
        usable_for: usable_for(lifetime, issued_at, now),
        refresh_token: response
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(Zeroizing::new),
    })
}

/// The lifetime `expires_in` gives (seconds as a number or numeric
/// string), at least [`MIN_LIFETIME`] and at most [`MAX_LIFETIME`].
fn lifetime(expires_in: Option<&Value>) -> Duration {
    let seconds = expires_in.and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    });
    seconds
        .map_or(MIN_LIFETIME, Duration::from_secs)
        .clamp(MIN_LIFETIME, MAX_LIFETIME)
}

/// How long before expiry a token of `lifetime` is refreshed: a tenth of
/// the lifetime, at least [`MIN_MARGIN`], at most [`MAX_MARGIN`].
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).clamp(MIN_MARGIN, MAX_MARGIN)
}

/// How long from `now` a token of `lifetime` issued at `issued_at` (now
/// when unknown) may be used. A token that would be due for refresh on
/// arrival means the clocks disagree; its full lifetime is trusted then.
fn usable_for(lifetime: Duration, issued_at: Option<SystemTime>, now: SystemTime) -> Duration {
    let margin = refresh_margin(lifetime);
    let age = issued_at
        .and_then(|issued| now.duration_since(issued).ok())
        .unwrap_or_default();
    let remaining = lifetime.saturating_sub(age);
    let remaining = if remaining > margin {
        remaining
    } else {
        lifetime
    };
    remaining.checked_sub(margin).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::ClientOptions;
    use crate::transport::sender::Redirects;
    use base64::Engine as _;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::UNIX_EPOCH;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    /// One request the test server received.
    #[derive(Debug, Clone)]
    struct Recorded {
        method: String,
        target: String,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Recorded {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        fn query_pairs(&self) -> Vec<(String, String)> {
            let url = Url::parse(&format!("http://x{}", self.target)).unwrap();
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        }

        fn form_pairs(&self) -> Vec<(String, String)> {
            let url = Url::parse(&format!("http://x/?{}", self.body)).unwrap();
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        }
    }

    type Handler = Arc<dyn Fn(&Recorded) -> (u16, String) + Send + Sync>;

    /// A tiny HTTP/1.1 server: one request per connection, answered by
    /// `handler` after `delay`.
    struct TestServer {
        base: String,
        requests: Arc<Mutex<Vec<Recorded>>>,
        served: Arc<AtomicUsize>,
    }

    impl TestServer {
        async fn start(delay: Duration, handler: Handler) -> TestServer {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let requests = Arc::new(Mutex::new(Vec::new()));
            let served = Arc::new(AtomicUsize::new(0));
            let (log, count) = (Arc::clone(&requests), Arc::clone(&served));
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let (log, count, handler) =
                        (Arc::clone(&log), Arc::clone(&count), Arc::clone(&handler));
                    tokio::spawn(async move {
                        count.fetch_add(1, Ordering::SeqCst);
                        serve_one(stream, delay, handler, log).await;
                    });
                }
            });
            TestServer {
                base,
                requests,
                served,
            }
        }

        fn realm(&self) -> String {
            format!("{}/token", self.base)
        }

        fn requests(&self) -> Vec<Recorded> {
            self.requests.lock().unwrap().clone()
        }

        fn count(&self) -> usize {
            self.served.load(Ordering::SeqCst)
        }
    }

    async fn serve_one(
        mut stream: tokio::net::TcpStream,
        delay: Duration,
        handler: Handler,
        log: Arc<Mutex<Vec<Recorded>>>,
    ) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = stream.read(&mut chunk).await.unwrap();
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap().split(' ');
        let method = request_line.next().unwrap().to_string();
        let target = request_line.next().unwrap().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let n = stream.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8(buf[head_end..head_end + length].to_vec()).unwrap();
        let request = Recorded {
            method,
            target,
            headers,
            body,
        };
        log.lock().unwrap().push(request.clone());
        tokio::time::sleep(delay).await;
        let (status, body) = handler(&request);
        // A 429 asks for a wait; other failures leave it to the backoff.
        let retry_after = if status == 429 {
            "Retry-After: 7\r\n"
        } else {
            ""
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{retry_after}Connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    fn answer(status: u16, body: &str) -> Handler {
        let body = body.to_string();
        Arc::new(move |_| (status, body.clone()))
    }

    /// Answers with a numbered token so refetches are visible.
    fn numbered_tokens() -> Handler {
        let n = Arc::new(AtomicUsize::new(0));
        Arc::new(move |_| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            (200, format!(r#"{{"token":"tok-{i}","expires_in":300}}"#))
        })
    }

    /// A token sender without retries (these tests are about single answers).
    fn client() -> Arc<Sender> {
        sender(ClientOptions {
            max_retries: 0,
            ..ClientOptions::default()
        })
    }

    fn sender(options: ClientOptions) -> Arc<Sender> {
        let material = crate::transport::certs_d::TlsMaterial::for_client(&options).unwrap();
        let tls = crate::transport::tls::client_config(&options, &material).unwrap();
        Arc::new(Sender::new(&options, tls, Redirects::WithinOrigin).unwrap())
    }

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn basic(username: &str, password: &str) -> Credential {
        Credential::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn get_with_basic_auth_and_caching() {
        let server = TestServer::start(Duration::ZERO, numbered_tokens()).await;
        let cache = TokenCache::new();
        let http = client();
        let cred = basic("bob", "pa:ss wörd");
        let wanted = scopes(&[
            "repository:b:pull",
            "repository:a:pull,push",
            "repository:b:pull",
        ]);
        let token = cache
            .token(
                &http,
                &server.realm(),
                Some("reg.example"),
                &wanted,
                Some(&cred),
            )
            .await
            .unwrap();
        assert_eq!(token, "tok-0");

        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "GET");
        assert!(request.target.starts_with("/token?"), "{}", request.target);
        assert_eq!(
            request.query_pairs(),
            pairs(&[
                ("service", "reg.example"),
                ("scope", "repository:a:pull,push"),
                ("scope", "repository:b:pull"),
                ("account", "bob"),
            ])
        );
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("bob:pa:ss wörd")
        );
        assert_eq!(request.header("authorization"), Some(expected.as_str()));

        // Same key in another order: cached.
        let reordered = scopes(&["repository:a:pull,push", "repository:b:pull"]);
        let again = cache
            .token(
                &http,
                &server.realm(),
                Some("reg.example"),
                &reordered,
                Some(&cred),
            )
            .await
            .unwrap();
        assert_eq!(again, "tok-0");
        assert_eq!(server.count(), 1);

        // Another scope set: another fetch.
        let other = cache
            .token(
                &http,
                &server.realm(),
                Some("reg.example"),
                &scopes(&["repository:c:pull"]),
                Some(&cred),
            )
            .await
            .unwrap();
        assert_eq!(other, "tok-1");
    }

    #[tokio::test]
    async fn anonymous_get_keeps_realm_query_and_sends_no_authorization() {
        let server =
            TestServer::start(Duration::ZERO, answer(200, r#"{"access_token":"anon"}"#)).await;
        let realm = format!("{}?x=1", server.realm());
        let token = TokenCache::new()
            .token(
                &client(),
                &realm,
                Some("svc"),
                &scopes(&["repository:a b:pull"]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(token, "anon");
        let request = &server.requests()[0];
        assert_eq!(request.header("authorization"), None);
        assert_eq!(
            request.query_pairs(),
            pairs(&[
                ("x", "1"),
                ("service", "svc"),
                ("scope", "repository:a b:pull")
            ])
        );
    }

    #[tokio::test]
    async fn get_without_service_or_scopes_adds_no_query() {
        let server = TestServer::start(Duration::ZERO, answer(200, r#"{"token":"t"}"#)).await;
        TokenCache::new()
            .token(&client(), &server.realm(), None, &[], None)
            .await
            .unwrap();
        assert_eq!(server.requests()[0].target, "/token");
    }

    #[tokio::test]
    async fn identity_token_uses_the_oauth2_form() {
        let server = TestServer::start(
            Duration::ZERO,
            answer(
                200,
                r#"{"access_token":"oauth","expires_in":900,"refresh_token":"new"}"#,
            ),
        )
        .await;
        let cred = Credential::IdentityToken {
            token: "refresh+me/=&".into(),
        };
        let token = TokenCache::new()
            .token(
                &client(),
                &server.realm(),
                Some("reg.example"),
                &scopes(&["repository:b:push", "repository:a:pull"]),
                Some(&cred),
            )
            .await
            .unwrap();
        assert_eq!(token, "oauth");
        let request = &server.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/token");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.header("authorization"), None);
        assert_eq!(
            request.form_pairs(),
            pairs(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "refresh+me/=&"),
                ("client_id", "ocireg"),
                ("service", "reg.example"),
                ("scope", "repository:a:pull repository:b:push"),
            ])
        );
    }

    fn oauth2_cache(force: bool, offline: bool) -> TokenCache {
        TokenCache::with_oauth2(OAuth2Options {
            force,
            offline,
            client_id: "test-client".into(),
        })
    }

    #[tokio::test]
    async fn forced_oauth2_sends_the_password_only_in_the_post_body() {
        let server = TestServer::start(Duration::ZERO, numbered_tokens()).await;
        let cred = basic("bob", "SECRET-PW");
        let token = oauth2_cache(true, false)
            .token(
                &client(),
                &server.realm(),
                Some("svc"),
                &scopes(&["repository:a:pull"]),
                Some(&cred),
            )
            .await
            .unwrap();
        assert_eq!(token, "tok-0");
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/token");
        assert_eq!(request.header("authorization"), None);
        assert_eq!(
            request.form_pairs(),
            pairs(&[
                ("grant_type", "password"),
                ("username", "bob"),
                ("password", "SECRET-PW"),
                ("client_id", "test-client"),
                ("service", "svc"),
                ("scope", "repository:a:pull"),
            ])
        );
    }

    #[tokio::test]
    async fn a_post_refused_with_404_or_405_falls_back_to_the_get() {
        for status in [404, 405] {
            let handler: Handler = Arc::new(move |r: &Recorded| match r.method.as_str() {
                "POST" => (status, "{}".to_string()),
                _ => (200, r#"{"token":"from-get"}"#.to_string()),
            });
            let server = TestServer::start(Duration::ZERO, handler).await;
            let cred = basic("bob", "pw");
            let token = oauth2_cache(true, false)
                .token(&client(), &server.realm(), Some("svc"), &[], Some(&cred))
                .await
                .unwrap();
            assert_eq!(token, "from-get", "{status}");
            let requests = server.requests();
            assert_eq!(requests.len(), 2, "{status}");
            assert_eq!(requests[1].method, "GET");
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("bob:pw")
            );
            assert_eq!(requests[1].header("authorization"), Some(expected.as_str()));
        }
        // Any other refusal is an error, with no fallback.
        let server = TestServer::start(Duration::ZERO, answer(401, "{}")).await;
        let err = oauth2_cache(true, false)
            .token(
                &client(),
                &server.realm(),
                None,
                &[],
                Some(&basic("bob", "SECRET")),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert_eq!(server.count(), 1);
    }

    /// Answers a GET or password grant with a token and refresh token
    /// `rt-N`, and a refresh grant with a token only.
    fn refreshing_server() -> Handler {
        let n = Arc::new(AtomicUsize::new(0));
        Arc::new(move |r: &Recorded| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let refresh = r
                .form_pairs()
                .iter()
                .any(|(k, v)| k == "grant_type" && v == "refresh_token");
            if refresh {
                (200, format!(r#"{{"token":"tok-{i}"}}"#))
            } else {
                (
                    200,
                    format!(r#"{{"token":"tok-{i}","refresh_token":"rt-{i}"}}"#),
                )
            }
        })
    }

    #[tokio::test]
    async fn a_refresh_token_replaces_the_password_for_later_scopes() {
        let server = TestServer::start(Duration::ZERO, refreshing_server()).await;
        let cache = oauth2_cache(false, true);
        let (http, realm, cred) = (client(), server.realm(), basic("bob", "SECRET-PW"));
        let get = |wanted: &'static str, cred| {
            let (cache, http, realm) = (&cache, &http, realm.clone());
            async move {
                cache
                    .token(http, &realm, Some("svc"), &scopes(&[wanted]), cred)
                    .await
            }
        };
        assert_eq!(
            get("repository:a:pull", Some(&cred)).await.unwrap(),
            "tok-0"
        );
        assert_eq!(
            get("repository:b:pull", Some(&cred)).await.unwrap(),
            "tok-1"
        );
        assert_eq!(
            get("repository:c:pull", Some(&cred)).await.unwrap(),
            "tok-2"
        );
        let requests = server.requests();
        assert_eq!(requests.len(), 3);
        // The first: a GET with the password, asking for a refresh token.
        assert_eq!(requests[0].method, "GET");
        let query = requests[0].query_pairs();
        assert!(
            query.contains(&("offline_token".into(), "true".into())),
            "{query:?}"
        );
        assert!(
            query.contains(&("client_id".into(), "test-client".into())),
            "{query:?}"
        );
        // The later ones: the refresh grant, the password nowhere.
        for later in &requests[1..] {
            assert_eq!(later.method, "POST");
            assert_eq!(later.header("authorization"), None);
            assert!(!later.body.contains("SECRET"), "{}", later.body);
            let form = later.form_pairs();
            assert!(
                form.contains(&("grant_type".into(), "refresh_token".into())),
                "{form:?}"
            );
            assert!(
                form.contains(&("refresh_token".into(), "rt-0".into())),
                "{form:?}"
            );
        }
        // Another credential never uses it.
        let other = basic("eve", "other");
        assert_eq!(
            get("repository:d:pull", Some(&other)).await.unwrap(),
            "tok-3"
        );
        assert_eq!(server.requests()[3].method, "GET");
        // Anonymous requests neither.
        assert_eq!(get("repository:e:pull", None).await.unwrap(), "tok-4");
        assert_eq!(server.requests()[4].header("authorization"), None);
        assert_eq!(server.requests()[4].method, "GET");
    }

    #[tokio::test]
    async fn a_refused_refresh_token_is_forgotten_for_the_password() {
        let n = Arc::new(AtomicUsize::new(0));
        let handler: Handler = Arc::new(move |r: &Recorded| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            match r.method.as_str() {
                "POST" => (401, "{}".to_string()),
                _ => (
                    200,
                    format!(r#"{{"token":"tok-{i}","refresh_token":"rt-{i}"}}"#),
                ),
            }
        });
        let server = TestServer::start(Duration::ZERO, handler).await;
        let cache = oauth2_cache(false, false);
        let (http, realm, cred) = (client(), server.realm(), basic("bob", "pw"));
        let a = scopes(&["repository:a:pull"]);
        let b = scopes(&["repository:b:pull"]);
        assert_eq!(
            cache
                .token(&http, &realm, None, &a, Some(&cred))
                .await
                .unwrap(),
            "tok-0"
        );
        // The kept rt-0 is refused: the password GET follows.
        assert_eq!(
            cache
                .token(&http, &realm, None, &b, Some(&cred))
                .await
                .unwrap(),
            "tok-2"
        );
        let methods: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
        assert_eq!(methods, ["GET", "POST", "GET"]);
    }

    #[tokio::test]
    async fn identity_token_refused_or_unsupported_is_unauthorized() {
        let cred = Credential::IdentityToken {
            token: "SECRET-REFRESH".into(),
        };
        for status in [400, 401, 404, 405] {
            let server = TestServer::start(Duration::ZERO, answer(status, "{}")).await;
            let err = TokenCache::new()
                .token(&client(), &server.realm(), Some("s"), &[], Some(&cred))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unauthorized, "{status}: {err}");
            assert_eq!(err.http_status(), Some(status));
            assert!(!err.to_string().contains("SECRET"), "{err}");
            // No fallback request.
            assert_eq!(server.count(), 1);
        }
    }

    #[tokio::test]
    async fn status_mapping() {
        let cases = [
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Denied),
            (429, ErrorKind::TooManyRequests),
            (500, ErrorKind::Server),
            (503, ErrorKind::Server),
            (404, ErrorKind::Protocol),
            (302, ErrorKind::Protocol),
        ];
        for (status, kind) in cases {
            let server = TestServer::start(Duration::ZERO, answer(status, "{}")).await;
            let cred = basic("bob", "SECRET-PASSWORD");
            let err = TokenCache::new()
                .token(&client(), &server.realm(), Some("s"), &[], Some(&cred))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), kind, "{status}: {err}");
            assert_eq!(err.http_status(), Some(status));
            assert!(!err.to_string().contains("SECRET"), "{err}");
            if status == 401 {
                assert!(err.message().contains("refused the credentials"), "{err}");
                assert!(err.message().contains(&server.realm()), "{err}");
            }
            if status == 429 {
                assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
            }
        }
    }

    #[tokio::test]
    async fn a_failed_token_request_is_retried() {
        let identity = Credential::IdentityToken {
            token: "refresh".into(),
        };
        for (credential, method) in [
            (None, "GET"),
            (Some(basic("bob", "pw")), "GET"),
            (Some(identity), "POST"),
        ] {
            let answers = Arc::new(AtomicUsize::new(0));
            let handler: Handler =
                Arc::new(move |_| match answers.fetch_add(1, Ordering::SeqCst) {
                    0 => (503, "{}".to_string()),
                    _ => (200, r#"{"token":"second"}"#.to_string()),
                });
            let server = TestServer::start(Duration::ZERO, handler).await;
            let once = sender(ClientOptions {
                max_retries: 1,
                ..ClientOptions::default()
            });
            let token = TokenCache::new()
                .token(&once, &server.realm(), Some("s"), &[], credential.as_ref())
                .await
                .unwrap_or_else(|e| panic!("{method}: {e}"));
            assert_eq!(token, "second", "{method}");
            let requests = server.requests();
            assert_eq!(requests.len(), 2, "{method}");
            assert!(requests.iter().all(|r| r.method == method), "{requests:?}");
            // The retry carries the same request.
            assert_eq!(requests[0].target, requests[1].target);
            assert_eq!(requests[0].body, requests[1].body);
            assert_eq!(
                requests[0].header("authorization"),
                requests[1].header("authorization")
            );
        }
    }

    #[tokio::test]
    async fn bad_bodies_are_protocol_errors_without_echo() {
        for body in [
            r#"{"token": "SECRET-TOKEN" "#,
            r#"{"nothing":"SECRET"}"#,
            r#"{"token":""}"#,
            "[]",
        ] {
            let server = TestServer::start(Duration::ZERO, answer(200, body)).await;
            let err = TokenCache::new()
                .token(&client(), &server.realm(), None, &[], None)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{body}");
            assert!(!err.to_string().contains("SECRET"), "{err}");
        }
    }

    #[tokio::test]
    async fn oversized_body_is_refused() {
        let big = format!(r#"{{"token":"{}"}}"#, "a".repeat(MAX_BODY));
        let server = TestServer::start(Duration::ZERO, answer(200, &big)).await;
        let err = TokenCache::new()
            .token(&client(), &server.realm(), None, &[], None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SizeExceeded);
    }

    #[tokio::test]
    async fn bad_realm_is_a_protocol_error() {
        for realm in ["", "not a url", "ftp://x/token", "file:///etc/passwd"] {
            let err = TokenCache::new()
                .token(&client(), realm, None, &[], None)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{realm}");
        }
    }

    #[tokio::test]
    async fn connection_refused_is_a_network_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let realm = format!("http://{}/token", listener.local_addr().unwrap());
        drop(listener);
        let err = TokenCache::new()
            .token(&client(), &realm, None, &[], None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    }

    #[tokio::test]
    async fn slow_server_is_a_timeout() {
        let server =
            TestServer::start(Duration::from_secs(3), answer(200, r#"{"token":"t"}"#)).await;
        let http = sender(ClientOptions {
            max_retries: 0,
            request_timeout: Duration::from_millis(200),
            ..ClientOptions::default()
        });
        let err = TokenCache::new()
            .token(&http, &server.realm(), None, &[], None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    }

    /// Marks every cached token as due, as if its lifetime had passed.
    async fn age_all(cache: &TokenCache) {
        let slots: Vec<Slot> = cache.slots.lock().unwrap().values().cloned().collect();
        for slot in slots {
            if let Some(cached) = slot.lock().await.as_mut() {
                cached.refresh_at = Instant::now() - Duration::from_secs(1);
            }
        }
    }

    #[tokio::test]
    async fn expiry_and_invalidate_refetch() {
        let server = TestServer::start(Duration::ZERO, numbered_tokens()).await;
        let (cache, http) = (TokenCache::default(), client());
        let (wanted, realm) = (scopes(&["repository:a:pull"]), server.realm());
        let get = || cache.token(&http, &realm, Some("s"), &wanted, None);
        assert_eq!(get().await.unwrap(), "tok-0");
        assert_eq!(get().await.unwrap(), "tok-0");
        age_all(&cache).await;
        assert_eq!(get().await.unwrap(), "tok-1");
        assert_eq!(get().await.unwrap(), "tok-1");
        cache.invalidate(&server.realm(), Some("s"), &wanted).await;
        assert_eq!(get().await.unwrap(), "tok-2");
        // Invalidating an unknown key is harmless.
        cache.invalidate("http://elsewhere/token", None, &[]).await;
        assert_eq!(server.count(), 3);
    }

    #[tokio::test]
    async fn another_credential_does_not_reuse_the_token() {
        let server = TestServer::start(Duration::ZERO, numbered_tokens()).await;
        let (cache, http) = (TokenCache::new(), client());
        let (alice, realm) = (basic("alice", "1"), server.realm());
        let get = |cred| cache.token(&http, &realm, Some("s"), &[], cred);
        assert_eq!(get(None).await.unwrap(), "tok-0");
        assert_eq!(get(Some(&alice)).await.unwrap(), "tok-1");
        assert_eq!(get(Some(&alice)).await.unwrap(), "tok-1");
        assert_eq!(server.count(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_callers_share_one_fetch() {
        let server = TestServer::start(Duration::from_millis(200), numbered_tokens()).await;
        let cache = Arc::new(TokenCache::new());
        let http = client();
        let realm = server.realm();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, http, realm) = (Arc::clone(&cache), http.clone(), realm.clone());
                tokio::spawn(async move {
                    let wanted = scopes(&["repository:a:pull"]);
                    cache.token(&http, &realm, Some("s"), &wanted, None).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "tok-0");
        }
        assert_eq!(server.count(), 1);
    }

    #[test]
    fn token_preferred_over_access_token() {
        let now = SystemTime::now();
        let fetched =
            parse_token_response(br#"{"access_token":"b","token":"a"}"#, "r", now).unwrap();
        assert_eq!(fetched.token, "a");
        let fetched =
            parse_token_response(br#"{"access_token":"b","token":""}"#, "r", now).unwrap();
        assert_eq!(fetched.token, "b");
    }

    #[test]
    fn lifetimes() {
        let secs = Duration::from_secs;
        assert_eq!(lifetime(None), secs(60));
        assert_eq!(lifetime(Some(&serde_json::json!(10))), secs(60));
        assert_eq!(lifetime(Some(&serde_json::json!(300))), secs(300));
        assert_eq!(lifetime(Some(&serde_json::json!(300.7))), secs(300));
        assert_eq!(lifetime(Some(&serde_json::json!("600"))), secs(600));
        assert_eq!(lifetime(Some(&serde_json::json!(-5))), secs(60));
        assert_eq!(lifetime(Some(&serde_json::json!(null))), secs(60));
        assert_eq!(lifetime(Some(&serde_json::json!(1e300))), MAX_LIFETIME);
        assert_eq!(lifetime(Some(&serde_json::json!(u64::MAX))), MAX_LIFETIME);
    }

    #[test]
    fn refresh_margins() {
        let secs = Duration::from_secs;
        assert_eq!(refresh_margin(secs(60)), secs(6));
        assert_eq!(refresh_margin(secs(30)), secs(5));
        assert_eq!(refresh_margin(secs(300)), secs(30));
        assert_eq!(refresh_margin(secs(3600)), secs(30));
    }

    #[test]
    fn usable_durations() {
        let secs = Duration::from_secs;
        let now = UNIX_EPOCH + secs(1_700_000_000);
        // No issued_at: lifetime minus margin.
        assert_eq!(usable_for(secs(300), None, now), secs(270));
        assert_eq!(usable_for(secs(60), None, now), secs(54));
        // Issued 100 s ago: 200 s remain, refresh 30 s before.
        assert_eq!(usable_for(secs(300), Some(now - secs(100)), now), secs(170));
        // Issued in the future (server clock ahead): full lifetime.
        assert_eq!(usable_for(secs(300), Some(now + secs(50)), now), secs(270));
        // Already due on arrival (our clock ahead): trust the lifetime.
        assert_eq!(usable_for(secs(300), Some(now - secs(290)), now), secs(270));
        assert_eq!(
            usable_for(secs(300), Some(now - secs(9999)), now),
            secs(270)
        );
    }

    #[test]
    fn issued_at_is_used() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_100);
        let body = br#"{"token":"t","expires_in":300,"issued_at":"2023-11-14T22:13:20Z"}"#;
        // 2023-11-14T22:13:20Z is 1_700_000_000: 100 s old.
        let fetched = parse_token_response(body, "r", now).unwrap();
        assert_eq!(fetched.usable_for, Duration::from_secs(170));
        let garbage = br#"{"token":"t","expires_in":300,"issued_at":"yesterday"}"#;
        let fetched = parse_token_response(garbage, "r", now).unwrap();
        assert_eq!(fetched.usable_for, Duration::from_secs(270));
    }
}
