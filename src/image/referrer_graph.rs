//! The graph around an image: the manifests attached to it (its referrers,
//! and cosign's `sha256-<hex>.sig`, `.att` and `.sbom` tags), the manifests
//! attached to those in turn, and how copy, pull and push carry them.
//!
//! The graph is walked whole before anything is written, so that a source
//! whose listing is broken (a fallback tag that is not an index, one that
//! names manifests the source does not have, one too large) fails the
//! operation before the destination sees any of it. The walk starts at
//! every manifest the operation moves (an index and each of its platform
//! manifests, as `oras copy -r` and `regctl image copy --referrers` do),
//! follows each attachment to its own attachments (bounded in depth and
//! count, each manifest once however the graph loops) and orders them
//! subjects first, so that a registry that checks `subject` accepts each.
//!
//! Each attachment is then moved as an image of its own (every platform,
//! blobs streamed and verified, digests unchanged): to a registry by digest,
//! where the manifest push lists it for its subject through the referrers
//! API or the fallback tag by what the registry supports, or under its
//! cosign tag; into an OCI layout as an entry of `index.json` without a name
//! (what oras-go's `content/oci` reads referrers from) or under its cosign
//! tag, plus the subject's `sha256-<hex>` fallback index named in
//! `index.json` (what regclient's `ocidir` reads referrers from). A push
//! from a layout finds attachments in all three forms.
//!
//! Signatures kept outside the registry (containers' lookaside storage,
//! `BASE/REPO@sha256=HEX/signature-N`) are not attachments a registry
//! lists: they are keyed by the digests of the manifests an operation
//! moves, and belong beside the attachments in `copy_graph`, `pull_graph`
//! and `push_graph`, with an option of their own next to
//! [`ImageOptions::referrers`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;

use bytes::Bytes;

use super::layout::{OciLayout, ref_name};
use super::options::{ImageOptions, ReferrersMode};
use super::plan::Plan;
use crate::client::{Client, Manifest, ReferrerKind, fallback_tag, listed_artifact_type};
use crate::descriptor::{Descriptor, Index};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::{self, OCI_INDEX};
use crate::reference::Reference;

/// The longest chain of attachments followed (an image's SBOM's signature
/// is 2 deep).
const MAX_DEPTH: usize = 8;
/// The most attachments one operation carries.
const MAX_ATTACHMENTS: usize = 1_000;
/// The most `index.json` entries read when looking for attachments in a
/// layout.
const MAX_LAYOUT_ENTRIES: usize = 10_000;
/// The largest manifest read from a layout (as from a registry).
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// cosign's tag suffixes.
const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// One manifest attached to another.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    /// The attached manifest, as the source holds it.
    manifest: Manifest,
    /// What it is attached to.
    subject: Digest,
    /// The cosign tag it is found under, `None` for a referrer (a manifest
    /// whose `subject` names `subject`).
    tag: Option<String>,
}

/// The attachments of an operation, subjects before what is attached to
/// them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReferrerGraph {
    attachments: Vec<Attachment>,
}

/// An attachment as a source lists it.
pub(crate) struct Listed {
    media_type: String,
    digest: String,
    /// Its cosign tag, `None` for a referrer.
    tag: Option<String>,
}

/// Where the graph is read from.
pub(crate) enum GraphSource<'a> {
    /// A registry repository: the merged referrers listing.
    Registry(&'a Reference),
    /// An OCI layout, its attachments found once in `index.json`.
    Layout(&'a OciLayout, HashMap<Digest, Vec<Listed>>),
}

impl<'a> GraphSource<'a> {
    /// The attachments of a layout: every manifest `index.json` lists
    /// (named or not) whose `subject` is in the layout, the entries of the
    /// fallback indexes named `<alg>-<hex>`, and the manifests named with
    /// cosign's tags. Nothing is read when `mode` carries nothing.
    pub(crate) async fn layout(
        layout: &'a OciLayout,
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
                    "{}/index.json has {} entries, more than the {MAX_LAYOUT_ENTRIES} \
                     searched for attachments",
                    layout.root().display(),
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
            let manifest = layout_manifest(layout, &entry.digest, &entry.media_type).await?;
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
    async fn attached(&self, client: &Client, subject: &Digest) -> Result<Vec<Listed>> {
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
    async fn manifest(
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

impl Client {
    /// Walks the attachments of the manifests `plan` moves (see the module
    /// documentation); empty when `options.referrers` carries nothing.
    pub(crate) async fn referrer_graph(
        &self,
        source: &GraphSource<'_>,
        plan: &Plan,
        options: &ImageOptions,
    ) -> Result<ReferrerGraph> {
        let wanted_types = match &options.referrers {
            ReferrersMode::None => return Ok(ReferrerGraph::default()),
            ReferrersMode::All => None,
            ReferrersMode::ArtifactTypes(types) => Some(types),
        };
        let roots: Vec<Digest> = plan
            .children
            .iter()
            .chain([&plan.top])
            .map(|m| m.digest.clone())
            .collect();
        let mut visited: HashSet<Digest> = roots.iter().cloned().collect();
        let mut queue: VecDeque<(Digest, usize)> = roots.into_iter().map(|d| (d, 0)).collect();
        let mut attachments = Vec::new();
        while let Some((subject, depth)) = queue.pop_front() {
            let listed = options
                .step(source.attached(self, &subject))
                .await
                .map_err(|e| e.context(format!("listing what is attached to {subject}")))?;
            for listed in listed {
                let digest = Digest::parse(&listed.digest)
                    .map_err(|e| e.context(format!("an attachment of {subject}")))?;
                if !visited.insert(digest.clone()) {
                    continue;
                }
                if depth + 1 > MAX_DEPTH {
                    return Err(Error::new(
                        ErrorKind::SizeExceeded,
                        format!(
                            "attachments are chained more than {MAX_DEPTH} deep \
                             ({digest} is attached to {subject})"
                        ),
                    ));
                }
                let manifest = options
                    .step(source.manifest(self, &digest, &listed.media_type))
                    .await
                    .map_err(|e| e.context(format!("{digest}, attached to {subject}")))?;
                let fields = manifest.fields()?;
                if listed.tag.is_none() {
                    check_subject(fields.subject.as_ref(), &subject, &digest)?;
                }
                if depth == 0
                    && let Some(types) = wanted_types
                    && !listed_artifact_type(&fields).is_some_and(|t| types.contains(&t))
                {
                    continue;
                }
                if attachments.len() >= MAX_ATTACHMENTS {
                    return Err(Error::new(
                        ErrorKind::SizeExceeded,
                        format!("the image has more than {MAX_ATTACHMENTS} attachments"),
                    ));
                }
                attachments.push(Attachment {
                    manifest,
                    subject: subject.clone(),
                    tag: listed.tag,
                });
                queue.push_back((digest, depth + 1));
            }
        }
        Ok(ReferrerGraph { attachments })
    }

    /// Copies the attachments from `source`'s repository to `target`'s.
    pub(crate) async fn copy_graph(
        &self,
        graph: &ReferrerGraph,
        source: &Reference,
        target: &Reference,
        options: &ImageOptions,
    ) -> Result<()> {
        for attachment in &graph.attachments {
            let digest = &attachment.manifest.digest;
            let to = attachment.target(target)?;
            let copied = Box::pin(self.copy(
                &source.with_digest(digest.clone()),
                &to,
                &attachment_options(options, None),
            ))
            .await?;
            attachment.check_moved(&copied)?;
        }
        Ok(())
    }

    /// Pushes the attachments from `layout` to `target`'s repository.
    pub(crate) async fn push_graph(
        &self,
        graph: &ReferrerGraph,
        layout: &OciLayout,
        target: &Reference,
        options: &ImageOptions,
    ) -> Result<()> {
        for attachment in &graph.attachments {
            let to = attachment.target(target)?;
            let pushed = Box::pin(self.push_from_layout(
                layout,
                attachment.manifest.clone(),
                &to,
                &attachment_options(options, None),
            ))
            .await?;
            attachment.check_moved(&pushed)?;
        }
        Ok(())
    }

    /// Pulls the attachments from `source`'s repository into the layout at
    /// `dir`, then names each subject's fallback index there.
    pub(crate) async fn pull_graph(
        &self,
        graph: &ReferrerGraph,
        source: &Reference,
        dir: &Path,
        options: &ImageOptions,
    ) -> Result<()> {
        for attachment in &graph.attachments {
            let digest = &attachment.manifest.digest;
            let pulled = Box::pin(self.pull(
                &source.with_digest(digest.clone()),
                dir,
                &attachment_options(options, attachment.tag.clone()),
            ))
            .await?;
            attachment.check_moved(&Digest::parse(&pulled.digest)?)?;
        }
        let layout = OciLayout::at(dir);
        let mut by_subject: Vec<(&Digest, Vec<Descriptor>)> = Vec::new();
        for attachment in graph.attachments.iter().filter(|a| a.tag.is_none()) {
            let entry = attachment.fallback_entry()?;
            match by_subject
                .iter_mut()
                .find(|(s, _)| *s == &attachment.subject)
            {
                Some((_, entries)) => entries.push(entry),
                None => by_subject.push((&attachment.subject, vec![entry])),
            }
        }
        for (subject, entries) in by_subject {
            options
                .step(add_to_layout_fallback(&layout, subject, entries))
                .await?;
        }
        Ok(())
    }
}

impl Attachment {
    /// Where it goes in `target`'s repository: its cosign tag, or its digest.
    fn target(&self, target: &Reference) -> Result<Reference> {
        match &self.tag {
            Some(tag) => target.with_tag(tag),
            None => Ok(target.with_digest(self.manifest.digest.clone())),
        }
    }

    /// Digests never change on the way; a different one is a bug or a lie.
    fn check_moved(&self, moved: &Digest) -> Result<()> {
        moved.expect_equal(&self.manifest.digest).map_err(|e| {
            e.context(format!(
                "the attachment {} of {}",
                self.manifest.digest, self.subject
            ))
        })
    }

    /// Its entry in its subject's fallback index, as a registry lists it.
    fn fallback_entry(&self) -> Result<Descriptor> {
        let fields = self.manifest.fields()?;
        Ok(Descriptor {
            media_type: self.manifest.media_type.clone(),
            digest: self.manifest.digest.to_string(),
            size: self.manifest.bytes.len() as u64,
            artifact_type: listed_artifact_type(&fields),
            annotations: fields.annotations,
            platform: None,
        })
    }
}

/// The options an attachment moves with: every platform, no attachments of
/// its own (the graph has them), the caller's mounts and cancel token. No
/// progress: attachments are small, and each would start its own count.
fn attachment_options(options: &ImageOptions, layout_name: Option<String>) -> ImageOptions {
    ImageOptions {
        platform: None,
        all_platforms: true,
        layout_name,
        mount_from: options.mount_from.clone(),
        progress: None,
        cancel: options.cancel.clone(),
        referrers: ReferrersMode::None,
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

/// A referrer must name the subject it is listed for.
fn check_subject(subject: Option<&Descriptor>, expected: &Digest, digest: &Digest) -> Result<()> {
    match subject {
        Some(s) if s.digest == expected.as_str() => Ok(()),
        Some(s) => Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "{digest} is listed as a referrer of {expected}, but its subject is {}",
                s.digest
            ),
        )),
        None => Err(Error::new(
            ErrorKind::Protocol,
            format!("{digest} is listed as a referrer of {expected}, but has no subject"),
        )),
    }
}

/// A manifest of the layout, verified and bounded like one from a registry.
async fn layout_manifest(layout: &OciLayout, digest: &str, media_type: &str) -> Result<Manifest> {
    let digest = Digest::parse(digest)
        .map_err(|e| e.context(format!("{}/index.json", layout.root().display())))?;
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
fn fallback_entries(manifest: &Manifest) -> Result<Vec<Descriptor>> {
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

/// Adds `entries` to `subject`'s fallback index in the layout (named
/// `<alg>-<hex>` in `index.json`, as regclient's `ocidir` keeps it),
/// keeping the entries it has.
async fn add_to_layout_fallback(
    layout: &OciLayout,
    subject: &Digest,
    entries: Vec<Descriptor>,
) -> Result<()> {
    let tag = fallback_tag(subject);
    let existing = layout.read_index().await?;
    let mut manifests = match existing
        .manifests
        .iter()
        .find(|d| ref_name(d) == Some(tag.as_str()))
    {
        Some(d) => fallback_entries(&layout_manifest(layout, &d.digest, &d.media_type).await?)?,
        None => Vec::new(),
    };
    for entry in entries {
        if !manifests.iter().any(|d| d.digest == entry.digest) {
            manifests.push(entry);
        }
    }
    let index = Index {
        schema_version: 2,
        media_type: Some(OCI_INDEX.to_string()),
        manifests,
    };
    let bytes = Bytes::from(serde_json::to_vec(&index).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("serializing a referrers index: {e}"),
        )
    })?);
    let digest = Digest::sha256_of(&bytes);
    layout.write_blob(&digest, &bytes).await?;
    let descriptor = Descriptor {
        media_type: OCI_INDEX.to_string(),
        digest: digest.to_string(),
        size: bytes.len() as u64,
        artifact_type: None,
        annotations: None,
        platform: None,
    };
    layout.set_image(descriptor, Some(&tag)).await
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

    #[test]
    fn a_referrer_must_name_its_subject() {
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        let of = |d: &Digest| Descriptor {
            media_type: "x".into(),
            digest: d.to_string(),
            size: 1,
            artifact_type: None,
            annotations: None,
            platform: None,
        };
        assert!(check_subject(Some(&of(&a)), &a, &b).is_ok());
        let err = check_subject(Some(&of(&b)), &a, &b).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(check_subject(None, &a, &b).is_err());
    }
}
