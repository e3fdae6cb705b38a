//! Blobs: streaming GET, ranged GET, HEAD and DELETE.

use reqwest::Method;
use reqwest::header::CONTENT_LENGTH;

use super::Client;
use super::blob_reader::BlobReader;
use super::manifests::digest_header;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::request::{Request, Target, pull_scope};

/// What a blob HEAD tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// The digest.
    pub digest: Digest,
    /// The size in bytes.
    pub size: u64,
}

impl Client {
    /// Starts a verified streaming download of blob `digest` from the
    /// repository of `reference`. With a registries.conf, the mirrors are
    /// tried first.
    pub async fn get_blob(&self, reference: &Reference, digest: &Digest) -> Result<BlobReader> {
        let what = format!("fetching blob {digest} of {reference}");
        let (reader, _) = self
            .read_from_pull_sources(reference, &what, |source| async move {
                self.get_blob_direct(&source, digest).await
            })
            .await?;
        Ok(reader)
    }

    /// [`Client::get_blob`] from the reference's own registry only.
    pub(crate) async fn get_blob_direct(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<BlobReader> {
        BlobReader::open(
            self,
            reference.api_host(),
            reference.repository(),
            digest,
            None,
        )
        .await
    }

    /// Starts a download of `length` bytes (to the end when `None`, or when
    /// `offset + length` reaches `u64::MAX`, so `Some(u64::MAX)` also means
    /// to the end) from `offset` of blob `digest`. Partial reads are not
    /// verified. With a registries.conf, the mirrors are tried first.
    pub async fn get_blob_range(
        &self,
        reference: &Reference,
        digest: &Digest,
        offset: u64,
        length: Option<u64>,
    ) -> Result<BlobReader> {
        let what = format!("fetching blob {digest} of {reference} from {offset}");
        let (reader, _) = self
            .read_from_pull_sources(reference, &what, |source| async move {
                self.get_blob_range_direct(&source, digest, offset, length)
                    .await
            })
            .await?;
        Ok(reader)
    }

    /// [`Client::get_blob_range`] from the reference's own registry only.
    pub(crate) async fn get_blob_range_direct(
        &self,
        reference: &Reference,
        digest: &Digest,
        offset: u64,
        length: Option<u64>,
    ) -> Result<BlobReader> {
        BlobReader::open(
            self,
            reference.api_host(),
            reference.repository(),
            digest,
            Some((offset, length)),
        )
        .await
    }

    /// The size of blob `digest`, or `NOT_FOUND`. With a registries.conf,
    /// the mirrors are tried first.
    pub async fn head_blob(&self, reference: &Reference, digest: &Digest) -> Result<BlobInfo> {
        let what = format!("checking blob {digest} of {reference}");
        let (info, _) = self
            .read_from_pull_sources(reference, &what, |source| async move {
                self.head_blob_direct(&source, digest).await
            })
            .await?;
        Ok(info)
    }

    /// [`Client::head_blob`] at the reference's own registry only.
    async fn head_blob_direct(&self, reference: &Reference, digest: &Digest) -> Result<BlobInfo> {
        let repo = reference.repository();
        let what = format!("checking blob {repo}@{digest}");
        let request = Request::new(
            Method::HEAD,
            Target::Path(format!("/v2/{repo}/blobs/{digest}")),
            vec![pull_scope(repo)],
        );
        let response = self
            .transport
            .send(reference.api_host(), request, &what)
            .await?;
        if let Some(echoed) = digest_header(response.headers())?
            && echoed.algorithm() == digest.algorithm()
            && &echoed != digest
        {
            return Err(Error::new(
                ErrorKind::DigestMismatch,
                format!("{what}: the registry answered for {echoed}"),
            ));
        }
        let size = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| Error::new(ErrorKind::Protocol, format!("{what}: no Content-Length")))?;
        Ok(BlobInfo {
            digest: digest.clone(),
            size,
        })
    }

    /// Whether the repository has blob `digest` (a HEAD; `NOT_FOUND` is
    /// `false`). With a registries.conf, a mirror that has it is enough.
    pub async fn blob_exists(&self, reference: &Reference, digest: &Digest) -> Result<bool> {
        match self.head_blob(reference, digest).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// [`Client::blob_exists`] at the reference's own registry only (what
    /// a push asks).
    pub(crate) async fn blob_exists_direct(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<bool> {
        match self.head_blob_direct(reference, digest).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes blob `digest` from the repository of `reference`.
    pub async fn delete_blob(&self, reference: &Reference, digest: &Digest) -> Result<()> {
        self.delete_content(reference, "blobs", digest.as_str())
            .await
    }
}
