//! The `OAuth2` side of token requests, as docker's token-auth `OAuth2`
//! spec, distribution's `TokenHandlerOptions` and containers/image's
//! `TokenOptions` have it: the password and refresh-token grants (a `POST`
//! of a form to the realm), the options that choose them, and the refresh
//! tokens servers hand out, kept in memory for later scopes.
//!
//! Secrets here (passwords, refresh tokens, the forms holding them) are
//! wiped from memory when dropped and never logged: the sender logs a
//! request's method and redacted URL only, and a form is a request body.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use reqwest::Url;
use zeroize::Zeroizing;

use crate::options::{ClientOptions, DEFAULT_OAUTH2_CLIENT_ID};

/// How a client asks token servers for tokens (see [`ClientOptions`]'s
/// `force_oauth2`, `offline_token` and `oauth2_client_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Options {
    /// Use the password grant (`POST`) instead of a `GET` with basic
    /// credentials; a 404 or 405 to the `POST` falls back to the `GET`.
    pub force: bool,
    /// Ask for a refresh token (`offline_token=true` on the `GET`,
    /// `access_type=offline` on the password grant).
    pub offline: bool,
    /// The `client_id` sent with the forms and with `offline_token`.
    pub client_id: String,
}

impl Default for OAuth2Options {
    fn default() -> OAuth2Options {
        OAuth2Options {
            force: false,
            offline: false,
            client_id: DEFAULT_OAUTH2_CLIENT_ID.to_string(),
        }
    }
}

impl OAuth2Options {
    /// The `OAuth2` options of `options`.
    pub fn from_client(options: &ClientOptions) -> OAuth2Options {
        OAuth2Options {
            force: options.force_oauth2,
            offline: options.offline_token,
            client_id: options.oauth2_client_id.clone(),
        }
    }

    /// The query parameters a `GET` with basic credentials adds to ask for
    /// a refresh token (none unless `offline`).
    pub fn offline_query(&self) -> Vec<(&'static str, &str)> {
        if self.offline {
            vec![("offline_token", "true"), ("client_id", &self.client_id)]
        } else {
            Vec::new()
        }
    }
}

/// An `OAuth2` grant, sent as the form of a `POST` to the realm.
#[derive(Clone, Copy)]
pub enum Grant<'a> {
    /// `grant_type=password` with the user's name and password.
    Password {
        /// The user name.
        username: &'a str,
        /// The password.
        password: &'a str,
    },
    /// `grant_type=refresh_token` with a refresh (identity) token.
    RefreshToken(&'a str),
}

/// The `application/x-www-form-urlencoded` body of `grant` for `service`
/// and `scopes` (one space-separated `scope`). The url crate's query
/// serializer is the form encoder, so the body is built as the query of a
/// scratch copy of the realm.
pub fn form(
    realm: &Url,
    grant: Grant<'_>,
    service: Option<&str>,
    scopes: &[String],
    options: &OAuth2Options,
) -> Zeroizing<String> {
    let mut scratch = realm.clone();
    scratch.set_query(None);
    let mut form = scratch.query_pairs_mut();
    match grant {
        Grant::RefreshToken(token) => {
            form.append_pair("grant_type", "refresh_token")
                .append_pair("refresh_token", token)
                .append_pair("client_id", &options.client_id);
        }
        Grant::Password { username, password } => {
            form.append_pair("grant_type", "password")
                .append_pair("username", username)
                .append_pair("password", password)
                .append_pair("client_id", &options.client_id);
            if options.offline {
                form.append_pair("access_type", "offline");
            }
        }
    }
    if let Some(service) = service {
        form.append_pair("service", service);
    }
    if !scopes.is_empty() {
        form.append_pair("scope", &scopes.join(" "));
    }
    drop(form);
    let body = Zeroizing::new(scratch.query().unwrap_or_default().to_string());
    // The scratch URL holds the secret too.
    let _wiped = Zeroizing::new(String::from(scratch));
    body
}

/// Which refresh token belongs where: realm, service and the keyed hash of
/// the credential it was obtained with (another credential never uses it).
pub type RefreshKey = (String, Option<String>, u64);

/// The refresh tokens token servers returned, in memory only.
#[derive(Default)]
pub struct RefreshTokens {
    tokens: Mutex<HashMap<RefreshKey, Zeroizing<String>>>,
}

impl RefreshTokens {
    /// The refresh token kept for `key`.
    pub fn get(&self, key: &RefreshKey) -> Option<Zeroizing<String>> {
        self.lock().get(key).cloned()
    }

    /// Keeps `token` for `key`, replacing an older one.
    pub fn keep(&self, key: RefreshKey, token: Zeroizing<String>) {
        self.lock().insert(key, token);
    }

    /// Forgets the refresh token of `key` (the server refused it).
    pub fn forget(&self, key: &RefreshKey) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RefreshKey, Zeroizing<String>>> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(body: &str) -> Vec<(String, String)> {
        Url::parse(&format!("http://x/?{body}"))
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_password_grant_form() {
        let realm = Url::parse("https://auth.example/token?realm-query=1").unwrap();
        let scopes = vec!["repository:a:pull".to_string(), "repository:b:push".into()];
        let options = OAuth2Options {
            force: true,
            offline: true,
            client_id: "my client".into(),
        };
        let grant = Grant::Password {
            username: "u s",
            password: "p&w=d",
        };
        let body = form(&realm, grant, Some("svc"), &scopes, &options);
        assert_eq!(
            pairs(&body),
            owned(&[
                ("grant_type", "password"),
                ("username", "u s"),
                ("password", "p&w=d"),
                ("client_id", "my client"),
                ("access_type", "offline"),
                ("service", "svc"),
                ("scope", "repository:a:pull repository:b:push"),
            ])
        );
        let online = OAuth2Options::default();
        let body = form(&realm, grant, None, &[], &online);
        assert_eq!(
            pairs(&body),
            owned(&[
                ("grant_type", "password"),
                ("username", "u s"),
                ("password", "p&w=d"),
                ("client_id", "ocireg"),
            ])
        );
    }

    #[test]
    fn offline_query_only_when_asked() {
        assert!(OAuth2Options::default().offline_query().is_empty());
        let offline = OAuth2Options {
            offline: true,
            client_id: "c".into(),
            ..OAuth2Options::default()
        };
        assert_eq!(
            offline.offline_query(),
            [("offline_token", "true"), ("client_id", "c")]
        );
    }

    #[test]
    fn refresh_tokens_are_kept_per_key() {
        let kept = RefreshTokens::default();
        let key = ("https://a/token".to_string(), Some("s".to_string()), 7);
        assert!(kept.get(&key).is_none());
        kept.keep(key.clone(), Zeroizing::new("rt".into()));
        assert_eq!(kept.get(&key).as_deref().map(String::as_str), Some("rt"));
        let other = (key.0.clone(), key.1.clone(), 8);
        assert!(kept.get(&other).is_none());
        kept.forget(&key);
        assert!(kept.get(&key).is_none());
    }
}
