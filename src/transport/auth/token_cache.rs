//! The token cache file: bearer tokens kept across processes, so that the
//! next process (the next CLI command) skips the token server while its
//! token is good.
//!
//! The file is a JSON object:
//!
//! ```json
//! { "tokens": { "<key>": { "realm": "https://auth.example/token",
//!                          "service": "registry.example",
//!                          "scopes": ["repository:a/b:pull"],
//!                          "token": "...", "refresh_at": 1796200000 } } }
//! ```
//!
//! `<key>` is the SHA-256 (hex) of the realm, the service, the sorted
//! scopes and the credential's identity: itself a SHA-256 over a fixed
//! label, the realm and the credential, so the file holds no password,
//! user name or identity token, nor anything reversible short of guessing
//! the password (and whoever can read the file, mode 0600 in a 0700
//! directory, can read the auth file the credential comes from). Anonymous
//! tokens are kept too. `refresh_at` (seconds since the Unix epoch) is when
//! ocireg stops using the token: its expiry less the refresh margin.
//!
//! Beside the tokens, `"registries"` keeps what each registry was found to
//! speak: `{ "<host>": { "scheme": "https", "auth": "bearer", "realm":
//! "...", "service": "...", "seen_at": 1796200000 } }` (`auth` is also
//! `"basic"` or `"anonymous"`), so that the next process skips the scheme
//! probe and the first 401 (see `auth/remembered.rs`). At most
//! [`MAX_REGISTRIES`] are kept, the least recently seen dropped first.
//!
//! Reads take no lock (writers replace the file atomically); writes go
//! through the same locked, atomic update as the auth files
//! (`credentials/file_update.rs`) and drop expired entries. A file that is
//! corrupt, too large or unreadable is ignored with a debug log line, and
//! replaced by the next write; a cache failure never fails a request.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use super::credentials::Credential;
use super::credentials::file_update::{Malformed, read_object, update_json_file};
use crate::digest::Digest;
use crate::log::{self, LogLevel};
use crate::transport::registry_state::AuthMode;

/// The most registries the file remembers.
pub const MAX_REGISTRIES: usize = 64;

/// What the file remembers of one registry: the scheme it spoke and how it
/// asked to be authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHint {
    /// `https`, or `http` (an insecure registry without TLS).
    pub scheme: String,
    /// How it asked to be authenticated.
    pub auth: AuthMode,
}

/// The token cache file of a client.
#[derive(Debug, Clone)]
pub struct TokenCacheFile {
    path: PathBuf,
}

/// What one cached token is looked up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKey {
    realm: String,
    service: Option<String>,
    scopes: Vec<String>,
    /// The hex hash naming the entry.
    hash: String,
}

impl FileKey {
    /// The key of the token for `realm`, `service` and `scopes` (sorted and
    /// deduplicated by the caller) fetched with `credential`.
    pub fn new(
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credential: Option<&Credential>,
    ) -> FileKey {
        let identity = identity_hash(realm, credential);
        let named = json!([realm, service, scopes, identity]);
        FileKey {
            realm: realm.to_string(),
            service: service.map(str::to_string),
            scopes: scopes.to_vec(),
            hash: Digest::sha256_of(named.to_string().as_bytes())
                .hex()
                .to_string(),
        }
    }
}

/// A one-way hash of who a token was fetched for: a fixed label, the
/// realm (so that equal credentials hash differently per token server) and
/// the credential; anonymous is a hash too.
fn identity_hash(realm: &str, credential: Option<&Credential>) -> String {
    const LABEL: &str = "ocireg token cache identity v1";
    let named = Zeroizing::new(
        match credential {
            None => json!([LABEL, realm, "anonymous"]),
            Some(Credential::Basic { username, password }) => {
                json!([LABEL, realm, "basic", username, password])
            }
            Some(Credential::IdentityToken { token }) => {
                json!([LABEL, realm, "identity-token", token])
            }
        }
        .to_string(),
    );
    Digest::sha256_of(named.as_bytes()).hex().to_string()
}

impl TokenCacheFile {
    /// The cache kept in the file at `path` (created on the first write,
    /// with its directory).
    pub fn new(path: PathBuf) -> TokenCacheFile {
        TokenCacheFile { path }
    }

    /// The cached token for `key` and how long it may still be used, if
    /// the file holds one not yet due for refresh.
    pub async fn load(&self, key: &FileKey) -> Option<(Zeroizing<String>, Duration)> {
        let path = self.path.clone();
        let hash = key.hash.clone();
        let found = tokio::task::spawn_blocking(move || {
            let tokens = match read_object(&path) {
                Ok(mut file) => file.remove("tokens"),
                Err(e) => {
                    log::log(LogLevel::Debug, || {
                        format!("token cache {} ignored: {e}", path.display())
                    });
                    None
                }
            };
            let mut entry = match tokens {
                Some(Value::Object(mut tokens)) => tokens.remove(&hash),
                _ => None,
            }?;
            let usable_for = remaining(&entry, SystemTime::now())?;
            match entry.get_mut("token").map(Value::take) {
                Some(Value::String(token)) if !token.is_empty() => {
                    Some((Zeroizing::new(token), usable_for))
                }
                _ => None,
            }
        })
        .await;
        found.ok().flatten()
    }

    /// Stores `token` for `key`, usable for `usable_for` from now, and
    /// drops the entries that are due for refresh. Failures are logged
    /// (debug) and otherwise ignored.
    pub async fn store(&self, key: &FileKey, token: &str, usable_for: Duration) {
        let refresh_at = unix_seconds(SystemTime::now() + usable_for);
        let entry = json!({
            "realm": key.realm,
            "service": key.service,
            "scopes": key.scopes,
            "token": token,
            "refresh_at": refresh_at,
        });
        let hash = key.hash.clone();
        self.update(move |tokens| {
            tokens.insert(hash, entry);
        })
        .await;
    }

    /// Removes every token for `realm`, `service` and `scopes`, whoever it
    /// was fetched for (after a registry refused one).
    pub async fn remove(&self, realm: &str, service: Option<&str>, scopes: &[String]) {
        let wanted = json!({"realm": realm, "service": service, "scopes": scopes});
        self.update(move |tokens| {
            tokens.retain(|_, entry| {
                ["realm", "service", "scopes"]
                    .iter()
                    .any(|field| entry.get(field) != wanted.get(field))
            });
        })
        .await;
    }

    /// What the file remembers of `registry`, if anything well formed.
    pub async fn load_registry(&self, registry: &str) -> Option<RegistryHint> {
        let path = self.path.clone();
        let registry = registry.to_string();
        let found = tokio::task::spawn_blocking(move || {
            let mut file = read_object(&path).ok()?;
            match file.remove("registries")? {
                Value::Object(mut registries) => registries.remove(&registry),
                _ => None,
            }
        })
        .await
        .ok()
        .flatten()?;
        let text = |field: &str| found.get(field).and_then(Value::as_str);
        let scheme = text("scheme").filter(|s| ["https", "http"].contains(s))?;
        let auth = match text("auth")? {
            "anonymous" => AuthMode::Anonymous,
            "basic" => AuthMode::Basic,
            "bearer" => AuthMode::Bearer {
                realm: text("realm")?.to_string(),
                service: text("service").map(str::to_string),
            },
            _ => return None,
        };
        Some(RegistryHint {
            scheme: scheme.to_string(),
            auth,
        })
    }

    /// Remembers `hint` for `registry`, dropping the least recently seen
    /// registries beyond [`MAX_REGISTRIES`]. Failures are logged (debug)
    /// and otherwise ignored.
    pub async fn store_registry(&self, registry: &str, hint: &RegistryHint) {
        let mut entry = json!({
            "scheme": hint.scheme,
            "seen_at": unix_seconds(SystemTime::now()),
        });
        match &hint.auth {
            AuthMode::Anonymous => entry["auth"] = json!("anonymous"),
            AuthMode::Basic => entry["auth"] = json!("basic"),
            AuthMode::Bearer { realm, service } => {
                entry["auth"] = json!("bearer");
                entry["realm"] = json!(realm);
                entry["service"] = json!(service);
            }
        }
        let registry = registry.to_string();
        let result = update_json_file(self.path.clone(), Malformed::StartOver, move |file| {
            let mut registries = match file.remove("registries") {
                Some(Value::Object(registries)) => registries,
                _ => Map::new(),
            };
            registries.insert(registry.clone(), entry);
            while registries.len() > MAX_REGISTRIES {
                let seen = |e: &Value| e.get("seen_at").and_then(Value::as_u64).unwrap_or(0);
                let oldest = registries
                    .iter()
                    .filter(|(k, _)| **k != registry)
                    .min_by_key(|(_, e)| seen(e))
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => registries.remove(&k),
                    None => break,
                };
            }
            file.insert("registries".to_string(), Value::Object(registries));
            Ok(true)
        })
        .await;
        if let Err(e) = result {
            log::log(LogLevel::Debug, || {
                format!("token cache {} not updated: {e}", self.path.display())
            });
        }
    }

    /// Applies `change` to the `tokens` object under the file's lock,
    /// dropping entries due for refresh (and any that are not objects).
    async fn update(&self, change: impl FnOnce(&mut Map<String, Value>) + Send + 'static) {
        let result = update_json_file(self.path.clone(), Malformed::StartOver, move |file| {
            let mut tokens = match file.remove("tokens") {
                Some(Value::Object(tokens)) => tokens,
                _ => Map::new(),
            };
            let now = SystemTime::now();
            tokens.retain(|_, entry| remaining(entry, now).is_some());
            change(&mut tokens);
            file.insert("tokens".to_string(), Value::Object(tokens));
            Ok(true)
        })
        .await;
        if let Err(e) = result {
            log::log(LogLevel::Debug, || {
                format!("token cache {} not updated: {e}", self.path.display())
            });
        }
    }
}

/// How long the token of `entry` may still be used at `now`; `None` once
/// it is due for refresh or when the entry is malformed.
fn remaining(entry: &Value, now: SystemTime) -> Option<Duration> {
    let refresh_at = UNIX_EPOCH + Duration::from_secs(entry.get("refresh_at")?.as_u64()?);
    refresh_at.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// Seconds since the Unix epoch (0 before it).
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::auth::credentials::TempDir;
    use std::os::unix::fs::PermissionsExt as _;

    fn basic(password: &str) -> Credential {
        Credential::Basic {
            username: "alice".into(),
            password: password.into(),
        }
    }

    fn key(credential: Option<&Credential>) -> FileKey {
        FileKey::new(
            "https://auth.example/token",
            Some("registry.example"),
            &["repository:a/b:pull".to_string()],
            credential,
        )
    }

    #[tokio::test]
    async fn remembers_registries_beside_the_tokens_and_bounds_them() {
        let dir = TempDir::new();
        let path = dir.0.join("cache/ocireg/tokens.json");
        let cache = TokenCacheFile::new(path.clone());
        assert!(cache.load_registry("r.example").await.is_none());
        let bearer = RegistryHint {
            scheme: "https".into(),
            auth: AuthMode::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("r.example".into()),
            },
        };
        cache.store_registry("r.example", &bearer).await;
        cache
            .store(&key(None), "tok-anon", Duration::from_secs(300))
            .await;
        assert_eq!(cache.load_registry("r.example").await, Some(bearer));
        assert!(cache.load(&key(None)).await.is_some(), "tokens kept beside");
        for i in 0..MAX_REGISTRIES + 3 {
            let plain = RegistryHint {
                scheme: "http".into(),
                auth: AuthMode::Anonymous,
            };
            cache.store_registry(&format!("h{i}:5000"), &plain).await;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            file["registries"].as_object().unwrap().len(),
            MAX_REGISTRIES
        );
        // A malformed entry is ignored.
        let mut bad = file.clone();
        bad["registries"]["h70:5000"] = json!({"scheme": "gopher", "auth": "anonymous"});
        std::fs::write(&path, bad.to_string()).unwrap();
        assert!(cache.load_registry("h70:5000").await.is_none());
    }

    #[tokio::test]
    async fn stores_and_loads_per_identity_without_the_secret() {
        let dir = TempDir::new();
        let path = dir.0.join("cache/ocireg/tokens.json");
        let cache = TokenCacheFile::new(path.clone());
        let alice = basic("s3cret-password");
        assert!(cache.load(&key(Some(&alice))).await.is_none());
        cache
            .store(&key(Some(&alice)), "tok-first", Duration::from_secs(300))
            .await;
        cache
            .store(&key(None), "tok-anon", Duration::from_secs(300))
            .await;
        let (token, left) = cache.load(&key(Some(&alice))).await.unwrap();
        assert_eq!(token.as_str(), "tok-first");
        assert!(left > Duration::from_secs(290) && left <= Duration::from_secs(300));
        assert_eq!(cache.load(&key(None)).await.unwrap().0.as_str(), "tok-anon");
        // Another password, or another realm, is another identity.
        assert!(cache.load(&key(Some(&basic("other")))).await.is_none());
        let elsewhere = FileKey::new(
            "https://other.example/token",
            Some("registry.example"),
            &["repository:a/b:pull".to_string()],
            Some(&alice),
        );
        assert!(cache.load(&elsewhere).await.is_none());

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cret-password"), "{text}");
        assert!(!text.contains("alice"), "{text}");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }

    #[tokio::test]
    async fn expired_entries_are_not_used_and_are_dropped() {
        let dir = TempDir::new();
        let path = dir.0.join("tokens.json");
        let cache = TokenCacheFile::new(path.clone());
        cache.store(&key(None), "old", Duration::ZERO).await;
        assert!(cache.load(&key(None)).await.is_none());
        cache
            .store(&key(Some(&basic("p"))), "new", Duration::from_secs(60))
            .await;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"old\""), "{text}");
        assert!(text.contains("\"new\""), "{text}");
    }

    #[tokio::test]
    async fn remove_drops_every_identity_of_the_scope() {
        let dir = TempDir::new();
        let cache = TokenCacheFile::new(dir.0.join("tokens.json"));
        let other_scope = FileKey::new(
            "https://auth.example/token",
            Some("registry.example"),
            &["repository:c/d:pull".to_string()],
            None,
        );
        for (k, t) in [
            (key(None), "a"),
            (key(Some(&basic("p"))), "b"),
            (other_scope.clone(), "c"),
        ] {
            cache.store(&k, t, Duration::from_secs(60)).await;
        }
        cache
            .remove(
                "https://auth.example/token",
                Some("registry.example"),
                &["repository:a/b:pull".to_string()],
            )
            .await;
        assert!(cache.load(&key(None)).await.is_none());
        assert!(cache.load(&key(Some(&basic("p")))).await.is_none());
        assert_eq!(cache.load(&other_scope).await.unwrap().0.as_str(), "c");
    }

    #[tokio::test]
    async fn a_corrupt_file_is_ignored_and_replaced() {
        let dir = TempDir::new();
        let path = dir.0.join("tokens.json");
        let cache = TokenCacheFile::new(path.clone());
        for corrupt in [
            "{not json",
            "[1,2]",
            r#"{"tokens": 7}"#,
            r#"{"tokens": {"x": 1}}"#,
        ] {
            std::fs::write(&path, corrupt).unwrap();
            assert!(cache.load(&key(None)).await.is_none(), "{corrupt}");
            cache.store(&key(None), "t", Duration::from_secs(60)).await;
            assert_eq!(cache.load(&key(None)).await.unwrap().0.as_str(), "t");
        }
    }
}
