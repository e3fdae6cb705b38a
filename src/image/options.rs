//! What whole-image operations can be told.

use super::platform::Platform;
use super::progress::ProgressFn;
use std::future::Future;
use std::path::PathBuf;

use crate::cancel::CancelToken;
use crate::error::Result;

/// Options of pull, push, copy, inspect and save. Concurrency is the
/// client's (`ClientOptions::concurrency`).
#[derive(Clone, Default)]
pub struct ImageOptions {
    /// The platform chosen from an index (default: this machine's).
    pub platform: Option<Platform>,
    /// Keep the whole index and every platform's image (pull, push, copy).
    pub all_platforms: bool,
    /// The name of the image in an OCI layout (`org.opencontainers.image.ref.name`):
    /// what a pull writes (default: the reference's tag) and what a push reads
    /// (default: the layout's only image).
    pub layout_name: Option<String>,
    /// Repositories of the destination registry to try mounting blobs
    /// from before uploading them (push; copy mounts from its source).
    pub mount_from: Vec<String>,
    /// Progress observer.
    pub progress: Option<ProgressFn>,
    /// Stops the operation (all its transfers, removing temporary files)
    /// with `CANCELLED` once cancelled.
    pub cancel: Option<CancelToken>,
    /// What copy, pull and push carry besides the image: its referrers and
    /// cosign tag attachments, recursively (default: nothing).
    pub referrers: ReferrersMode,
    /// A directory (created, mode 0700, when missing) where push, and copy
    /// into a registry, record each blob's upload session (its location
    /// and the bytes the registry holds), so that a push or copy killed or
    /// failed midway continues the next time from what the registry kept;
    /// blobs then go up in chunks (`ClientOptions::upload_chunk_size`). A
    /// resumed copy reads each blob from its source again (hashing it
    /// whole) and sends only the rest. `None` (the default): nothing is
    /// recorded. Pulls into a layout continue partial blobs without it.
    pub resume_dir: Option<PathBuf>,
}

/// Which of the manifests attached to an image (its referrers, and cosign's
/// `sha256-<hex>.sig`, `.att` and `.sbom` tags) copy, pull and push carry
/// with it. Attachments of attachments (a signature of an SBOM) come along
/// with what they are attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReferrersMode {
    /// The image only (the default).
    #[default]
    None,
    /// Everything attached, recursively.
    All,
    /// The image's attachments whose artifact type is one of these, each
    /// with everything attached to it in turn.
    ArtifactTypes(Vec<String>),
}

impl ImageOptions {
    /// Runs a step that holds no temporary files, stopping it with
    /// `CANCELLED` as soon as the cancel token fires. (Transfers watch the
    /// token themselves, so that they can remove their temporary files.)
    pub(crate) async fn step<T>(&self, step: impl Future<Output = Result<T>>) -> Result<T> {
        match &self.cancel {
            None => step.await,
            Some(token) => {
                token.check()?;
                tokio::select! {
                    result = step => result,
                    () = token.cancelled() => Err(CancelToken::error()),
                }
            }
        }
    }

    /// The platform to choose: the option's or this machine's.
    pub fn platform(&self) -> Platform {
        self.platform.clone().unwrap_or_else(Platform::host)
    }
}
