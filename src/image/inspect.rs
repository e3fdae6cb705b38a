//! Inspect: the facts of an image on any transport as JSON, the way
//! `skopeo inspect` gives them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::options::ImageOptions;
use super::source_ops::{read_config, single_image};
use super::transport::{ImageName, Source};
use crate::client::Client;
use crate::client::parse_json;
use crate::error::Result;
use crate::reference::Reference;

/// What `inspect` reports, with skopeo's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInfo {
    /// `registry/repository` of the image's intended docker reference
    /// (left out of the JSON when empty: `oci:`, `oci-archive:`, `dir:`,
    /// a docker-archive not named by a tag).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The digest of the manifest the reference names (the index, for a
    /// multi-platform image).
    pub digest: String,
    /// Every tag of the repository when asked for, for `docker://` only
    /// (else empty, as skopeo's `--no-tags` and its other transports).
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
    /// The facts of the registry image `reference`: [`Client::inspect_image`]
    /// with a `docker://` name.
    pub async fn inspect(
        &self,
        reference: &Reference,
        options: &ImageOptions,
        with_tags: bool,
    ) -> Result<ImageInfo> {
        self.inspect_image(&ImageName::Registry(reference.clone()), options, with_tags)
            .await
    }

    /// The facts of the image `name` names, on any transport, as `skopeo
    /// inspect` gives them: `Digest` is the top manifest's (the index, for
    /// a multi-platform image), the rest comes from the image of the
    /// platform chosen by `options`. `Name` is the repository of the
    /// name's [`ImageName::intended_docker_reference`] (empty, and left out
    /// of the JSON, when there is none). `RepoTags` lists the repository's
    /// tags when `with_tags` and the name is `docker://`; it is empty
    /// otherwise, as skopeo's is for the other transports.
    pub async fn inspect_image(
        &self,
        name: &ImageName,
        options: &ImageOptions,
        with_tags: bool,
    ) -> Result<ImageInfo> {
        let intended = name.intended_docker_reference()?;
        let source = options.step(Source::open(self, name, options)).await?;
        let top = options.step(source.top()).await?;
        let plan = options
            .step(single_image(&source, top.clone(), options))
            .await?;
        let manifest = plan.top;
        let fields = manifest.fields().map_err(|e| e.context(name))?;
        let config = options
            .step(read_config(&source, &manifest))
            .await
            .map_err(|e| e.context(name))?;
        let parsed: ConfigJson = parse_json(&config, &format!("config of {name}"))?;
        let container = parsed.config.unwrap_or_default();
        let layers = fields.layers.unwrap_or_default();
        let repo_tags = match name {
            ImageName::Registry(reference) if with_tags => {
                options.step(self.tags(reference)).await?
            }
            _ => Vec::new(),
        };
        Ok(ImageInfo {
            name: intended
                .map(|r| format!("{}/{}", r.registry(), r.repository()))
                .unwrap_or_default(),
            digest: top.digest.to_string(),
            repo_tags,
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
