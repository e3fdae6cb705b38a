//! Search (the v1 endpoint, and the catalog fallback), rate-limit headers
//! and the HEAD-only digest: against scripted servers that answer as
//! Docker Hub documents, and against distribution 2.8.2.

mod fixtures;
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fixtures::{plain_client, push_image, reference};
use ocireg::{Client, ClientOptions, ErrorKind, RateQuota, media_type};
use support::scripted::scripted;
use support::{Mode, Registry};

const DIGEST: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn client_for(host: &str, max_retries: u32) -> Client {
    Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        max_retries,
        max_retry_after: Duration::from_secs(1),
        ..Default::default()
    })
    .unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// A Docker Hub v1 search answer with `n` results (Hub's documented shape).
fn hub_answer(query: &str, n: usize) -> Vec<u8> {
    let results: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({
                "name": format!("user{i}/{query}"),
                "description": format!("image {i}"),
                "star_count": 10 * i,
                "is_trusted": i == 0,
                "is_automated": i == 1,
                "is_official": i == 0,
            })
        })
        .collect();
    serde_json::json!({
        "num_pages": 1, "num_results": n, "page_size": n, "page": 1,
        "query": query, "results": results,
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn v1_search_and_the_limit_the_registry_ignores() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let server = scripted(Arc::new(move |method: &str, path: &str| {
        log.lock().unwrap().push(format!("{method} {path}"));
        if path.starts_with("/v1/search?") {
            // Ignores n: always five results.
            (
                200,
                headers(&[("Content-Type", "application/json")]),
                hub_answer("busy box", 5),
            )
        } else {
            (404, vec![], Vec::new())
        }
    }));
    let client = client_for(server.addr(), 0);
    let results = client.search(server.addr(), "busy box", 2).await.unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].name, "user0/busy box");
    assert_eq!(results[0].description, "image 0");
    assert!(results[0].is_official && results[0].is_trusted && !results[0].is_automated);
    assert_eq!(results[1].star_count, 10);
    assert!(results[1].is_automated && !results[1].is_official);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["GET /v1/search?q=busy%20box&n=2"]
    );
    for bad in [0, ocireg::client::MAX_SEARCH_LIMIT + 1] {
        let err = client.search(server.addr(), "x", bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
}

#[tokio::test]
async fn v1_search_server_errors_are_not_hidden_by_the_fallback() {
    let server = scripted(Arc::new(|_: &str, path: &str| {
        if path.starts_with("/v1/search") {
            (200, vec![], b"{\"results\": 7}".to_vec())
        } else {
            (500, vec![], Vec::new())
        }
    }));
    let client = client_for(server.addr(), 0);
    let err = client.search(server.addr(), "x", 5).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
}

#[tokio::test]
async fn catalog_fallback_against_distribution() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    for repo in [
        "search/alpha",
        "search/beta",
        "team/alphabet",
        "zeta/alpha-two",
    ] {
        push_image(
            &client,
            &reference(reg.host(), &format!("{repo}:v1")),
            media_type::OCI_MANIFEST,
            &[(1, 16)],
            &["v1"],
        )
        .await;
    }
    let names = |results: Vec<ocireg::SearchResult>| {
        results.into_iter().map(|r| r.name).collect::<Vec<_>>()
    };
    let found = client.search(reg.host(), "alpha", 10).await.unwrap();
    assert!(
        found
            .iter()
            .all(|r| r.description.is_empty() && r.star_count == 0)
    );
    assert_eq!(
        names(found),
        ["search/alpha", "team/alphabet", "zeta/alpha-two"]
    );
    // The limit holds; a page size of 1 makes the registry paginate, and
    // the search stops at the limit.
    let paged = Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        page_size: Some(1),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        names(paged.search(reg.host(), "alpha", 2).await.unwrap()),
        ["search/alpha", "team/alphabet"]
    );
    assert_eq!(
        names(client.search(reg.host(), "", 2).await.unwrap()).len(),
        2
    );
    assert!(
        client
            .search(reg.host(), "nothing", 5)
            .await
            .unwrap()
            .is_empty()
    );
    let log = reg.access_log();
    assert!(
        log.iter()
            .any(|e| e.uri.starts_with("/v1/search?q=alpha") && e.status == 404),
        "v1 search was tried first"
    );
    let catalog_pages = log
        .iter()
        .filter(|e| e.uri.starts_with("/v2/_catalog?") && e.uri.contains("n=1"))
        .count();
    assert_eq!(catalog_pages, 3, "the paged search stopped at its limit");
}

/// A scripted registry whose manifest answers carry Docker Hub's rate-limit
/// headers; the tag `limited` is answered with 429 and `Retry-After`; the
/// tag `nodigest` without `Docker-Content-Digest`.
fn rate_limited_registry() -> (support::server::Server, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let server = scripted(Arc::new(move |method: &str, path: &str| {
        log.lock().unwrap().push(format!("{method} {path}"));
        let limits = [
            ("ratelimit-limit", "100;w=21600"),
            ("ratelimit-remaining", "0;w=21600"),
            ("docker-ratelimit-source", "192.0.2.7"),
        ];
        if path.ends_with("/manifests/limited") {
            let mut h = headers(&limits);
            h.extend(headers(&[
                ("Retry-After", "3600"),
                ("Content-Type", "application/json"),
            ]));
            let body = br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"pull limit"}]}"#;
            return (429, h, body.to_vec());
        }
        let mut h = headers(&[
            ("ratelimit-limit", "100;w=21600"),
            ("ratelimit-remaining", "76;w=21600"),
            ("docker-ratelimit-source", "192.0.2.7"),
            ("Content-Type", media_type::OCI_MANIFEST),
            ("Content-Length", "2"),
        ]);
        if !path.ends_with("/manifests/nodigest") {
            h.push(("Docker-Content-Digest".into(), DIGEST.into()));
        }
        (200, h, b"{}".to_vec())
    }));
    (server, seen)
}

#[tokio::test]
async fn rate_limit_headers_head_only_digest_and_429() {
    let (server, seen) = rate_limited_registry();
    let host = server.addr();
    let client = client_for(host, 0);
    assert_eq!(client.last_rate_limit(host), None);

    let r = reference(host, "library/app:v1");
    assert_eq!(client.digest(&r).await.unwrap().as_str(), DIGEST);
    let limit = client.last_rate_limit(host).expect("recorded");
    let window = Some(Duration::from_secs(21600));
    assert_eq!(limit.limit, Some(RateQuota { count: 100, window }));
    assert_eq!(limit.remaining, Some(RateQuota { count: 76, window }));
    assert_eq!(limit.source.as_deref(), Some("192.0.2.7"));
    assert_eq!(client.rate_limit(&r).await.unwrap(), limit);

    // No Docker-Content-Digest: an error, and still no GET.
    let err = client
        .digest(&reference(host, "library/app:nodigest"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("Docker-Content-Digest"), "{err}");
    let by_digest = reference(host, &format!("library/app:nodigest@{DIGEST}"));
    assert_eq!(client.digest(&by_digest).await.unwrap().as_str(), DIGEST);
    assert!(
        seen.lock().unwrap().iter().all(|r| r.starts_with("HEAD ")),
        "digest and rate_limit use HEAD only: {:?}",
        seen.lock().unwrap()
    );

    // A 429 carries the limit and its Retry-After.
    let limited = reference(host, "library/app:limited");
    let err = client.get_manifest(&limited).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    let carried = err.rate_limit().expect("the 429 carries the limit");
    assert_eq!(carried.remaining, Some(RateQuota { count: 0, window }));
    assert_eq!(carried.source.as_deref(), Some("192.0.2.7"));
    assert_eq!(client.last_rate_limit(host).as_ref(), Some(carried));
    let err = client.rate_limit(&limited).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");

    // The blocking facade sees the same.
    let (server, _) = rate_limited_registry();
    let host = server.addr().to_string();
    std::thread::spawn(move || {
        let client = ocireg::blocking::Client::new(ClientOptions {
            insecure_registries: vec![host.clone()],
            ..Default::default()
        })
        .unwrap();
        let r = reference(&host, "library/app:v1");
        assert_eq!(
            client.rate_limit(&r).unwrap().limit.map(|q| q.count),
            Some(100)
        );
        assert_eq!(client.digest(&r).unwrap().as_str(), DIGEST);
        assert!(client.last_rate_limit(&host).is_some());
    })
    .join()
    .unwrap();
}

#[tokio::test]
async fn a_registry_without_rate_limit_headers_reports_unknown() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "limits/app:v1");
    let pushed = push_image(&client, &r, media_type::OCI_MANIFEST, &[(2, 8)], &["v1"]).await;
    let limit = client.rate_limit(&r).await.unwrap();
    assert!(limit.is_unknown(), "{limit:?}");
    assert_eq!(limit.limit, None);
    assert_eq!(limit.remaining, None);
    assert_eq!(client.digest(&r).await.unwrap(), pushed.digest);
    assert_eq!(client.last_rate_limit(reg.host()), None);
    let heads = reg
        .access_log()
        .iter()
        .filter(|e| e.uri.ends_with("/manifests/v1") && e.method == "GET")
        .count();
    assert_eq!(heads, 0, "no GET of the manifest");
}
