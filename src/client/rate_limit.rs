//! Rate limits: what a registry reports on its manifest responses, read
//! without using up a pull.

use reqwest::Method;

use super::Client;
use crate::error::Result;
use crate::reference::Reference;
use crate::transport::rate_limit::RateLimit;

impl Client {
    /// The rate limit `registry` (`host[:port]`, or `docker.io`) reported on
    /// the last manifest response (`GET` or `HEAD`, a 429 included) this
    /// client received from it; `None` when none reported one.
    #[must_use]
    pub fn last_rate_limit(&self, registry: &str) -> Option<RateLimit> {
        self.transport.last_rate_limit(registry)
    }

    /// Asks the registry of `reference` for its rate limit with a manifest
    /// `HEAD`, which Docker Hub does not count as a pull. Fields the
    /// registry does not report are `None` (unknown). A 429 is a
    /// `TOO_MANY_REQUESTS` error carrying the limit
    /// ([`crate::Error::rate_limit`]) and its `Retry-After`.
    pub async fn rate_limit(&self, reference: &Reference) -> Result<RateLimit> {
        let what = format!("checking the rate limit of {}", reference.api_host());
        let response = self
            .manifest_request(Method::HEAD, reference, &what)
            .await?;
        Ok(RateLimit::from_headers(response.headers()))
    }
}
