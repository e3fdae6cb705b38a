//! Where credentials come from: explicit ones, docker's `config.json`
//! (including credential helpers) and containers' `auth.json`.
//!
//! Both files share one format:
//!
//! ```json
//! {
//!   "auths": { "registry.example:5000": { "auth": "base64(user:password)" },
//!              "https://index.docker.io/v1/": { "identitytoken": "..." } },
//!   "credHelpers": { "gcr.io": "gcloud" },
//!   "credsStore": "desktop"
//! }
//! ```
//!
//! Within one file, a registry's credential comes from, in order: its
//! `credHelpers` program (authoritative for that file), its `auths` entry,
//! then the `credsStore` program. Keys of `auths` and `credHelpers` may be
//! `host`, `host:port` or a URL (`https://host/`, `http://host/v1/`); Docker
//! Hub may be keyed `https://index.docker.io/v1/`, `index.docker.io`,
//! `registry-1.docker.io` or `docker.io`. containers' `auth.json` also allows
//! keys with a repository path (`host/namespace`); lookups here are per host,
//! so such keys are ignored and only the plain host key is used.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::OnceCell;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, ErrorKind, Result};
use crate::ffi::signals::without_sigpipe;

/// The canonical registry name of Docker Hub.
const DOCKER_HUB: &str = "docker.io";
/// The server URL docker uses for Docker Hub in credential helpers.
const DOCKER_HUB_SERVER_URL: &str = "https://index.docker.io/v1/";
/// The most a credential helper may print on stdout.
const MAX_HELPER_OUTPUT: usize = 1 << 20;
/// The user name with which a credential helper marks an identity token.
const HELPER_TOKEN_USERNAME: &str = "<token>";

/// Standard base64 that accepts input with or without padding.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A credential for one registry. Its secrets are wiped from memory when it
/// is dropped, and `Debug` never prints them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    /// A user name and password (or personal access token).
    Basic {
        /// The user name.
        username: String,
        /// The password; never printed.
        password: String,
    },
    /// An OAuth2 refresh token (docker's `identitytoken`).
    IdentityToken {
        /// The refresh token; never printed.
        token: String,
    },
}

impl Zeroize for Credential {
    fn zeroize(&mut self) {
        match self {
            Credential::Basic { username, password } => {
                username.zeroize();
                password.zeroize();
            }
            Credential::IdentityToken { token } => token.zeroize(),
        }
    }
}

impl Drop for Credential {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Credential {}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &format_args!("<redacted>"))
                .finish(),
            Credential::IdentityToken { .. } => f
                .debug_struct("IdentityToken")
                .field("token", &format_args!("<redacted>"))
                .finish(),
        }
    }
}

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
    /// search (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
    /// `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`).
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
    fn with_environment(
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
            helpers: HelperRunner {
                path: env.path,
                timeout: env.helper_timeout,
            },
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The credential for `registry` (a `host[:port]` as in references, with
    /// `docker.io` for Docker Hub), or `None` for anonymous access.
    ///
    /// Errors: an auth file that exists but cannot be read (`Io`) or parsed
    /// (`InvalidArgument`), a credential helper that fails or prints no
    /// credential JSON (`Io`), prints more than 1 MiB (`SizeExceeded`) or
    /// hangs (`Timeout`). Messages name the file or helper and the helper's
    /// exit status, never the file's contents or the helper's output.
    pub async fn lookup(&self, registry: &str) -> Result<Option<Credential>> {
        let key = registry_key(registry);
        if let Some(credential) = self.explicit.get(&key) {
            return Ok(Some(credential.clone()));
        }
        let cell = self.cache_cell(&key);
        cell.get_or_try_init(|| self.lookup_files(&key))
            .await
            .cloned()
    }

    /// The cache slot of a registry, created on first use.
    fn cache_cell(&self, key: &str) -> Arc<OnceCell<Option<Credential>>> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(cache.entry(key.to_string()).or_default())
    }

    /// Searches the auth files in order; the first credential found wins.
    async fn lookup_files(&self, key: &str) -> Result<Option<Credential>> {
        for file in &self.files {
            let Some(config) = read_config(file).await? else {
                continue;
            };
            if let Some(credential) = self.lookup_in_config(&config, file, key).await? {
                return Ok(Some(credential));
            }
        }
        Ok(None)
    }

    /// The credential one file gives for `key`: its helper, its `auths`
    /// entry, or its default credential store.
    async fn lookup_in_config(
        &self,
        config: &ConfigFile,
        file: &Path,
        key: &str,
    ) -> Result<Option<Credential>> {
        if let Some(helper) = config.helper_for(key) {
            return self.helpers.get(helper, key, file).await;
        }
        if let Some(credential) = config.auths_credential(key, file)? {
            return Ok(Some(credential));
        }
        match config
            .creds_store
            .as_deref()
            .filter(|name| !name.is_empty())
        {
            Some(helper) => self.helpers.get(helper, key, file).await,
            None => Ok(None),
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
struct Environment {
    registry_auth_file: Option<PathBuf>,
    xdg_runtime_dir: Option<PathBuf>,
    docker_config: Option<PathBuf>,
    home: Option<PathBuf>,
    /// `PATH` for credential helpers; `None` inherits the process's.
    path: Option<OsString>,
    helper_timeout: Duration,
}

impl Environment {
    /// The current process environment (empty variables count as unset).
    fn from_process(helper_timeout: Duration) -> Environment {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Environment {
            registry_auth_file: var("REGISTRY_AUTH_FILE"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
            docker_config: var("DOCKER_CONFIG"),
            home: var("HOME"),
            path: None,
            helper_timeout,
        }
    }

    /// The auth files to search, in order.
    fn auth_files(&self) -> Vec<PathBuf> {
        let docker = match (&self.docker_config, &self.home) {
            (Some(dir), _) => Some(dir.join("config.json")),
            (None, Some(home)) => Some(home.join(".docker").join("config.json")),
            (None, None) => None,
        };
        [
            self.registry_auth_file.clone(),
            self.xdg_runtime_dir
                .as_ref()
                .map(|dir| dir.join("containers").join("auth.json")),
            docker,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The registry part of an auth key or a registry name: its lower-cased
/// `host[:port]` with Docker Hub's aliases folded into `docker.io`, and
/// whether the key also names a repository path (`host/namespace`).
fn parse_key(key: &str) -> (String, bool) {
    let key = key.trim();
    let (had_scheme, rest) = match key.split_once("://") {
        Some((_, rest)) => (true, rest),
        None => (false, key),
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let host = match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        _ => host,
    };
    let names_repository = !had_scheme && !path.trim_matches('/').is_empty();
    (host, names_repository)
}

/// The cache and lookup key of a registry name.
fn registry_key(registry: &str) -> String {
    parse_key(registry).0
}

/// The registry an auth-file key stands for; `None` for repository keys.
fn host_key(key: &str) -> Option<String> {
    let (host, names_repository) = parse_key(key);
    (!names_repository && !host.is_empty()).then_some(host)
}

/// A docker `config.json` or containers `auth.json`; unknown fields ignored.
/// (No `Debug`: it holds secrets.)
#[derive(Default, Deserialize)]
#[serde(default)]
struct ConfigFile {
    auths: Option<BTreeMap<String, AuthEntry>>,
    #[serde(rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
    #[serde(rename = "credsStore")]
    creds_store: Option<String>,
}

impl ConfigFile {
    /// The `credHelpers` program configured for `key`.
    fn helper_for(&self, key: &str) -> Option<&str> {
        let helpers = self.cred_helpers.as_ref()?;
        helpers
            .iter()
            .find(|(k, name)| !name.is_empty() && host_key(k).as_deref() == Some(key))
            .map(|(_, name)| name.as_str())
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
            let credential = entry.credential().map_err(|reason| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "auth file {}: the entry for {entry_key:?} {reason}",
                        file.display()
                    ),
                )
            })?;
            if credential.is_some() {
                return Ok(credential);
            }
        }
        Ok(None)
    }
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

/// Reads and parses an auth file; `None` when it does not exist.
async fn read_config(file: &Path) -> Result<Option<ConfigFile>> {
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
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
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

/// Runs docker credential helpers (`docker-credential-<name> get`).
#[derive(Debug)]
struct HelperRunner {
    /// `PATH` for the helper; `None` inherits the process's.
    path: Option<OsString>,
    timeout: Duration,
}

/// What a credential helper prints on success.
#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// How a helper run ended: its exit status and what it printed on stdout
/// (at most [`MAX_HELPER_OUTPUT`] bytes; wiped when dropped).
struct HelperRun {
    status: ExitStatus,
    stdout: Zeroizing<Vec<u8>>,
}

impl HelperRunner {
    /// Asks helper `name` (configured in `file`) for the credential of `key`.
    async fn get(&self, name: &str, key: &str, file: &Path) -> Result<Option<Credential>> {
        if !is_valid_helper_name(name) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "auth file {} names an invalid credential helper",
                    file.display()
                ),
            ));
        }
        let program = format!("docker-credential-{name}");
        let run = self.run(&program, helper_server_url(key)).await?;
        if !run.status.success() {
            return not_found_or_failure(&program, key, &run);
        }
        // serde_json's messages may quote the input, so none is kept.
        let parsed: HelperOutput = serde_json::from_slice(&run.stdout).map_err(|_| {
            let what = if run.stdout.iter().all(u8::is_ascii_whitespace) {
                "printed nothing"
            } else {
                "printed malformed output"
            };
            Error::new(
                ErrorKind::Io,
                format!("credential helper {program} {what} for {key}"),
            )
        })?;
        Ok(helper_credential(parsed))
    }

    /// Runs `program get` with `input` on stdin and reads its stdout; kills
    /// it when it runs past the timeout or prints too much. Writing to a
    /// helper that exits without reading its input never raises `SIGPIPE`
    /// in the host process. The helper's stderr is discarded: it may hold
    /// the secret.
    async fn run(&self, program: &str, input: &str) -> Result<HelperRun> {
        let mut command = tokio::process::Command::new(program);
        command
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(path) = &self.path {
            command.env("PATH", path);
        }
        let mut child = command.spawn().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot run credential helper {program}: {e}"),
            )
        })?;
        let outcome =
            tokio::time::timeout(self.timeout, talk_to_helper(&mut child, program, input)).await;
        if !matches!(outcome, Ok(Ok(_))) {
            // Ignored: the helper may have exited already.
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        outcome.unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "credential helper {program} did not answer within {} s",
                    self.timeout.as_secs_f32()
                ),
            ))
        })
    }
}

/// Writes `input` to the helper's stdin (then closes it) while reading its
/// stdout, then waits for it to exit. Refused output ends the writing too.
async fn talk_to_helper(
    child: &mut tokio::process::Child,
    program: &str,
    input: &str,
) -> Result<HelperRun> {
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let write = async move {
        if let Some(mut stdin) = stdin {
            // A helper may exit without reading; its exit status tells.
            let _ = without_sigpipe(stdin.write_all(input.as_bytes())).await;
        }
        Ok(())
    };
    let ((), stdout) = tokio::try_join!(write, read_helper_output(stdout, program))?;
    let status = child.wait().await.map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("credential helper {program} failed: {e}"),
        )
    })?;
    Ok(HelperRun { status, stdout })
}

/// Reads a helper's stdout to its end, refusing more than
/// [`MAX_HELPER_OUTPUT`] bytes.
async fn read_helper_output(
    stdout: Option<tokio::process::ChildStdout>,
    program: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut output = Zeroizing::new(Vec::with_capacity(8 * 1024));
    let Some(stdout) = stdout else {
        return Ok(output);
    };
    stdout
        .take(MAX_HELPER_OUTPUT as u64 + 1)
        .read_to_end(&mut output)
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read the output of credential helper {program}: {e}"),
            )
        })?;
    if output.len() > MAX_HELPER_OUTPUT {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "credential helper {program} printed more than {} KiB",
                MAX_HELPER_OUTPUT / 1024
            ),
        ));
    }
    Ok(output)
}

/// Helper names become part of a program name: no paths, no surprises.
fn is_valid_helper_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The server URL a helper is asked about: docker's for Docker Hub, the
/// `host[:port]` otherwise.
fn helper_server_url(key: &str) -> &str {
    if key == DOCKER_HUB {
        DOCKER_HUB_SERVER_URL
    } else {
        key
    }
}

/// A failed helper run: "credentials not found" means no credential,
/// anything else is an error naming the helper and its exit status. What
/// the helper printed is never quoted: it may be the secret.
fn not_found_or_failure(program: &str, key: &str, run: &HelperRun) -> Result<Option<Credential>> {
    let stdout = Zeroizing::new(String::from_utf8_lossy(&run.stdout).to_ascii_lowercase());
    if stdout.contains("credentials not found") {
        return Ok(None);
    }
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "credential helper {program} failed for {key} ({}); its output is not shown, as it may hold a secret",
            run.status
        ),
    ))
}

/// The credential a helper's answer describes, `None` when it is empty.
fn helper_credential(output: HelperOutput) -> Option<Credential> {
    if output.secret.is_empty() {
        return None;
    }
    if output.username == HELPER_TOKEN_USERNAME {
        return Some(Credential::IdentityToken {
            token: output.secret,
        });
    }
    Some(Credential::Basic {
        username: output.username,
        password: output.secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Base64 of `user:password` as docker writes it.
    fn encode_auth(username: &str, password: &str) -> String {
        general_purpose::STANDARD.encode(format!("{username}:{password}"))
    }

    /// A directory removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("ocireg-cred-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        fn write(&self, relative: &str, contents: &str) -> PathBuf {
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

    fn empty_env() -> Environment {
        Environment {
            registry_auth_file: None,
            xdg_runtime_dir: None,
            docker_config: None,
            home: None,
            path: Some(OsString::new()),
            helper_timeout: Duration::from_secs(10),
        }
    }

    fn basic(username: &str, password: &str) -> Credential {
        Credential::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    fn auths_file(entries: &[(&str, &str, &str)]) -> String {
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

    fn store_with_file(contents: &str) -> (TempDir, CredentialStore) {
        let dir = TempDir::new();
        let file = dir.write("auth.json", contents);
        let store = CredentialStore::with_environment(vec![], Some(file), empty_env());
        (dir, store)
    }

    async fn lookup_in(contents: &str, registry: &str) -> Result<Option<Credential>> {
        let (_dir, store) = store_with_file(contents);
        store.lookup(registry).await
    }

    #[test]
    fn debug_redacts_secrets() {
        let b = format!("{:?}", basic("bob", "hunter2"));
        assert_eq!(b, r#"Basic { username: "bob", password: <redacted> }"#);
        let t = format!(
            "{:#?}",
            Credential::IdentityToken {
                token: "s3cret-token".into()
            }
        );
        assert!(!t.contains("s3cret"), "{t}");
        assert!(t.contains("<redacted>"));
    }

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

    #[test]
    fn credentials_are_wiped_when_dropped() {
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Credential>();
        let mut credential = basic("user", "SECRET");
        credential.zeroize();
        assert_eq!(credential, basic("", ""));
        let mut credential = Credential::IdentityToken {
            token: "SECRET".into(),
        };
        credential.zeroize();
        assert_eq!(
            credential,
            Credential::IdentityToken {
                token: String::new()
            }
        );
    }

    #[cfg(unix)]
    mod helpers {
        use super::*;
        use std::os::unix::fs::PermissionsExt as _;

        /// Serializes the tests that write and run scripts, so that no test
        /// forks while another still has a script open for writing (ETXTBSY).
        static SCRIPTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

        /// A fake helper: logs each request to `calls.log` next to it and
        /// answers per server URL.
        const HELPER: &str = r#"#!/bin/sh
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

        fn install(dir: &TempDir, name: &str, script: &str) {
            let path = dir.write(&format!("bin/docker-credential-{name}"), script);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }

        fn calls(dir: &TempDir) -> Vec<String> {
            std::fs::read_to_string(dir.0.join("bin/calls.log"))
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect()
        }

        /// A store whose `credsStore` is helper `name`, running `script`.
        fn store_with_helper(
            dir: &TempDir,
            name: &str,
            script: &str,
            timeout: Duration,
        ) -> CredentialStore {
            install(dir, name, script);
            helper_store(dir, serde_json::json!({ "credsStore": name }), timeout)
        }

        fn helper_store(
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

        #[tokio::test]
        async fn creds_store_and_caching() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            install(&dir, "test", HELPER);
            let store = helper_store(
                &dir,
                serde_json::json!({ "credsStore": "test", "auths": { "https://index.docker.io/v1/": {} } }),
                Duration::from_secs(10),
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
            let store = store_with_helper(&dir, "test", HELPER, Duration::from_secs(10));
            let lookups = (0..8).map(|_| store.lookup("docker.io"));
            for result in futures_util::future::join_all(lookups).await {
                assert_eq!(result.unwrap(), Some(basic("hubuser", "hubpass")));
            }
            assert_eq!(calls(&dir).len(), 1);
        }

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
            let store = helper_store(&dir, config, Duration::from_secs(10));
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
            let store = helper_store(&dir, config, Duration::from_secs(10));
            assert_eq!(
                store.lookup("docker.io").await.unwrap(),
                Some(basic("inline", "1"))
            );
            assert!(calls(&dir).is_empty());
        }

        #[tokio::test]
        async fn helper_failures_are_errors() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            let store = store_with_helper(&dir, "test", HELPER, Duration::from_secs(10));
            let err = store.lookup("broken.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io);
            assert!(err.message().contains("docker-credential-test"), "{err}");
            assert!(err.message().contains("exit status: 3"), "{err}");
            assert!(!err.message().contains("keychain locked"), "{err}");
            let err = store.lookup("garbage.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io);
            assert!(err.message().contains("malformed output"), "{err}");
            assert!(!err.message().contains("SECRETISH"), "{err}");
            let err = store.lookup("silent.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io);
            assert!(err.message().contains("printed nothing"), "{err}");
            // Failures are not cached: the helper runs again.
            store.lookup("broken.example").await.unwrap_err();
            assert_eq!(
                calls(&dir)
                    .iter()
                    .filter(|c| *c == "broken.example")
                    .count(),
                2
            );
        }

        #[tokio::test]
        async fn a_failing_helper_output_never_reaches_the_error() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            let store = store_with_helper(&dir, "test", HELPER, Duration::from_secs(10));
            let err = store.lookup("secret.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io);
            assert!(err.message().contains("docker-credential-test"), "{err}");
            assert!(err.message().contains("exit status: 1"), "{err}");
            for text in [err.to_string(), format!("{err:?}"), err.detail()] {
                assert!(!text.contains("SECRET"), "helper output leaked: {text}");
            }
        }

        #[tokio::test]
        async fn huge_helper_output_is_refused_and_the_helper_killed() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            let store = store_with_helper(&dir, "test", HELPER, Duration::from_secs(20));
            let started = std::time::Instant::now();
            let err = store.lookup("huge.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
            assert!(err.message().contains("docker-credential-test"), "{err}");
            assert!(!err.to_string().contains("SECRET"), "{err}");
            // Not the timeout: refused as soon as 1 MiB was read.
            assert!(started.elapsed() < Duration::from_secs(10));
        }

        #[tokio::test]
        async fn a_hanging_helper_is_killed_at_the_timeout() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            let store = store_with_helper(&dir, "test", HELPER, Duration::from_millis(500));
            let started = std::time::Instant::now();
            let err = store.lookup("hang.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Timeout);
            assert!(started.elapsed() < Duration::from_secs(5));
            let pid = std::fs::read_to_string(dir.0.join("bin/hang.pid")).unwrap();
            // Killed and reaped: the process is gone, not even a zombie.
            let proc_dir = PathBuf::from(format!("/proc/{}", pid.trim()));
            assert!(!proc_dir.exists(), "helper {} still exists", pid.trim());
        }

        /// A helper that exits without reading its stdin, given input that
        /// cannot fit in the pipe, so that writing it must hit a closed pipe.
        const DEAF_HELPER: &str = "#!/bin/sh\nexit 1\n";

        /// The environment variable that makes
        /// `deaf_helper_in_a_host_with_default_sigpipe` do its work (it
        /// runs only as the child of the test below).
        const SIGPIPE_CHILD: &str = "OCIREG_TEST_SIGPIPE_CHILD";

        #[tokio::test]
        async fn a_helper_that_does_not_read_stdin_does_not_kill_the_host() {
            let _guard = SCRIPTS.lock().await;
            let test = "transport::auth::credentials::tests::helpers::deaf_helper_in_a_host_with_default_sigpipe";
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    test,
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(SIGPIPE_CHILD, "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "the host died: {:?}\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            // The child really ran the test (and did not filter it out).
            assert!(stdout.contains("1 passed"), "{stdout}");
        }

        /// Run by the test above in a child process whose SIGPIPE has its
        /// default disposition, as in a C or Go host.
        #[tokio::test]
        #[ignore = "run in a child process by a_helper_that_does_not_read_stdin_does_not_kill_the_host"]
        async fn deaf_helper_in_a_host_with_default_sigpipe() {
            assert_eq!(
                std::env::var(SIGPIPE_CHILD).as_deref(),
                Ok("1"),
                "run by a_helper_that_does_not_read_stdin_does_not_kill_the_host"
            );
            crate::ffi::signals::default_sigpipe_for_tests();
            let dir = TempDir::new();
            let store = store_with_helper(&dir, "deaf", DEAF_HELPER, Duration::from_secs(20));
            // Four times a default pipe's capacity.
            let registry = format!("{}.example", "a".repeat(256 * 1024));
            for _ in 0..3 {
                let err = store.lookup(&registry).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Io, "{err}");
                assert!(err.message().contains("docker-credential-deaf"), "{err}");
            }
        }

        #[tokio::test]
        async fn missing_or_invalid_helper_is_an_error() {
            let _guard = SCRIPTS.lock().await;
            let dir = TempDir::new();
            std::fs::create_dir_all(dir.0.join("bin")).unwrap();
            let store = helper_store(
                &dir,
                serde_json::json!({ "credsStore": "absent" }),
                Duration::from_secs(10),
            );
            let err = store.lookup("r.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io);
            assert!(err.message().contains("docker-credential-absent"), "{err}");

            let store = helper_store(
                &dir,
                serde_json::json!({ "credsStore": "../../bin/sh" }),
                Duration::from_secs(10),
            );
            let err = store.lookup("r.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
    }
}
