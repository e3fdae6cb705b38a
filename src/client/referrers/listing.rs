//! The merged referrers listing: the referrers API (filtered by artifact
//! type, paginated) or, where the registry lacks it, the fallback tag; then
//! cosign's tag attachments. Each entry says where it was found.

use std::collections::HashSet;

use futures_util::StreamExt;
use futures_util::stream;

use super::{Referrer, ReferrerKind, listed_artifact_type};
use crate::client::Client;
use crate::client::body::parse_json;
use crate::descriptor::{Descriptor, Index};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::OCI_EMPTY;
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
            None => self.head_manifest_direct(reference).await?.digest,
        };
        let (kind, listed) = match self.referrers_api(reference, &subject).await {
            Ok(listed) => (
                ReferrerKind::ReferrersApi,
                self.correct_artifact_types(reference, listed).await?,
            ),
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

    /// `GET /v2/<repo>/referrers/<subject>`, every page. Asked without the
    /// `artifactType` filter, which the client applies itself: a registry
    /// that filters by the wrong field (go-containerregistry 0.22.1 compares
    /// the config's media type) would hide referrers silently.
    async fn referrers_api(
        &self,
        reference: &Reference,
        subject: &Digest,
    ) -> Result<Vec<Descriptor>> {
        let repo = reference.repository();
        let path = format!("/v2/{repo}/referrers/{subject}");
        self.paginate(
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
        .await
    }
}

/// The most manifests fetched at once to correct artifact types.
const FETCH_CONCURRENCY: usize = 8;

impl Client {
    /// Entries the API lists with the empty media type as their artifact
    /// type: the image spec requires an `artifactType` of a manifest whose
    /// config is empty, so the registry reported the config's type instead
    /// of it (go-containerregistry 0.22.1 does). Each such manifest is
    /// fetched (bounded, verified) and listed with its own artifact type.
    async fn correct_artifact_types(
        &self,
        reference: &Reference,
        listed: Vec<Descriptor>,
    ) -> Result<Vec<Descriptor>> {
        stream::iter(listed)
            .map(|mut d| async move {
                if d.artifact_type.as_deref() != Some(OCI_EMPTY) {
                    return Ok(d);
                }
                let digest = Digest::parse(&d.digest)
                    .map_err(|e| e.context("an entry of the referrers listing"))?;
                let manifest = self
                    .get_manifest_direct(&reference.with_digest(digest))
                    .await?;
                d.artifact_type = listed_artifact_type(&manifest.fields()?);
                Ok(d)
            })
            .buffered(FETCH_CONCURRENCY)
            .collect::<Vec<Result<Descriptor>>>()
            .await
            .into_iter()
            .collect()
    }
}
