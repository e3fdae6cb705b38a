//! The merged referrers listing: the referrers API (filtered by artifact
//! type, paginated) or, where the registry lacks it, the fallback tag; then
//! cosign's tag attachments. Each entry says where it was found.

use std::collections::HashSet;

use super::{Referrer, ReferrerKind};
use crate::client::Client;
use crate::client::body::parse_json;
use crate::descriptor::{Descriptor, Index};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::request::pull_scope;

impl Client {
    /// What refers to the manifest of `reference`: the manifests that name
    /// it as their `subject` (from the referrers API, or from the fallback
    /// tag when the registry answers the API with 404) and cosign's
    /// `sha256-<hex>.sig`, `.att` and `.sbom` tag attachments, filtered by
    /// `artifact_type` when given. A digest listed twice is listed once,
    /// with the first kind found. The whole listing is bounded by the
    /// client's `max_list_entries` and `max_list_bytes`; a fallback tag
    /// that is not an index is a `PROTOCOL` error.
    pub async fn referrers(
        &self,
        reference: &Reference,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Referrer>> {
        let subject = match reference.digest() {
            Some(d) => d.clone(),
            None => self.head_manifest(reference).await?.digest,
        };
        let (kind, listed) = match self.referrers_api(reference, &subject, artifact_type).await {
            Ok(listed) => (ReferrerKind::ReferrersApi, listed),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let stored = self.read_fallback(reference, &subject).await?;
                let listed = stored.map(|s| s.index.manifests).unwrap_or_default();
                (ReferrerKind::Fallback, listed)
            }
            Err(e) => return Err(e),
        };
        let mut all: Vec<Referrer> = listed
            .into_iter()
            .map(|descriptor| Referrer { kind, descriptor })
            .collect();
        all.extend(self.cosign_attachments(reference, &subject).await?);
        let mut seen = HashSet::new();
        // Filtering again is harmless when the registry already did, and
        // needed when it filters wrongly or not at all.
        all.retain(|r| {
            artifact_type.is_none_or(|t| r.descriptor.artifact_type.as_deref() == Some(t))
                && seen.insert(r.descriptor.digest.clone())
        });
        let max = self.options().max_list_entries;
        if all.len() > max {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "the referrers of {subject} are more than {max} entries \
                     (the client's max_list_entries)"
                ),
            ));
        }
        Ok(all)
    }

    /// `GET /v2/<repo>/referrers/<subject>`, every page.
    async fn referrers_api(
        &self,
        reference: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        let repo = reference.repository();
        let mut path = format!("/v2/{repo}/referrers/{subject}");
        if let Some(t) = artifact_type {
            path.push_str("?artifactType=");
            path.push_str(&encode_query_value(t));
        }
        self.paginate(
            reference.api_host(),
            path,
            vec![pull_scope(repo)],
            "listing referrers",
            |bytes| {
                let index: Index = parse_json(bytes, "referrers index")?;
                Ok(index.manifests)
            },
        )
        .await
    }
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
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query_value("application/vnd.x+json"),
            "application%2Fvnd.x%2Bjson"
        );
    }
}
