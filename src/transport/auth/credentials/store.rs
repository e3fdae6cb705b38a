//! The search order: explicit credentials, then the given auth file or the
//! default files, with one cached answer per registry.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::os::unix::fs::MetadataExt as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::OnceCell;

use super::config_file::{read_config, registry_key};
use super::helper::HelperRunner;
use crate::credential::Credential;
use crate::error::Result;

/// Finds the credential for a registry host.
///
/// Results (including "none") are cached per registry for the life of the
/// store, so a credential helper runs at most once per registry; failures
/// are not cached.
pub struct CredentialStore {
    explicit: HashMap<String, Credential>,
    files: Vec<PathBuf>,
    helpers: HelperRunner,
    cache: Mutex<HashMap<String, Arc<OnceCell<Option<Credential>>>>>,
}

impl CredentialStore {
    /// A store with explicit credentials (registry host -> credential), which
    /// win over files, and an optional auth file that replaces the default
    /// search: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`
    /// (without `XDG_RUNTIME_DIR`: `/run/containers/$UID/auth.json`),
    /// `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/...`),
    /// `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`) and
    /// `~/.dockercfg`.
    ///
    /// The environment variables are read here, once; the files are read
    /// at the first lookup of each registry. The first file holding a
    /// credential for the registry wins; missing files are skipped. A
    /// credential helper running longer than `helper_timeout` is killed.
    pub fn new(
        explicit: Vec<(String, Credential)>,
        auth_file: Option<PathBuf>,
        helper_timeout: Duration,
    ) -> CredentialStore {
        CredentialStore::with_environment(
            explicit,
            auth_file,
            Environment::from_process(helper_timeout),
        )
    }

    /// [`CredentialStore::new`] with the environment given instead of read.
    pub(super) fn with_environment(
        explicit: Vec<(String, Credential)>,
        auth_file: Option<PathBuf>,
        env: Environment,
    ) -> CredentialStore {
        let files = match auth_file {
            Some(file) => vec![file],
            None => env.auth_files(),
        };
        CredentialStore {
            explicit: explicit
                .into_iter()
                .map(|(registry, credential)| (registry_key(&registry), credential))
                .collect(),
            files,
            helpers: env.helpers(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The credential for `registry` (a `host[:port]` as in references, with
    /// `docker.io` for Docker Hub), or `None` for anonymous access: the
    /// same as [`CredentialStore::lookup_for`] without a repository.
    #[cfg(test)]
    pub async fn lookup(&self, registry: &str) -> Result<Option<Credential>> {
        self.lookup_for(registry, None).await
    }

    /// The credential for `repository` (its path, `library/busybox`) on
    /// `registry`, or `None` for anonymous access.
    ///
    /// Explicit credentials win. Then each auth file in order, the first
    /// one holding a credential winning; within a file, the registry's
    /// `credHelpers` program, then the `auths` keys naming the repository
    /// or one of its namespaces, longest first (`host/ns/repo`, then
    /// `host/ns`: exact matches only, as containers-auth.json(5) says),
    /// then the registry's own keys, then `credsStore`.
    ///
    /// Errors: an auth file that exists but cannot be read (`Io`) or parsed
    /// (`InvalidArgument`), a credential helper that fails or prints no
    /// credential JSON (`Io`), prints more than 1 MiB (`SizeExceeded`) or
    /// hangs (`Timeout`). Messages name the file or helper and the helper's
    /// exit status, never the file's contents or the helper's output.
    pub async fn lookup_for(
        &self,
        registry: &str,
        repository: Option<&str>,
    ) -> Result<Option<Credential>> {
        let key = registry_key(registry);
        if let Some(credential) = self.explicit.get(&key) {
            return Ok(Some(credential.clone()));
        }
        let namespaces = namespace_keys(&key, repository.unwrap_or_default());
        let cache_key = namespaces.first().cloned().unwrap_or_else(|| key.clone());
        let cell = self.cache_cell(&cache_key);
        cell.get_or_try_init(|| self.lookup_files(&key, &namespaces))
            .await
            .cloned()
    }

    /// The cache slot of a registry, created on first use.
    fn cache_cell(&self, key: &str) -> Arc<OnceCell<Option<Credential>>> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(cache.entry(key.to_string()).or_default())
    }

    /// Searches the auth files in order; the first credential found wins.
    async fn lookup_files(&self, key: &str, namespaces: &[String]) -> Result<Option<Credential>> {
        for file in &self.files {
            let Some(config) = read_config(file).await? else {
                continue;
            };
            if let Some(credential) = config
                .credential(key, namespaces, file, &self.helpers)
                .await?
            {
                return Ok(Some(credential));
            }
        }
        Ok(None)
    }
}

/// The namespaced auth-file keys of `repository` on the registry `key`,
/// longest first: `key/a/b/c`, `key/a/b`, `key/a` (none without a
/// repository).
fn namespace_keys(key: &str, repository: &str) -> Vec<String> {
    let repository = repository.trim_matches('/');
    if repository.is_empty() {
        return Vec::new();
    }
    let mut keys = Vec::new();
    let mut prefix = repository;
    loop {
        keys.push(format!("{key}/{prefix}"));
        match prefix.rsplit_once('/') {
            Some((shorter, _)) => prefix = shorter,
            None => return keys,
        }
    }
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore")
            .field(
                "explicit_registries",
                &self.explicit.keys().collect::<Vec<_>>(),
            )
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

/// The parts of the process environment the search depends on.
#[derive(Debug, Clone)]
pub(super) struct Environment {
    /// `REGISTRY_AUTH_FILE`.
    pub(super) registry_auth_file: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`.
    pub(super) xdg_runtime_dir: Option<PathBuf>,
    /// `XDG_CONFIG_HOME`.
    pub(super) xdg_config_home: Option<PathBuf>,
    /// The user id, for `/run/containers/$UID/auth.json` when
    /// `XDG_RUNTIME_DIR` is unset.
    pub(super) uid: Option<u32>,
    /// `DOCKER_CONFIG`.
    pub(super) docker_config: Option<PathBuf>,
    /// `HOME`.
    pub(super) home: Option<PathBuf>,
    /// `PATH` for credential helpers; `None` inherits the process's.
    pub(super) path: Option<OsString>,
    /// How long a credential helper may run.
    pub(super) helper_timeout: Duration,
}

impl Environment {
    /// The current process environment (empty variables count as unset).
    pub(super) fn from_process(helper_timeout: Duration) -> Environment {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Environment {
            registry_auth_file: var("REGISTRY_AUTH_FILE"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            uid: std::fs::metadata("/proc/self").ok().map(|m| m.uid()),
            docker_config: var("DOCKER_CONFIG"),
            home: var("HOME"),
            path: None,
            helper_timeout,
        }
    }

    /// The auth files to search, in order (containers-auth.json(5) with
    /// its docker fallbacks):
    /// 1. `$REGISTRY_AUTH_FILE`;
    /// 2. `$XDG_RUNTIME_DIR/containers/auth.json`, or
    ///    `/run/containers/$UID/auth.json` when `XDG_RUNTIME_DIR` is unset;
    /// 3. `$XDG_CONFIG_HOME/containers/auth.json` (default
    ///    `~/.config/containers/auth.json`);
    /// 4. `$DOCKER_CONFIG/config.json`, or `~/.docker/config.json`;
    /// 5. `~/.dockercfg` (docker's legacy format).
    fn auth_files(&self) -> Vec<PathBuf> {
        let home = |relative: &str| self.home.as_ref().map(|home| home.join(relative));
        let config_home = self
            .xdg_config_home
            .clone()
            .or_else(|| home(".config"))
            .map(|dir| dir.join("containers").join("auth.json"));
        [
            self.registry_auth_file.clone(),
            Some(self.containers_auth_file_in_runtime_dir()).flatten(),
            config_home,
            self.docker_config_file(),
            home(LEGACY_DOCKERCFG),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Where containers tools (podman, skopeo, buildah) write a login:
    /// `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`,
    /// else `/run/containers/$UID/auth.json`.
    pub(super) fn containers_auth_file(&self) -> Option<PathBuf> {
        self.registry_auth_file
            .clone()
            .or_else(|| self.containers_auth_file_in_runtime_dir())
    }

    /// `$XDG_RUNTIME_DIR/containers/auth.json`, or
    /// `/run/containers/$UID/auth.json` without `XDG_RUNTIME_DIR`.
    fn containers_auth_file_in_runtime_dir(&self) -> Option<PathBuf> {
        match (&self.xdg_runtime_dir, self.uid) {
            (Some(dir), _) => Some(dir.join("containers").join("auth.json")),
            (None, Some(uid)) => Some(PathBuf::from(format!("/run/containers/{uid}/auth.json"))),
            (None, None) => None,
        }
    }

    /// Docker's `config.json`: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`.
    pub(super) fn docker_config_file(&self) -> Option<PathBuf> {
        match (&self.docker_config, &self.home) {
            (Some(dir), _) => Some(dir.join("config.json")),
            (None, Some(home)) => Some(home.join(".docker").join("config.json")),
            (None, None) => None,
        }
    }

    /// The runner of credential helpers in this environment.
    pub(super) fn helpers(&self) -> HelperRunner {
        HelperRunner {
            path: self.path.clone(),
            timeout: self.helper_timeout,
        }
    }
}

/// The file name of docker's legacy auth file in the home directory.
pub(super) const LEGACY_DOCKERCFG: &str = ".dockercfg";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::auth::credentials::test_support::*;

    #[tokio::test]
    async fn explicit_credentials_win() {
        let dir = TempDir::new();
        let file = dir.write("auth.json", &auths_file(&[("r.example", "file", "1")]));
        let store = CredentialStore::with_environment(
            vec![("https://R.example/".into(), basic("explicit", "2"))],
            Some(file),
            empty_env(),
        );
        assert_eq!(
            store.lookup("r.example").await.unwrap(),
            Some(basic("explicit", "2"))
        );
    }

    #[tokio::test]
    async fn search_order_first_match_wins() {
        let dir = TempDir::new();
        let registry_auth = dir.write("reg/auth.json", &auths_file(&[("one.example", "reg", "1")]));
        dir.write(
            "xdg/containers/auth.json",
            &auths_file(&[("one.example", "xdg", "1"), ("two.example", "xdg", "2")]),
        );
        dir.write(
            "dockercfg/config.json",
            &auths_file(&[
                ("two.example", "docker", "2"),
                ("three.example", "docker", "3"),
            ]),
        );
        dir.write(
            "home/.docker/config.json",
            &auths_file(&[("four.example", "home", "4")]),
        );
        let env = Environment {
            registry_auth_file: Some(registry_auth),
            xdg_runtime_dir: Some(dir.0.join("xdg")),
            docker_config: Some(dir.0.join("dockercfg")),
            home: Some(dir.0.join("home")),
            ..empty_env()
        };
        let store = CredentialStore::with_environment(vec![], None, env.clone());
        assert_eq!(
            store.lookup("one.example").await.unwrap(),
            Some(basic("reg", "1"))
        );
        assert_eq!(
            store.lookup("two.example").await.unwrap(),
            Some(basic("xdg", "2"))
        );
        assert_eq!(
            store.lookup("three.example").await.unwrap(),
            Some(basic("docker", "3"))
        );
        // DOCKER_CONFIG replaces ~/.docker.
        assert_eq!(store.lookup("four.example").await.unwrap(), None);

        let home_only = Environment {
            docker_config: None,
            ..env
        };
        let store = CredentialStore::with_environment(vec![], None, home_only);
        assert_eq!(
            store.lookup("four.example").await.unwrap(),
            Some(basic("home", "4"))
        );
    }

    #[tokio::test]
    async fn config_home_and_legacy_dockercfg_come_after_the_runtime_file() {
        let dir = TempDir::new();
        dir.write(
            "xdg/containers/auth.json",
            &auths_file(&[("one.example", "runtime", "1")]),
        );
        dir.write(
            "home/.config/containers/auth.json",
            &auths_file(&[
                ("one.example", "config", "1"),
                ("two.example", "config", "2"),
            ]),
        );
        dir.write(
            "home/.dockercfg",
            &serde_json::json!({
                "three.example": { "auth": encode_auth("legacy", "3"), "email": "x@example" },
            })
            .to_string(),
        );
        let env = Environment {
            xdg_runtime_dir: Some(dir.0.join("xdg")),
            home: Some(dir.0.join("home")),
            ..empty_env()
        };
        let store = CredentialStore::with_environment(vec![], None, env.clone());
        assert_eq!(
            store.lookup("one.example").await.unwrap(),
            Some(basic("runtime", "1"))
        );
        assert_eq!(
            store.lookup("two.example").await.unwrap(),
            Some(basic("config", "2"))
        );
        assert_eq!(
            store.lookup("three.example").await.unwrap(),
            Some(basic("legacy", "3"))
        );
        // XDG_CONFIG_HOME replaces ~/.config; without XDG_RUNTIME_DIR the
        // runtime file is /run/containers/$UID/auth.json.
        let elsewhere = Environment {
            xdg_config_home: Some(dir.0.join("nope")),
            xdg_runtime_dir: None,
            uid: Some(4_000_000),
            ..env
        };
        assert_eq!(
            elsewhere.auth_files()[..2],
            [
                PathBuf::from("/run/containers/4000000/auth.json"),
                dir.0.join("nope/containers/auth.json")
            ]
        );
        let store = CredentialStore::with_environment(vec![], None, elsewhere);
        assert_eq!(store.lookup("two.example").await.unwrap(), None);
    }

    #[tokio::test]
    async fn missing_files_are_skipped() {
        let dir = TempDir::new();
        let env = Environment {
            registry_auth_file: Some(dir.0.join("nope.json")),
            xdg_runtime_dir: Some(dir.0.join("nope")),
            docker_config: Some(dir.0.join("nope")),
            home: Some(dir.0.join("nope")),
            ..empty_env()
        };
        let store = CredentialStore::with_environment(vec![], None, env);
        assert_eq!(store.lookup("r.example").await.unwrap(), None);
        let store =
            CredentialStore::with_environment(vec![], Some(dir.0.join("nope.json")), empty_env());
        assert_eq!(store.lookup("r.example").await.unwrap(), None);
    }

    #[tokio::test]
    async fn explicit_auth_file_replaces_the_search() {
        let dir = TempDir::new();
        let env_file = dir.write("env.json", &auths_file(&[("r.example", "env", "1")]));
        let chosen = dir.write("chosen.json", &auths_file(&[("s.example", "chosen", "2")]));
        let env = Environment {
            registry_auth_file: Some(env_file),
            ..empty_env()
        };
        let store = CredentialStore::with_environment(vec![], Some(chosen), env);
        assert_eq!(store.lookup("r.example").await.unwrap(), None);
        assert_eq!(
            store.lookup("s.example").await.unwrap(),
            Some(basic("chosen", "2"))
        );
    }

    #[test]
    fn namespace_keys_longest_first() {
        assert_eq!(
            namespace_keys("r.example:5000", "team/sub/app"),
            [
                "r.example:5000/team/sub/app",
                "r.example:5000/team/sub",
                "r.example:5000/team"
            ]
        );
        assert_eq!(
            namespace_keys("docker.io", "library/x"),
            ["docker.io/library/x", "docker.io/library"]
        );
        assert!(namespace_keys("r.example", "").is_empty());
    }

    #[tokio::test]
    async fn namespaced_keys_longest_prefix_wins_then_the_host() {
        let dir = TempDir::new();
        let file = dir.write(
            "auth.json",
            &auths_file(&[
                ("r.example/team", "team", "1"),
                ("r.example/team/app", "app", "2"),
                ("r.example", "host", "3"),
                ("r.example/tea", "prefix-of-a-name", "4"),
            ]),
        );
        let store = CredentialStore::with_environment(vec![], Some(file), empty_env());
        let get = |repo: &'static str| store.lookup_for("r.example", Some(repo));
        assert_eq!(get("team/app").await.unwrap(), Some(basic("app", "2")));
        assert_eq!(get("team/app/sub").await.unwrap(), Some(basic("app", "2")));
        assert_eq!(get("team/other").await.unwrap(), Some(basic("team", "1")));
        assert_eq!(get("team").await.unwrap(), Some(basic("team", "1")));
        // Path components, not string prefixes.
        assert_eq!(get("teamwork/x").await.unwrap(), Some(basic("host", "3")));
        assert_eq!(
            get("tea/x").await.unwrap(),
            Some(basic("prefix-of-a-name", "4"))
        );
        assert_eq!(
            store.lookup("r.example").await.unwrap(),
            Some(basic("host", "3"))
        );
    }

    #[tokio::test]
    async fn an_earlier_file_with_the_host_wins_over_a_later_namespace() {
        let dir = TempDir::new();
        let first = dir.write("reg/auth.json", &auths_file(&[("r.example", "first", "1")]));
        dir.write(
            "xdg/containers/auth.json",
            &auths_file(&[
                ("r.example/team", "second", "2"),
                ("s.example/ns", "ns", "3"),
            ]),
        );
        let env = Environment {
            registry_auth_file: Some(first),
            xdg_runtime_dir: Some(dir.0.join("xdg")),
            ..empty_env()
        };
        let store = CredentialStore::with_environment(vec![], None, env);
        assert_eq!(
            store
                .lookup_for("r.example", Some("team/app"))
                .await
                .unwrap(),
            Some(basic("first", "1"))
        );
        assert_eq!(
            store.lookup_for("s.example", Some("ns/app")).await.unwrap(),
            Some(basic("ns", "3"))
        );
        assert_eq!(
            store
                .lookup_for("s.example", Some("other/app"))
                .await
                .unwrap(),
            None
        );
    }

    #[cfg(unix)]
    mod helpers {
        use super::*;

        #[tokio::test]
        async fn creds_store_and_caching() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            install(&dir, "test", HELPER);
            let store = helper_store(
                &dir,
                serde_json::json!({ "credsStore": "test", "auths": { "https://index.docker.io/v1/": {} } }),
                ANSWERS_WITHIN,
            );
            assert_eq!(
                store.lookup("docker.io").await.unwrap(),
                Some(basic("hubuser", "hubpass"))
            );
            assert_eq!(
                store.lookup("index.docker.io").await.unwrap(),
                Some(basic("hubuser", "hubpass"))
            );
            assert_eq!(
                store.lookup("tok.example").await.unwrap(),
                Some(Credential::IdentityToken {
                    token: "refresh-me".into()
                })
            );
            assert_eq!(store.lookup("none.example").await.unwrap(), None);
            assert_eq!(store.lookup("none.example").await.unwrap(), None);
            assert_eq!(store.lookup("empty.example").await.unwrap(), None);
            assert_eq!(
                calls(&dir),
                [
                    "https://index.docker.io/v1/",
                    "tok.example",
                    "none.example",
                    "empty.example"
                ]
            );
        }

        #[tokio::test]
        async fn concurrent_lookups_run_the_helper_once() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            let store = store_with_helper(&dir, "test", HELPER, ANSWERS_WITHIN);
            let lookups = (0..8).map(|_| store.lookup("docker.io"));
            for result in futures_util::future::join_all(lookups).await {
                assert_eq!(result.unwrap(), Some(basic("hubuser", "hubpass")));
            }
            assert_eq!(calls(&dir).len(), 1);
        }
    }
}
