//! Referrers: the manifests whose `subject` is a given manifest.
//!
//! - `listing.rs`: the merged listing (the referrers API or the fallback
//!   tag, plus cosign-style tag attachments), each entry with its kind;
//! - `fallback.rs`: the tag-schema fallback (`sha256-<hex>` tags holding an
//!   index) for registries without the API: read, add on push (repairing
//!   entries that are gone), remove on delete, each update serialized per
//!   subject within the client and read back to catch other writers;
//! - `attachments.rs`: cosign's `sha256-<hex>.sig`, `.att` and `.sbom` tags.

mod attachments;
mod fallback;
mod listing;

pub(crate) use self::fallback::{MAX_MERGE_ROUNDS, settle};

use crate::descriptor::Descriptor;
use crate::digest::Digest;

/// Where a referrer was found, and so what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferrerKind {
    /// Listed by the registry's referrers API.
    ReferrersApi,
    /// Listed in the subject's fallback index (the `sha256-<hex>` tag).
    Fallback,
    /// A cosign signature: the manifest of the `sha256-<hex>.sig` tag.
    CosignSignature,
    /// A cosign attestation: the manifest of the `sha256-<hex>.att` tag.
    CosignAttestation,
    /// A cosign SBOM attachment: the manifest of the `sha256-<hex>.sbom` tag.
    CosignSbom,
}

impl ReferrerKind {
    /// A stable lower-case name: `referrers-api`, `fallback`,
    /// `cosign-signature`, `cosign-attestation` or `cosign-sbom`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ReferrerKind::ReferrersApi => "referrers-api",
            ReferrerKind::Fallback => "fallback",
            ReferrerKind::CosignSignature => "cosign-signature",
            ReferrerKind::CosignAttestation => "cosign-attestation",
            ReferrerKind::CosignSbom => "cosign-sbom",
        }
    }
}

/// One entry of a referrers listing: what it is and its descriptor (media
/// type, digest, size, artifact type and annotations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    /// Where it was found.
    pub kind: ReferrerKind,
    /// Its descriptor.
    pub descriptor: Descriptor,
}

/// The fallback tag of a subject: `<alg>-<hex>`.
pub fn fallback_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm().name(), subject.hex())
}

/// The artifact type a referrer is listed with: its `artifactType`, else
/// its config's media type (as the distribution spec says).
pub(crate) fn listed_artifact_type(fields: &crate::descriptor::ManifestFields) -> Option<String> {
    fields
        .artifact_type
        .clone()
        .or_else(|| fields.config.as_ref().map(|c| c.media_type.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_tag_is_alg_dash_hex() {
        let d = Digest::sha256_of(b"");
        assert_eq!(fallback_tag(&d), format!("sha256-{}", d.hex()));
    }

    #[test]
    fn kind_names_are_distinct() {
        let kinds = [
            ReferrerKind::ReferrersApi,
            ReferrerKind::Fallback,
            ReferrerKind::CosignSignature,
            ReferrerKind::CosignAttestation,
            ReferrerKind::CosignSbom,
        ];
        let names: std::collections::HashSet<&str> = kinds.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), kinds.len());
    }
}
