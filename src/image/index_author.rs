//! Indexes authored: an OCI image index made from manifests of one
//! repository, each with the platform its config names, written byte for
//! byte as `oras manifest index create` writes it (Go's `encoding/json` of
//! image-spec's `Index`); and updated: entries added or removed,
//! annotations set or removed.

use std::collections::BTreeMap;
use std::fmt::Write;

use bytes::Bytes;
use serde::Deserialize;

use super::go_json::{push_map, push_str};
use super::platform::Platform;
use crate::client::{Client, Manifest};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::{self, OCI_INDEX};
use crate::reference::Reference;

/// The most entries an authored index holds.
pub const MAX_INDEX_ENTRIES: usize = 1000;

/// What an index is made with.
#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    /// The index's `artifactType`, if any.
    pub artifact_type: Option<String>,
    /// The index's annotations (none are added).
    pub annotations: BTreeMap<String, String>,
}

/// Changes to an index: entries removed (by digest or by platform),
/// entries added (by reference, with their platforms), annotations set or
/// removed. They apply in that order.
#[derive(Debug, Clone, Default)]
pub struct IndexUpdate {
    /// Manifests to add, in the index's repository.
    pub add: Vec<Reference>,
    /// Digests of entries to remove; each must be in the index.
    pub remove: Vec<Digest>,
    /// Platforms whose entries to remove (every entry of that os and
    /// architecture, and of that variant when one is given, `arm64`
    /// without a variant being `v8`); each must match an entry.
    pub remove_platforms: Vec<Platform>,
    /// Annotations to set (replacing a value of the same key).
    pub annotations: BTreeMap<String, String>,
    /// Annotation keys to remove (a key that is not there is no change).
    pub remove_annotations: Vec<String>,
}

/// A platform as image-spec writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct FullPlatform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default, rename = "os.version")]
    os_version: Option<String>,
    #[serde(default, rename = "os.features")]
    os_features: Option<Vec<String>>,
    #[serde(default)]
    variant: Option<String>,
}

/// One entry of an index, every field image-spec's `Descriptor` has.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    urls: Option<Vec<String>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    platform: Option<FullPlatform>,
    #[serde(default)]
    artifact_type: Option<String>,
}

/// The fields of an index that an update keeps.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFields {
    #[serde(default)]
    artifact_type: Option<String>,
    manifests: Vec<Entry>,
    #[serde(default)]
    subject: Option<Entry>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

impl Client {
    /// Makes an index of `sources` (image manifests of the repository of
    /// `target`, by tag or digest), each with the platform its config
    /// names, pushes it to `target` (its tag) and returns its digest. The
    /// same sources and options give the same digest as
    /// `oras manifest index create`.
    ///
    /// `INVALID_ARGUMENT`, with nothing pushed, for more than
    /// [`MAX_INDEX_ENTRIES`] sources, a source that is an index or in
    /// another repository, one manifest given twice, or an empty
    /// annotation key; `NOT_FOUND` for a source that is not there.
    pub async fn create_index(
        &self,
        target: &Reference,
        sources: &[Reference],
        options: &IndexOptions,
    ) -> Result<Digest> {
        if sources.len() > MAX_INDEX_ENTRIES {
            return Err(invalid(format!(
                "an index holds at most {MAX_INDEX_ENTRIES} manifests"
            )));
        }
        check_keys(options.annotations.keys())?;
        let mut entries: Vec<Entry> = Vec::with_capacity(sources.len());
        for source in sources {
            let entry = self.entry_of(target, source).await?;
            if entries.iter().any(|e| e.digest == entry.digest) {
                return Err(invalid(format!(
                    "{source} ({}) is listed twice",
                    entry.digest
                )));
            }
            entries.push(entry);
        }
        let bytes = index_json(
            options.artifact_type.as_deref(),
            &entries,
            None,
            &options.annotations,
        );
        self.put_manifest(target, bytes, OCI_INDEX).await
    }

    /// Changes the index at `target`: removes the entries of
    /// `update.remove` and `update.remove_platforms` (`NOT_FOUND` when one
    /// is not there), adds those of `update.add` (image manifests, as for
    /// [`Client::create_index`]; one already in the index is not added
    /// twice), sets `update.annotations` and removes
    /// `update.remove_annotations`, pushes the result to `target` and
    /// returns its digest. On any error nothing is pushed.
    pub async fn update_index(&self, target: &Reference, update: &IndexUpdate) -> Result<Digest> {
        check_keys(update.annotations.keys())?;
        check_keys(update.remove_annotations.iter())?;
        let manifest = self.get_manifest_direct(target).await?;
        if !media_type::is_index(&manifest.media_type) {
            return Err(invalid(format!("{target} is not an index")));
        }
        let mut index: IndexFields = serde_json::from_slice(&manifest.bytes)
            .map_err(|e| Error::new(ErrorKind::Protocol, format!("index {target}: {e}")))?;
        for digest in &update.remove {
            let before = index.manifests.len();
            index.manifests.retain(|e| e.digest != digest.as_str());
            if index.manifests.len() == before {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("{target} has no entry {digest}"),
                ));
            }
        }
        for platform in &update.remove_platforms {
            let before = index.manifests.len();
            index.manifests.retain(|e| {
                !e.platform.as_ref().is_some_and(|p| {
                    platform.matches_parts(&p.os, &p.architecture, p.variant.as_deref())
                })
            });
            if index.manifests.len() == before {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("{target} has no entry for platform {platform}"),
                ));
            }
        }
        for source in &update.add {
            let entry = self.entry_of(target, source).await?;
            if !index.manifests.iter().any(|e| e.digest == entry.digest) {
                index.manifests.push(entry);
            }
        }
        if index.manifests.len() > MAX_INDEX_ENTRIES {
            return Err(invalid(format!(
                "an index holds at most {MAX_INDEX_ENTRIES} manifests"
            )));
        }
        let mut annotations = index.annotations.unwrap_or_default();
        annotations.extend(update.annotations.clone());
        for key in &update.remove_annotations {
            annotations.remove(key);
        }
        let bytes = index_json(
            index.artifact_type.as_deref(),
            &index.manifests,
            index.subject.as_ref(),
            &annotations,
        );
        self.put_manifest(target, bytes, OCI_INDEX).await
    }

    /// The index entry of `source` (in the repository of `target`).
    async fn entry_of(&self, target: &Reference, source: &Reference) -> Result<Entry> {
        if source.api_host() != target.api_host() || source.repository() != target.repository() {
            return Err(invalid(format!(
                "{source} is not in the index's repository {}",
                target.repository()
            )));
        }
        let manifest = self.get_manifest_direct(source).await?;
        if media_type::is_index(&manifest.media_type) {
            return Err(invalid(format!(
                "{source} is an index, not an image manifest"
            )));
        }
        let platform = self.platform_of(source, &manifest).await?;
        Ok(Entry {
            media_type: manifest.media_type.clone(),
            digest: manifest.digest.to_string(),
            size: manifest.bytes.len() as u64,
            urls: None,
            annotations: None,
            data: None,
            platform,
            artifact_type: None,
        })
    }

    /// The platform an image's config names (`None` when it names none).
    async fn platform_of(
        &self,
        source: &Reference,
        manifest: &Manifest,
    ) -> Result<Option<FullPlatform>> {
        let config = self.config_of(source, manifest).await?;
        let platform: FullPlatform = serde_json::from_slice(&config.bytes)
            .map_err(|e| Error::new(ErrorKind::Protocol, format!("config of {source}: {e}")))?;
        Ok((!platform.os.is_empty() || !platform.architecture.is_empty()).then_some(platform))
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// Refuses an empty annotation key.
fn check_keys<'a>(mut keys: impl Iterator<Item = &'a String>) -> Result<()> {
    if keys.any(String::is_empty) {
        return Err(invalid("an empty annotation key".to_string()));
    }
    Ok(())
}

/// The index bytes, as Go writes image-spec's `Index`.
fn index_json(
    artifact_type: Option<&str>,
    entries: &[Entry],
    subject: Option<&Entry>,
    annotations: &BTreeMap<String, String>,
) -> Bytes {
    let mut out = String::with_capacity(128 + 256 * entries.len());
    out.push_str("{\"schemaVersion\":2,\"mediaType\":");
    push_str(&mut out, OCI_INDEX);
    if let Some(t) = artifact_type.filter(|t| !t.is_empty()) {
        out.push_str(",\"artifactType\":");
        push_str(&mut out, t);
    }
    out.push_str(",\"manifests\":[");
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_entry(&mut out, entry);
    }
    out.push(']');
    if let Some(subject) = subject {
        out.push_str(",\"subject\":");
        push_entry(&mut out, subject);
    }
    if !annotations.is_empty() {
        out.push_str(",\"annotations\":");
        push_map(&mut out, annotations);
    }
    out.push('}');
    Bytes::from(out)
}

/// One descriptor, in image-spec's field order.
fn push_entry(out: &mut String, e: &Entry) {
    out.push_str("{\"mediaType\":");
    push_str(out, &e.media_type);
    out.push_str(",\"digest\":");
    push_str(out, &e.digest);
    let _ = write!(out, ",\"size\":{}", e.size);
    if let Some(urls) = e.urls.as_ref().filter(|u| !u.is_empty()) {
        out.push_str(",\"urls\":");
        push_list(out, urls);
    }
    if let Some(a) = e.annotations.as_ref().filter(|a| !a.is_empty()) {
        out.push_str(",\"annotations\":");
        push_map(out, a);
    }
    if let Some(data) = e.data.as_ref().filter(|d| !d.is_empty()) {
        out.push_str(",\"data\":");
        push_str(out, data);
    }
    if let Some(p) = &e.platform {
        out.push_str(",\"platform\":{\"architecture\":");
        push_str(out, &p.architecture);
        out.push_str(",\"os\":");
        push_str(out, &p.os);
        if let Some(v) = p.os_version.as_ref().filter(|v| !v.is_empty()) {
            out.push_str(",\"os.version\":");
            push_str(out, v);
        }
        if let Some(f) = p.os_features.as_ref().filter(|f| !f.is_empty()) {
            out.push_str(",\"os.features\":");
            push_list(out, f);
        }
        if let Some(v) = p.variant.as_ref().filter(|v| !v.is_empty()) {
            out.push_str(",\"variant\":");
            push_str(out, v);
        }
        out.push('}');
    }
    if let Some(t) = e.artifact_type.as_ref().filter(|t| !t.is_empty()) {
        out.push_str(",\"artifactType\":");
        push_str(out, t);
    }
    out.push('}');
}

fn push_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_matches_what_oras_made() {
        // `oras manifest index create` (v1.3.6) of two images whose configs
        // say linux/amd64 and linux/arm64.
        let oras = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:09ade42fe3e69018a3360bb092265af902f9e7d6013146cf152c82ac3a944707","size":247,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:4a348647e26b224326cec418e4fd0f84ec0e9ec1be6cd025dc3f6b03e08d912d","size":247,"platform":{"architecture":"arm64","os":"linux"}}]}"#;
        let entry = |digest: &str, arch: &str| Entry {
            media_type: media_type::OCI_MANIFEST.into(),
            digest: digest.into(),
            size: 247,
            urls: None,
            annotations: None,
            data: None,
            platform: Some(FullPlatform {
                architecture: arch.into(),
                os: "linux".into(),
                ..Default::default()
            }),
            artifact_type: None,
        };
        let entries = [
            entry(
                "sha256:09ade42fe3e69018a3360bb092265af902f9e7d6013146cf152c82ac3a944707",
                "amd64",
            ),
            entry(
                "sha256:4a348647e26b224326cec418e4fd0f84ec0e9ec1be6cd025dc3f6b03e08d912d",
                "arm64",
            ),
        ];
        let ours = index_json(None, &entries, None, &BTreeMap::new());
        assert_eq!(std::str::from_utf8(&ours).unwrap(), oras);
    }
}
