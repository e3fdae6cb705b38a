//! Fixtures shared by the credentials tests: temporary directories, auth
//! files and stores, and (on Unix) a scripted credential helper.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose;

use super::store::{CredentialStore, Environment};
use crate::credential::Credential;
use crate::error::Result;

/// Base64 of `user:password` as docker writes it.
pub(crate) fn encode_auth(username: &str, password: &str) -> String {
    general_purpose::STANDARD.encode(format!("{username}:{password}"))
}

/// A directory removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    /// A new, empty directory.
    pub(crate) fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("ocireg-cred-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Writes `contents` to `relative`, creating directories.
    pub(crate) fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An environment with no variables set and no `PATH` for helpers.
pub(crate) fn empty_env() -> Environment {
    Environment {
        registry_auth_file: None,
        xdg_runtime_dir: None,
        xdg_config_home: None,
        uid: None,
        docker_config: None,
        home: None,
        path: Some(OsString::new()),
        helper_timeout: Duration::from_secs(10),
    }
}

/// A user name and password credential.
pub(crate) fn basic(username: &str, password: &str) -> Credential {
    Credential::Basic {
        username: username.into(),
        password: password.into(),
    }
}

/// An auth file with `auth` entries of (key, user name, password).
pub(crate) fn auths_file(entries: &[(&str, &str, &str)]) -> String {
    let auths: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|(key, user, pass)| {
            (
                key.to_string(),
                serde_json::json!({ "auth": encode_auth(user, pass) }),
            )
        })
        .collect();
    serde_json::json!({ "auths": auths }).to_string()
}

/// A store searching only an auth file holding `contents`.
pub(crate) fn store_with_file(contents: &str) -> (TempDir, CredentialStore) {
    let dir = TempDir::new();
    let file = dir.write("auth.json", contents);
    let store = CredentialStore::with_environment(vec![], Some(file), empty_env());
    (dir, store)
}

/// The credential for `registry` in an auth file holding `contents`.
pub(crate) async fn lookup_in(contents: &str, registry: &str) -> Result<Option<Credential>> {
    let (_dir, store) = store_with_file(contents);
    store.lookup(registry).await
}

#[cfg(unix)]
mod helpers {
    use super::*;
    use crate::error::{Error, ErrorKind};
    use std::os::unix::fs::PermissionsExt as _;

    /// Serializes the tests that write and run scripts, so that no test
    /// forks while another still has a script open for writing (ETXTBSY).
    pub(crate) static SCRIPTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// A fake helper: logs each request to `calls.log` next to it and
    /// answers per server URL.
    pub(crate) const HELPER: &str = r#"#!/bin/sh
[ "$1" = "get" ] || { echo "bad args: $*"; exit 2; }
read -r url
echo "$url" >> "$(dirname "$0")/calls.log"
case "$url" in
  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hubuser","Secret":"hubpass"}' ;;
  tok.example) echo '{"ServerURL":"tok.example","Username":"<token>","Secret":"refresh-me"}' ;;
  empty.example) echo '{"ServerURL":"empty.example","Username":"","Secret":""}' ;;
  garbage.example) echo 'not json SECRETISH' ;;
  broken.example) echo 'keychain locked' >&2; exit 3 ;;
  secret.example) echo '{"Username":"u","Secret":"SECRET-ON-STDOUT"}'; echo 'SECRET-ON-STDERR' >&2; exit 1 ;;
  silent.example) exit 0 ;;
  huge.example) yes '{"Username":"u","Secret":"SECRET-IN-HUGE-OUTPUT"}' | head -c 4000000 ;;
  slow.example) sleep 5; echo '{}' ;;
  hang.example) echo $$ > "$(dirname "$0")/hang.pid"; exec sleep 100 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"#;

    /// The helper timeout of tests whose helpers answer: long, so that a
    /// loaded machine (slow to start a shell or Python) never reaches it;
    /// only a runaway helper would.
    pub(crate) const ANSWERS_WITHIN: Duration = Duration::from_secs(300);

    /// The pid a hanging fake helper of `dir` wrote (`hang.pid` in `bin`)
    /// before it hung, once it wrote all of it.
    pub(crate) fn hang_pid(dir: &TempDir) -> Option<u32> {
        std::fs::read_to_string(dir.0.join("bin/hang.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Asserts that process `pid` is gone: killed and reaped, not even a
    /// zombie.
    pub(crate) fn assert_gone(pid: u32) {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        assert!(!proc_dir.exists(), "helper {pid} still exists");
    }

    /// Runs `call` (it runs a helper of `dir` that writes its pid, then
    /// hangs) with a helper timeout of 250 ms, doubled until the helper got
    /// to write its pid before the kill: on a loaded machine it may not
    /// even start within the first timeouts. Asserts that every run failed
    /// with `Timeout`, and that the helper is gone; returns the last error.
    pub(crate) async fn assert_killed_at_timeout<T, F, Fut>(dir: &TempDir, mut call: F) -> Error
    where
        T: std::fmt::Debug,
        F: FnMut(Duration) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut timeout = Duration::from_millis(250);
        loop {
            let _ = std::fs::remove_file(dir.0.join("bin/hang.pid"));
            let err = call(timeout)
                .await
                .expect_err("the hanging helper answered");
            assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
            if let Some(pid) = hang_pid(dir) {
                assert_gone(pid);
                return err;
            }
            assert!(timeout < ANSWERS_WITHIN, "the helper never started");
            timeout *= 2;
        }
    }

    /// Installs `script` as helper `name` in the directory's `bin`.
    pub(crate) fn install(dir: &TempDir, name: &str, script: &str) {
        let path = dir.write(&format!("bin/docker-credential-{name}"), script);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// The server URLs the fake helper was asked about, in order.
    pub(crate) fn calls(dir: &TempDir) -> Vec<String> {
        std::fs::read_to_string(dir.0.join("bin/calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// A store whose `credsStore` is helper `name`, running `script`.
    pub(crate) fn store_with_helper(
        dir: &TempDir,
        name: &str,
        script: &str,
        timeout: Duration,
    ) -> CredentialStore {
        install(dir, name, script);
        helper_store(dir, serde_json::json!({ "credsStore": name }), timeout)
    }

    /// A store reading `config`, with the directory's `bin` first in `PATH`.
    pub(crate) fn helper_store(
        dir: &TempDir,
        config: serde_json::Value,
        timeout: Duration,
    ) -> CredentialStore {
        let file = dir.write("config.json", &config.to_string());
        // The helper's directory first, then the system's for sh utilities.
        let system = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::iter::once(dir.0.join("bin")).chain(std::env::split_paths(&system));
        let env = Environment {
            path: Some(std::env::join_paths(dirs).unwrap()),
            helper_timeout: timeout,
            ..empty_env()
        };
        CredentialStore::with_environment(vec![], Some(file), env)
    }
}
#[cfg(unix)]
pub(crate) use helpers::*;
