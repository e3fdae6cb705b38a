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
    let at_front = front.requests();
    let blob_at_front = at_front
        .iter()
        .find(|r| r.path_and_query.contains("/blobs/"))
        .expect("front saw it");
    assert!(
        blob_at_front
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
    let started = Instant::now();
    let err = client.ping(&host).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "no hang");
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
}
