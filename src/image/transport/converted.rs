//! An image read through another source and converted on the way to an
//! OCI layout or oci-archive: a Docker schema 2 image, or a Docker manifest
//! list copied whole, becomes the OCI image or index skopeo writes there
//! (see `oci_conversion`). The converted manifests and configs come from
//! memory, the layers from the source, unchanged.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;

use super::{BlobStream, Source};
use crate::client::Manifest;
use crate::digest::Digest;
use crate::error::Result;
use crate::image::oci_conversion::{docker_list_to_oci, docker_to_oci};
use crate::image::options::ImageOptions;
use crate::image::plan::{BlobRef, Plan};
use crate::image::source_ops::read_config;
use crate::media_type;

/// A source whose image (or index) is served converted.
pub(crate) struct ConvertedSource {
    inner: Arc<Source>,
    top: Manifest,
    /// The converted instances of an index, by their new digest.
    manifests: HashMap<Digest, Manifest>,
    /// The converted configs, by digest.
    configs: HashMap<Digest, Bytes>,
}

impl ConvertedSource {
    /// `source`, planned as `plan` with `options`, as an OCI layout holds
    /// it: converted (and planned again, from memory) when the plan moves a
    /// Docker schema 2 image or a Docker manifest list of them, else
    /// unchanged.
    pub async fn for_oci(
        source: Source,
        plan: Plan,
        options: &ImageOptions,
    ) -> Result<(Source, Plan)> {
        let mut configs = HashMap::new();
        let mut manifests = HashMap::new();
        let top = match plan.top.media_type.as_str() {
            media_type::DOCKER_MANIFEST if plan.children.is_empty() => {
                let config = read_config(&source, &plan.top).await?;
                let image = docker_to_oci(&plan.top, &config)?;
                configs.insert(image.config_digest, image.config);
                image.manifest
            }
            media_type::DOCKER_MANIFEST_LIST
                if plan
                    .children
                    .iter()
                    .all(|c| c.media_type == media_type::DOCKER_MANIFEST) =>
            {
                let mut by_old_digest = HashMap::new();
                for child in &plan.children {
                    let config = read_config(&source, child).await?;
                    let image = docker_to_oci(child, &config)?;
                    configs.insert(image.config_digest, image.config);
                    manifests.insert(image.manifest.digest.clone(), image.manifest.clone());
                    by_old_digest.insert(child.digest.clone(), image.manifest);
                }
                docker_list_to_oci(&plan.top, &by_old_digest)?
            }
            _ => return Ok((source, plan)),
        };
        let converted = Source::Converted(ConvertedSource {
            inner: Arc::new(source),
            top,
            manifests,
            configs,
        });
        let plan = Box::pin(converted.plan(options)).await?;
        Ok((converted, plan))
    }

    pub fn top(&self) -> Manifest {
        self.top.clone()
    }

    pub async fn manifest(&self, digest: Digest, media_type: String) -> Result<Manifest> {
        match self.manifests.get(&digest) {
            Some(manifest) => Ok(manifest.clone()),
            None => self.inner.manifest(digest, media_type).await,
        }
    }

    pub async fn blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        if let Some(config) = self.configs.get(&blob.digest) {
            let config = config.clone();
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
