//! Content descriptors and the few manifest fields the client reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::media_type;

/// A content descriptor: what a manifest, index or referrers list points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of the content.
    pub media_type: String,
    /// The digest of the content (validated where it is used).
    pub digest: String,
    /// The size of the content in bytes.
    pub size: u64,
    /// The artifact type, for artifacts and referrers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// The platform, for entries of an index (kept as raw JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
}

/// The fields of a manifest (image, artifact or index) that the client
/// needs to understand it; the raw bytes stay the source of truth.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFields {
    /// `schemaVersion`.
    #[serde(default)]
    pub schema_version: Option<u32>,
    /// `mediaType`, when the manifest names its own.
    #[serde(default)]
    pub media_type: Option<String>,
    /// `artifactType`.
    #[serde(default)]
    pub artifact_type: Option<String>,
    /// `config`, for image manifests.
    #[serde(default)]
    pub config: Option<Descriptor>,
    /// `layers`, for image manifests.
    #[serde(default)]
    pub layers: Option<Vec<Descriptor>>,
    /// `blobs`, for artifact manifests of the withdrawn 1.1 draft.
    #[serde(default)]
    pub blobs: Option<Vec<Descriptor>>,
    /// `manifests`, for indexes.
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
    /// `subject`, for manifests that refer to another.
    #[serde(default)]
    pub subject: Option<Descriptor>,
    /// `annotations`.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl ManifestFields {
    /// Checks the fields the image spec requires of a manifest of
    /// `media_type`: `schemaVersion` 2 and `config` plus `layers` for image
    /// manifests, `schemaVersion` 2 and `manifests` for indexes. A JSON
    /// object that is none of these (`{}`, say) is a `PROTOCOL` error, not
    /// an empty image.
    pub fn validate(&self, media_type: &str) -> Result<()> {
        let kind = match media_type {
            media_type::OCI_MANIFEST | media_type::DOCKER_MANIFEST => "image manifest",
            media_type::OCI_INDEX | media_type::DOCKER_MANIFEST_LIST => "index",
            // The withdrawn artifact manifest has no schemaVersion; other
            // types are not interpreted, so nothing is required of them.
            _ => return Ok(()),
        };
        let missing = if self.schema_version != Some(2) {
            Some("schemaVersion 2")
        } else if kind == "index" {
            self.manifests.is_none().then_some("manifests")
        } else if self.config.is_none() {
            Some("config")
        } else {
            self.layers.is_none().then_some("layers")
        };
        match missing {
            Some(field) => Err(Error::new(
                ErrorKind::Protocol,
                format!("not a valid {kind} ({media_type}): it has no {field}"),
            )),
            None => Ok(()),
        }
    }
}

/// An image index as the referrers API and its fallback tag serve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// The index media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The entries.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> ManifestFields {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn required_fields_are_checked_per_media_type() {
        let empty = fields("{}");
        for mt in [
            media_type::OCI_MANIFEST,
            media_type::DOCKER_MANIFEST,
            media_type::OCI_INDEX,
            media_type::DOCKER_MANIFEST_LIST,
        ] {
            let err = empty.validate(mt).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol);
            assert!(err.message().contains("schemaVersion"), "{err}");
        }
        let no_layers = fields(
            r#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:00","size":1}}"#,
        );
        let err = no_layers.validate(media_type::OCI_MANIFEST).unwrap_err();
        assert!(err.message().contains("layers"), "{err}");
        let no_config = fields(r#"{"schemaVersion":2,"layers":[]}"#);
        let err = no_config.validate(media_type::OCI_MANIFEST).unwrap_err();
        assert!(err.message().contains("config"), "{err}");
        let image = fields(
            r#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:00","size":1},"layers":[]}"#,
        );
        assert!(image.validate(media_type::OCI_MANIFEST).is_ok());
        assert!(image.validate(media_type::OCI_INDEX).is_err());
        let index = fields(r#"{"schemaVersion":2,"manifests":[]}"#);
        assert!(index.validate(media_type::OCI_INDEX).is_ok());
        assert!(index.validate(media_type::OCI_MANIFEST).is_err());
        assert!(empty.validate(media_type::OCI_ARTIFACT_MANIFEST).is_ok());
    }
}
