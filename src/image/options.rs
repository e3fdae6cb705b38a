//! What whole-image operations can be told.

use super::platform::Platform;
use super::progress::ProgressFn;
use std::future::Future;
use std::path::PathBuf;

use crate::cancel::CancelToken;
use crate::error::{Error, ErrorKind, Result};
use crate::signatures::SignatureOptions;

/// Options of pull, push, copy, inspect and save. Concurrency is the
/// client's (`ClientOptions::concurrency`).
#[derive(Clone, Default)]
pub struct ImageOptions {
    /// The platforms taken from an index (default, when empty: this
    /// machine's). One platform: its image manifest alone moves, with its
    /// own digest. Several (pull, push, copy): an index naming only their
    /// image manifests is written in place of the source's, so its digest
    /// differs from the source index's (a registry refuses an index that
    /// names manifests it lacks); a platform the index lacks is a
    /// `NOT_FOUND` error before anything is written. Ignored for an image
    /// that is not an index.
    pub platforms: Vec<Platform>,
    /// Keep the whole index and every platform's image (pull, push, copy),
    /// byte for byte: the source index's digest. Overrides `platforms`.
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
    /// Whether copy carries the image's signatures, and where registries.d
    /// says they live (default `None`: no signatures are read or written).
    /// With `Some`, copy reads the signatures of every manifest it moves
    /// from the source registry's lookaside (and its sigstore `.sig`
    /// attachments when registries.d enables them), checks that the
    /// destination can store them (a `file://` `lookaside-staging`, or
    /// `use-sigstore-attachments`) before anything is written, and adds
    /// them there once the image is in place. Signatures live beside
    /// registries only: an OCI layout holds none (as in containers/image),
    /// so with a layout or archive at either end (and in pull and push) it
    /// is an `INVALID_ARGUMENT` error; sigstore attachments travel into
    /// layouts as `.sig` tags with [`ImageOptions::referrers`].
    pub signatures: Option<SignatureOptions>,
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

    /// The one platform to choose (inspect, save, and pull, push or copy
    /// of one platform): the option's or this machine's. More than one
    /// platform is an `INVALID_ARGUMENT` error here.
    pub fn platform(&self) -> Result<Platform> {
        match self.platforms.as_slice() {
            [] => Ok(Platform::host()),
            [one] => Ok(one.clone()),
            _ => Err(Error::new(
                ErrorKind::InvalidArgument,
                "this operation takes one platform, not a list",
            )),
        }
    }
}
