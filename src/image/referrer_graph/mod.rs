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
//! blobs streamed and verified, digests unchanged) through the ordinary
//! copy: to a registry by digest, where the manifest push lists it for its
//! subject through the referrers API or the fallback tag by what the
//! registry supports, or under its cosign tag; into an OCI layout as an
//! entry of `index.json` without a name (what oras-go's `content/oci` reads
//! referrers from) or under its cosign tag, plus the subject's
//! `sha256-<hex>` fallback index named in `index.json` (what regclient's
//! `ocidir` reads referrers from). A layout or an oci-archive read as a
//! source gives its attachments in all three forms. An oci-archive is
//! written from a staging layout beside it (`archive_stage.rs`). A
//! docker-archive or `dir:` directory holds one image and nothing attached
//! to it: asking to carry attachments there is an `INVALID_ARGUMENT` error
//! rather than a silent loss.
//!
//! Signatures kept outside the registry (containers' lookaside storage,
//! `BASE/REPO@sha256=HEX/signature-N`) are not attachments a registry
//! lists: they are keyed by the digests of the manifests a copy moves, and
//! carried with an option of their own, [`ImageOptions::signatures`]
//! (`signatures.rs`). They live beside registries only; an OCI layout
//! holds none, as in containers/image.
//!
//! - `source.rs`: where attachments are listed (a registry, or a layout's
//!   `index.json`) and read;
//! - `transfer.rs`: how they are moved;
//! - `archive_stage.rs`: an oci-archive written with them;
//! - `signatures.rs`: the lookaside signatures a copy carries.

mod archive_stage;
mod signatures;
mod source;
mod transfer;

use std::collections::{HashSet, VecDeque};

pub(crate) use self::signatures::check_signature_end;
pub(crate) use self::source::{GraphSource, LayoutFiles};
pub(crate) use self::transfer::cannot_hold;
use super::options::{ImageOptions, ReferrersMode};
use super::plan::Plan;
use crate::client::{Client, Manifest, listed_artifact_type};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};

/// The longest chain of attachments followed (an image's SBOM's signature
/// is 2 deep).
const MAX_DEPTH: usize = 8;
/// The most attachments one operation carries.
const MAX_ATTACHMENTS: usize = 1_000;

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

#[cfg(test)]
mod tests {
    use super::*;

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
