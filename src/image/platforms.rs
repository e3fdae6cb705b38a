//! Platforms as data: what platforms an image offers, each with the
//! manifest that serves it (the seeds' `Image.Platforms`).

use serde::Deserialize;

use super::plan::image_entries;
use crate::client::{Client, Manifest, parse_json};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type;
use crate::reference::Reference;

/// One platform an image offers, and the image manifest that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePlatform {
    /// The operating system (`linux`, `windows`); empty when not recorded.
    pub os: String,
    /// The architecture in Go's names (`amd64`, `arm64`); empty when not
    /// recorded.
    pub architecture: String,
    /// The architecture variant (`v7`, `v8`), if recorded.
    pub variant: Option<String>,
    /// `os.version` (Windows builds such as `10.0.17763.1757`), if recorded.
    pub os_version: Option<String>,
    /// `os.features` (such as `win32k`), in order.
    pub os_features: Vec<String>,
    /// `features` (reserved by the image spec), in order.
    pub features: Vec<String>,
    /// The digest of the image manifest for this platform.
    pub digest: Digest,
    /// The size of that manifest in bytes.
    pub size: u64,
    /// The media type of that manifest.
    pub media_type: String,
}

/// The platform members of an index entry's `platform` object; an image
/// config carries the same members at its top level.
#[derive(Deserialize, Default)]
struct PlatformFields {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default, rename = "os.version")]
    os_version: Option<String>,
    #[serde(default, rename = "os.features")]
    os_features: Option<Vec<String>>,
    #[serde(default)]
    features: Option<Vec<String>>,
}

impl PlatformFields {
    fn into_platform(self, digest: Digest, size: u64, media_type: String) -> ImagePlatform {
        ImagePlatform {
            os: self.os.unwrap_or_default(),
            architecture: self.architecture.unwrap_or_default(),
            variant: self.variant.filter(|v| !v.is_empty()),
            os_version: self.os_version.filter(|v| !v.is_empty()),
            os_features: self.os_features.unwrap_or_default(),
            features: self.features.unwrap_or_default(),
            digest,
            size,
            media_type,
        }
    }
}

impl Client {
    /// The platforms image `reference` offers, each with the digest, size
    /// and media type of its image manifest.
    ///
    /// For an index (or Docker manifest list) these are its entries, and
    /// those of the indexes it nests (at most 4 deep and 10,000 entries),
    /// in the order they are listed; an entry without a `platform` has empty
    /// os and architecture. For a single-platform image there is one entry:
    /// the manifest itself, with the platform read from its image config
    /// (`features` is then empty: configs do not carry it).
    pub async fn platforms(&self, reference: &Reference) -> Result<Vec<ImagePlatform>> {
        let top = self.get_manifest(reference).await?;
        if !media_type::is_index(&top.media_type) {
            return Ok(vec![self.platform_of_image(reference, top).await?]);
        }
        let source = top.source.clone().unwrap_or_else(|| reference.clone());
        let entries = image_entries(&top, &|digest, _| {
            let child = source.with_digest(digest);
            async move { self.get_manifest_direct(&child).await }
        })
        .await
        .map_err(|e| e.context(reference))?;
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let fields = match entry.platform {
                Some(p) => serde_json::from_value::<PlatformFields>(p).map_err(|e| {
                    Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "{reference}: the platform of index entry {}: {e}",
                            entry.digest
                        ),
                    )
                })?,
                None => PlatformFields::default(),
            };
            let digest = Digest::parse(&entry.digest)?;
            out.push(fields.into_platform(digest, entry.size, entry.media_type));
        }
        Ok(out)
    }

    /// The platform of a single image manifest, from its config.
    async fn platform_of_image(
        &self,
        reference: &Reference,
        manifest: Manifest,
    ) -> Result<ImagePlatform> {
        let config = self.config_of(reference, &manifest).await?;
        let fields: PlatformFields = parse_json(&config.bytes, &format!("config of {reference}"))?;
        let size = manifest.bytes.len() as u64;
        Ok(fields.into_platform(manifest.digest, size, manifest.media_type))
    }
}
