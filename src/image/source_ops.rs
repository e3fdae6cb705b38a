//! containers/image's `ImageSource`/`Image` operations on any transport
//! ([`ImageName`]: `docker://`, `oci:`, `oci-archive:`, `docker-archive:`,
//! `dir:`): the raw manifest, the docker reference a name intends, and the
//! tags of a repository. Inspect (`inspect.rs`) and layer fetching
//! (`layers.rs`) build on the same `Source`.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::config::MAX_CONFIG_SIZE;
use super::options::ImageOptions;
use super::plan::{BlobRef, Plan};
use super::transport::{ImageName, Source, docker_archive_tags};
use crate::client::{Client, Manifest};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

impl Client {
    /// The manifest `name` names, byte for byte with its media type and
    /// digest (`skopeo inspect --raw`): the index of a multi-platform
    /// image, or with `options.platforms` set the image manifest that
    /// platform selects from it (an image manifest is returned as it is).
    /// A docker-archive holds no manifest: it gets the one skopeo
    /// generates for it.
    pub async fn source_manifest(
        &self,
        name: &ImageName,
        options: &ImageOptions,
    ) -> Result<Manifest> {
        let source = options.step(Source::open(self, name, options)).await?;
        let top = options.step(source.top()).await?;
        if options.platforms.is_empty() {
            return Ok(top);
        }
        let plan = options.step(single_image(&source, top, options)).await?;
        Ok(plan.top)
    }

    /// The tags of a repository: for `docker://HOST/REPO` the registry's
    /// (its tag or digest ignored); for `docker-archive:FILE` every
    /// `RepoTags` entry of every image as written, and `@N` for an image
    /// without one, as `skopeo list-tags` lists them. Other transports
    /// have no tags: `UNSUPPORTED`.
    pub async fn repository_tags(&self, name: &ImageName) -> Result<Vec<String>> {
        match name {
            ImageName::Registry(reference) => self.tags(reference).await,
            ImageName::DockerArchive { file, .. } => docker_archive_tags(file).await,
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "{name}: tags are listed for docker:// and docker-archive: only, as skopeo does"
                ),
            )),
        }
    }
}

impl ImageName {
    /// The docker reference this name intends the image to have
    /// (containers/image's `ImageReference.DockerReference`): a registry
    /// name's reference; a docker-archive's `RepoTags` entry when the name
    /// selects one (`docker-archive:FILE:REPO:TAG`, normalized: `busybox:1`
    /// is `docker.io/library/busybox:1`); none for `@N`, a docker-archive
    /// named by file alone, `oci:`, `oci-archive:` and `dir:`. Inspect's
    /// `Name` is this reference's repository, as skopeo's is.
    pub fn intended_docker_reference(&self) -> Result<Option<Reference>> {
        match self {
            ImageName::Registry(reference) => Ok(Some(reference.clone())),
            ImageName::DockerArchive {
                name: Some(name), ..
            } if !name.starts_with('@') => Reference::parse(name).map(Some),
            _ => Ok(None),
        }
    }
}

/// The image of one platform (`options.platforms`' one, else this
/// machine's; a list is `INVALID_ARGUMENT`)
/// under `top`, the manifest `source` names: `top` itself when it is an
/// image manifest, else the entry the index selects; with the blobs it
/// names.
pub(crate) async fn single_image(
    source: &Source,
    top: Manifest,
    options: &ImageOptions,
) -> Result<Plan> {
    let one = ImageOptions {
        all_platforms: false,
        platforms: vec![options.platform()?],
        ..options.clone()
    };
    Plan::build(top, &one, |digest, media_type| {
        source.manifest(digest, media_type)
    })
    .await
}

/// The config `manifest` names, read from `source` (at most 16 MiB) and
/// verified against its digest.
pub(crate) async fn read_config(source: &Source, manifest: &Manifest) -> Result<Bytes> {
    let fields = manifest.fields()?;
    let config = fields.config.ok_or_else(|| {
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "manifest {} ({}) has no config",
                manifest.digest, manifest.media_type
            ),
        )
    })?;
    if config.size > MAX_CONFIG_SIZE {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "the config of {} is {} bytes, more than {MAX_CONFIG_SIZE}",
                manifest.digest, config.size
            ),
        ));
    }
    let blob = BlobRef {
        digest: Digest::parse(&config.digest).map_err(|e| e.context("config descriptor"))?,
        size: config.size,
        media_type: config.media_type,
    };
    let mut body = source.blob(&blob).await?;
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if (bytes.len() + chunk.len()) as u64 > blob.size {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "config {} is larger than its {} bytes",
                    blob.digest, blob.size
                ),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    blob.digest.verify(&bytes)?;
    Ok(bytes.freeze())
}
