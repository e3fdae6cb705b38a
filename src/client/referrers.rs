//! Referrers: the OCI 1.1 referrers API, and the tag-schema fallback
//! (`sha256-<hex>` tags holding an index) for registries without it.

use bytes::Bytes;

use super::Client;
use super::body::parse_json;
use crate::descriptor::{Descriptor, Index, ManifestFields};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::OCI_INDEX;
use crate::reference::Reference;
use crate::transport::request::pull_scope;

impl Client {
    /// The manifests that name the manifest of `reference` as their
    /// `subject`, filtered by `artifact_type` when given. Uses the referrers
    /// API, or the fallback tag when the registry answers 404.
    pub async fn referrers(
        &self,
        reference: &Reference,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        let subject = match reference.digest() {
            Some(d) => d.clone(),
            None => self.head_manifest(reference).await?.digest,
        };
        let repo = reference.repository();
        let mut path = format!("/v2/{repo}/referrers/{subject}");
        if let Some(t) = artifact_type {
            path.push_str("?artifactType=");
            path.push_str(&encode_query_value(t));
        }
        let listed = self
            .paginate(
                reference.api_host(),
                &path,
                None,
                vec![pull_scope(repo)],
                "listing referrers",
                |bytes| {
                    let index: Index = parse_json(bytes, "referrers index")?;
                    Ok(index.manifests)
                },
            )
            .await;
        let all = match listed {
            Ok(all) => all,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.fallback_index(reference, &subject).await?.manifests
            }
            Err(e) => return Err(e),
        };
        // Filtering again is harmless when the registry already did.
        Ok(all
            .into_iter()
            .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
            .collect())
    }

    /// Adds a pushed manifest to its subject's fallback index.
    pub(crate) async fn add_to_referrers_fallback(
        &self,
        reference: &Reference,
        subject: &Descriptor,
        fields: &ManifestFields,
        digest: &Digest,
        size: u64,
        media_type: &str,
    ) -> Result<()> {
        let subject_digest =
            Digest::parse(&subject.digest).map_err(|e| e.context("the manifest's subject"))?;
        let mut index = self.fallback_index(reference, &subject_digest).await?;
        if index.manifests.iter().any(|d| d.digest == digest.as_str()) {
            return Ok(());
        }
        index.manifests.push(Descriptor {
            media_type: media_type.to_string(),
            digest: digest.to_string(),
            size,
            artifact_type: fields
                .artifact_type
                .clone()
                .or_else(|| fields.config.as_ref().map(|c| c.media_type.clone())),
            annotations: fields.annotations.clone(),
            platform: None,
        });
        let bytes = serde_json::to_vec(&index).map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("serializing the referrers index: {e}"),
            )
        })?;
        let tag = fallback_tag(&subject_digest);
        // Boxed: pushing the index re-enters the manifest push (whose own
        // fallback step is a no-op, as an index has no subject).
        Box::pin(self.put_manifest(&reference.with_tag(&tag)?, Bytes::from(bytes), OCI_INDEX))
            .await?;
        Ok(())
    }

    async fn fallback_index(&self, reference: &Reference, subject: &Digest) -> Result<Index> {
        let tagged = reference.with_tag(&fallback_tag(subject))?;
        match self.get_manifest(&tagged).await {
            Ok(m) => parse_json(&m.bytes, "referrers fallback index"),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Index {
                schema_version: 2,
                media_type: Some(OCI_INDEX.to_string()),
                manifests: Vec::new(),
            }),
            Err(e) => Err(e),
        }
    }
}

/// The fallback tag of a subject: `<alg>-<hex>`.
pub fn fallback_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm().name(), subject.hex())
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query_value("application/vnd.x+json"),
            "application%2Fvnd.x%2Bjson"
        );
    }
}
