//! Inspect: the facts of an image as JSON, the way `skopeo inspect` gives them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::options::ImageOptions;
use crate::client::Client;
use crate::client::parse_json;
use crate::error::Result;
use crate::reference::Reference;

/// What `inspect` reports, with skopeo's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInfo {
    /// `registry/repository`.
    pub name: String,
    /// The digest of the manifest the reference names (the index, for a
    /// multi-platform image).
    pub digest: String,
    /// Every tag of the repository when asked for (else empty, as skopeo's
    /// `--no-tags`).
    pub repo_tags: Vec<String>,
    /// When the image was built (RFC 3339), if recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The Docker version that built it (empty when not recorded).
    pub docker_version: String,
    /// The config's labels.
    pub labels: BTreeMap<String, String>,
    /// The architecture.
    pub architecture: String,
    /// The operating system.
    pub os: String,
    /// The architecture variant, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The layer digests, in order.
    pub layers: Vec<String>,
    /// The layers' descriptors.
    pub layers_data: Vec<LayerData>,
    /// The config's environment.
    pub env: Vec<String>,
}

/// One layer as `skopeo inspect` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerData {
    /// The layer media type.
    #[serde(rename = "MIMEType")]
    pub mime_type: String,
    /// The layer digest.
    pub digest: String,
    /// The layer size.
    pub size: u64,
}

#[derive(Deserialize, Default)]
struct ConfigJson {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    docker_version: Option<String>,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    config: Option<ContainerConfig>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ContainerConfig {
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    env: Option<Vec<String>>,
}

impl Client {
    /// The facts of image `reference` (the platform's image of an index),
    /// with the repository's tags when `with_tags`.
    pub async fn inspect(
        &self,
        reference: &Reference,
        options: &ImageOptions,
        with_tags: bool,
    ) -> Result<ImageInfo> {
        let top = self.get_manifest(reference).await?;
        let manifest = if crate::media_type::is_index(&top.media_type) {
            let source = top.source.clone().unwrap_or_else(|| reference.clone());
            let index = self
                .get_manifest_direct(&source.with_digest(top.digest.clone()))
                .await?;
            self.image_manifest_of(reference, index, &options.platform()?)
                .await?
        } else {
            top.clone()
        };
        let fields = manifest.fields().map_err(|e| e.context(reference))?;
        let config = self.config_of(reference, &manifest).await?;
        let parsed: ConfigJson = parse_json(&config.bytes, &format!("config of {reference}"))?;
        let container = parsed.config.unwrap_or_default();
        let layers = fields.layers.unwrap_or_default();
        Ok(ImageInfo {
            name: format!("{}/{}", reference.registry(), reference.repository()),
            digest: top.digest.to_string(),
            repo_tags: if with_tags {
                self.tags(reference).await?
            } else {
                Vec::new()
            },
            created: parsed.created,
            docker_version: parsed.docker_version.unwrap_or_default(),
            labels: container.labels.unwrap_or_default(),
            architecture: parsed.architecture,
            os: parsed.os,
            variant: parsed.variant,
            layers: layers.iter().map(|l| l.digest.clone()).collect(),
            layers_data: layers
                .iter()
                .map(|l| LayerData {
                    mime_type: l.media_type.clone(),
                    digest: l.digest.clone(),
                    size: l.size,
                })
                .collect(),
            env: container.env.unwrap_or_default(),
        })
    }
}
