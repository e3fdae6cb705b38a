//! Checking credentials the way `docker login` does.

use reqwest::Method;

use super::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::api_host;
use crate::transport::request::{Request, Target};

impl Client {
    /// Validates the configured credentials for `registry`, like `docker
    /// login`: a fresh ping, then, when the registry asks for
    /// authentication, `GET /v2/` with them (through a token request for
    /// token auth). `UNAUTHORIZED` when they are missing or refused.
    pub async fn check_credentials(&self, registry: &str) -> Result<()> {
        let registry = api_host(registry);
        self.transport.ping(registry).await?;
        if !self.transport.requires_auth(registry) {
            return Ok(());
        }
        if !self.transport.credential_configured(registry).await? {
            return Err(Error::new(
                ErrorKind::Unauthorized,
                format!(
                    "{registry} requires authentication and no credentials are configured for it"
                ),
            ));
        }
        let request = Request::new(Method::GET, Target::Path("/v2/".into()), Vec::new());
        self.transport
            .send(registry, request, "checking credentials")
            .await?;
        Ok(())
    }
}
