//! How many requests each operation sends, counted on the registry's access
//! log and the token server (issue 16): the first real request is the ping,
//! HEADs the next request makes redundant are not sent, and bearer tokens
//! are reused across clients (processes) through the token cache file.
//! These counts are fixed by the protocol: every assertion is exact.

mod fixtures;
mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fixtures::{plain_client, push_image, reference};
use ocireg::image::ImageOptions;
use ocireg::{Client, ClientOptions, Credential, media_type};
use support::tempdir::TempDir;
use support::{AccessLogEntry, Mode, Registry};

/// The access-log entries after the first `skip`, once `want` of them are
/// there (the registry logs a request as its handler returns; on a loaded
/// machine that can lag by seconds, so the wait is long: it ends as soon as
/// they are there) and no more arrive for a moment.
fn entries_after(reg: &Registry, skip: usize, want: usize) -> Vec<AccessLogEntry> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while reg.access_log().len() < skip + want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(150));
    reg.access_log().split_off(skip)
}

/// `METHOD kind` for each entry, the kind read from the URI.
fn summary(entries: &[AccessLogEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let kind = if e.uri == "/v2/" {
                "ping"
            } else if e.uri.contains("/manifests/") {
                "manifest"
            } else if e.uri.contains("/blobs/uploads/") {
                "upload"
            } else if e.uri.contains("/blobs/") {
                "blob"
            } else if e.uri.contains("/tags/list") {
                "tags"
            } else {
                "other"
            };
            format!("{} {kind} {}", e.method, e.status)
        })
        .collect()
}

fn count(summary: &[String], what: &str) -> usize {
    summary.iter().filter(|s| s.starts_with(what)).count()
}

#[tokio::test]
async fn each_operation_sends_only_the_requests_it_needs() {
    let reg = Registry::start(Mode::Plain);
    let source = reference(reg.host(), "counts/app:v1");
    push_image(
        &plain_client(reg.host()),
        &source,
        media_type::OCI_MANIFEST,
        &[(1, 3000), (2, 5000)],
        &["v1"],
    )
    .await;
    // Three blobs (POST, PUT each) and the manifest: the first request is
    // its own ping.
    let mut seen = entries_after(&reg, 0, 7).len();
    // Each operation gets a fresh client: nothing is known of the registry.
    let mut measure = async |want: usize, op: &str| {
        let got = summary(&entries_after(&reg, seen, want));
        seen += got.len();
        assert_eq!(got.len(), want, "{op}: {got:?}");
        assert_eq!(count(&got, "GET ping"), 0, "{op}: no ping: {got:?}");
        got
    };

    let digest = plain_client(reg.host()).digest(&source).await.unwrap();
    let got = measure(1, "digest").await;
    assert_eq!(got, ["HEAD manifest 200"]);

    let tags = plain_client(reg.host()).tags(&source).await.unwrap();
    assert_eq!(tags, ["v1"]);
    assert_eq!(measure(1, "tags").await, ["GET tags 200"]);

    // Pull: the manifest, the config and two layers; no HEAD before a GET.
    let dir = TempDir::new("counts-pull");
    let layout = dir.path().join("layout");
    plain_client(reg.host())
        .pull(&source, &layout, &ImageOptions::default())
        .await
        .unwrap();
    let got = measure(4, "pull").await;
    assert_eq!(count(&got, "GET manifest 200"), 1, "{got:?}");
    assert_eq!(count(&got, "GET blob 200"), 3, "{got:?}");

    // Push into a new repository: per blob an existence HEAD (404), the
    // upload's POST and PUT; then the manifest PUT.
    let pushed = reference(reg.host(), "counts/pushed:v1");
    let pushed_digest = plain_client(reg.host())
        .push(&layout, &pushed, &ImageOptions::default())
        .await
        .unwrap();
    assert_eq!(pushed_digest, digest);
    let got = measure(10, "push").await;
    assert_eq!(count(&got, "HEAD blob 404"), 3, "{got:?}");
    assert_eq!(count(&got, "POST upload 202"), 3, "{got:?}");
    assert_eq!(count(&got, "PUT upload 201"), 3, "{got:?}");
    assert_eq!(count(&got, "PUT manifest 201"), 1, "{got:?}");

    // Copy to a second registry: the source's manifest and blobs, the
    // target's HEAD, POST and PUT per blob and the manifest.
    let other = Registry::start(Mode::Plain);
    let target = reference(other.host(), "counts/copied:v1");
    let client = Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string(), other.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    client
        .copy(&source, &target, &ImageOptions::default())
        .await
        .unwrap();
    let got = measure(4, "copy (source)").await;
    assert_eq!(count(&got, "GET manifest 200"), 1, "{got:?}");
    assert_eq!(count(&got, "GET blob 200"), 3, "{got:?}");
    let at_target = summary(&entries_after(&other, 0, 10));
    assert_eq!(at_target.len(), 10, "{at_target:?}");
    assert_eq!(count(&at_target, "GET ping"), 0, "{at_target:?}");
    assert_eq!(count(&at_target, "HEAD blob 404"), 3, "{at_target:?}");
    assert_eq!(count(&at_target, "PUT manifest 201"), 1, "{at_target:?}");

    // One client: what it learned on first contact serves every later
    // operation, with no ping at all.
    let client = plain_client(reg.host());
    client.digest(&source).await.unwrap();
    client.tags(&source).await.unwrap();
    client.digest(&source).await.unwrap();
    assert_eq!(
        measure(3, "one client").await,
        ["HEAD manifest 200", "GET tags 200", "HEAD manifest 200"]
    );
}

/// Options for the token registry with its credential and a token cache file.
fn token_options(reg: &Registry, cache: Option<PathBuf>) -> ClientOptions {
    let (user, password) = reg.credentials().expect("credentials");
    ClientOptions {
        ca_files: reg.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        credentials: vec![(
            reg.host().to_string(),
            Credential::Basic {
                username: user.into(),
                password: password.into(),
            },
        )],
        token_cache: cache,
        ..Default::default()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_token_cache_file_spares_the_next_process_the_token_server() {
    let reg = Registry::start(Mode::Token);
    let tokens = reg.token_server().expect("token server");
    let r = reference(reg.host(), "cached/app:v1");
    let setup = Client::new(token_options(&reg, None)).unwrap();
    push_image(&setup, &r, media_type::OCI_MANIFEST, &[(3, 100)], &["v1"]).await;
    let dir = TempDir::new("token-cache");
    let cache = dir.path().join("cache/ocireg/tokens.json");

    // Without a cache file, every client fetches its own token.
    let before = tokens.requests();
    for _ in 0..2 {
        Client::new(token_options(&reg, None))
            .unwrap()
            .digest(&r)
            .await
            .unwrap();
    }
    assert_eq!(tokens.requests() - before, 2);

    // With one, the second client (as a second process would) reuses the
    // first one's token: one token request for two clients.
    let seen = reg.access_log().len();
    let before = tokens.requests();
    for _ in 0..2 {
        Client::new(token_options(&reg, Some(cache.clone())))
            .unwrap()
            .digest(&r)
            .await
            .unwrap();
    }
    assert_eq!(tokens.requests() - before, 1);
    // The first client: the first contact's 401 says where tokens come
    // from, and the HEAD is sent again with the token. The second one finds
    // the registry's scheme, challenge and token in the file: one request.
    let got = summary(&entries_after(&reg, seen, 3));
    assert_eq!(
        got,
        [
            "HEAD manifest 401",
            "HEAD manifest 200",
            "HEAD manifest 200"
        ]
    );

    // Over TLS the registry offers HTTP/2 (ALPN) and the client takes it.
    let log = reg.log_text();
    assert!(log.contains("HTTP/2.0\""), "{log}");
    assert!(!log.contains("manifests/v1 HTTP/1.1\""), "{log}");

    // The file: private, holding the token but no credential.
    assert_eq!(mode(&cache), 0o600);
    assert_eq!(mode(cache.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&cache).unwrap();
    let (user, password) = reg.credentials().unwrap();
    assert!(!text.contains(password), "{text}");
    assert!(!text.contains(&format!("\"{user}\"")), "{text}");
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["registries"][reg.host()]["scheme"], "https", "{text}");
    assert_eq!(file["registries"][reg.host()]["auth"], "bearer", "{text}");
    let entries = file["tokens"].as_object().expect("tokens");
    assert_eq!(entries.len(), 1, "{text}");
    let entry = entries.values().next().unwrap();
    assert_eq!(
        entry["scopes"],
        serde_json::json!(["repository:cached/app:pull"])
    );
    assert!(entry["token"].as_str().is_some_and(|t| t.len() > 20));

    // An entry due for refresh is fetched anew, and replaced in the file.
    let mut stale = file.clone();
    for entry in stale["tokens"].as_object_mut().unwrap().values_mut() {
        entry["refresh_at"] = serde_json::json!(1);
    }
    std::fs::write(&cache, stale.to_string()).unwrap();
    let before = tokens.requests();
    Client::new(token_options(&reg, Some(cache.clone())))
        .unwrap()
        .digest(&r)
        .await
        .unwrap();
    assert_eq!(tokens.requests() - before, 1);
    let renewed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    let refresh_at = renewed["tokens"]
        .as_object()
        .and_then(|t| t.values().next())
        .and_then(|e| e["refresh_at"].as_u64())
        .unwrap();
    assert!(refresh_at > 1_000_000_000, "{renewed}");

    // A token the registry refuses is dropped from the file and refetched.
    let mut bad = renewed.clone();
    for entry in bad["tokens"].as_object_mut().unwrap().values_mut() {
        entry["token"] = serde_json::json!("not-a-token");
    }
    std::fs::write(&cache, bad.to_string()).unwrap();
    let before = tokens.requests();
    Client::new(token_options(&reg, Some(cache.clone())))
        .unwrap()
        .digest(&r)
        .await
        .unwrap();
    assert_eq!(tokens.requests() - before, 1);
    assert!(
        !std::fs::read_to_string(&cache)
            .unwrap()
            .contains("not-a-token")
    );

    // A corrupt file is no error: ignored, and replaced by the next token.
    std::fs::write(&cache, "{corrupt").unwrap();
    let before = tokens.requests();
    Client::new(token_options(&reg, Some(cache.clone())))
        .unwrap()
        .digest(&r)
        .await
        .unwrap();
    assert_eq!(tokens.requests() - before, 1);
    let repaired: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(repaired["tokens"].as_object().map(|t| t.len()), Some(1));
}

/// The token cache file's memory of `host`, rewritten by `change`.
fn edit_remembered(cache: &Path, host: &str, change: impl FnOnce(&mut serde_json::Value)) {
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cache).unwrap()).unwrap();
    change(&mut file["registries"][host]);
    std::fs::write(cache, file.to_string()).unwrap();
}

#[tokio::test]
async fn a_cold_process_with_a_warm_cache_file_skips_the_ping_and_stale_memories_fall_back() {
    let reg = Registry::start(Mode::Token);
    let tokens = reg.token_server().expect("token server");
    let r = reference(reg.host(), "cold/app:v1");
    let setup = Client::new(token_options(&reg, None)).unwrap();
    push_image(&setup, &r, media_type::OCI_MANIFEST, &[(5, 100)], &["v1"]).await;
    let dir = TempDir::new("cold-cache");
    let cache = dir.path().join("tokens.json");
    let cold = || Client::new(token_options(&reg, Some(cache.clone()))).unwrap();
    cold().digest(&r).await.unwrap();

    // Warm file: one request, no token request.
    let seen = reg.access_log().len();
    let before = tokens.requests();
    cold().digest(&r).await.unwrap();
    assert_eq!(
        summary(&entries_after(&reg, seen, 1)),
        ["HEAD manifest 200"]
    );
    assert_eq!(tokens.requests(), before);

    // A stale realm (no token kept for it): the first request goes without
    // a token, its 401 names the right realm, and the file learns it.
    edit_remembered(&cache, reg.host(), |entry| {
        entry["realm"] = serde_json::json!("https://127.0.0.1:9/token");
    });
    let seen = reg.access_log().len();
    cold().digest(&r).await.unwrap();
    assert_eq!(
        summary(&entries_after(&reg, seen, 2)),
        ["HEAD manifest 401", "HEAD manifest 200"]
    );
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(!text.contains("127.0.0.1:9"), "{text}");

    // Plain HTTP remembered for a registry not marked insecure is ignored:
    // nothing is sent over plain HTTP, and the file is corrected.
    edit_remembered(&cache, reg.host(), |entry| {
        entry["scheme"] = serde_json::json!("http");
    });
    cold().digest(&r).await.unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(file["registries"][reg.host()]["scheme"], "https");

    // A plain registry remembered as https (it changed scheme): the TLS
    // attempt fails, the client probes, and the file says http after.
    let plain = Registry::start(Mode::Plain);
    let pr = reference(plain.host(), "cold/plain:v1");
    let options = || ClientOptions {
        insecure_registries: vec![plain.host().to_string()],
        token_cache: Some(cache.clone()),
        ..Default::default()
    };
    push_image(
        &plain_client(plain.host()),
        &pr,
        media_type::OCI_MANIFEST,
        &[(6, 10)],
        &["v1"],
    )
    .await;
    Client::new(options()).unwrap().digest(&pr).await.unwrap();
    edit_remembered(&cache, plain.host(), |entry| {
        entry["scheme"] = serde_json::json!("https");
    });
    Client::new(options()).unwrap().digest(&pr).await.unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(file["registries"][plain.host()]["scheme"], "http");
    assert_eq!(file["registries"][plain.host()]["auth"], "anonymous");
    let seen = plain.access_log().len();
    Client::new(options()).unwrap().digest(&pr).await.unwrap();
    assert_eq!(
        summary(&entries_after(&plain, seen, 1)),
        ["HEAD manifest 200"]
    );
}
