//! Content descriptors and the few manifest fields the client reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
