//! Where the attachments of a manifest are found: the merged referrers
//! listing of a registry, or, in an OCI layout (a directory or an
//! oci-archive), the manifests `index.json` lists whose `subject` names
//! it, the `<alg>-<hex>` fallback indexes regclient writes and the
//! manifests named with cosign's tags.

use std::collections::{HashMap, HashSet};

use super::MAX_ATTACHMENTS;
use crate::client::{Client, Manifest, ReferrerKind, fallback_tag};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::layout::{LayoutIndex, MAX_INDEX_SIZE, OciLayout, ref_name};
use crate::image::options::ReferrersMode;
use crate::image::transport::blob_member;
use crate::image::transport::tar_index::TarIndex;
use crate::media_type;
use crate::reference::Reference;

/// The most `index.json` entries read when looking for attachments in a
/// layout.
const MAX_LAYOUT_ENTRIES: usize = 10_000;
/// The largest manifest read from a layout (as from a registry).
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// cosign's tag suffixes.
const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// An attachment as a source lists it.
pub(crate) struct Listed {
    pub(super) media_type: String,
    pub(super) digest: String,
    /// Its cosign tag, `None` for a referrer.
    pub(super) tag: Option<String>,
}

/// Where the graph is read from.
pub(crate) enum GraphSource<'a> {
    /// A registry repository: the merged referrers listing.
    Registry(&'a Reference),
    /// An OCI layout, its attachments found once in `index.json`.
    Layout(LayoutFiles<'a>, HashMap<Digest, Vec<Listed>>),
}

/// The files of an OCI layout: a directory, or an oci-archive's members.
#[derive(Clone, Copy)]
pub(crate) enum LayoutFiles<'a> {
    Dir(&'a OciLayout),
    Archive(&'a TarIndex),
}

impl LayoutFiles<'_> {
    /// The layout's path, for messages.
    fn shown(&self) -> String {
        match self {
            LayoutFiles::Dir(layout) => layout.root().display().to_string(),
            LayoutFiles::Archive(tar) => tar.path().display().to_string(),
        }
    }

    /// Its `index.json`.
    async fn read_index(&self) -> Result<LayoutIndex> {
        match self {
            LayoutFiles::Dir(layout) => layout.read_index().await,
            LayoutFiles::Archive(tar) => {
                let bytes = tar.read("index.json", MAX_INDEX_SIZE).await?;
                serde_json::from_slice(&bytes).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidArgument,
                        format!("{}: index.json: {e}", self.shown()),
                    )
                })
            }
        }
    }

    /// The blob `digest`, verified, at most `limit` bytes.
    async fn read_blob(&self, digest: &Digest, limit: u64) -> Result<bytes::Bytes> {
        match self {
            LayoutFiles::Dir(layout) => layout.read_blob(digest, limit).await,
            LayoutFiles::Archive(tar) => {
                let bytes = tar.read(&blob_member(digest), limit).await?;
                digest.verify(&bytes).map_err(|e| e.context(self.shown()))?;
                Ok(bytes)
            }
        }
    }
}

impl<'a> GraphSource<'a> {
    /// The attachments of a layout: every manifest `index.json` lists
    /// (named or not) that has a `subject`, the entries of the
    /// fallback indexes named `<alg>-<hex>`, and the manifests named with
    /// cosign's tags. Nothing is read when `mode` carries nothing.
    pub(crate) async fn layout(
        layout: LayoutFiles<'a>,
        mode: &ReferrersMode,
    ) -> Result<GraphSource<'a>> {
        let mut found: HashMap<Digest, Vec<Listed>> = HashMap::new();
        if *mode == ReferrersMode::None {
            return Ok(GraphSource::Layout(layout, found));
        }
        let index = layout.read_index().await?;
        if index.manifests.len() > MAX_LAYOUT_ENTRIES {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{}: index.json has {} entries, more than the {MAX_LAYOUT_ENTRIES} \
                     searched for attachments",
                    layout.shown(),
                    index.manifests.len()
                ),
            ));
        }
        for entry in &index.manifests {
            if !media_type::MANIFEST_ACCEPT.contains(&entry.media_type.as_str()) {
                continue;
            }
            let name = ref_name(entry);
            if let Some((subject, _)) = name.and_then(cosign_tag_subject) {
                found.entry(subject).or_default().push(Listed {
                    media_type: entry.media_type.clone(),
                    digest: entry.digest.clone(),
                    tag: name.map(str::to_string),
                });
                continue;
            }
            let manifest = layout_manifest(&layout, &entry.digest, &entry.media_type).await?;
            if let Some(subject) = name.and_then(fallback_subject) {
                for listed in fallback_entries(&manifest)? {
                    found.entry(subject.clone()).or_default().push(Listed {
                        media_type: listed.media_type,
                        digest: listed.digest,
                        tag: None,
                    });
                }
                continue;
            }
            if let Some(subject) = manifest.fields()?.subject {
                let subject = Digest::parse(&subject.digest)
                    .map_err(|e| e.context(format!("the subject of {}", manifest.digest)))?;
                found.entry(subject).or_default().push(Listed {
                    media_type: entry.media_type.clone(),
                    digest: entry.digest.clone(),
                    tag: None,
                });
            }
        }
        Ok(GraphSource::Layout(layout, found))
    }

    /// What is attached to `subject`, each digest once.
    pub(super) async fn attached(&self, client: &Client, subject: &Digest) -> Result<Vec<Listed>> {
        let listed: Vec<Listed> = match self {
            GraphSource::Registry(reference) => client
                .referrers(&reference.with_digest(subject.clone()), None)
                .await?
                .into_iter()
                .map(|r| Listed {
                    tag: cosign_suffix(r.kind).map(|s| format!("{}.{s}", fallback_tag(subject))),
                    media_type: r.descriptor.media_type,
                    digest: r.descriptor.digest,
                })
                .collect(),
            GraphSource::Layout(_, found) => found
                .get(subject)
                .map(|l| {
                    l.iter()
                        .map(|l| Listed {
                            media_type: l.media_type.clone(),
                            digest: l.digest.clone(),
                            tag: l.tag.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        let mut seen = HashSet::new();
        Ok(listed
            .into_iter()
            .filter(|l| seen.insert(l.digest.clone()))
            .collect())
    }

    /// The manifest `digest`, verified, at most 4 MiB.
    pub(super) async fn manifest(
        &self,
        client: &Client,
        digest: &Digest,
        media_type: &str,
    ) -> Result<Manifest> {
        match self {
            GraphSource::Registry(reference) => {
                client
                    .get_manifest(&reference.with_digest(digest.clone()))
                    .await
            }
            GraphSource::Layout(layout, _) => {
                layout_manifest(layout, digest.as_str(), media_type).await
            }
        }
    }
}

/// The tag suffix of a cosign attachment kind.
fn cosign_suffix(kind: ReferrerKind) -> Option<&'static str> {
    match kind {
        ReferrerKind::CosignSignature => Some("sig"),
        ReferrerKind::CosignAttestation => Some("att"),
        ReferrerKind::CosignSbom => Some("sbom"),
        ReferrerKind::ReferrersApi | ReferrerKind::Fallback => None,
    }
}

/// The subject of a fallback tag `<alg>-<hex>`.
fn fallback_subject(tag: &str) -> Option<Digest> {
    let (algorithm, hex) = tag.split_once('-')?;
    Digest::parse(&format!("{algorithm}:{hex}")).ok()
}

/// The subject and suffix of a cosign tag `<alg>-<hex>.<sig|att|sbom>`.
fn cosign_tag_subject(tag: &str) -> Option<(Digest, &str)> {
    let (base, suffix) = tag.rsplit_once('.')?;
    let suffix = COSIGN_SUFFIXES.into_iter().find(|s| *s == suffix)?;
    Some((fallback_subject(base)?, suffix))
}

/// A manifest of the layout, verified and bounded like one from a registry.
pub(super) async fn layout_manifest(
    layout: &LayoutFiles<'_>,
    digest: &str,
    media_type: &str,
) -> Result<Manifest> {
    let digest =
        Digest::parse(digest).map_err(|e| e.context(format!("{}: index.json", layout.shown())))?;
    let bytes = layout.read_blob(&digest, MAX_MANIFEST_BYTES).await?;
    Ok(Manifest {
        bytes,
        media_type: media_type.to_string(),
        digest,
        source: None,
    })
}

/// The entries of a fallback index; anything else under a fallback tag is
/// an error (ocireg neither reads nor overwrites what it does not know).
pub(super) fn fallback_entries(manifest: &Manifest) -> Result<Vec<Descriptor>> {
    if !media_type::is_index(&manifest.media_type) {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "the referrers fallback index {} is a {}, not an image index",
                manifest.digest, manifest.media_type
            ),
        ));
    }
    let manifests = manifest.fields()?.manifests.unwrap_or_default();
    if manifests.len() > MAX_ATTACHMENTS {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "the referrers fallback index {} has {} entries, more than {MAX_ATTACHMENTS}",
                manifest.digest,
                manifests.len()
            ),
        ));
    }
    Ok(manifests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosign_tags_name_their_subject() {
        let d = Digest::sha256_of(b"x");
        let tag = format!("sha256-{}.sig", d.hex());
        assert_eq!(cosign_tag_subject(&tag), Some((d.clone(), "sig")));
        let tag = format!("sha256-{}.sbom", d.hex());
        assert_eq!(cosign_tag_subject(&tag), Some((d.clone(), "sbom")));
        assert_eq!(cosign_tag_subject(&format!("sha256-{}.txt", d.hex())), None);
        assert_eq!(cosign_tag_subject("latest"), None);
        assert_eq!(cosign_tag_subject("sha256-abc.sig"), None);
    }

    #[test]
    fn fallback_tags_name_their_subject() {
        let d = Digest::sha256_of(b"x");
        assert_eq!(fallback_subject(&fallback_tag(&d)), Some(d.clone()));
        assert_eq!(fallback_subject("v1-0"), None);
        assert_eq!(fallback_subject("latest"), None);
    }
}
