//! The options of a client: which registries are insecure, credentials, TLS
//! material, proxy, timeouts, retries and identification.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::credential::Credential;
use crate::error::{Error, ErrorKind, Result};
use crate::registries_conf::ConfPaths;

/// The longest timeout (and `max_retry_after`) accepted: 30 days. Longer
/// ones are refused with `INVALID_ARGUMENT`; a zero timeout means none.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The most retries (`max_retries`) accepted.
pub const MAX_RETRIES: u32 = 100;
/// The most download resumes (`max_resumes`) accepted.
pub const MAX_RESUMES: u32 = 1000;
/// The most blobs moved at once (`concurrency`) accepted.
pub const MAX_CONCURRENCY: usize = 256;
/// The largest page size (`page_size`) accepted.
pub const MAX_PAGE_SIZE: u32 = 1_000_000;
/// The largest `max_list_entries` accepted (100 times the default).
pub const MAX_LIST_ENTRIES: usize = 100_000_000;
/// The largest `max_list_bytes` accepted (4 GiB, 64 times the default).
pub const MAX_LIST_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The `OAuth2` `client_id` sent to token servers unless the caller sets one.
pub const DEFAULT_OAUTH2_CLIENT_ID: &str = "ocireg";
/// The proxy URL schemes the HTTP stack speaks.
pub const PROXY_SCHEMES: [&str; 2] = ["http", "https"];

/// Options for a [`crate::Client`]. Start from [`ClientOptions::default`]
/// and set the fields you need.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Registries (`host` or `host:port`) that may be reached over plain
    /// HTTP or HTTPS without certificate verification. For each, HTTPS is
    /// tried first and plain HTTP when TLS cannot be spoken; the scheme found
    /// is remembered. Certificate checks are skipped for the host part.
    /// `*.example.com` marks every subdomain of example.com, on any port
    /// (as a registries.conf wildcard prefix does).
    pub insecure_registries: Vec<String>,
    /// Explicit credentials per registry (`host[:port]`, `docker.io` for
    /// Docker Hub); they win over any auth file.
    pub credentials: Vec<(String, Credential)>,
    /// An auth file (docker `config.json` or containers `auth.json` format)
    /// to use instead of the default search.
    /// [`ClientOptions::validate`] refuses one that is not a readable
    /// regular file (`INVALID_ARGUMENT`, naming the path).
    pub auth_file: Option<PathBuf>,
    /// How long a docker credential helper (`docker-credential-NAME get`)
    /// may run before it is killed and the lookup fails with `TIMEOUT`;
    /// zero sets no limit. At most [`MAX_TIMEOUT`].
    pub credential_helper_timeout: Duration,
    /// Extra PEM files of CA certificates to trust, beside the system's.
    pub ca_files: Vec<PathBuf>,
    /// A client certificate chain and its private key (PEM files) for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// A `certs.d`-style directory used for every registry, like skopeo's
    /// `--cert-dir`: its `*.crt` CAs are trusted beside [`Self::ca_files`],
    /// its `*.cert` + `*.key` pair replaces [`Self::client_cert`]. It
    /// replaces the per-host search of [`Self::certs_d_roots`]. A missing
    /// or unreadable directory, a `.cert` without its `.key` (or the
    /// reverse) or a bad file fails [`crate::Client::new`] with `TLS`,
    /// naming the path.
    pub cert_dir: Option<PathBuf>,
    /// Roots of per-registry `certs.d` directories, searched in order: the
    /// first `ROOT/HOST[:PORT]` that exists gives that registry's CAs and
    /// client pair (as [`Self::cert_dir`] does for all), read at the
    /// registry's first request. Empty (the default) reads none;
    /// [`ClientOptions::use_system_certs_d`] adds the directories
    /// containers tools and docker read.
    pub certs_d_roots: Vec<PathBuf>,
    /// Asks token servers for tokens with the `OAuth2` password grant
    /// (`POST` to the realm with `grant_type=password`) rather than a `GET`
    /// with basic credentials, as containers/image's `ForceAttemptOAuth2`
    /// and docker's `ForceOAuth`; a server answering the `POST` with 404
    /// or 405 is asked with the `GET` instead. Off by default.
    pub force_oauth2: bool,
    /// Asks token servers for a refresh token too (`offline_token=true` on
    /// the `GET`, `access_type=offline` on the password grant). A refresh
    /// token the server returns, asked for or not, is kept in memory (never
    /// written, never logged) and replaces the password for later scopes
    /// of the same realm (`grant_type=refresh_token`). Off by default.
    pub offline_token: bool,
    /// The `client_id` sent to token servers with the `OAuth2` forms and
    /// with `offline_token`. Default `ocireg` (containers/image sends
    /// `containers/image`, docker `docker`).
    pub oauth2_client_id: String,
    /// An explicit proxy URL for all requests. When unset, `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` from the environment apply.
    /// Its scheme must be one of [`PROXY_SCHEMES`]; any other (`ftp://`,
    /// `socks5://`) fails [`crate::Client::new`] rather than going direct.
    pub proxy: Option<String>,
    /// How long to wait for a TCP connection (and TLS handshake); zero
    /// waits without a limit. At most [`MAX_TIMEOUT`].
    pub connect_timeout: Duration,
    /// How long a response may go without sending a byte before the request
    /// fails with `TIMEOUT` (a stalled body or a server that never answers);
    /// zero waits without a limit. At most [`MAX_TIMEOUT`].
    pub read_timeout: Duration,
    /// The longest a request without a streamed body (manifests, tags,
    /// tokens, upload control) may take in all; zero sets no limit. At most
    /// [`MAX_TIMEOUT`].
    pub request_timeout: Duration,
    /// How many times a request is retried after 429 or a connection error,
    /// when its body can be replayed (the ping `GET /v2/` included), and a
    /// `GET` or `HEAD` (or a manifest `PUT` or token request, which are safe
    /// to repeat) also after 500, 502, 503 or 504; an upload's `POST`,
    /// `PATCH` or `PUT` is not repeated after those (the registry may have
    /// acted on it: the upload restarts or resumes). Waits grow exponentially
    /// (from 100-200 ms to at most 10 s) with random jitter, or follow the
    /// server's `Retry-After` plus jitter.
    pub max_retries: u32,
    /// The longest `Retry-After` that is waited out; a registry asking for
    /// more fails the request at once with `TOO_MANY_REQUESTS` and the delay.
    pub max_retry_after: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Extra headers sent with every registry request.
    pub extra_headers: Vec<(String, String)>,
    /// The page size asked for when listing tags and the catalog (`n`);
    /// `None` lets the registry choose.
    pub page_size: Option<u32>,
    /// The most entries (tags, repositories, referrers) one listing
    /// collects over all its pages; more fails it with `SIZE_EXCEEDED`.
    /// The default, 1,000,000, is far above real repositories (the largest
    /// public ones hold some tens of thousands of tags) while bounding what
    /// an endless `Link` chain can make the client hold.
    pub max_list_entries: usize,
    /// The most response bytes one listing reads over all its pages (page
    /// bodies plus the `Link` targets remembered to detect loops); more
    /// fails it with `SIZE_EXCEEDED`. Each page is also at most 4 MiB. The
    /// default, 64 MiB, holds about a million tags of 60 characters; the
    /// entries kept in memory take about as much again.
    pub max_list_bytes: u64,
    /// How many times a blob download resumes with `Range` after its
    /// connection drops.
    pub max_resumes: u32,
    /// The chunk size of chunked uploads (raised to the registry's
    /// `OCI-Chunk-Min-Length` when that is larger; at most
    /// [`crate::client::MAX_CHUNK_SIZE`], 64 MiB, either way).
    pub upload_chunk_size: usize,
    /// How many blobs whole-image operations move at once. The default, 6,
    /// was measured: pulling 50 layers of 4 MiB from a loopback registry on
    /// 2 cores took (medians of 3) 0.36 s at 1, 0.27 s at 2, 0.26 s at 4,
    /// 0.22 s at 8 and 0.22 s at 16, while peak memory grows with each
    /// transfer in flight (about 20 MiB at 4, 25 MiB at 8); 6 sits between.
    pub concurrency: usize,
    /// The registries.conf to follow (containers-registries.conf(5), as
    /// skopeo and podman do): pulls try the mirrors of the reference's
    /// `[[registry]]` entry, then its (possibly rewritten) location; every
    /// request to a `blocked` entry fails with `DENIED` before it is sent;
    /// `insecure` endpoints are added to the insecure registries. `None`
    /// (the default) reads no configuration, so an embedded client is
    /// predictable; set it with [`ClientOptions::registries_conf`] or
    /// [`ClientOptions::use_system_registries_conf`]. The files are read
    /// when the client is made, which fails on a bad one.
    pub registries_conf: Option<ConfPaths>,
    /// A token cache file: bearer tokens kept across processes (with their
    /// scope and when to refresh them; keyed by a one-way hash of the
    /// credential, never holding a password), so that the next process
    /// skips the token server while a token is good. Written under a lock,
    /// atomically, mode 0600 in a directory made 0700; a corrupt file is
    /// ignored and replaced. `None` (the default) keeps tokens in memory
    /// only, per client.
    pub token_cache: Option<PathBuf>,
    /// Whether a pull fetches one large blob over several connections at
    /// once (see [`RangedDownload`]); [`RangedDownload::Auto`] by default.
    pub ranged_download: RangedDownload,
}

/// Whether one large blob is fetched over several connections at once, as
/// byte ranges (`Range: bytes=A-B`), when pulling into a layout. The ranges
/// are hashed and written in order, and the blob is verified before it
/// takes its place, as always. A registry that ignores `Range` (answers
/// `200`) or answers another range makes the download go on over one
/// connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RangedDownload {
    /// Split a blob of 64 MiB or more only when its first connection turns
    /// out slow (under 64 MiB/s over its first 8 MiB or its first second):
    /// a per-connection bandwidth cap or a long round trip. A fast link
    /// (loopback, a LAN) keeps one connection, which costs less CPU.
    #[default]
    Auto,
    /// One connection per blob.
    Off,
    /// Split every blob larger than one part (1 to 8 MiB, depending on
    /// its size) from the start, whatever the link.
    Always,
}

impl RangedDownload {
    /// The mode named `auto`, `off` or `always`; anything else is
    /// `INVALID_ARGUMENT`.
    pub fn parse(name: &str) -> Result<RangedDownload> {
        match name {
            "auto" => Ok(RangedDownload::Auto),
            "off" => Ok(RangedDownload::Off),
            "always" => Ok(RangedDownload::Always),
            other => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("ranged download mode {other:?}: expected auto, off or always"),
            )),
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure_registries: Vec::new(),
            credentials: Vec::new(),
            auth_file: None,
            credential_helper_timeout: Duration::from_secs(30),
            ca_files: Vec::new(),
            client_cert: None,
            cert_dir: None,
            certs_d_roots: Vec::new(),
            force_oauth2: false,
            offline_token: false,
            oauth2_client_id: DEFAULT_OAUTH2_CLIENT_ID.to_string(),
            proxy: None,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(300),
            max_retries: 4,
            max_retry_after: Duration::from_secs(60),
            user_agent: format!("ocireg/{}", env!("CARGO_PKG_VERSION")),
            extra_headers: Vec::new(),
            page_size: None,
            max_list_entries: 1_000_000,
            max_list_bytes: 64 * 1024 * 1024,
            max_resumes: 5,
            upload_chunk_size: 8 * 1024 * 1024,
            concurrency: 6,
            registries_conf: None,
            token_cache: None,
            ranged_download: RangedDownload::Auto,
        }
    }
}

impl ClientOptions {
    /// Follows the registries.conf at `path` (it must exist) and the
    /// drop-in directories (`/etc/containers/registries.conf.d`, then
    /// `$HOME/.config/containers/registries.conf.d`), as skopeo's
    /// `--registries-conf` does.
    #[must_use]
    pub fn registries_conf(mut self, path: impl Into<PathBuf>) -> ClientOptions {
        self.registries_conf = Some(ConfPaths::explicit(path.into()));
        self
    }

    /// Follows the registries.conf containers/image would read:
    /// `$CONTAINERS_REGISTRIES_CONF`, else
    /// `$HOME/.config/containers/registries.conf` when it exists, else
    /// `/etc/containers/registries.conf`, with their drop-ins (see
    /// [`ConfPaths::system`]).
    #[must_use]
    pub fn use_system_registries_conf(mut self) -> ClientOptions {
        self.registries_conf = Some(ConfPaths::system());
        self
    }

    /// Checks every numeric option against its bound and the proxy's
    /// scheme; [`crate::Client::new`] calls it. A value out of range fails
    /// with `INVALID_ARGUMENT` naming the option and its range.
    pub fn validate(&self) -> Result<()> {
        for (name, timeout) in [
            ("connect_timeout", self.connect_timeout),
            ("read_timeout", self.read_timeout),
            ("request_timeout", self.request_timeout),
            ("credential_helper_timeout", self.credential_helper_timeout),
            ("max_retry_after", self.max_retry_after),
        ] {
            check_timeout(name, timeout)?;
        }
        check_range("max_retries", self.max_retries, 0, MAX_RETRIES)?;
        check_range("max_resumes", self.max_resumes, 0, MAX_RESUMES)?;
        check_range("concurrency", self.concurrency, 1, MAX_CONCURRENCY)?;
        if let Some(n) = self.page_size {
            check_range("page_size", n, 1, MAX_PAGE_SIZE)?;
        }
        check_range(
            "max_list_entries",
            self.max_list_entries,
            1,
            MAX_LIST_ENTRIES,
        )?;
        check_range("max_list_bytes", self.max_list_bytes, 1, MAX_LIST_BYTES)?;
        if let Some(proxy) = &self.proxy {
            check_proxy(proxy)?;
        }
        if let Some(path) = &self.auth_file {
            check_readable_file("auth file", path)?;
        }
        check_client_id(&self.oauth2_client_id)?;
        Ok(())
    }

    /// Adds the `certs.d` roots containers tools and docker search, after
    /// any already set: `$HOME/.config/containers/certs.d`,
    /// `/etc/containers/certs.d`, `/etc/docker/certs.d`.
    pub fn use_system_certs_d(&mut self) {
        self.certs_d_roots
            .extend(crate::transport::certs_d::system_roots());
    }

    /// Whether `registry` (`host[:port]`) was marked insecure, by exact
    /// `host:port`, by host alone or by a `*.domain` pattern.
    #[must_use]
    pub fn is_insecure(&self, registry: &str) -> bool {
        let host = host_part(registry);
        self.insecure_registries
            .iter()
            .any(|r| r == registry || insecure_host_matches(r, host))
    }
}

/// Whether the insecure-registry entry `entry` (`host` or `*.domain`)
/// covers `host` (no port): the same host, ASCII case ignored, or for
/// `*.domain` any host ending in `.domain`. The one insecure-matching rule:
/// [`ClientOptions::is_insecure`] and the TLS verifier both use it.
#[must_use]
pub fn insecure_host_matches(entry: &str, host: &str) -> bool {
    match entry.strip_prefix('*') {
        Some(domain) if domain.starts_with('.') => {
            host.len() > domain.len()
                && host
                    .get(host.len() - domain.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
        }
        _ => entry.eq_ignore_ascii_case(host),
    }
}

/// The host of a `host[:port]` string, IPv6 brackets kept (`[::1]:5000` -> `[::1]`).
#[must_use]
pub fn host_part(registry: &str) -> &str {
    if registry.starts_with('[') {
        match registry.find(']') {
            Some(end) => &registry[..=end],
            None => registry,
        }
    } else {
        registry.split(':').next().unwrap_or(registry)
    }
}

/// `value` of option `name` when it lies in `min..=max`, else
/// `INVALID_ARGUMENT` naming the option and the range.
pub fn check_range<T: PartialOrd + Display>(name: &str, value: T, min: T, max: T) -> Result<T> {
    if value < min || value > max {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{name} {value} is out of range: {min} to {max}"),
        ));
    }
    Ok(value)
}

/// A timeout of at most [`MAX_TIMEOUT`] (zero means none), else
/// `INVALID_ARGUMENT` naming the option.
pub fn check_timeout(name: &str, timeout: Duration) -> Result<Duration> {
    check_range(
        &format!("{name} (ms)"),
        timeout.as_millis(),
        0,
        MAX_TIMEOUT.as_millis(),
    )?;
    Ok(timeout)
}

/// Refuses a proxy URL whose scheme the HTTP stack does not speak (it
/// would otherwise be ignored and traffic would go direct), naming the
/// scheme. A URL without a scheme (`host:port`) is taken as `http://`.
pub fn check_proxy(url: &str) -> Result<()> {
    let scheme = match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => parsed.scheme().to_string(),
        _ => return Ok(()),
    };
    if PROXY_SCHEMES.contains(&scheme.as_str()) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "proxy scheme `{scheme}` is not supported (only {})",
                PROXY_SCHEMES.join(" and ")
            ),
        ))
    }
}

/// Refuses a path the client will have to read (an auth file, CA or
/// client-certificate file) unless it is a regular file this process can
/// open, with `INVALID_ARGUMENT` naming `what` and the path (never the
/// contents). Symlinks are followed: the caller chose the path.
pub fn check_readable_file(what: &str, path: &Path) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} {}: {why}", path.display()),
        ))
    };
    match std::fs::metadata(path) {
        Err(e) => return refuse(e.to_string()),
        Ok(meta) if !meta.is_file() => return refuse("not a regular file".to_string()),
        Ok(_) => {}
    }
    match std::fs::File::open(path) {
        Ok(_) => Ok(()),
        Err(e) => refuse(e.to_string()),
    }
}

/// Refuses an empty `OAuth2` client id or one longer than 256 bytes or
/// holding control characters (`INVALID_ARGUMENT`).
pub fn check_client_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 256 || id.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "oauth2_client_id must be 1 to 256 bytes without control characters",
        ));
    }
    Ok(())
}

/// A timeout as the HTTP stack takes it: `None` for zero (no limit).
#[must_use]
pub fn timeout_limit(timeout: Duration) -> Option<Duration> {
    (!timeout.is_zero()).then_some(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_matches_host_or_host_port() {
        let o = ClientOptions {
            insecure_registries: vec!["localhost".into(), "10.0.0.1:5000".into()],
            ..Default::default()
        };
        assert!(o.is_insecure("localhost:5000"));
        assert!(o.is_insecure("localhost"));
        assert!(o.is_insecure("10.0.0.1:5000"));
        assert!(!o.is_insecure("10.0.0.1:5001"));
        assert!(!o.is_insecure("example.com"));
    }

    #[test]
    fn insecure_wildcards_match_subdomains_on_any_port() {
        let o = ClientOptions {
            insecure_registries: vec!["*.example.com".into()],
            ..ClientOptions::default()
        };
        assert!(o.is_insecure("a.example.com"));
        assert!(o.is_insecure("A.b.Example.com:5000"));
        assert!(!o.is_insecure("example.com"));
        assert!(!o.is_insecure("a.example.community"));
        assert!(!o.is_insecure("aexample.com"));
        assert!(insecure_host_matches("Localhost", "localhost"));
        assert!(!insecure_host_matches("*", "localhost"));
        assert_eq!(host_part("[::1]:5000"), "[::1]");
    }

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        ClientOptions::default().validate().expect("defaults");
        let bad = [
            ClientOptions {
                concurrency: 0,
                ..Default::default()
            },
            ClientOptions {
                concurrency: MAX_CONCURRENCY + 1,
                ..Default::default()
            },
            ClientOptions {
                max_retries: u32::MAX,
                ..Default::default()
            },
            ClientOptions {
                read_timeout: Duration::MAX,
                ..Default::default()
            },
            ClientOptions {
                page_size: Some(0),
                ..Default::default()
            },
            ClientOptions {
                max_list_bytes: u64::MAX,
                ..Default::default()
            },
        ];
        for o in bad {
            let err = o.validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            assert!(err.to_string().contains("out of range"), "{err}");
        }
        let zero = ClientOptions {
            connect_timeout: Duration::ZERO,
            read_timeout: Duration::ZERO,
            request_timeout: Duration::ZERO,
            credential_helper_timeout: Duration::ZERO,
            ..Default::default()
        };
        zero.validate().expect("zero timeouts mean none");
        assert_eq!(timeout_limit(Duration::ZERO), None);
    }

    #[test]
    fn an_auth_file_must_be_a_readable_regular_file() {
        let missing = std::env::temp_dir().join(format!("ocireg-no-auth-{}", std::process::id()));
        for (path, why) in [
            (missing.clone(), "No such file"),
            (std::env::temp_dir(), "not a regular file"),
        ] {
            let o = ClientOptions {
                auth_file: Some(path.clone()),
                ..Default::default()
            };
            let err = o.validate().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            let text = err.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains(why), "{text}");
        }
        let file = missing.with_extension("json");
        std::fs::write(
            &file,
            b"{\"auths\":{\"r\":{\"auth\":\"c2VjcmV0OnNlY3JldA==\"}}}",
        )
        .unwrap();
        check_readable_file("auth file", &file).expect("a readable file");
        std::fs::remove_file(&file).unwrap();
    }

    #[test]
    fn ranged_download_modes_parse_by_name() {
        assert_eq!(RangedDownload::parse("auto").unwrap(), RangedDownload::Auto);
        assert_eq!(RangedDownload::parse("off").unwrap(), RangedDownload::Off);
        assert_eq!(
            RangedDownload::parse("always").unwrap(),
            RangedDownload::Always
        );
        assert_eq!(RangedDownload::default(), RangedDownload::Auto);
        for bad in ["", "Auto", "on", "always "] {
            let err = RangedDownload::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn proxy_schemes_outside_http_are_refused() {
        for ok in ["http://p:3128", "HTTPS://p", "p:3128", "not a url"] {
            check_proxy(ok).expect(ok);
        }
        for bad in ["ftp://p:21", "socks5://p:1080"] {
            let err = check_proxy(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            let scheme = bad.split(':').next().unwrap();
            assert!(err.to_string().contains(&format!("`{scheme}`")), "{err}");
        }
    }
}
