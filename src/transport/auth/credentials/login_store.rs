//! Keeping a login: storing a credential where the matching tool looks
//! first, and erasing it again (`login` and `logout`).
//!
//! The file is the destination's: containers' `auth.json` by default,
//! docker's `config.json` on request, or a file the caller names. Within
//! it, as docker does, a `credHelpers` entry for the registry or else a
//! `credsStore` sends the credential to `docker-credential-NAME store`;
//! otherwise it is written to `auths` as `{"auth": base64(user:password)}`
//! under the registry's key (`docker.io` in `auth.json`,
//! `https://index.docker.io/v1/` in docker's file for Docker Hub).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::config_file::{ConfigFile, host_key, read_config, registry_key};
use super::file_update::update_auth_file;
use super::store::Environment;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::helper_server_url;

/// Where `login` keeps a credential and `logout` erases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginDestination {
    /// containers' `auth.json`, as podman and skopeo write it:
    /// `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`,
    /// else `/run/containers/$UID/auth.json`.
    Containers,
    /// docker's `config.json`: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`.
    Docker,
    /// This auth file (either format).
    AuthFile(PathBuf),
}

/// Where a credential was stored or erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginLocation {
    /// An `auths` entry of this file.
    File(PathBuf),
    /// The credential helper `docker-credential-NAME`, configured in the
    /// file.
    Helper {
        /// The helper's program name, `docker-credential-NAME`.
        program: String,
        /// The file that configures it.
        file: PathBuf,
    },
}

impl fmt::Display for LoginLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginLocation::File(file) => write!(f, "{}", file.display()),
            LoginLocation::Helper { program, file } => {
                write!(f, "{program} (configured in {})", file.display())
            }
        }
    }
}

/// The file of `destination` in `env`.
fn destination_file(destination: &LoginDestination, env: &Environment) -> Result<PathBuf> {
    let file = match destination {
        LoginDestination::Containers => env.containers_auth_file(),
        LoginDestination::Docker => env.docker_config_file(),
        LoginDestination::AuthFile(file) => Some(file.clone()),
    };
    file.ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            "no auth file to use: none of REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, DOCKER_CONFIG \
             or HOME tells where it is",
        )
    })
}

/// The `auths` key for registry `key` in `file`: docker's Docker Hub URL in
/// a docker-format file (`config.json`, `.dockercfg`), the key otherwise.
fn auths_key(key: &str, destination: &LoginDestination) -> String {
    match destination {
        LoginDestination::Docker => helper_server_url(key).to_string(),
        _ => key.to_string(),
    }
}

/// The helper that holds `key`'s credential according to `config`.
fn configured_helper(config: Option<&ConfigFile>, key: &str) -> Option<String> {
    let config = config?;
    config
        .helper_for(key)
        .or(config.creds_store())
        .map(str::to_string)
}

/// Stores `username`/`password` for `registry` (a `host[:port]`, or
/// `docker.io`) in `destination`; see the module docs.
pub async fn store_login(
    registry: &str,
    username: &str,
    password: &str,
    destination: &LoginDestination,
    helper_timeout: Duration,
) -> Result<LoginLocation> {
    let env = Environment::from_process(helper_timeout);
    store_login_in(registry, username, password, destination, &env).await
}

/// [`store_login`] in a given environment.
pub(super) async fn store_login_in(
    registry: &str,
    username: &str,
    password: &str,
    destination: &LoginDestination,
    env: &Environment,
) -> Result<LoginLocation> {
    let key = checked_key(registry)?;
    if username.contains(':') {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "a user name may not contain ':' (the auth file joins user:password)",
        ));
    }
    let file = destination_file(destination, env)?;
    let config = read_config(&file).await?;
    if let Some(helper) = configured_helper(config.as_ref(), &key) {
        env.helpers()
            .store(&helper, &key, username, password, &file)
            .await?;
        return Ok(LoginLocation::Helper {
            program: format!("docker-credential-{helper}"),
            file,
        });
    }
    let entry_key = auths_key(&key, destination);
    let auth = Zeroizing::new(general_purpose::STANDARD.encode(format!("{username}:{password}")));
    let path = file.clone();
    update_auth_file(file.clone(), move |contents| {
        let auths = auths_object(contents, "auths", &path)?;
        // Other spellings of the same registry would shadow or outlive
        // the new entry: one entry per registry.
        auths.retain(|k, _| k == &entry_key || host_key(k).as_deref() != Some(key.as_str()));
        auths.insert(entry_key, serde_json::json!({ "auth": auth.as_str() }));
        Ok(true)
    })
    .await?;
    Ok(LoginLocation::File(file))
}

/// Erases the credential of `registry` from `destination` (its `auths`
/// entries under any spelling of the registry, and the configured helper's
/// entry); `NOT_FOUND` when there was none, as `skopeo logout` reports.
/// With `all`, erases every `auths` entry of the file and everything its
/// `credsStore` lists (`registry` is then ignored).
pub async fn erase_login(
    registry: &str,
    destination: &LoginDestination,
    all: bool,
    helper_timeout: Duration,
) -> Result<LoginLocation> {
    let env = Environment::from_process(helper_timeout);
    erase_login_in(registry, destination, all, &env).await
}

/// [`erase_login`] in a given environment.
pub(super) async fn erase_login_in(
    registry: &str,
    destination: &LoginDestination,
    all: bool,
    env: &Environment,
) -> Result<LoginLocation> {
    let file = destination_file(destination, env)?;
    let config = read_config(&file).await?;
    let helpers = env.helpers();
    if all {
        if let Some(store) = config.as_ref().and_then(ConfigFile::creds_store) {
            for server in helpers.list(store, &file).await? {
                helpers.erase(store, &server, &file).await?;
            }
        }
        if config.is_some() {
            let path = file.clone();
            update_auth_file(file.clone(), move |contents| {
                let auths = auths_object(contents, "auths", &path)?;
                let changed = !auths.is_empty();
                auths.clear();
                Ok(changed)
            })
            .await?;
        }
        return Ok(LoginLocation::File(file));
    }
    let key = checked_key(registry)?;
    let mut location = None;
    if let Some(helper) = configured_helper(config.as_ref(), &key)
        && helpers.erase(&helper, &key, &file).await?
    {
        location = Some(LoginLocation::Helper {
            program: format!("docker-credential-{helper}"),
            file: file.clone(),
        });
    }
    if config.is_some() {
        let (erase_key, path) = (key.clone(), file.clone());
        let removed = update_auth_file(file.clone(), move |contents| {
            let auths = auths_object(contents, "auths", &path)?;
            let before = auths.len();
            auths.retain(|k, _| host_key(k).as_deref() != Some(erase_key.as_str()));
            Ok(auths.len() != before)
        })
        .await?;
        if removed {
            location = Some(LoginLocation::File(file.clone()));
        }
    }
    location.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("not logged in to {key} in {}", file.display()),
        )
    })
}

/// The registry key of a `login`/`logout` argument; repository paths
/// (`host/namespace`) are refused.
fn checked_key(registry: &str) -> Result<String> {
    match host_key(registry) {
        Some(_) => Ok(registry_key(registry)),
        None => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{registry:?} is not a registry host[:port]"),
        )),
    }
}

/// The object at `name` in the file, created when absent; an error when
/// it is something else (the file is then left unchanged).
fn auths_object<'a>(
    contents: &'a mut Map<String, Value>,
    name: &str,
    file: &Path,
) -> Result<&'a mut Map<String, Value>> {
    match contents
        .entry(name)
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(map) => Ok(map),
        _ => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "auth file {}: {name:?} is not a JSON object; it was left unchanged",
                file.display()
            ),
        )),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::credential::Credential;
    use crate::transport::auth::credentials::store::CredentialStore;
    use crate::transport::auth::credentials::test_support::*;

    /// A credential helper of the tests' own: store, get, erase and list
    /// over a JSON file next to it; `hang.example` writes its pid to
    /// `hang.pid` and hangs, `garbage.example` prints garbage.
    const FILE_HELPER: &str = r#"#!/usr/bin/python3
import json, os, sys, time
db_path = os.path.join(os.path.dirname(__file__), "helper-db.json")
db = json.load(open(db_path)) if os.path.exists(db_path) else {}
action = sys.argv[1]
data = sys.stdin.read()
def save():
    json.dump(db, open(db_path, "w"))
if action == "store":
    entry = json.loads(data)
    if entry["ServerURL"] == "hang.example":
        open(os.path.join(os.path.dirname(__file__), "hang.pid"), "w").write(str(os.getpid()))
        time.sleep(1000)
    if entry["ServerURL"] == "garbage.example":
        print("SECRET-GARBAGE " + entry["Secret"]); sys.exit(5)
    db[entry["ServerURL"]] = {"Username": entry["Username"], "Secret": entry["Secret"]}
    save()
elif action == "get":
    url = data.strip()
    if url not in db:
        print("credentials not found in native keychain"); sys.exit(1)
    print(json.dumps({"ServerURL": url, **db[url]}))
elif action == "erase":
    url = data.strip()
    if url not in db:
        print("credentials not found in native keychain"); sys.exit(1)
    del db[url]; save()
elif action == "list":
    if "garbage.example" in db:
        print("not json"); sys.exit(0)
    print(json.dumps({url: e["Username"] for url, e in db.items()}))
"#;

    fn env_in(dir: &TempDir) -> Environment {
        let system = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::iter::once(dir.0.join("bin")).chain(std::env::split_paths(&system));
        Environment {
            xdg_runtime_dir: Some(dir.0.join("xdg")),
            docker_config: Some(dir.0.join("docker")),
            path: Some(std::env::join_paths(dirs).unwrap()),
            helper_timeout: ANSWERS_WITHIN,
            ..empty_env()
        }
    }

    async fn lookup(file: &Path, env: &Environment, registry: &str) -> Option<Credential> {
        CredentialStore::with_environment(vec![], Some(file.to_path_buf()), env.clone())
            .lookup(registry)
            .await
            .unwrap()
    }

    fn read_json(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn login_writes_where_each_tool_looks_and_logout_erases() {
        let dir = TempDir::new();
        let env = env_in(&dir);
        let containers = dir.0.join("xdg/containers/auth.json");
        let docker = dir.0.join("docker/config.json");
        std::fs::create_dir_all(containers.parent().unwrap()).unwrap();
        std::fs::write(
            &containers,
            r#"{"auths":{"other.example":{"auth":"b3RoZXI6cHc="},"https://r.example/":{"auth":"b2xkOm9sZA=="}},"x-custom":{"keep":[1,2]}}"#,
        )
        .unwrap();
        let at = store_login_in("R.example", "u", "p:w", &LoginDestination::Containers, &env)
            .await
            .unwrap();
        assert_eq!(at, LoginLocation::File(containers.clone()));
        let written = read_json(&containers);
        assert_eq!(written["x-custom"], serde_json::json!({"keep": [1, 2]}));
        assert_eq!(written["auths"]["other.example"]["auth"], "b3RoZXI6cHc=");
        assert_eq!(written["auths"]["r.example"]["auth"], "dTpwOnc=");
        assert!(written["auths"].get("https://r.example/").is_none());
        assert_eq!(
            lookup(&containers, &env, "r.example").await,
            Some(basic("u", "p:w"))
        );

        store_login_in("docker.io", "hub", "pw", &LoginDestination::Docker, &env)
            .await
            .unwrap();
        store_login_in(
            "docker.io",
            "hub",
            "pw",
            &LoginDestination::Containers,
            &env,
        )
        .await
        .unwrap();
        assert!(read_json(&docker)["auths"]["https://index.docker.io/v1/"].is_object());
        assert!(read_json(&containers)["auths"]["docker.io"].is_object());

        erase_login_in("r.example", &LoginDestination::Containers, false, &env)
            .await
            .unwrap();
        assert_eq!(lookup(&containers, &env, "r.example").await, None);
        let err = erase_login_in("r.example", &LoginDestination::Containers, false, &env)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(
            err.message().contains("not logged in to r.example"),
            "{err}"
        );

        erase_login_in("", &LoginDestination::Containers, true, &env)
            .await
            .unwrap();
        let written = read_json(&containers);
        assert_eq!(written["auths"], serde_json::json!({}));
        assert_eq!(written["x-custom"], serde_json::json!({"keep": [1, 2]}));
        // The docker file was not touched by the containers logout.
        assert!(read_json(&docker)["auths"]["https://index.docker.io/v1/"].is_object());
    }

    #[tokio::test]
    async fn bad_arguments_and_files_lose_nothing() {
        let dir = TempDir::new();
        let env = env_in(&dir);
        let file = dir.write("auth.json", "{ not json SECRETVALUE");
        let to_file = LoginDestination::AuthFile(file.clone());
        let err = store_login_in("r.example", "u", "NEWSECRET", &to_file, &env)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains(&file.display().to_string()), "{err}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "{ not json SECRETVALUE"
        );
        std::fs::write(&file, r#"{"auths": ["SECRETVALUE"]}"#).unwrap();
        let err = store_login_in("r.example", "u", "NEWSECRET", &to_file, &env)
            .await
            .unwrap_err();
        assert!(err.message().contains(&file.display().to_string()), "{err}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            r#"{"auths": ["SECRETVALUE"]}"#
        );
        assert!(!err.to_string().contains("SECRET"), "{err}");
        for registry in ["r.example/team", ""] {
            let err = store_login_in(registry, "u", "p", &to_file, &env)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{registry}");
        }
        let err = store_login_in("r.example", "a:b", "p", &to_file, &env)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[tokio::test]
    async fn credential_helpers_store_get_erase_and_list() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        install(&dir, "filestore", FILE_HELPER);
        let env = env_in(&dir);
        let file = dir.write(
            "auth.json",
            r#"{"credsStore":"filestore","credHelpers":{"special.example":"filestore"}}"#,
        );
        let to_file = LoginDestination::AuthFile(file.clone());
        let at = store_login_in("r.example", "u", "p", &to_file, &env)
            .await
            .unwrap();
        assert_eq!(
            at,
            LoginLocation::Helper {
                program: "docker-credential-filestore".into(),
                file: file.clone()
            }
        );
        store_login_in("docker.io", "hub", "hp", &to_file, &env)
            .await
            .unwrap();
        store_login_in("special.example", "s", "sp", &to_file, &env)
            .await
            .unwrap();
        let db = read_json(&dir.0.join("bin/helper-db.json"));
        assert_eq!(db["r.example"]["Secret"], "p");
        assert_eq!(db["https://index.docker.io/v1/"]["Username"], "hub");
        // Nothing went into the file.
        assert!(read_json(&file).get("auths").is_none());
        assert_eq!(
            lookup(&file, &env, "r.example").await,
            Some(basic("u", "p"))
        );
        assert_eq!(
            lookup(&file, &env, "docker.io").await,
            Some(basic("hub", "hp"))
        );

        erase_login_in("r.example", &to_file, false, &env)
            .await
            .unwrap();
        assert_eq!(lookup(&file, &env, "r.example").await, None);
        let err = erase_login_in("r.example", &to_file, false, &env)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);

        erase_login_in("", &to_file, true, &env).await.unwrap();
        assert_eq!(
            read_json(&dir.0.join("bin/helper-db.json")),
            serde_json::json!({})
        );
    }

    #[tokio::test]
    async fn hanging_and_garbage_helpers_are_clear_errors_without_the_secret() {
        let _guard = SCRIPTS.lock().await;
        let dir = TempDir::new();
        install(&dir, "filestore", FILE_HELPER);
        let env = env_in(&dir);
        let file = dir.write("auth.json", r#"{"credsStore":"filestore"}"#);
        let to_file = LoginDestination::AuthFile(file.clone());
        let (at, to) = (&dir, &to_file);
        let err = assert_killed_at_timeout(at, |timeout| async move {
            let env = Environment {
                helper_timeout: timeout,
                ..env_in(at)
            };
            store_login_in("hang.example", "u", "HANGSECRET", to, &env).await
        })
        .await;
        assert!(
            err.message().contains("docker-credential-filestore"),
            "{err}"
        );
        assert!(!err.to_string().contains("HANGSECRET"), "{err}");

        let err = store_login_in("garbage.example", "u", "GARBAGESECRET", &to_file, &env)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        assert!(
            err.message().contains("docker-credential-filestore"),
            "{err}"
        );
        assert!(err.message().contains("exit status: 5"), "{err}");
        assert!(!err.to_string().contains("GARBAGESECRET"), "{err}");

        std::fs::write(
            dir.0.join("bin/helper-db.json"),
            r#"{"garbage.example":{"Username":"u","Secret":"x"}}"#,
        )
        .unwrap();
        let err = erase_login_in("", &to_file, true, &env).await.unwrap_err();
        assert!(err.message().contains("malformed output for list"), "{err}");
    }
}
