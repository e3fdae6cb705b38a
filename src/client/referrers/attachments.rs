//! cosign's tag attachments: the manifests tagged `sha256-<hex>.sig`
//! (signatures), `.att` (attestations) and `.sbom` (SBOMs) next to the image
//! they belong to.

use futures_util::future::try_join_all;

use super::{Referrer, ReferrerKind, fallback_tag, listed_artifact_type};
use crate::client::Client;
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{ErrorKind, Result};
use crate::reference::Reference;

/// The tag suffixes cosign uses, with what each holds.
const SUFFIXES: [(&str, ReferrerKind); 3] = [
    ("sig", ReferrerKind::CosignSignature),
    ("att", ReferrerKind::CosignAttestation),
    ("sbom", ReferrerKind::CosignSbom),
];

impl Client {
    /// The cosign attachments of `subject` that exist, in the order
    /// signature, attestation, SBOM. Each is fetched (bounded at 4 MiB,
    /// verified) for its artifact type and annotations.
    pub(super) async fn cosign_attachments(
        &self,
        reference: &Reference,
        subject: &Digest,
    ) -> Result<Vec<Referrer>> {
        let base = fallback_tag(subject);
        let found = try_join_all(SUFFIXES.iter().map(|(suffix, kind)| {
            let tag = format!("{base}.{suffix}");
            async move {
                // A tag longer than the 128 characters tags may have (a
                // sha512 subject) cannot exist.
                let Ok(tagged) = reference.with_tag(&tag) else {
                    return Ok(None);
                };
                let manifest = match self.get_manifest_direct(&tagged).await {
                    Ok(m) => m,
                    Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e.context(format!("the cosign attachment {tag}"))),
                };
                let fields = manifest.fields()?;
                Ok(Some(Referrer {
                    kind: *kind,
                    descriptor: Descriptor {
                        media_type: manifest.media_type.clone(),
                        digest: manifest.digest.to_string(),
                        size: manifest.bytes.len() as u64,
                        artifact_type: listed_artifact_type(&fields),
                        annotations: fields.annotations,
                        platform: None,
                    },
                }))
            }
        }))
        .await?;
        Ok(found.into_iter().flatten().collect())
    }
}
