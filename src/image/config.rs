//! The image config: resolving a reference (through an index, by
//! platform) to its image manifest and fetching the config it names.

use bytes::{Bytes, BytesMut};

use super::plan::choose_image;
use super::platform::Platform;
use crate::client::{Client, Manifest};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type;
use crate::reference::Reference;

/// The largest config accepted.
pub(crate) const MAX_CONFIG_SIZE: u64 = 16 * 1024 * 1024;

/// An image config as stored: raw bytes, media type, digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConfig {
    /// The raw bytes (verified against `digest`).
    pub bytes: Bytes,
    /// The config media type.
    pub media_type: String,
    /// The config digest.
    pub digest: Digest,
}

impl Client {
    /// The image manifest of `reference` for `platform`: the manifest
    /// itself when it is one, else the entry of the index (or of the
    /// indexes it nests) chosen by platform.
    pub async fn image_manifest(
        &self,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<Manifest> {
        let manifest = self.get_manifest(reference).await?;
        self.image_manifest_of(reference, manifest, platform).await
    }

    /// The image of `manifest` (fetched for `reference`) for `platform`:
    /// itself, or the entry of the index chosen by platform, fetched from
    /// the endpoint that served the index.
    pub(crate) async fn image_manifest_of(
        &self,
        reference: &Reference,
        manifest: Manifest,
        platform: &Platform,
    ) -> Result<Manifest> {
        if !media_type::is_index(&manifest.media_type) {
            return Ok(manifest);
        }
        let source = manifest.source.clone().unwrap_or_else(|| reference.clone());
        choose_image(&manifest, platform, &|digest, _| {
            let child = source.with_digest(digest);
            async move { self.get_manifest_direct(&child).await }
        })
        .await
        .map_err(|e| e.context(reference))
    }

    /// The config of the image `reference` for `platform`, verified.
    pub async fn image_config(
        &self,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<ImageConfig> {
        let manifest = self.image_manifest(reference, platform).await?;
        self.config_of(reference, &manifest).await
    }

    /// The config an image manifest of `reference`'s repository names, verified.
    pub(crate) async fn config_of(
        &self,
        reference: &Reference,
        manifest: &Manifest,
    ) -> Result<ImageConfig> {
        let fields = manifest.fields().map_err(|e| e.context(reference))?;
        let config = fields.config.ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                format!("{reference} ({}) has no config", manifest.media_type),
            )
        })?;
        if config.size > MAX_CONFIG_SIZE {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!("config of {reference} is {} bytes", config.size),
            ));
        }
        let digest = Digest::parse(&config.digest).map_err(|e| e.context("config descriptor"))?;
        // From the endpoint that served the manifest.
        let source = manifest.source.as_ref().unwrap_or(reference);
        let mut reader = self.get_blob_direct(source, &digest).await?;
        reader.expect_size(config.size)?;
        let mut bytes = BytesMut::with_capacity(config.size as usize);
        while let Some(chunk) = reader.chunk().await? {
            bytes.extend_from_slice(&chunk);
        }
        Ok(ImageConfig {
            bytes: bytes.freeze(),
            media_type: config.media_type,
            digest,
        })
    }
}
