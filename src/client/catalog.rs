//! `GET /v2/_catalog`: the repositories of a registry.

use serde::Deserialize;

use super::Client;
use super::body::parse_json;
use crate::error::Result;
use crate::transport::request::CATALOG_SCOPE;

#[derive(Deserialize)]
struct Catalog {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

impl Client {
    /// Every repository of `registry` (`host[:port]`), following pagination.
    pub async fn catalog(&self, registry: &str) -> Result<Vec<String>> {
        let scopes = vec![CATALOG_SCOPE.to_string()];
        let host = crate::registry::api_host(registry);
        let capped = self
            .options()
            .page_size
            .map(|n| (n, String::as_str as fn(&String) -> &str));
        self.paginate(
            host,
            "/v2/_catalog",
            capped,
            scopes,
            "listing the catalog",
            |bytes| {
                let page: Catalog = parse_json(bytes, "catalog")?;
                Ok(page.repositories.unwrap_or_default())
            },
        )
        .await
    }
}
