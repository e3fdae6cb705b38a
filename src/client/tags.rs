//! Tag listing and the pagination that tags and the catalog share.

use std::collections::HashSet;

use reqwest::Method;
use reqwest::header::LINK;
use serde::Deserialize;

use super::Client;
use super::body::{MAX_MANIFEST_SIZE, parse_json, read_bounded};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::headers::next_link;
use crate::transport::request::{Request, Target, pull_scope};

/// The most pages followed before a listing is declared endless.
const MAX_PAGES: usize = 10_000;

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl Client {
    /// Every tag of the repository of `reference`, following `Link` pagination.
    pub async fn tags(&self, reference: &Reference) -> Result<Vec<String>> {
        let repo = reference.repository();
        let path = with_page_size(format!("/v2/{repo}/tags/list"), self.options().page_size);
        let scopes = vec![pull_scope(repo)];
        self.paginate(
            reference.api_host(),
            path,
            scopes,
            "listing tags",
            |bytes| {
                let page: TagList = parse_json(bytes, "tag list")?;
                Ok(page.tags.unwrap_or_default())
            },
        )
        .await
    }

    /// Follows `Link: <...>; rel="next"` from `first_path`, collecting what
    /// `parse` finds on each page. A link that repeats is an error, not a
    /// loop, and so is one to another origin (scheme, host or port) than
    /// the registry's. The whole listing is bounded by the client's
    /// `max_list_entries` and `max_list_bytes` (`SizeExceeded`, naming the
    /// bound), each page by [`MAX_MANIFEST_SIZE`], the pages by [`MAX_PAGES`].
    pub(crate) async fn paginate<T, F>(
        &self,
        registry: &str,
        first_path: String,
        scopes: Vec<String>,
        what: &str,
        parse: F,
    ) -> Result<Vec<T>>
    where
        F: Fn(&[u8]) -> Result<Vec<T>>,
    {
        self.paginate_up_to(registry, first_path, scopes, what, usize::MAX, parse)
            .await
    }

    /// [`Client::paginate`] that stops once it has `wanted` entries (the
    /// first `wanted`, later pages not fetched).
    pub(crate) async fn paginate_up_to<T, F>(
        &self,
        registry: &str,
        first_path: String,
        scopes: Vec<String>,
        what: &str,
        wanted: usize,
        parse: F,
    ) -> Result<Vec<T>>
    where
        F: Fn(&[u8]) -> Result<Vec<T>>,
    {
        let max_entries = self.options().max_list_entries;
        let max_bytes = usize::try_from(self.options().max_list_bytes).unwrap_or(usize::MAX);
        let too_many_bytes = || {
            Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{what}: the listing is larger than {max_bytes} bytes \
                     (the client's max_list_bytes)"
                ),
            )
        };
        let origin = self.transport.base_url(registry).await?.origin();
        let mut items = Vec::new();
        let mut bytes = 0usize;
        let mut seen = HashSet::new();
        let mut target = Target::Path(first_path);
        for _ in 0..MAX_PAGES {
            let request = Request::new(Method::GET, target, scopes.clone());
            let response = self.transport.send(registry, request, what).await?;
            let page_url = response.url().clone();
            let links: Vec<String> = response
                .headers()
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect();
            let left = max_bytes - bytes;
            let page_limit = MAX_MANIFEST_SIZE.min(left);
            let body = match read_bounded(response, page_limit, what).await {
                Err(e) if e.kind() == ErrorKind::SizeExceeded && page_limit == left => {
                    return Err(too_many_bytes());
                }
                other => other?,
            };
            bytes += body.len();
            let page = parse(&body)?;
            drop(body);
            if page.len() > max_entries - items.len() {
                return Err(Error::new(
                    ErrorKind::SizeExceeded,
                    format!(
                        "{what}: the listing has more than {max_entries} entries \
                         (the client's max_list_entries)"
                    ),
                ));
            }
            items.extend(page);
            if items.len() >= wanted {
                items.truncate(wanted);
                return Ok(items);
            }
            let link_refs: Vec<&str> = links.iter().map(String::as_str).collect();
            match next_link(&link_refs, &page_url)? {
                None => return Ok(items),
                Some(next) => {
                    if next.origin() != origin {
                        return Err(Error::new(
                            ErrorKind::Protocol,
                            format!(
                                "{what}: the registry's Link pagination leads to another \
                                 origin ({}); ocireg does not follow it",
                                next.origin().ascii_serialization()
                            ),
                        ));
                    }
                    // Remembered links count against the byte bound too.
                    bytes = bytes.saturating_add(next.as_str().len());
                    if bytes > max_bytes {
                        return Err(too_many_bytes());
                    }
                    if !seen.insert(next.to_string()) || next == page_url {
                        return Err(Error::new(
                            ErrorKind::Protocol,
                            format!("{what}: the registry's Link pagination repeats ({next})"),
                        ));
                    }
                    target = Target::Url(next);
                }
            }
        }
        Err(Error::new(
            ErrorKind::Protocol,
            format!("{what}: more than {MAX_PAGES} pages"),
        ))
    }
}

/// Appends `?n=` when a page size is set.
pub(crate) fn with_page_size(path: String, page_size: Option<u32>) -> String {
    match page_size {
        Some(n) => format!("{path}?n={n}"),
        None => path,
    }
}
