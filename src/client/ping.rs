//! `GET /v2/`: reachability and API version.

use super::Client;
use crate::error::Result;

impl Client {
    /// Checks that `registry` (`host[:port]`, as in references) speaks the
    /// V2 API. Fails with `UNSUPPORTED` for a V1-only registry.
    pub async fn ping(&self, registry: &str) -> Result<()> {
        self.transport.ping(registry).await
    }
}
