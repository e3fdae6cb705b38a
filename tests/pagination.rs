//! Listing pages: a page of exactly the size asked for that comes without a
//! `Link` is followed up with `last=` (scripted registries that cap pages
//! silently, or ignore `last`), and a registry that paginates properly
//! costs no extra request.

mod fixtures;
mod support;

use std::sync::{Arc, Mutex};

use fixtures::{push_image, reference};
use ocireg::{Client, ClientOptions, media_type};
use support::http1::parse_query;
use support::scripted::{content_type, scripted};
use support::server::Server;
use support::{Mode, Registry};

/// A registry listing `tags` (sorted) that caps every page at `cap`
/// entries, honours `last` when `honours_last`, and never sends `Link`.
/// Returns the server and the queries it was asked.
fn capping_registry(
    tags: Vec<String>,
    cap: usize,
    honours_last: bool,
) -> (Server, Arc<Mutex<Vec<String>>>) {
    let queries = Arc::new(Mutex::new(Vec::new()));
    let seen = queries.clone();
    let server = scripted(Arc::new(move |_, path| {
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
        seen.lock().unwrap().push(query.to_string());
        let last = parse_query(query)
            .into_iter()
            .find(|(k, _)| k == "last")
            .map(|(_, v)| v);
        let page: Vec<&String> = tags
            .iter()
            .filter(|t| !honours_last || last.as_ref().is_none_or(|l| *t > l))
            .take(cap)
            .collect();
        let body = serde_json::json!({"name": "r", "tags": page});
        (
            200,
            content_type("application/json"),
            body.to_string().into_bytes(),
        )
    }));
    (server, queries)
}

fn client_with_page_size(host: &str, n: u32) -> Client {
    Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        page_size: Some(n),
        max_retries: 0,
        ..Default::default()
    })
    .unwrap()
}

fn names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i:02}")).collect()
}

#[tokio::test]
async fn a_silently_capped_listing_is_followed_to_its_end() {
    let all = names("t", 7);
    let (server, queries) = capping_registry(all.clone(), 3, true);
    let host = server.addr().to_string();
    let client = client_with_page_size(&host, 3);
    let tags = client.tags(&reference(&host, "r")).await.unwrap();
    assert_eq!(tags, all, "no silent truncation at the first page");
    assert_eq!(
        *queries.lock().unwrap(),
        vec!["n=3", "n=3&last=t02", "n=3&last=t05"],
        "3 + 3 + 1: the short page ends the listing"
    );
}

#[tokio::test]
async fn a_listing_of_whole_pages_ends_at_the_first_empty_one() {
    let all = names("t", 6);
    let (server, queries) = capping_registry(all.clone(), 3, true);
    let host = server.addr().to_string();
    let client = client_with_page_size(&host, 3);
    assert_eq!(client.tags(&reference(&host, "r")).await.unwrap(), all);
    assert_eq!(queries.lock().unwrap().len(), 3, "3 + 3 + 0");
}

#[tokio::test]
async fn a_registry_ignoring_last_gives_no_duplicates() {
    let all = names("t", 3);
    let (server, queries) = capping_registry(all.clone(), 3, false);
    let host = server.addr().to_string();
    let client = client_with_page_size(&host, 3);
    assert_eq!(client.tags(&reference(&host, "r")).await.unwrap(), all);
    assert_eq!(
        queries.lock().unwrap().len(),
        2,
        "the second page repeats the first, and ends the listing"
    );
}

#[tokio::test]
async fn without_a_page_size_one_page_is_the_listing() {
    let all = names("t", 3);
    let (server, queries) = capping_registry(all.clone(), 3, true);
    let host = server.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(client.tags(&reference(&host, "r")).await.unwrap(), all);
    assert_eq!(*queries.lock().unwrap(), vec![""]);
}

/// distribution's catalog paginates with `Link`: five repositories at two a
/// page take exactly three requests, and its tag list (which ignores `n`
/// and sends everything) takes one.
#[tokio::test]
async fn distribution_needs_no_extra_request() {
    let reg = Registry::start(Mode::Plain);
    let client = client_with_page_size(reg.host(), 2);
    for i in 0..5 {
        let tags: &[&str] = if i == 0 { &["a", "b", "c"] } else { &["t"] };
        push_image(
            &client,
            &reference(reg.host(), &format!("pages/repo{i}")),
            media_type::OCI_MANIFEST,
            &[(60 + i, 10)],
            tags,
        )
        .await;
    }
    let repos = client.catalog(reg.host()).await.unwrap();
    assert_eq!(repos.len(), 5, "{repos:?}");
    assert_eq!(reg.count_requests("GET", "/v2/_catalog"), 3);
    let mut tags = client
        .tags(&reference(reg.host(), "pages/repo0"))
        .await
        .unwrap();
    tags.sort();
    assert_eq!(tags, ["a", "b", "c"]);
    assert_eq!(reg.count_requests("GET", "/v2/pages/repo0/tags/list"), 1);
}
