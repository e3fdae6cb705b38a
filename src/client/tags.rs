//! Tag listing and the pagination that tags and the catalog share.

use std::collections::HashSet;

use reqwest::header::LINK;
use reqwest::{Method, Url};
use serde::Deserialize;

use super::Client;
use super::body::{MAX_MANIFEST_SIZE, parse_json, read_bounded};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::headers::next_link;
use crate::transport::request::{Request, Target, pull_scope};

/// A page size asked for (`n=`) and how to name an entry (for `last=`).
pub(crate) type PageSize<T> = (u32, fn(&T) -> &str);

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
        let path = format!("/v2/{repo}/tags/list");
        let scopes = vec![pull_scope(repo)];
        self.paginate(
            reference.api_host(),
            &path,
            self.options()
                .page_size
                .map(|n| (n, String::as_str as fn(&String) -> &str)),
            scopes,
            "listing tags",
            |bytes| {
                let page: TagList = parse_json(bytes, "tag list")?;
                Ok(page.tags.unwrap_or_default())
            },
        )
        .await
    }

    /// Follows `Link: <...>; rel="next"` from `path`, collecting what
    /// `parse` finds on each page; `capped` is the page size asked for
    /// (`n=`) with the name of an entry (for `last=`), if any. A link that repeats is an error, not a loop, and so is
    /// one to another origin (scheme, host or port) than the registry's.
    ///
    /// A page of exactly `n` entries without a `Link` may be a
    /// registry that caps pages but does not say so: the next page is
    /// asked for with `last=<the last entry>`, and the listing ends at the
    /// first page that brings nothing new (a registry ignoring `last`
    /// sends the same entries again; those at or before `last` are
    /// dropped, as the spec's lexical order allows).
    ///
    /// The whole listing is bounded by the client's `max_list_entries` and
    /// `max_list_bytes` (`SizeExceeded`, naming the bound), each page by
    /// [`MAX_MANIFEST_SIZE`], the pages by [`MAX_PAGES`].
    pub(crate) async fn paginate<T, F>(
        &self,
        registry: &str,
        path: &str,
        capped: Option<PageSize<T>>,
        scopes: Vec<String>,
        what: &str,
        parse: F,
    ) -> Result<Vec<T>>
    where
        F: Fn(&[u8]) -> Result<Vec<T>>,
    {
        self.paginate_up_to(registry, path, capped, scopes, what, usize::MAX, parse)
            .await
    }

    /// [`Client::paginate`] that stops once it has `wanted` entries (the
    /// first `wanted`, later pages not fetched).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn paginate_up_to<T, F>(
        &self,
        registry: &str,
        path: &str,
        capped: Option<PageSize<T>>,
        scopes: Vec<String>,
        what: &str,
        wanted: usize,
        parse: F,
    ) -> Result<Vec<T>>
    where
        F: Fn(&[u8]) -> Result<Vec<T>>,
    {
        let page_size = capped.map(|(n, _)| n);
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
        let mut items: Vec<T> = Vec::new();
        let mut bytes = 0usize;
        let mut seen = HashSet::new();
        // The first page goes to a path, so that it can be the client's
        // first contact with the registry (no separate ping).
        let mut target = Target::Path(relative(&listing_url(
            &placeholder_base(),
            path,
            page_size,
            None,
            what,
        )?));
        // Set while following a page of exactly `n` entries that
        // came without a `Link`: the last entry the listing holds.
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let request = Request::new(Method::GET, target, scopes.clone());
            let response = self.transport.send(registry, request, what).await?;
            let page_url = response.url().clone();
            // Known now: the first page found it.
            let base = self.transport.base_url(registry).await?;
            let origin = base.origin();
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
            let mut page = parse(&body)?;
            drop(body);
            let full_page = page_size.is_some_and(|n| page.len() == n as usize);
            if let (Some(last), Some((_, name))) = (&after, capped) {
                page.retain(|entry| name(entry) > last.as_str());
                if page.is_empty() {
                    return Ok(items);
                }
            }
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
                None => match (full_page, items.last().zip(capped)) {
                    (true, Some((last, (_, name)))) => {
                        let last = name(last).to_string();
                        let next = listing_url(&base, path, page_size, Some(&last), what)?;
                        after = Some(last);
                        target = Target::Url(next);
                    }
                    _ => return Ok(items),
                },
                Some(next) => {
                    after = None;
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

/// A base URL for building the path and query of a first listing page.
fn placeholder_base() -> Url {
    Url::parse("https://registry.invalid/").unwrap_or_else(|_| unreachable!("a valid URL"))
}

/// The path and query of `url`.
fn relative(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

/// The URL of a listing page: `path` on the registry at `base`, with
/// `n=` when a page size is set and `last=` when given.
fn listing_url(
    base: &Url,
    path: &str,
    page_size: Option<u32>,
    last: Option<&str>,
    what: &str,
) -> Result<Url> {
    let mut url = base
        .join(path)
        .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("{what}: bad path: {e}")))?;
    if page_size.is_some() || last.is_some() {
        let mut query = url.query_pairs_mut();
        if let Some(n) = page_size {
            query.append_pair("n", &n.to_string());
        }
        if let Some(last) = last {
            query.append_pair("last", last);
        }
    }
    Ok(url)
}
