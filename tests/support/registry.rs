//! The test registries, run as child processes on 127.0.0.1: Debian's
//! `docker-registry` (distribution 2.8.2, no referrers API, refuses DELETE by
//! tag), distribution v3.1.2 (accepts DELETE by tag) and go-containerregistry's
//! registry with the OCI 1.1 referrers API (see [`Implementation`]).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use super::certs;
use super::http1;
use super::peers;
use super::server::lock;
use super::tempdir::TempDir;
use super::token_server::{self, TokenServer};

/// The registry binary.
pub const BINARY: &str = "/usr/bin/docker-registry";
/// The user with every right (BasicTls and Token modes).
pub const USER: &str = "testuser";
/// Its password.
pub const PASSWORD: &str = "testpass";
/// The User-Agent of the readiness probe (`GET /v2/` at start), which
/// [`Registry::access_log`] leaves out.
pub const PROBE_USER_AGENT: &str = "ocireg-support-readiness-probe";
/// How long to wait for the registry to answer (ends as soon as it does;
/// long, for a loaded machine).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How the registry is exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// HTTP, no authentication.
    Plain,
    /// HTTPS (test CA) with htpasswd basic auth (`testuser`/`testpass`,
    /// `reader`/`readerpass`, bcrypt cost 4).
    BasicTls,
    /// HTTPS (test CA) with token auth from a [`TokenServer`].
    Token,
    /// HTTPS (test CA) that requires a client certificate signed by the CA.
    MutualTls,
    /// Plain HTTP with token auth (the token server is still HTTPS), so
    /// that a `FaultProxy` can stand in front of a token-auth registry.
    TokenPlain,
}

/// Which registry program serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// Debian's `docker-registry` (distribution 2.8.2): every [`Mode`]; no
    /// referrers API (clients use the fallback tag); DELETE by tag refused.
    Distribution2,
    /// distribution v3.1.2 (`registry` from `make peers`): every [`Mode`],
    /// the same configuration, storage layout and access log as 2.8.2;
    /// accepts DELETE of a manifest by tag.
    Distribution3,
    /// go-containerregistry v0.22.1's `pkg/registry` with the referrers API
    /// on (tests/support/ggcr_registry): [`Mode::Plain`] only, storage in
    /// memory (so [`Registry::storage_dir`] holds nothing and a restart
    /// empties it), access-log lines in distribution's format.
    GgcrReferrers,
}

impl Implementation {
    fn binary(self) -> PathBuf {
        match self {
            Implementation::Distribution2 => PathBuf::from(BINARY),
            Implementation::Distribution3 => peers::tool("registry"),
            Implementation::GgcrReferrers => peers::ggcr_registry(),
        }
    }
}

/// What the registry is tuned for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tuning {
    /// Logs every request (level `info` and the access log, which
    /// [`Registry::access_log`] reads); no caches.
    Test,
    /// For measuring (bench/): logs errors only, no access log, and caches
    /// blob descriptors in memory. [`Registry::access_log`] stays empty.
    Bench,
}

/// A running registry. Dropping it kills the process and deletes its files.
pub struct Registry {
    implementation: Implementation,
    mode: Mode,
    host: String,
    child: Mutex<Child>,
    dir: TempDir,
    storage: PathBuf,
    log: PathBuf,
    token_server: Option<TokenServer>,
}

impl Registry {
    /// Starts a registry in `mode` and waits until it answers `GET /v2/`.
    ///
    /// Panics (with the registry's log) if the binary is missing or the
    /// registry does not come up within 20 s: tests fail, they never skip.
    pub fn start(mode: Mode) -> Registry {
        Registry::start_tuned(mode, Tuning::Test)
    }

    /// [`Registry::start`] with the logging and caching of `tuning`. Its
    /// files go under `$TMPDIR`.
    pub fn start_tuned(mode: Mode, tuning: Tuning) -> Registry {
        Registry::start_with(Implementation::Distribution2, mode, tuning)
    }

    /// [`Registry::start`] of another registry program. Panics when
    /// `implementation` cannot serve `mode` (see [`Implementation`]).
    pub fn start_implementation(implementation: Implementation, mode: Mode) -> Registry {
        Registry::start_with(implementation, mode, Tuning::Test)
    }

    /// A plain distribution 2.8.2 pull-through cache (`proxy: remoteurl:`)
    /// of the registry at `remote_url` (`http://127.0.0.1:PORT`): it serves
    /// what the remote has, fetching and keeping it on first request, and
    /// refuses pushes.
    pub fn start_pull_through_cache(remote_url: &str) -> Registry {
        Registry::start_full(
            Implementation::Distribution2,
            Mode::Plain,
            Tuning::Test,
            Some(remote_url),
        )
    }

    fn start_with(implementation: Implementation, mode: Mode, tuning: Tuning) -> Registry {
        Registry::start_full(implementation, mode, tuning, None)
    }

    fn start_full(
        implementation: Implementation,
        mode: Mode,
        tuning: Tuning,
        proxy_remote: Option<&str>,
    ) -> Registry {
        assert!(
            implementation != Implementation::GgcrReferrers || mode == Mode::Plain,
            "the go-containerregistry registry serves Mode::Plain only, not {mode:?}"
        );
        if implementation == Implementation::Distribution2 {
            assert!(
                Path::new(BINARY).exists(),
                "{BINARY} not found: install Debian's docker-registry package \
                 (apt-get install docker-registry)"
            );
        }
        let binary = implementation.binary();
        let dir = TempDir::new("registry");
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).expect("create storage dir");
        let token_server = matches!(mode, Mode::Token | Mode::TokenPlain).then(TokenServer::start);
        if mode == Mode::BasicTls {
            write_htpasswd(&dir.path().join("htpasswd"));
        }
        let tls = probe_tls(mode);

        let mut last_log = String::new();
        for attempt in 1..=5 {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let config = dir.path().join("config.yml");
            let mut yaml = config_yaml(
                mode,
                tuning,
                &host,
                dir.path(),
                &storage,
                token_server.as_ref(),
            );
            if let Some(remote) = proxy_remote {
                writeln!(yaml, "proxy:\n  remoteurl: {remote}").unwrap();
            }
            std::fs::write(&config, yaml).expect("write registry config");
            let log = dir.path().join(format!("registry-{attempt}.log"));
            let serve_arg = serve_argument(implementation, &config, &host);
            let mut child = spawn(&binary, &serve_arg, &log);
            match wait_ready(&mut child, &host, tls.clone()) {
                Ok(()) => {
                    return Registry {
                        implementation,
                        mode,
                        host,
                        child: Mutex::new(child),
                        dir,
                        storage,
                        log,
                        token_server,
                    };
                }
                Err(why) => {
                    stop(&mut child);
                    last_log = std::fs::read_to_string(&log).unwrap_or_default();
                    if last_log.contains("address already in use") {
                        continue; // another process took the port: try another
                    }
                    panic!(
                        "{implementation:?} ({mode:?}) did not come up on {host}: {why}\n\
                         --- log tail ---\n{}",
                        tail(&last_log, 40)
                    );
                }
            }
        }
        panic!(
            "{implementation:?} ({mode:?}) could not find a free port after 5 attempts\n\
             --- log tail ---\n{}",
            tail(&last_log, 40)
        );
    }

    /// The registry program serving.
    pub fn implementation(&self) -> Implementation {
        self.implementation
    }

    /// The mode it was started in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        let scheme = if self.is_plain() { "http" } else { "https" };
        format!("{scheme}://{}", self.host)
    }

    fn is_plain(&self) -> bool {
        matches!(self.mode, Mode::Plain | Mode::TokenPlain)
    }

    /// The PEM file of the test CA (every mode but Plain; in TokenPlain it
    /// is the token server's).
    pub fn ca_pem_path(&self) -> Option<&Path> {
        (self.mode != Mode::Plain).then(|| certs::pki().ca_pem.as_path())
    }

    /// `("testuser", "testpass")` in BasicTls, Token and TokenPlain modes.
    pub fn credentials(&self) -> Option<(&'static str, &'static str)> {
        matches!(self.mode, Mode::BasicTls | Mode::Token | Mode::TokenPlain)
            .then_some((USER, PASSWORD))
    }

    /// The storage root (`storage.filesystem.rootdirectory`). Blobs live under
    /// `docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data`.
    pub fn storage_dir(&self) -> &Path {
        &self.storage
    }

    /// The path of blob `hex` (a sha256 digest's hex part) in storage.
    pub fn blob_path(&self, hex: &str) -> PathBuf {
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The token server (Token mode).
    pub fn token_server(&self) -> Option<&TokenServer> {
        self.token_server.as_ref()
    }

    /// The registry's output (stdout and stderr) so far. With level `info`,
    /// each request logs a "response completed" line and an access-log line
    /// such as `"GET /v2/ HTTP/1.1" 401`.
    pub fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// The file the registry's output goes to (see [`Registry::log_text`]).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The requests in the registry's access log so far, in order, without
    /// the readiness probe(s) of [`Registry::start`].
    ///
    /// The registry writes the line when its handler returns, which for a
    /// large body can be just after the client has read the last byte: poll
    /// (or sleep ~50 ms) before counting exactly.
    pub fn access_log(&self) -> Vec<AccessLogEntry> {
        self.log_text()
            .lines()
            .filter_map(AccessLogEntry::parse)
            .filter(|e| e.user_agent != PROBE_USER_AGENT)
            .collect()
    }

    /// How many access-log entries have `method` (`"*"` = any) and a URI
    /// containing `uri_contains` (see [`Registry::access_log`] for timing).
    pub fn count_requests(&self, method: &str, uri_contains: &str) -> usize {
        self.access_log()
            .iter()
            .filter(|e| {
                (method == "*" || e.method.eq_ignore_ascii_case(method))
                    && e.uri.contains(uri_contains)
            })
            .count()
    }

    /// Stops the registry, waits `down_for`, and starts it again on the
    /// same port with the same storage (a registry restart under a client).
    /// Its log goes on in a new file, which `log_text` does not read.
    pub fn restart(&self, down_for: Duration) {
        let mut child = lock(&self.child);
        stop(&mut child);
        std::thread::sleep(down_for);
        let config = self.dir.path().join("config.yml");
        let log = self.dir.path().join("registry-restarted.log");
        let tls = probe_tls(self.mode);
        let serve_arg = serve_argument(self.implementation, &config, &self.host);
        *child = spawn(&self.implementation.binary(), &serve_arg, &log);
        if let Err(why) = wait_ready(&mut child, &self.host, tls) {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "{:?} did not come back on {}: {why}\n{}",
                self.implementation,
                self.host,
                tail(&text, 40)
            );
        }
    }

    /// The directory holding config, htpasswd, log and storage.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        stop(&mut lock(&self.child));
        // `dir` (and the token server) are dropped after this.
    }
}

/// One line of the registry's access log (combined log format), e.g.
/// `127.0.0.1 - - [28/Nov/2026:12:02:50 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogEntry {
    /// Request method.
    pub method: String,
    /// Request URI (path and query).
    pub uri: String,
    /// Response status.
    pub status: u16,
    /// The client's User-Agent (empty when none).
    pub user_agent: String,
}

impl AccessLogEntry {
    /// Parses an access-log line; `None` for any other log line.
    pub fn parse(line: &str) -> Option<AccessLogEntry> {
        if line.starts_with("time=") {
            return None;
        }
        let parts: Vec<&str> = line.split('"').collect();
        if parts.len() < 6 || !parts[0].ends_with("] ") {
            return None;
        }
        let mut request = parts[1].split(' ');
        let (method, uri) = (request.next()?, request.next()?);
        let status = parts[2].split_whitespace().next()?.parse().ok()?;
        Some(AccessLogEntry {
            method: method.to_string(),
            uri: uri.to_string(),
            status,
            user_agent: parts[5].to_string(),
        })
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// The registry runs under a small `sh` watchdog that holds our end of a
/// stdin pipe: when that pipe closes (on drop, or when the test process dies
/// in any way, even SIGKILL, or exits with a registry in a static), the
/// watchdog kills the registry. The `sh` exits when the registry does, so
/// `try_wait` on it sees an early exit.
const WATCHDOG: &str = r#"exec 3<&0
"$0" serve "$1" </dev/null 3<&- &
reg=$!
( read _ <&3; kill -9 "$reg" 2>/dev/null ) &
watcher=$!
wait "$reg"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// What follows `serve` on the registry's command line: distribution takes
/// its configuration file, the go-containerregistry registry its address.
fn serve_argument(implementation: Implementation, config: &Path, host: &str) -> String {
    match implementation {
        Implementation::GgcrReferrers => host.to_string(),
        _ => config.display().to_string(),
    }
}

fn spawn(binary: &Path, serve_arg: &str, log: &Path) -> Child {
    let out = File::create(log).expect("create registry log");
    let err = out.try_clone().expect("clone log handle");
    Command::new("/bin/sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg(binary)
        .arg(serve_arg)
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} (via /bin/sh): {e}", binary.display()))
}

/// Kills the registry (closing the watchdog's stdin) and waits for it.
fn stop(child: &mut Child) {
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn write_htpasswd(path: &Path) {
    let mut text = String::new();
    for (user, pass) in token_server::USERS {
        let hash = bcrypt::hash(pass, 4).expect("bcrypt");
        writeln!(text, "{user}:{hash}").unwrap();
    }
    std::fs::write(path, text).expect("write htpasswd");
}

/// The TLS configuration of the readiness probe for `mode`.
fn probe_tls(mode: Mode) -> Option<Arc<rustls::ClientConfig>> {
    match mode {
        Mode::Plain | Mode::TokenPlain => None,
        Mode::MutualTls => Some(Arc::new(certs::client_config_with_cert())),
        Mode::BasicTls | Mode::Token => Some(Arc::new(certs::client_config())),
    }
}

fn config_yaml(
    mode: Mode,
    tuning: Tuning,
    host: &str,
    dir: &Path,
    storage: &Path,
    token_server: Option<&TokenServer>,
) -> String {
    let pki = (!matches!(mode, Mode::Plain | Mode::TokenPlain)).then(certs::pki);
    let (level, access_log_off, cache) = match tuning {
        Tuning::Test => ("info", false, ""),
        Tuning::Bench => ("error", true, "  cache:\n    blobdescriptor: inmemory\n"),
    };
    let mut y = format!(
        "version: 0.1\n\
         log:\n  level: {level}\n  formatter: text\n  accesslog:\n    disabled: {access_log_off}\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         {cache}\
         http:\n  addr: {host}\n  secret: ocireg-test-secret\n\
         \x20 headers:\n    X-Content-Type-Options: [nosniff]\n",
        storage = storage.display(),
    );
    if let Some(pki) = pki {
        writeln!(
            y,
            "  tls:\n    certificate: {}\n    key: {}",
            pki.server_cert.display(),
            pki.server_key.display()
        )
        .unwrap();
    }
    if mode == Mode::MutualTls {
        writeln!(
            y,
            "    clientcas:\n      - {}",
            certs::pki().ca_pem.display()
        )
        .unwrap();
    }
    match mode {
        Mode::Plain | Mode::MutualTls => {}
        Mode::BasicTls => writeln!(
            y,
            "auth:\n  htpasswd:\n    realm: ocireg-test\n    path: {}",
            dir.join("htpasswd").display()
        )
        .unwrap(),
        Mode::Token | Mode::TokenPlain => {
            let ts = token_server.expect("token server");
            writeln!(
                y,
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    \
                 rootcertbundle: {}",
                ts.realm(),
                token_server::SERVICE,
                token_server::ISSUER,
                certs::pki().signing_cert.display()
            )
            .unwrap();
        }
    }
    y
}

/// Polls `GET /v2/` until any HTTP answer, the child's exit, or the timeout.
fn wait_ready(
    child: &mut Child,
    host: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the registry exited early ({status})"));
        }
        let last_err = match probe(host, tls.clone()) {
            Ok(_status) => {
                // Another process may hold the port: make sure ours still runs.
                std::thread::sleep(Duration::from_millis(20));
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("the registry exited early ({status})"));
                }
                return Ok(());
            }
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            return Err(format!(
                "no answer to GET /v2/ within {START_TIMEOUT:?} (last error: {last_err})"
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One `GET /v2/` over HTTP or HTTPS (verifying the test CA); the status.
fn probe(host: &str, tls: Option<Arc<rustls::ClientConfig>>) -> std::io::Result<u16> {
    let addr: SocketAddr = host.parse().map_err(|_| http1::invalid("bad host"))?;
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(5)))?;
    let request = format!(
        "GET /v2/ HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {PROBE_USER_AGENT}\r\n\
         Connection: close\r\n\r\n"
    );
    let mut stream: Box<dyn ReadWrite> = match tls {
        None => Box::new(tcp),
        Some(config) => {
            let name = ServerName::try_from("127.0.0.1").expect("server name");
            let conn =
                rustls::ClientConnection::new(config, name).map_err(std::io::Error::other)?;
            Box::new(rustls::StreamOwned::new(conn, tcp))
        }
    };
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let head = http1::read_head(&mut reader)?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
    head.status()
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
