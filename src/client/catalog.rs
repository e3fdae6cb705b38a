//! `GET /v2/_catalog`: the repositories of a registry.

use serde::Deserialize;

use super::Client;
use super::body::parse_json;
use super::tags::with_page_size;
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
        let path = with_page_size("/v2/_catalog".to_string(), self.options().page_size);
        let scopes = vec![CATALOG_SCOPE.to_string()];
        let host = crate::registry::api_host(registry);
        self.paginate(host, path, scopes, "listing the catalog", |bytes| {
            let page: Catalog = parse_json(bytes, "catalog")?;
            Ok(page.repositories.unwrap_or_default())
        })
        .await
    }
}
