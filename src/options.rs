//! The options of a client: which registries are insecure, credentials, TLS
//! material, proxy, timeouts, retries and identification.

use std::path::PathBuf;
use std::time::Duration;

use crate::credential::Credential;

/// Options for a [`crate::Client`]. Start from [`ClientOptions::default`]
/// and set the fields you need.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Registries (`host` or `host:port`) that may be reached over plain
    /// HTTP or HTTPS without certificate verification. For each, HTTPS is
    /// tried first and plain HTTP when TLS cannot be spoken; the scheme found
    /// is remembered. Certificate checks are skipped for the host part.
    pub insecure_registries: Vec<String>,
    /// Explicit credentials per registry (`host[:port]`, `docker.io` for
    /// Docker Hub); they win over any auth file.
    pub credentials: Vec<(String, Credential)>,
    /// An auth file (docker `config.json` or containers `auth.json` format)
    /// to use instead of the default search.
    pub auth_file: Option<PathBuf>,
    /// How long a docker credential helper (`docker-credential-NAME get`)
    /// may run before it is killed and the lookup fails with `TIMEOUT`.
    pub credential_helper_timeout: Duration,
    /// Extra PEM files of CA certificates to trust, beside the system's.
    pub ca_files: Vec<PathBuf>,
    /// A client certificate chain and its private key (PEM files) for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// An explicit proxy URL for all requests. When unset, `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` from the environment apply.
    pub proxy: Option<String>,
    /// How long to wait for a TCP connection (and TLS handshake).
    pub connect_timeout: Duration,
    /// How long a response may go without sending a byte before the request
    /// fails with `TIMEOUT` (a stalled body or a server that never answers).
    pub read_timeout: Duration,
    /// The longest a request without a streamed body (manifests, tags,
    /// tokens, upload control) may take in all.
    pub request_timeout: Duration,
    /// How many times a request is retried after 429, 502, 503, 504 or a
    /// connection error, when its body can be replayed (the ping `GET /v2/`
    /// included), and a `HEAD` also after 500. Waits grow exponentially
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
        }
    }
}

impl ClientOptions {
    /// Whether `registry` (`host[:port]`) was marked insecure, by exact
    /// `host:port` or by host alone.
    #[must_use]
    pub fn is_insecure(&self, registry: &str) -> bool {
        let host = host_part(registry);
        self.insecure_registries
            .iter()
            .any(|r| r == registry || r == host)
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
        assert_eq!(host_part("[::1]:5000"), "[::1]");
    }
}
