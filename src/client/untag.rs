//! Untag: removing one tag and leaving its manifest (and every other tag of
//! it) in place.
//!
//! The OCI Distribution Spec 1.1 deletes a tag with `DELETE
//! /v2/<repo>/manifests/<tag>`; distribution v3 accepts it, distribution 2.x
//! answers `400 DIGEST_INVALID` and others `405`. Such a registry gets an
//! `UNSUPPORTED` error that says it does not delete tags, unless the caller
//! asked for [`UntagFallback::ThrowawayManifest`], regclient's approach:
//!
//! 1. the tag is moved to a throwaway manifest, an image manifest with the
//!    empty config and no layers, made unique by a random annotation;
//! 2. the throwaway manifest is deleted by digest, which takes the tag with it.
//!
//! The tag's old manifest is never deleted, so its other tags and its
//! digest stay. The trade-offs: between the two steps the tag names the
//! throwaway manifest (a reader pulling it then gets an empty image); the
//! registry must allow deletes; the 2-byte empty config blob stays in the
//! repository (other artifacts share it); and a tag pushed by someone else
//! between the steps survives (the delete by digest removes only the tags
//! that still name the throwaway manifest). When the delete fails, the tag
//! is put back on its old manifest before the error is returned.

use bytes::Bytes;
use reqwest::Method;

use super::Client;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::{OCI_EMPTY, OCI_MANIFEST};
use crate::reference::Reference;
use crate::transport::request::{Request, Target, delete_scope};

/// The content of the empty config (`application/vnd.oci.empty.v1+json`).
pub(crate) const EMPTY_CONFIG: &[u8] = b"{}";

/// What [`Client::untag`] may do when the registry does not delete tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UntagFallback {
    /// Nothing: such a registry gives an `UNSUPPORTED` error.
    #[default]
    None,
    /// Move the tag to a throwaway manifest and delete that (see the
    /// module documentation for the trade-offs).
    ThrowawayManifest,
}

/// How [`Client::untag`] removed the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untagged {
    /// The registry deleted the tag (`DELETE /manifests/<tag>`).
    Deleted,
    /// The tag was moved to a throwaway manifest, which was deleted.
    ViaThrowawayManifest,
}

impl Client {
    /// Deletes the tag of `reference` and nothing else: the manifest it
    /// names, and that manifest's other tags, stay. Unlike
    /// [`Client::delete_manifest`], which deletes the manifest and so every
    /// tag of it. A registry that does not delete tags gives `UNSUPPORTED`
    /// unless `fallback` allows the throwaway manifest (see the module
    /// documentation); an unknown tag gives `NOT_FOUND`.
    pub async fn untag(&self, reference: &Reference, fallback: UntagFallback) -> Result<Untagged> {
        let tag = match (reference.tag(), reference.digest()) {
            (Some(tag), None) => tag.to_string(),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("untag needs a reference with a tag and no digest, not {reference}"),
                ));
            }
        };
        match self.delete_tag(reference, &tag).await {
            Ok(()) => Ok(Untagged::Deleted),
            Err(e) if refuses_tag_delete(&e) => match fallback {
                UntagFallback::None => Err(tags_not_deleted(e, reference)),
                UntagFallback::ThrowawayManifest => {
                    self.untag_via_throwaway(reference).await?;
                    Ok(Untagged::ViaThrowawayManifest)
                }
            },
            Err(e) => Err(e),
        }
    }

    /// `DELETE /v2/<repo>/manifests/<tag>`.
    async fn delete_tag(&self, reference: &Reference, tag: &str) -> Result<()> {
        let repo = reference.repository();
        let what = format!("deleting tag {repo}:{tag}");
        let request = Request::new(
            Method::DELETE,
            Target::Path(format!("/v2/{repo}/manifests/{tag}")),
            vec![delete_scope(repo)],
        );
        self.transport
            .send(reference.api_host(), request, &what)
            .await?;
        Ok(())
    }

    async fn untag_via_throwaway(&self, reference: &Reference) -> Result<()> {
        // NOT_FOUND for an unknown tag, before anything is written.
        let original = self.get_manifest_direct(reference).await?;
        self.push_blob(reference, Bytes::from_static(EMPTY_CONFIG))
            .await?;
        let throwaway = throwaway_manifest();
        let digest = self
            .put_manifest(reference, throwaway, OCI_MANIFEST)
            .await?;
        if let Err(e) = self.delete_manifest(&reference.with_digest(digest)).await {
            let restored = self
                .put_manifest(reference, original.bytes, &original.media_type)
                .await;
            let outcome = match restored {
                Ok(_) => "the tag was put back on its manifest".to_string(),
                Err(r) => format!(
                    "putting the tag back on {} failed too: {}",
                    original.digest,
                    r.message()
                ),
            };
            return Err(e.context(format!(
                "untagging {reference} through a throwaway manifest ({outcome})"
            )));
        }
        Ok(())
    }
}

/// Whether a failed `DELETE /manifests/<tag>` means the registry does not
/// delete tags: 400 (distribution 2.x parses the tag as a digest and says
/// `DIGEST_INVALID`), 405 or `UNSUPPORTED`.
fn refuses_tag_delete(e: &Error) -> bool {
    matches!(e.http_status(), Some(400 | 405))
        || e.registry_code() == Some("UNSUPPORTED")
        || e.kind() == ErrorKind::Unsupported
}

/// The `UNSUPPORTED` error of a registry that refused to delete a tag,
/// keeping its HTTP status and error body.
fn tags_not_deleted(e: Error, reference: &Reference) -> Error {
    let status = e.http_status().unwrap_or_default();
    let code = e.registry_code().unwrap_or("no error code").to_string();
    let mut out = Error::new(
        ErrorKind::Unsupported,
        format!(
            "untagging {reference}: this registry does not delete tags (it answered \
             DELETE /manifests/<tag> with HTTP {status}, {code}); the throwaway-manifest \
             fallback can do it, or delete the manifest by digest (which removes all its tags)"
        ),
    )
    .with_registry_errors(e.registry_errors().to_vec());
    if let Some(s) = e.http_status() {
        out = out.with_http_status(s);
    }
    out
}

/// A unique image manifest with the empty config and no layers.
fn throwaway_manifest() -> Bytes {
    let nonce = unique_nonce();
    Bytes::from(format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{OCI_MANIFEST}\",\"config\":{{\"mediaType\":\"{OCI_EMPTY}\",\
         \"digest\":\"{}\",\"size\":{}}},\"layers\":[],\"annotations\":{{\
         \"org.opencontainers.image.description\":\"ocireg untag placeholder, deleted at once\",\
         \"ocireg.untag.nonce\":\"{nonce}\"}}}}",
        Digest::sha256_of(EMPTY_CONFIG),
        EMPTY_CONFIG.len()
    ))
}

/// A value no other throwaway manifest has: the hash of the time, the
/// process and a counter.
fn unique_nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!(
        "{now}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    Digest::sha256_of(seed.as_bytes()).hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::ManifestFields;

    #[test]
    fn throwaway_manifests_are_valid_and_unique() {
        let a = throwaway_manifest();
        let b = throwaway_manifest();
        assert_ne!(a, b);
        let fields: ManifestFields = serde_json::from_slice(&a).unwrap();
        fields.validate(OCI_MANIFEST).unwrap();
        let config = fields.config.unwrap();
        assert_eq!(config.media_type, OCI_EMPTY);
        assert_eq!(config.digest, Digest::sha256_of(b"{}").to_string());
        assert_eq!(fields.layers.unwrap().len(), 0);
    }

    #[test]
    fn only_refusals_count_as_refusing_tag_deletes() {
        let e = |s: u16| Error::new(ErrorKind::Rejected, "x").with_http_status(s);
        assert!(refuses_tag_delete(&e(400)));
        assert!(refuses_tag_delete(&e(405)));
        assert!(!refuses_tag_delete(
            &Error::new(ErrorKind::NotFound, "x").with_http_status(404)
        ));
        assert!(!refuses_tag_delete(
            &Error::new(ErrorKind::Denied, "x").with_http_status(403)
        ));
        let refused = tags_not_deleted(e(400), &Reference::parse("h:1/r:t").unwrap());
        assert_eq!(refused.kind(), ErrorKind::Unsupported);
        assert_eq!(refused.http_status(), Some(400));
        assert!(
            refused.message().contains("does not delete tags"),
            "{refused}"
        );
    }
}
