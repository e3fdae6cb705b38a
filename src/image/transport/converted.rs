//! An image read through another source and converted on the way to an
//! OCI layout or oci-archive: a Docker schema 2 image becomes the OCI image
//! skopeo writes there (see `oci_conversion`). The converted manifest and
//! config come from memory, the layers from the source, unchanged.

use std::sync::Arc;

use bytes::Bytes;

use super::{BlobStream, Source};
use crate::client::Manifest;
use crate::digest::Digest;
use crate::error::Result;
use crate::image::oci_conversion::{Converted, docker_to_oci};
use crate::image::options::ImageOptions;
use crate::image::plan::BlobRef;
use crate::image::source_ops::read_config;
use crate::media_type;

/// A source whose one image is served converted.
pub(crate) struct ConvertedSource {
    inner: Arc<Source>,
    image: Converted,
}

impl ConvertedSource {
    /// `source` as an OCI layout holds it: converted when what `options`
    /// select is one Docker schema 2 image, else unchanged. (A whole
    /// Docker manifest list moves unchanged.)
    pub async fn for_oci(source: Source, options: &ImageOptions) -> Result<Source> {
        let plan = source.plan(options).await?;
        if plan.top.media_type != media_type::DOCKER_MANIFEST || !plan.children.is_empty() {
            return Ok(source);
        }
        let config = read_config(&source, &plan.top).await?;
        let plain_layers = matches!(source, Source::DockerArchive(_));
        let image = docker_to_oci(&plan.top, &config, plain_layers)?;
        Ok(Source::Converted(ConvertedSource {
            inner: Arc::new(source),
            image,
        }))
    }

    pub fn top(&self) -> Manifest {
        self.image.manifest.clone()
    }

    pub async fn manifest(&self, digest: Digest, media_type: String) -> Result<Manifest> {
        self.inner.manifest(digest, media_type).await
    }

    pub async fn blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        if blob.digest == self.image.config_digest {
            let config: Bytes = self.image.config.clone();
            return Ok(Box::pin(futures_util::stream::once(
                async move { Ok(config) },
            )));
        }
        self.inner.blob(blob).await
    }

    pub fn inner(&self) -> &Source {
        &self.inner
    }
}
