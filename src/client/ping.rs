//! `GET /v2/`: reachability, API version and credentials.

use super::Client;
use crate::error::Result;

impl Client {
    /// Checks that `registry` (`host[:port]`, as in references) speaks the
    /// V2 API. Fails with `UNSUPPORTED` for a V1-only registry.
    pub async fn ping(&self, registry: &str) -> Result<()> {
        self.transport.ping(registry).await
    }

    /// Validates the configured credentials for `registry`, like `docker
    /// login`: `UNAUTHORIZED` when they are missing or refused.
    pub async fn check_credentials(&self, registry: &str) -> Result<()> {
        self.transport.check_credentials(registry).await
    }
}
