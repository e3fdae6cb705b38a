//! Reads that follow registries.conf: a pull tries the mirrors of the
//! reference's `[[registry]]` entry in order, then its (possibly
//! rewritten) location, as containers/image does, and says in the debug
//! log which endpoint served. Writes, listings and referrers go to the
//! reference's own registry only.

use std::future::Future;

use super::Client;
use crate::error::{ErrorKind, Result};
use crate::log::{self, LogLevel};
use crate::reference::Reference;
use crate::registries_conf::PullSource;

impl Client {
    /// The endpoints a pull of `reference` tries, in order: the
    /// reference itself when the client follows no registries.conf (or
    /// none of its entries matches). Fails with `DENIED` only through the
    /// requests themselves: a blocked endpoint is refused when tried.
    pub fn pull_sources(&self, reference: &Reference) -> Result<Vec<PullSource>> {
        match self.transport.registries_conf() {
            Some(conf) => conf.pull_sources(reference),
            None => Ok(vec![PullSource::primary(reference.clone())]),
        }
    }

    /// The endpoint that serves a pull of `reference` now: the reference
    /// (a mirror's, the rewritten location's, or `reference` itself) of the
    /// first pull source whose manifest fetch succeeds, as
    /// containers/image chooses it. It fetches the manifest.
    pub async fn pull_source(&self, reference: &Reference) -> Result<Reference> {
        let manifest = self.get_manifest(reference).await?;
        Ok(manifest.source.unwrap_or_else(|| reference.clone()))
    }

    /// Runs `read` against each pull source of `reference` until one
    /// succeeds, and returns its result with the reference it used. When
    /// every source fails, the primary's error is returned, its message
    /// preceded by the mirrors' failures; a cancelled or aborted read stops
    /// at once.
    pub(crate) async fn read_from_pull_sources<T, F, Fut>(
        &self,
        reference: &Reference,
        what: &str,
        read: F,
    ) -> Result<(T, Reference)>
    where
        F: Fn(Reference) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let sources = self.pull_sources(reference)?;
        let count = sources.len();
        let mut failed = Vec::new();
        for (i, source) in sources.into_iter().enumerate() {
            if count > 1 {
                log::log(LogLevel::Debug, || format!("{what}: trying {source}"));
            }
            match read(source.reference.clone()).await {
                Ok(value) => {
                    if count > 1 || source.reference != *reference {
                        log::log(LogLevel::Debug, || format!("{what}: served by {source}"));
                    }
                    return Ok((value, source.reference));
                }
                Err(e)
                    if i + 1 == count
                        || matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Aborted) =>
                {
                    return Err(if failed.is_empty() {
                        e
                    } else {
                        e.context(format!(
                            "(mirrors also failed: {}) {}",
                            failed.join(" "),
                            source.reference
                        ))
                    });
                }
                Err(e) => {
                    log::log(LogLevel::Debug, || {
                        format!("{what}: {source} failed: {}", e.message())
                    });
                    failed.push(format!("[{}: {}]", source.reference, e.message()));
                }
            }
        }
        // `pull_sources` always gives at least the primary.
        Err(crate::error::Error::new(
            ErrorKind::Internal,
            format!("{what}: no endpoint to try"),
        ))
    }
}
