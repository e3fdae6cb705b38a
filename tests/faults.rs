//! Faults injected by the loopback proxy in front of a real registry.

mod fixtures;
mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use fixtures::{bytes, plain_client, reference};
use ocireg::{Client, ClientOptions, Credential, Digest, ErrorKind};
use support::{FaultProxy, Mode, Registry};

async fn read_all(mut reader: ocireg::BlobReader) -> ocireg::Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = reader.chunk().await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A registry with one blob, and a proxy in front of it.
async fn setup(seed: u64, len: usize) -> (Registry, FaultProxy, Vec<u8>, Digest) {
    let reg = Registry::start(Mode::Plain);
    let data = bytes(seed, len);
    let direct = plain_client(reg.host());
    let digest = direct
        .push_blob(
            &reference(reg.host(), "faults/blob"),
            Bytes::from(data.clone()),
        )
        .await
        .unwrap();
    let proxy = FaultProxy::start(reg.host());
    (reg, proxy, data, digest)
}

#[tokio::test]
async fn a_connection_cut_mid_blob_is_resumed_and_verified() {
    let (_reg, proxy, data, digest) = setup(1, 2 * 1024 * 1024).await;
    proxy.cut_body_after("GET", "/blobs/sha256:", 300_000, 2);
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "faults/blob");
    let got = read_all(client.get_blob(&r, &digest).await.unwrap())
        .await
        .expect("resumed read");
    assert_eq!(got, data);
    assert_eq!(
        proxy.count("GET", "/blobs/sha256:"),
        3,
        "one request and two resumes"
    );
    let ranged = proxy
        .requests()
        .iter()
        .filter(|r| r.path_and_query.contains("/blobs/sha256:"))
        .filter(|r| {
            r.headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("range") && v.starts_with("bytes="))
        })
        .count();
    assert_eq!(ranged, 2, "the resumes ask for the rest with Range");
}

#[tokio::test]
async fn too_many_cuts_end_in_a_network_error() {
    let (_reg, proxy, _data, digest) = setup(2, 1024 * 1024).await;
    proxy.cut_body_after("GET", "/blobs/sha256:", 1000, 100);
    let client = Client::new(ClientOptions {
        insecure_registries: vec![proxy.host().to_string()],
        max_resumes: 3,
        ..Default::default()
    })
    .unwrap();
    let r = reference(proxy.host(), "faults/blob");
    let err = read_all(client.get_blob(&r, &digest).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_eq!(
        proxy.count("GET", "/blobs/sha256:"),
        4,
        "one request and three resumes"
    );
}

#[tokio::test]
async fn a_flipped_byte_in_transit_is_a_digest_mismatch() {
    let (_reg, proxy, _data, digest) = setup(3, 100_000).await;
    proxy.corrupt_body_byte("GET", "/blobs/sha256:", 5_000, 1);
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "faults/blob");
    let err = read_all(client.get_blob(&r, &digest).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
}

#[tokio::test]
async fn retry_after_is_waited_out() {
    let (_reg, proxy, data, digest) = setup(4, 10_000).await;
    proxy.respond_status(
        "GET",
        "/blobs/sha256:",
        429,
        vec![("Retry-After".into(), "1".into())],
        1,
    );
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "faults/blob");
    let started = Instant::now();
    let got = read_all(client.get_blob(&r, &digest).await.expect("after waiting"))
        .await
        .unwrap();
    assert_eq!(got, data);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(proxy.count("GET", "/blobs/sha256:"), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once() {
    let (_reg, proxy, _data, digest) = setup(5, 100).await;
    proxy.respond_status(
        "HEAD",
        "/blobs/sha256:",
        429,
        vec![("Retry-After".into(), "3600".into())],
        10,
    );
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "faults/blob");
    let err = client.head_blob(&r, &digest).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(proxy.count("HEAD", "/blobs/sha256:"), 1);
}

#[tokio::test]
async fn bursts_of_503_are_retried_then_given_up() {
    let (_reg, proxy, _data, digest) = setup(6, 100).await;
    let r = reference(proxy.host(), "faults/blob");
    proxy.respond_status("HEAD", "/blobs/sha256:", 503, vec![], 2);
    let client = plain_client(proxy.host());
    client
        .head_blob(&r, &digest)
        .await
        .expect("third try succeeds");
    assert_eq!(proxy.count("HEAD", "/blobs/sha256:"), 3);

    proxy.respond_status("GET", "/tags/list", 503, vec![], 100);
    let client = Client::new(ClientOptions {
        insecure_registries: vec![proxy.host().to_string()],
        max_retries: 2,
        ..Default::default()
    })
    .unwrap();
    let err = client.tags(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(
        proxy.count("GET", "/tags/list"),
        3,
        "one try and two retries"
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_carries_no_authorization() {
    let (reg, front, data, digest) = setup(7, 50_000).await;
    let storage = FaultProxy::start(reg.host());
    front.require_basic("alice", "s3cret");
    front.redirect(
        "GET",
        "/blobs/sha256:",
        &format!("http://{}", storage.host()),
        1,
    );
    let client = Client::new(ClientOptions {
        insecure_registries: vec![front.host().to_string()],
        credentials: vec![(
            front.host().to_string(),
            Credential::Basic {
                username: "alice".into(),
                password: "s3cret".into(),
            },
        )],
        ..Default::default()
    })
    .unwrap();
    let r = reference(front.host(), "faults/blob");
    let got = read_all(client.get_blob(&r, &digest).await.expect("redirected get"))
        .await
        .unwrap();
    assert_eq!(got, data);
    // The first request is the client's first contact, sent without
    // credentials (its 401 is the ping's answer); the retry carries them.
    let at_front = front.requests();
    let blobs_at_front: Vec<_> = at_front
        .iter()
        .filter(|r| r.path_and_query.contains("/blobs/"))
        .collect();
    assert_eq!(blobs_at_front.len(), 2, "{at_front:?}");
    assert!(
        blobs_at_front[1]
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization")),
        "the registry itself gets the credential"
    );
    let at_storage = storage.requests();
    assert_eq!(at_storage.len(), 1);
    assert!(
        !at_storage[0]
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization")),
        "the other host must not see Authorization: {:?}",
        at_storage[0].headers
    );
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    // A listener that accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        read_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(2),
        ..Default::default()
    })
    .unwrap();
    let err = client.ping(&host).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    drop(listener);
}

#[tokio::test]
async fn an_explicit_proxy_carries_the_requests() {
    let (reg, proxy, data, digest) = setup(8, 20_000).await;
    let client = Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        proxy: Some(format!("http://{}", proxy.host())),
        ..Default::default()
    })
    .unwrap();
    let r = reference(reg.host(), "faults/blob");
    let got = read_all(client.get_blob(&r, &digest).await.unwrap())
        .await
        .unwrap();
    assert_eq!(got, data);
    assert!(
        proxy.count("GET", "/blobs/sha256:") >= 1,
        "{:?}",
        proxy.requests()
    );

    let err = Client::new(ClientOptions {
        proxy: Some("not a url".into()),
        ..Default::default()
    })
    .err()
    .expect("bad proxy URL");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    // A scheme the HTTP stack cannot speak is refused, not ignored (which
    // sent the traffic direct).
    let err = Client::new(ClientOptions {
        proxy: Some("ftp://127.0.0.1:21".into()),
        ..Default::default()
    })
    .err()
    .expect("ftp proxy");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("`ftp`"), "{err}");
}

/// The pings (`GET /v2/`) the proxy received.
fn pings(proxy: &FaultProxy) -> usize {
    proxy
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path_and_query == "/v2/")
        .count()
}

#[tokio::test]
async fn a_ping_is_retried_like_any_request() {
    let (_reg, proxy, _data, _digest) = setup(9, 100).await;
    proxy.respond_status("GET", "/v2/", 503, vec![], 2);
    let client = plain_client(proxy.host());
    client
        .ping(proxy.host())
        .await
        .expect("the third ping answers");
    assert_eq!(pings(&proxy), 3, "{:?}", proxy.requests());

    // 429 with Retry-After, then a 502: waited out, then fine.
    proxy.clear_requests();
    proxy.respond_status(
        "GET",
        "/v2/",
        429,
        vec![("Retry-After".into(), "1".into())],
        1,
    );
    proxy.respond_status("GET", "/v2/", 502, vec![], 1);
    let started = Instant::now();
    plain_client(proxy.host())
        .ping(proxy.host())
        .await
        .expect("after waiting");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(pings(&proxy), 3);

    // 503 for good: bounded, a SERVER error.
    proxy.clear_requests();
    proxy.respond_status("GET", "/v2/", 503, vec![], usize::MAX);
    let client = Client::new(ClientOptions {
        insecure_registries: vec![proxy.host().to_string()],
        max_retries: 2,
        ..Default::default()
    })
    .unwrap();
    let err = client.ping(proxy.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(pings(&proxy), 3, "one ping and two retries");
}

#[tokio::test]
async fn a_transient_500_on_a_blob_head_is_retried() {
    let (_reg, proxy, data, digest) = setup(10, 1000).await;
    let r = reference(proxy.host(), "faults/blob");
    proxy.respond_status("HEAD", "/blobs/sha256:", 500, vec![], 1);
    let client = plain_client(proxy.host());
    assert!(client.blob_exists(&r, &digest).await.expect("retried"));
    assert_eq!(proxy.count("HEAD", "/blobs/sha256:"), 2);
    let info = client.head_blob(&r, &digest).await.unwrap();
    assert_eq!(info.size, data.len() as u64);

    // 500 for good: bounded, a SERVER error.
    proxy.clear_requests();
    proxy.respond_status("HEAD", "/blobs/sha256:", 500, vec![], usize::MAX);
    let client = Client::new(ClientOptions {
        insecure_registries: vec![proxy.host().to_string()],
        max_retries: 2,
        ..Default::default()
    })
    .unwrap();
    let err = client.blob_exists(&r, &digest).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(
        proxy.count("HEAD", "/blobs/sha256:"),
        3,
        "one try and two retries"
    );

    // A GET is retried after 500 too: the second try gets the registry's
    // own answer (the repository holds a blob, no tags).
    proxy.clear_requests();
    proxy.clear_faults();
    proxy.respond_status("GET", "/tags/list", 500, vec![], 1);
    let err = client.tags(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(proxy.count("GET", "/tags/list"), 2);
}

/// A registry behind a proxy `front` that asks for basic credentials, a
/// second proxy `storage` (another port) in front of the same registry,
/// and a client holding the credentials for `front`.
async fn front_and_storage(seed: u64) -> (Registry, FaultProxy, FaultProxy, Client, Vec<u8>) {
    let (reg, front, data, _digest) = setup(seed, 30_000).await;
    let storage = FaultProxy::start(reg.host());
    front.require_basic("alice", "s3cret");
    let client = Client::new(ClientOptions {
        insecure_registries: vec![front.host().to_string()],
        credentials: vec![(
            front.host().to_string(),
            Credential::Basic {
                username: "alice".into(),
                password: "s3cret".into(),
            },
        )],
        upload_chunk_size: 10_000,
        ..Default::default()
    })
    .unwrap();
    (reg, front, storage, client, data)
}

/// Asserts that `storage` saw requests (`method` among them) and none
/// carried `Authorization`.
fn assert_reached_without_credentials(storage: &FaultProxy, method: &str) {
    let seen = storage.requests();
    assert!(
        seen.iter().any(|r| r.method == method),
        "the redirect to storage was followed for {method}: {seen:?}"
    );
    for r in &seen {
        assert!(
            r.header("authorization").is_none(),
            "{} {} carried Authorization to another origin",
            r.method,
            r.path_and_query
        );
        assert!(
            r.header("referer").is_none(),
            "{} {} told the other origin where it came from",
            r.method,
            r.path_and_query
        );
    }
}

#[tokio::test]
async fn redirects_of_manifest_requests_carry_no_authorization() {
    let (_reg, front, storage, client, _data) = front_and_storage(11).await;
    let r = reference(front.host(), "faults/manifest:v1");
    let manifest = Bytes::from_static(
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#,
    );
    let to = format!("http://{}", storage.host());
    front.redirect("PUT", "/manifests/", &to, 1);
    client
        .put_manifest(&r, manifest.clone(), ocireg::media_type::OCI_INDEX)
        .await
        .expect("PUT followed to storage");
    assert_reached_without_credentials(&storage, "PUT");

    storage.clear_requests();
    front.redirect("GET", "/manifests/", &to, 1);
    let got = client.get_manifest(&r).await.expect("GET via storage");
    assert_eq!(got.bytes, manifest);
    front.redirect("HEAD", "/manifests/", &to, 1);
    client.head_manifest(&r).await.expect("HEAD via storage");
    assert_reached_without_credentials(&storage, "GET");
    assert_reached_without_credentials(&storage, "HEAD");
}

#[tokio::test]
async fn redirects_of_upload_requests_carry_no_authorization() {
    let (_reg, front, storage, client, data) = front_and_storage(12).await;
    let r = reference(front.host(), "faults/upload");
    let to = format!("http://{}", storage.host());
    // A 307 on the POST that opens the session: the session (Location
    // rewritten by storage) then lives on storage, PATCH and PUT too.
    front.redirect("POST", "/blobs/uploads/", &to, 1);
    client
        .push_blob(&r, Bytes::from(data.clone()))
        .await
        .expect("POST redirected");
    assert_reached_without_credentials(&storage, "POST");
    assert_reached_without_credentials(&storage, "PUT");

    // A 307 on a PATCH in the middle of a chunked upload.
    storage.clear_requests();
    front.redirect("PATCH", "/blobs/uploads/", &to, 1);
    let digest = client
        .push_blob_chunked(&r, &mut std::io::Cursor::new(data.clone()))
        .await
        .expect("PATCH redirected");
    assert_eq!(digest, Digest::sha256_of(&data));
    assert_reached_without_credentials(&storage, "PATCH");

    // A 307 on the closing PUT.
    storage.clear_requests();
    front.redirect("PUT", "/blobs/uploads/", &to, 1);
    let other = bytes(13, 5000);
    client
        .push_blob(&r, Bytes::from(other.clone()))
        .await
        .expect("PUT redirected");
    assert_reached_without_credentials(&storage, "PUT");
    // The registry got the blob whole.
    let got = read_all(
        client
            .get_blob(&r, &Digest::sha256_of(&other))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(got, other);
}
