//! Searching a registry as containers/image's `SearchRegistry` does: the
//! v1 search endpoint (`GET /v1/search?q=TERM&n=LIMIT`, Docker Hub's), and
//! where a registry has none, its v2 catalog filtered by the term.

use reqwest::Method;
use serde::Deserialize;

use super::Client;
use super::body::{MAX_MANIFEST_SIZE, parse_json, read_bounded};
use crate::error::{Error, ErrorKind, Result};
use crate::registry::api_host;
use crate::transport::request::{CATALOG_SCOPE, Request, Target};

/// The limit containers/image (and `podman search`) use by default.
pub const DEFAULT_SEARCH_LIMIT: usize = 25;
/// The largest limit accepted.
pub const MAX_SEARCH_LIMIT: usize = 10_000;

/// One search result. A result from the catalog fallback has only a name
/// (the other fields empty, zero or false: the catalog has no more).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SearchResult {
    /// The repository name, as the registry lists it.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its number of stars.
    pub star_count: u64,
    /// Whether the registry marks it trusted.
    pub is_trusted: bool,
    /// Whether it is built automatically.
    pub is_automated: bool,
    /// Whether it is an official image.
    pub is_official: bool,
}

/// The body of a v1 search answer (Docker Hub's shape; only `results`
/// is used).
#[derive(Deserialize)]
struct V1Answer {
    #[serde(default)]
    results: Option<Vec<SearchResult>>,
}

/// A catalog page, names only.
#[derive(Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

impl Client {
    /// Searches `registry` (`host[:port]`, or `docker.io`, searched at
    /// `index.docker.io`) for `term`, returning at most `limit` results
    /// (1 to [`MAX_SEARCH_LIMIT`]), in the registry's order. The limit
    /// holds even when the registry ignores `n`.
    ///
    /// Tries `GET /v1/search?q=TERM&n=LIMIT` first (skipped for an empty
    /// term). When the registry answers it with a client error (404 from
    /// registries without it, 401, 403, 405 or 400), lists the v2 catalog
    /// and keeps the repositories whose name contains `term`, stopping at
    /// `limit`; an empty term keeps all. Other failures (5xx, 429, the
    /// network, a malformed answer) are errors.
    pub async fn search(
        &self,
        registry: &str,
        term: &str,
        limit: usize,
    ) -> Result<Vec<SearchResult>> {
        if !(1..=MAX_SEARCH_LIMIT).contains(&limit) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("search limit {limit} is not between 1 and {MAX_SEARCH_LIMIT}"),
            ));
        }
        let host = search_host(registry);
        if !term.is_empty() {
            match self.search_v1(host, term, limit).await {
                Err(e) if falls_back(&e) => {}
                other => return other,
            }
        }
        self.search_catalog(host, term, limit).await
    }

    /// `GET /v1/search`, cut to `limit` results.
    async fn search_v1(&self, host: &str, term: &str, limit: usize) -> Result<Vec<SearchResult>> {
        let what = format!("searching {host} for {term:?}");
        let path = format!("/v1/search?q={}&n={limit}", query_encode(term));
        let request = Request::new(Method::GET, Target::Path(path), Vec::new());
        let response = self.transport.send(host, request, &what).await?;
        let body = read_bounded(response, MAX_MANIFEST_SIZE, &what).await?;
        let answer: V1Answer = parse_json(&body, &what)?;
        let mut results = answer.results.unwrap_or_default();
        results.truncate(limit);
        Ok(results)
    }

    /// The catalog's repositories whose name contains `term`, up to `limit`.
    async fn search_catalog(
        &self,
        host: &str,
        term: &str,
        limit: usize,
    ) -> Result<Vec<SearchResult>> {
        let what = format!("searching the catalog of {host} for {term:?}");
        let scopes = vec![CATALOG_SCOPE.to_string()];
        // The client's page size, if any; the pages are filtered by the
        // term, so a page cut short by the filter ends the listing only when
        // the registry sends no `Link` either.
        let capped = self
            .options()
            .page_size
            .map(|n| (n, result_name as fn(&SearchResult) -> &str));
        self.paginate_up_to(
            host,
            "/v2/_catalog",
            capped,
            scopes,
            &what,
            limit,
            |bytes| {
                let page: CatalogPage = parse_json(bytes, "catalog")?;
                Ok(page
                    .repositories
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|name| name.contains(term))
                    .map(|name| SearchResult {
                        name,
                        ..SearchResult::default()
                    })
                    .collect())
            },
        )
        .await
    }
}

/// The host searched for `registry`: Docker Hub's search is on
/// `index.docker.io`, as containers/image has it.
fn search_host(registry: &str) -> &str {
    match api_host(registry) {
        "registry-1.docker.io" => "index.docker.io",
        host => host,
    }
}

/// Whether a v1 search failure means "no v1 search here": a client error.
fn falls_back(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::NotFound
            | ErrorKind::Unsupported
            | ErrorKind::Unauthorized
            | ErrorKind::Denied
            | ErrorKind::Rejected
    )
}

/// Percent-encodes a query value: everything but RFC 3986's unreserved
/// characters.
fn query_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The repository name of a search result (the catalog's `last=` key).
fn result_name(result: &SearchResult) -> &str {
    &result.name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_queries() {
        assert_eq!(
            query_encode("busy box&n=1/é"),
            "busy%20box%26n%3D1%2F%C3%A9"
        );
        assert_eq!(query_encode("a-b.c_d~"), "a-b.c_d~");
    }

    #[test]
    fn docker_hub_is_searched_at_the_index() {
        assert_eq!(search_host("docker.io"), "index.docker.io");
        assert_eq!(search_host("localhost:5000"), "localhost:5000");
    }

    #[test]
    fn v1_answer_shape() {
        let body = br#"{"num_pages":1,"num_results":2,"page_size":25,"query":"x","page":1,
            "results":[{"name":"library/x","description":"d","star_count":7,
            "is_trusted":true,"is_automated":false,"is_official":true},
            {"name":"u/x","star_count":0}]}"#;
        let answer: V1Answer = parse_json(body, "t").unwrap();
        let results = answer.results.unwrap();
        assert_eq!(results[0].star_count, 7);
        assert!(results[0].is_official && results[0].is_trusted);
        assert_eq!(results[1].description, "");
    }
}
