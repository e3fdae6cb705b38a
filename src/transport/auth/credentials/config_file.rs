//! docker's `config.json` and containers' `auth.json`: reading and parsing
//! them, the keys of their entries, the `auths` entries and the choice
//! between `credHelpers`, `auths` and `credsStore`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use super::helper::HelperRunner;
use super::store::LEGACY_DOCKERCFG;
use crate::credential::Credential;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::UserName;

/// Standard base64 that accepts input with or without padding.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The cache and lookup key of a registry name.
pub(super) fn registry_key(registry: &str) -> String {
    UserName::parse(registry).host
}

/// The registry an auth-file key stands for; `None` for repository keys.
pub(super) fn host_key(key: &str) -> Option<String> {
    let name = UserName::parse(key);
    (!name.names_repository && !name.host.is_empty()).then_some(name.host)
}

/// A docker `config.json` or containers `auth.json`; unknown fields ignored.
/// (No `Debug`: it holds secrets.)
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct ConfigFile {
    auths: Option<BTreeMap<String, AuthEntry>>,
    #[serde(rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
    #[serde(rename = "credsStore")]
    creds_store: Option<String>,
}

impl ConfigFile {
    /// The credential this file gives for `key`: its `credHelpers` program
    /// (authoritative for that registry), the `auths` entry of the longest
    /// of `namespaces` (`host/ns/repo`, `host/ns`: exact keys) that holds
    /// one, its own `auths` entry, or its `credsStore` program, run by
    /// `helpers`. (docker writes host keys only; containers tools may write
    /// namespaced ones, and containers/image reads them in either file.)
    pub(super) async fn credential(
        &self,
        key: &str,
        namespaces: &[String],
        file: &Path,
        helpers: &HelperRunner,
    ) -> Result<Option<Credential>> {
        if let Some(helper) = self.helper_for(key) {
            return helpers.get(helper, key, file).await;
        }
        if let Some(credential) = self.namespaced_credential(namespaces, file)? {
            return Ok(Some(credential));
        }
        if let Some(credential) = self.auths_credential(key, file)? {
            return Ok(Some(credential));
        }
        match self.creds_store() {
            Some(helper) => helpers.get(helper, key, file).await,
            None => Ok(None),
        }
    }

    /// The `credsStore` program, when one is configured.
    pub(super) fn creds_store(&self) -> Option<&str> {
        self.creds_store.as_deref().filter(|name| !name.is_empty())
    }

    /// The `credHelpers` program configured for `key`.
    pub(super) fn helper_for(&self, key: &str) -> Option<&str> {
        let helpers = self.cred_helpers.as_ref()?;
        helpers
            .iter()
            .find(|(k, name)| !name.is_empty() && host_key(k).as_deref() == Some(key))
            .map(|(_, name)| name.as_str())
    }

    /// The credential of the first of `namespaces` with an `auths` entry
    /// holding one (entries without a credential are passed over).
    fn namespaced_credential(
        &self,
        namespaces: &[String],
        file: &Path,
    ) -> Result<Option<Credential>> {
        let Some(auths) = &self.auths else {
            return Ok(None);
        };
        for key in namespaces {
            if let Some(entry) = auths.get(key)
                && let Some(credential) = entry_credential(key, entry, file)?
            {
                return Ok(Some(credential));
            }
        }
        Ok(None)
    }

    /// The credential of the `auths` entries for `key`: the key spelled
    /// exactly as `key` first, then every key naming the same host, in
    /// sorted order; entries without a credential are passed over.
    fn auths_credential(&self, key: &str, file: &Path) -> Result<Option<Credential>> {
        let Some(auths) = &self.auths else {
            return Ok(None);
        };
        let exact = auths.get_key_value(key);
        let same_host = auths
            .iter()
            .filter(|(k, _)| k.as_str() != key && host_key(k).as_deref() == Some(key));
        for (entry_key, entry) in exact.into_iter().chain(same_host) {
            let credential = entry_credential(entry_key, entry, file)?;
            if credential.is_some() {
                return Ok(credential);
            }
        }
        Ok(None)
    }
}

/// The credential of the `auths` entry `entry_key` of `file`; an error
/// names the file and the key, never the entry's contents.
fn entry_credential(entry_key: &str, entry: &AuthEntry, file: &Path) -> Result<Option<Credential>> {
    entry.credential().map_err(|reason| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "auth file {}: the entry for {entry_key:?} {reason}",
                file.display()
            ),
        )
    })
}
/// One `auths` entry. (No `Debug`: it holds secrets, wiped when dropped.)
#[derive(Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

impl Drop for AuthEntry {
    fn drop(&mut self) {
        self.auth.zeroize();
        self.password.zeroize();
        self.identitytoken.zeroize();
    }
}

impl AuthEntry {
    /// The entry's credential, `None` when it holds none (docker leaves `{}`
    /// when a credential store keeps the secret). The error is a reason
    /// that never quotes the entry.
    fn credential(&self) -> std::result::Result<Option<Credential>, &'static str> {
        if let Some(token) = non_empty(&self.identitytoken) {
            return Ok(Some(Credential::IdentityToken {
                token: token.to_string(),
            }));
        }
        if let Some(auth) = non_empty(&self.auth) {
            return decode_auth(auth);
        }
        Ok(non_empty(&self.username).map(|username| Credential::Basic {
            username: username.to_string(),
            password: self.password.clone().unwrap_or_default(),
        }))
    }
}

/// A field's value unless it is absent or empty.
fn non_empty(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|v| !v.is_empty())
}

/// Decodes `base64("user:password")`, splitting at the first colon.
fn decode_auth(auth: &str) -> std::result::Result<Option<Credential>, &'static str> {
    let bytes = Zeroizing::new(
        BASE64_LENIENT
            .decode(auth.trim())
            .map_err(|_| "has an `auth` value that is not base64")?,
    );
    let text = Zeroizing::new(
        std::str::from_utf8(&bytes)
            .map_err(|_| "has an `auth` value that is not UTF-8")?
            .to_string(),
    );
    if text.is_empty() {
        return Ok(None);
    }
    let (username, password) = text
        .split_once(':')
        .ok_or("has an `auth` value that is not user:password")?;
    Ok(Some(Credential::Basic {
        username: username.to_string(),
        password: password.to_string(),
    }))
}

/// Reads and parses an auth file (`~/.dockercfg` in docker's legacy
/// format); `None` when it does not exist.
pub(super) async fn read_config(file: &Path) -> Result<Option<ConfigFile>> {
    let bytes = match tokio::fs::read(file).await {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot read auth file {}: {e}", file.display()),
            ));
        }
    };
    // serde_json's messages may quote the input, so only its position is kept.
    let parsed = if file.file_name() == Some(OsStr::new(LEGACY_DOCKERCFG)) {
        // docker's legacy format: the `auths` object alone.
        serde_json::from_slice(&bytes).map(|auths| ConfigFile {
            auths: Some(auths),
            ..ConfigFile::default()
        })
    } else {
        serde_json::from_slice(&bytes)
    };
    parsed.map(Some).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "auth file {} is malformed (line {}, column {})",
                file.display(),
                e.line(),
                e.column()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::auth::credentials::store::CredentialStore;
    use crate::transport::auth::credentials::test_support::*;
    use base64::engine::general_purpose;

    #[test]
    fn key_normalization() {
        assert_eq!(
            host_key("Registry.Example:5000").as_deref(),
            Some("registry.example:5000")
        );
        assert_eq!(host_key("https://r.example/").as_deref(), Some("r.example"));
        assert_eq!(
            host_key("http://r.example/v1/").as_deref(),
            Some("r.example")
        );
        assert_eq!(
            host_key("https://index.docker.io/v1/").as_deref(),
            Some("docker.io")
        );
        assert_eq!(host_key("index.docker.io").as_deref(), Some("docker.io"));
        assert_eq!(
            host_key("registry-1.docker.io").as_deref(),
            Some("docker.io")
        );
        assert_eq!(host_key("docker.io").as_deref(), Some("docker.io"));
        assert_eq!(host_key("r.example/").as_deref(), Some("r.example"));
        assert_eq!(host_key("r.example/team"), None);
        assert_eq!(host_key("r.example/team/app"), None);
        assert_eq!(host_key(""), None);
        assert_eq!(registry_key("index.docker.io"), "docker.io");
        assert_eq!(registry_key("localhost:5000"), "localhost:5000");
    }

    #[test]
    fn auth_entry_decoding() {
        let entry =
            |json: serde_json::Value| -> AuthEntry { serde_json::from_value(json).unwrap() };
        let colon = entry(serde_json::json!({ "auth": encode_auth("u", "p:a:ss") }));
        assert_eq!(colon.credential(), Ok(Some(basic("u", "p:a:ss"))));
        // No padding: base64("ab:c") is "YWI6Yw==".
        let unpadded = entry(serde_json::json!({ "auth": "YWI6Yw" }));
        assert_eq!(unpadded.credential(), Ok(Some(basic("ab", "c"))));
        let fields = entry(serde_json::json!({ "username": "u", "password": "p" }));
        assert_eq!(fields.credential(), Ok(Some(basic("u", "p"))));
        let token =
            entry(serde_json::json!({ "auth": encode_auth("u", "p"), "identitytoken": "rt" }));
        assert_eq!(
            token.credential(),
            Ok(Some(Credential::IdentityToken { token: "rt".into() }))
        );
        let empty_token =
            entry(serde_json::json!({ "auth": encode_auth("u", "p"), "identitytoken": "" }));
        assert_eq!(empty_token.credential(), Ok(Some(basic("u", "p"))));
        assert_eq!(entry(serde_json::json!({})).credential(), Ok(None));
        assert_eq!(
            entry(serde_json::json!({ "auth": "" })).credential(),
            Ok(None)
        );
        assert!(
            entry(serde_json::json!({ "auth": "!!!" }))
                .credential()
                .is_err()
        );
        let no_colon = general_purpose::STANDARD.encode("justuser");
        assert!(
            entry(serde_json::json!({ "auth": no_colon }))
                .credential()
                .is_err()
        );
    }

    #[tokio::test]
    async fn finds_host_and_port_keys() {
        let file = auths_file(&[
            ("localhost:5000", "a", "1"),
            ("https://secure.example/", "b", "2"),
            ("http://old.example/v1/", "c", "3"),
        ]);
        assert_eq!(
            lookup_in(&file, "localhost:5000").await.unwrap(),
            Some(basic("a", "1"))
        );
        assert_eq!(
            lookup_in(&file, "secure.example").await.unwrap(),
            Some(basic("b", "2"))
        );
        assert_eq!(
            lookup_in(&file, "old.example").await.unwrap(),
            Some(basic("c", "3"))
        );
        assert_eq!(lookup_in(&file, "localhost").await.unwrap(), None);
        assert_eq!(lookup_in(&file, "other.example").await.unwrap(), None);
    }

    #[tokio::test]
    async fn docker_hub_aliases() {
        for key in [
            "https://index.docker.io/v1/",
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
        ] {
            let file = auths_file(&[(key, "hub", "pw")]);
            for registry in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
                assert_eq!(
                    lookup_in(&file, registry).await.unwrap(),
                    Some(basic("hub", "pw")),
                    "key {key}, lookup {registry}"
                );
            }
        }
    }

    #[tokio::test]
    async fn exact_key_wins_and_empty_entries_are_passed_over() {
        let file = serde_json::json!({ "auths": {
            "https://r.example": { "auth": encode_auth("url", "1") },
            "r.example": { "auth": encode_auth("exact", "2") },
            "https://index.docker.io/v1/": {},
            "docker.io": { "auth": encode_auth("hub", "3") },
        }})
        .to_string();
        assert_eq!(
            lookup_in(&file, "r.example").await.unwrap(),
            Some(basic("exact", "2"))
        );
        assert_eq!(
            lookup_in(&file, "docker.io").await.unwrap(),
            Some(basic("hub", "3"))
        );
    }

    #[tokio::test]
    async fn repository_keys_are_ignored_for_host_lookup() {
        let only_repo = auths_file(&[("quay.example/team", "team", "1")]);
        assert_eq!(lookup_in(&only_repo, "quay.example").await.unwrap(), None);
        let both = auths_file(&[
            ("quay.example/team", "team", "1"),
            ("quay.example", "host", "2"),
        ]);
        assert_eq!(
            lookup_in(&both, "quay.example").await.unwrap(),
            Some(basic("host", "2"))
        );
    }

    #[tokio::test]
    async fn malformed_file_is_an_error_without_its_contents() {
        let (dir, store) = store_with_file(r#"{"auths": "SECRETVALUE"}"#);
        let err = store.lookup("r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(
            err.message()
                .contains(&dir.0.join("auth.json").display().to_string()),
            "{err}"
        );
        assert!(!err.to_string().contains("SECRETVALUE"), "{err}");

        let (_dir, store) = store_with_file("{ not json SECRETVALUE");
        let err = store.lookup("r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(!err.to_string().contains("SECRETVALUE"), "{err}");
    }

    #[tokio::test]
    async fn bad_entry_is_an_error_without_its_contents() {
        let file = r#"{"auths": {"r.example": {"auth": "SECRET!!VALUE"}}}"#;
        let err = lookup_in(file, "r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("r.example"), "{err}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
        // Other registries' entries are not examined.
        assert_eq!(lookup_in(file, "s.example").await.unwrap(), None);
    }

    #[tokio::test]
    async fn unreadable_file_is_an_io_error() {
        let dir = TempDir::new();
        let as_dir = dir.0.join("config.json");
        std::fs::create_dir_all(&as_dir).unwrap();
        let store = CredentialStore::with_environment(vec![], Some(as_dir.clone()), empty_env());
        let err = store.lookup("r.example").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(
            err.message().contains(&as_dir.display().to_string()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn null_and_unknown_fields_are_accepted() {
        let file = r#"{"auths": null, "credHelpers": null, "psFormat": "table", "HttpHeaders": {"X": "y"}}"#;
        assert_eq!(lookup_in(file, "r.example").await.unwrap(), None);
    }

    #[cfg(unix)]
    mod helpers {
        use super::*;

        #[tokio::test]
        async fn cred_helpers_per_registry_take_precedence() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            install(&dir, "test", HELPER);
            let config = serde_json::json!({
                "credHelpers": { "tok.example": "test", "none.example": "test" },
                "auths": {
                    "tok.example": { "auth": encode_auth("file", "1") },
                    "none.example": { "auth": encode_auth("file", "2") },
                    "plain.example": { "auth": encode_auth("file", "3") },
                },
            });
            let store = helper_store(&dir, config, ANSWERS_WITHIN);
            assert_eq!(
                store.lookup("tok.example").await.unwrap(),
                Some(Credential::IdentityToken {
                    token: "refresh-me".into()
                })
            );
            // The helper is authoritative for its registry in that file.
            assert_eq!(store.lookup("none.example").await.unwrap(), None);
            assert_eq!(
                store.lookup("plain.example").await.unwrap(),
                Some(basic("file", "3"))
            );
            assert_eq!(calls(&dir), ["tok.example", "none.example"]);
        }

        #[tokio::test]
        async fn inline_auths_win_over_creds_store() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            install(&dir, "test", HELPER);
            let config = serde_json::json!({
                "credsStore": "test",
                "auths": { "docker.io": { "auth": encode_auth("inline", "1") } },
            });
            let store = helper_store(&dir, config, ANSWERS_WITHIN);
            assert_eq!(
                store.lookup("docker.io").await.unwrap(),
                Some(basic("inline", "1"))
            );
            assert!(calls(&dir).is_empty());
        }
    }
}
