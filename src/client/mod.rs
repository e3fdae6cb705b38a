//! The registry protocol, one module per resource. [`Client`] is the async
//! entry point; every method is also on [`crate::blocking::Client`].

mod blob_reader;
mod blob_writer;
mod blobs;
mod body;
mod catalog;
mod login;
mod manifests;
mod ping;
mod pull_sources;
mod ranged_download;
mod rate_limit;
mod raw_request;
mod referrers;
mod resolve_name;
mod search;
mod subject_locks;
mod tags;
mod untag;
mod uploads;
mod verified_body;

use std::sync::Arc;

pub use self::blob_reader::BlobReader;
pub use self::blob_writer::{BlobWriter, MAX_CHUNK_SIZE};
pub use self::blobs::BlobInfo;
pub(crate) use self::body::parse_json;
pub use self::manifests::{Manifest, ManifestInfo};
pub(crate) use self::ranged_download::BlobDownload;
pub use self::raw_request::{
    MAX_HEADER_BYTES, MAX_PATH_LENGTH, MAX_REQUEST_HEADERS, MAX_RESPONSE_HEADERS, MAX_SCOPES,
    RawBody, RawRequest, RawResponse,
};
pub(crate) use self::referrers::{MAX_MERGE_ROUNDS, settle};
pub use self::referrers::{Referrer, ReferrerKind};
pub(crate) use self::referrers::{fallback_tag, listed_artifact_type};
pub use self::resolve_name::{NameUse, ResolvedName};
pub use self::search::{DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, SearchResult};
pub(crate) use self::untag::EMPTY_CONFIG;
pub use self::untag::{UntagFallback, Untagged};
pub use self::uploads::MountResult;
pub(crate) use self::uploads::READ_SIZE;
use reqwest::Method;

use self::subject_locks::SubjectLocks;
use crate::error::Result;
use crate::options::ClientOptions;
use crate::reference::Reference;
use crate::transport::Transport;
use crate::transport::request::{Request, Target, delete_scope};

/// An async registry client. Cheap to clone and safe to share between
/// tasks and threads: clones share one connection pool, one token cache
/// and what was learned about each registry, and updates of one subject's
/// referrers fallback index are serialized across all of them.
#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
    subject_locks: Arc<SubjectLocks>,
    /// Permits for ranged download parts, shared by every download.
    ranged_parts: Arc<tokio::sync::Semaphore>,
}

impl Client {
    /// A client with `options`. Fails on unreadable TLS files or a bad proxy URL.
    pub fn new(options: ClientOptions) -> Result<Client> {
        Ok(Client {
            transport: Arc::new(Transport::new(options)?),
            subject_locks: Arc::new(SubjectLocks::default()),
            ranged_parts: ranged_download::ranged_parts(),
        })
    }

    /// The permits for ranged download parts (`ranged_download.rs`).
    pub(crate) fn ranged_parts(&self) -> Arc<tokio::sync::Semaphore> {
        self.ranged_parts.clone()
    }

    /// The options the client was built with.
    #[must_use]
    pub fn options(&self) -> &ClientOptions {
        self.transport.options()
    }

    /// The HTTP layer, for modules outside `client/` that speak to servers
    /// other than registries (lookaside signature servers).
    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// `DELETE /v2/<repo>/<kind>/<target>` (`kind`: `blobs` or `manifests`;
    /// `target`: a digest, or a tag where the registry deletes tags).
    async fn delete_content(&self, reference: &Reference, kind: &str, target: &str) -> Result<()> {
        let repo = reference.repository();
        let separator = if target.contains(':') { '@' } else { ':' };
        let what = format!("deleting {kind} {repo}{separator}{target}");
        let request = Request::new(
            Method::DELETE,
            Target::Path(format!("/v2/{repo}/{kind}/{target}")),
            vec![delete_scope(repo)],
        );
        self.transport
            .send(reference.api_host(), request, &what)
            .await?;
        Ok(())
    }
}
