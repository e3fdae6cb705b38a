//! Manifests: GET, HEAD, PUT (to several tags at once) and DELETE.

use std::sync::LazyLock;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};

use super::Client;
use super::body::{MAX_MANIFEST_SIZE, parse_json, read_bounded};
use super::referrers::listed_artifact_type;
use crate::descriptor::{Descriptor, ManifestFields};
use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::{self, MANIFEST_ACCEPT};
use crate::reference::Reference;
use crate::transport::rate_limit::RateLimit;
use crate::transport::request::{Body, Request, Target, pull_scope, push_scope};

/// The header registries use for the digest of what they serve.
pub(crate) const DOCKER_CONTENT_DIGEST: &str = "docker-content-digest";

/// A manifest as the registry sent it: the raw bytes are the source of
/// truth, and `digest` is computed over exactly them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The raw bytes.
    pub bytes: Bytes,
    /// The media type (from `Content-Type`, else the manifest's `mediaType`).
    pub media_type: String,
    /// The digest of `bytes`.
    pub digest: Digest,
    /// The reference the registry was asked for: the one requested, or
    /// the mirror or rewritten location registries.conf sent the request
    /// to. `None` for a manifest made locally.
    pub source: Option<Reference>,
}

/// What a manifest HEAD tells: enough to know whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestInfo {
    /// The media type.
    pub media_type: String,
    /// The digest.
    pub digest: Digest,
    /// The size in bytes.
    pub size: u64,
}

impl Manifest {
    /// The fields of these bytes the client reads; bytes that are not a
    /// JSON object of manifest fields are a `PROTOCOL` error.
    pub fn fields(&self) -> Result<ManifestFields> {
        parse_json(&self.bytes, &format!("manifest {}", self.digest))
    }
}

impl Client {
    /// Fetches a manifest or index. A fetch by digest is verified against the
    /// digest; `Docker-Content-Digest` is checked whenever the registry sends
    /// it; bodies over 4 MiB and schema 1 manifests are refused.
    ///
    /// With a registries.conf, the mirrors are tried first, and
    /// [`Manifest::source`] says which endpoint served.
    pub async fn get_manifest(&self, reference: &Reference) -> Result<Manifest> {
        let what = format!("fetching manifest {reference}");
        let (manifest, _) = self
            .read_from_pull_sources(reference, &what, |source| async move {
                self.get_manifest_direct(&source).await
            })
            .await?;
        Ok(manifest)
    }

    /// [`Client::get_manifest`] from the reference's own registry only.
    pub(crate) async fn get_manifest_direct(&self, reference: &Reference) -> Result<Manifest> {
        let what = format!("fetching manifest {reference}");
        let (header_digest, content_type, bytes) =
            self.fetch_manifest_body(reference, &what).await?;
        // Verified before it is parsed: a corrupted body is a mismatch,
        // whatever it does to the JSON.
        let expected = reference.digest().or(header_digest.as_ref());
        let digest = match expected {
            Some(expected) => {
                let mut h = Hasher::new(expected.algorithm());
                h.update(&bytes);
                let got = h.finish();
                got.expect_equal(expected).map_err(|e| e.context(&what))?;
                if let (Some(by_ref), Some(by_header)) = (reference.digest(), &header_digest)
                    && by_ref.algorithm() == by_header.algorithm()
                    && by_ref != by_header
                {
                    return Err(Error::new(
                        ErrorKind::DigestMismatch,
                        format!(
                            "{what}: Docker-Content-Digest {by_header} differs from the requested digest"
                        ),
                    ));
                }
                got
            }
            None => Digest::sha256_of(&bytes),
        };
        let fields: ManifestFields = parse_json(&bytes, &what)?;
        let media_type = match content_type {
            Some(ct) if ct != "application/json" && !ct.is_empty() => ct,
            _ => fields.media_type.clone().unwrap_or_default(),
        };
        check_supported(&media_type, &fields, &what)?;
        fields.validate(&media_type).map_err(|e| e.context(&what))?;
        Ok(Manifest {
            bytes,
            media_type,
            digest,
            source: Some(reference.clone()),
        })
    }

    /// The digest, size and media type of a manifest without its body. When
    /// the registry sends no `Docker-Content-Digest`, falls back to a GET.
    /// With a registries.conf, the mirrors are tried first.
    pub async fn head_manifest(&self, reference: &Reference) -> Result<ManifestInfo> {
        let what = format!("checking manifest {reference}");
        let (info, _) = self
            .read_from_pull_sources(reference, &what, |source| async move {
                self.head_manifest_direct(&source).await
            })
            .await?;
        Ok(info)
    }

    /// [`Client::head_manifest`] from the reference's own registry only.
    pub(crate) async fn head_manifest_direct(&self, reference: &Reference) -> Result<ManifestInfo> {
        let what = format!("checking manifest {reference}");
        let response = self
            .manifest_request(Method::HEAD, reference, &what)
            .await?;
        let headers = response.headers();
        let digest = digest_header(headers)?;
        let size = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let media_type = content_type(headers);
        match (digest, size, media_type) {
            (Some(digest), Some(size), Some(media_type)) if !media_type.is_empty() => {
                if media_type::is_schema1(&media_type) {
                    return Err(schema1_error(&what));
                }
                Ok(ManifestInfo {
                    media_type,
                    digest,
                    size,
                })
            }
            _ => {
                let manifest = self.get_manifest_direct(reference).await?;
                Ok(ManifestInfo {
                    size: manifest.bytes.len() as u64,
                    media_type: manifest.media_type,
                    digest: manifest.digest,
                })
            }
        }
    }

    /// The digest of a manifest from a `HEAD` alone, as containers/image's
    /// `GetDigest` does: a `HEAD` does not count against Docker Hub's pull
    /// limit, a `GET` does. A registry that answers the `HEAD` without
    /// `Docker-Content-Digest` gives the digest of the reference when it has
    /// one (the registry confirmed it exists), and otherwise a `PROTOCOL`
    /// error: ocireg does not fall back to a `GET` here
    /// ([`Client::head_manifest`] does).
    /// With a registries.conf, the mirrors are tried first.
    pub async fn digest(&self, reference: &Reference) -> Result<Digest> {
        let what = format!("checking the digest of {reference}");
        let (digest, _) = self
            .read_from_pull_sources(reference, &what, |source| async move {
                self.digest_direct(&source).await
            })
            .await?;
        Ok(digest)
    }

    /// [`Client::digest`] from the reference's own registry only.
    async fn digest_direct(&self, reference: &Reference) -> Result<Digest> {
        let what = format!("checking the digest of {reference}");
        let response = self
            .manifest_request(Method::HEAD, reference, &what)
            .await?;
        match (digest_header(response.headers())?, reference.digest()) {
            (Some(digest), _) => Ok(digest),
            (None, Some(digest)) => Ok(digest.clone()),
            (None, None) => Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "{what}: the registry answered HEAD without Docker-Content-Digest \
                     (ocireg does not fetch the manifest for it: that would count as a pull)"
                ),
            )),
        }
    }

    /// Pushes a manifest to the reference's tag (or digest) and returns its
    /// digest. The bytes are sent exactly as given.
    pub async fn put_manifest(
        &self,
        reference: &Reference,
        bytes: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        let target = reference.manifest_reference();
        self.put_manifest_to(reference, &[target], bytes, media_type)
            .await
    }

    /// Pushes one manifest under several tags (by digest when `tags` is
    /// empty) and returns its digest. When the manifest has a `subject` and
    /// the registry has no referrers API, the subject's fallback tag index
    /// is updated.
    pub async fn put_manifest_tags(
        &self,
        reference: &Reference,
        tags: &[String],
        bytes: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        for tag in tags {
            reference.with_tag(tag)?;
        }
        let targets = if tags.is_empty() {
            vec![Digest::sha256_of(&bytes).to_string()]
        } else {
            tags.to_vec()
        };
        self.put_manifest_to(reference, &targets, bytes, media_type)
            .await
    }

    /// Deletes a manifest. A tag is first resolved to its digest (registries
    /// delete by digest), which removes every tag pointing at it, not only
    /// the one named; [`Client::untag`] deletes one tag and keeps the manifest.
    /// A manifest with a `subject` is also removed from the subject's
    /// referrers fallback index, and the index is deleted when that leaves
    /// it empty, so listings and later referrer pushes stay correct.
    pub async fn delete_manifest(&self, reference: &Reference) -> Result<()> {
        let digest = match reference.digest() {
            Some(d) => d.clone(),
            None => self.head_manifest_direct(reference).await?.digest,
        };
        let subject = self
            .subject_of(&reference.with_digest(digest.clone()))
            .await?;
        self.delete_content(reference, "manifests", digest.as_str())
            .await?;
        match subject {
            Some(subject) => {
                self.remove_from_referrers_fallback(reference, &subject, &digest)
                    .await
            }
            None => Ok(()),
        }
    }

    /// The `subject` of a manifest about to be deleted. A manifest that is
    /// missing or that ocireg cannot read has none it knows of (the delete
    /// itself reports a missing one).
    async fn subject_of(&self, reference: &Reference) -> Result<Option<Descriptor>> {
        match self.get_manifest_direct(reference).await {
            Ok(m) => Ok(m.fields().ok().and_then(|f| f.subject)),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::NotFound | ErrorKind::Unsupported | ErrorKind::Protocol
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn put_manifest_to(
        &self,
        reference: &Reference,
        targets: &[String],
        bytes: Bytes,
        media_type: &str,
    ) -> Result<Digest> {
        if bytes.len() > MAX_MANIFEST_SIZE {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "manifest is {} bytes, more than {MAX_MANIFEST_SIZE}",
                    bytes.len()
                ),
            ));
        }
        let fields: ManifestFields = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("the manifest to push is not valid JSON: {e}"),
            )
        })?;
        let content_type = HeaderValue::from_str(media_type).map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid media type {media_type:?}"),
            )
        })?;
        let digest = Digest::sha256_of(&bytes);
        let repo = reference.repository();
        let mut subject_handled = fields.subject.is_none();
        for target in targets {
            let what = format!("pushing manifest {repo}:{target}");
            let request = Request::new(
                Method::PUT,
                Target::Path(format!("/v2/{repo}/manifests/{target}")),
                vec![push_scope(repo)],
            )
            .header(CONTENT_TYPE, content_type.clone())
            .body(Body::Bytes(bytes.clone()))
            // Storing the same bytes under the same name twice is harmless.
            .repeatable();
            let response = self
                .transport
                .send(reference.api_host(), request, &what)
                .await?;
            if let Some(echoed) = digest_header(response.headers())?
                && echoed.algorithm() == digest.algorithm()
                && echoed != digest
            {
                return Err(Error::new(
                    ErrorKind::DigestMismatch,
                    format!("{what}: the registry stored {echoed}, but the manifest is {digest}"),
                ));
            }
            if response.headers().contains_key("oci-subject") {
                subject_handled = true;
            }
        }
        if !subject_handled && let Some(subject) = &fields.subject {
            let entry = Descriptor {
                media_type: media_type.to_string(),
                digest: digest.to_string(),
                size: bytes.len() as u64,
                artifact_type: listed_artifact_type(&fields),
                annotations: fields.annotations.clone(),
                platform: None,
            };
            self.add_to_referrers_fallback(reference, subject, entry)
                .await?;
        }
        Ok(digest)
    }

    /// GETs a manifest whole: its `Docker-Content-Digest`, content type and
    /// body. A connection lost while the body arrives is retried (the
    /// transport already retries failures before the response).
    async fn fetch_manifest_body(
        &self,
        reference: &Reference,
        what: &str,
    ) -> Result<(Option<Digest>, Option<String>, Bytes)> {
        let mut attempt = 0;
        loop {
            let response = self.manifest_request(Method::GET, reference, what).await?;
            let header_digest = digest_header(response.headers())?;
            let content_type = content_type(response.headers());
            match read_bounded(response, MAX_MANIFEST_SIZE, what).await {
                Ok(bytes) => return Ok((header_digest, content_type, bytes)),
                Err(e)
                    if e.kind() == ErrorKind::Network && attempt < self.options().max_retries =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a manifest request and remembers the rate limit its response
    /// (or its error) reported.
    pub(super) async fn manifest_request(
        &self,
        method: Method,
        reference: &Reference,
        what: &str,
    ) -> Result<reqwest::Response> {
        let repo = reference.repository();
        let path = format!("/v2/{repo}/manifests/{}", reference.manifest_reference());
        let request = Request::new(method, Target::Path(path), vec![pull_scope(repo)])
            .header(ACCEPT, ACCEPT_VALUE.clone());
        let registry = reference.api_host();
        let sent = self.transport.send(registry, request, what).await;
        let reported = match &sent {
            Ok(response) => RateLimit::from_headers(response.headers()),
            Err(e) => e.rate_limit().cloned().unwrap_or_default(),
        };
        self.transport.record_rate_limit(registry, reported);
        sent
    }
}

/// `MANIFEST_ACCEPT` joined for the `Accept` header.
static ACCEPT_VALUE: LazyLock<HeaderValue> = LazyLock::new(|| {
    HeaderValue::from_str(&MANIFEST_ACCEPT.join(", "))
        .expect("the media type constants are visible ASCII")
});

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| media_type::essence(v).to_string())
}

/// The `Docker-Content-Digest` header, validated; a malformed one is a protocol error.
pub(crate) fn digest_header(headers: &HeaderMap) -> Result<Option<Digest>> {
    match headers.get(DOCKER_CONTENT_DIGEST) {
        None => Ok(None),
        Some(v) => {
            let text = v.to_str().map_err(|_| {
                Error::new(ErrorKind::Protocol, "Docker-Content-Digest is not ASCII")
            })?;
            Digest::parse(text.trim()).map(Some).map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("Docker-Content-Digest: {}", e.message()),
                )
            })
        }
    }
}

fn check_supported(media_type: &str, fields: &ManifestFields, what: &str) -> Result<()> {
    if media_type::is_schema1(media_type) || fields.schema_version == Some(1) {
        return Err(schema1_error(what));
    }
    if !MANIFEST_ACCEPT.contains(&media_type) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("{what}: unknown manifest media type {media_type:?}"),
        ));
    }
    Ok(())
}

fn schema1_error(what: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("{what}: Docker schema 1 manifests are not supported"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema1_and_unknown_types_are_unsupported() {
        let fields = ManifestFields::default();
        for mt in [
            media_type::DOCKER_SCHEMA1,
            media_type::DOCKER_SCHEMA1_SIGNED,
            "text/html",
        ] {
            let err = check_supported(mt, &fields, "test").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{mt}");
        }
        let v1 = ManifestFields {
            schema_version: Some(1),
            ..Default::default()
        };
        let err = check_supported(media_type::DOCKER_MANIFEST, &v1, "test").unwrap_err();
        assert!(err.message().contains("schema 1"), "{err}");
        for mt in MANIFEST_ACCEPT {
            assert!(check_supported(mt, &fields, "test").is_ok(), "{mt}");
        }
    }

    #[test]
    fn accept_value_lists_every_supported_type() {
        let listed: Vec<&str> = ACCEPT_VALUE.to_str().unwrap().split(", ").collect();
        assert_eq!(listed, MANIFEST_ACCEPT.to_vec());
    }
}
