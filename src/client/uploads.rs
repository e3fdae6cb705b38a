//! Starting blob uploads: a [`BlobWriter`] from a new session, a suspended
//! one or a cross-repository mount that fell back to an upload, and the
//! whole-blob pushes built on it (monolithic, streamed, chunked), restarted
//! from their source when the registry lost the session.

use std::future::Future;

use bytes::Bytes;
use futures_util::Stream;
use reqwest::header::{CONTENT_LENGTH, HeaderValue, LOCATION, RANGE};
use reqwest::{Method, StatusCode, Url};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Client;
use super::blob_writer::BlobWriter;
use super::verified_body::verified;
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::request::{Body, Request, Target, pull_scope, push_scope};

/// The result of a cross-repository mount.
pub enum MountResult {
    /// The registry linked the blob into the repository; nothing to upload.
    Mounted,
    /// The registry could not mount and opened an upload session instead.
    Upload(Box<BlobWriter>),
}

impl Client {
    /// Opens an upload session in the repository of `reference`.
    pub async fn start_upload(&self, reference: &Reference) -> Result<BlobWriter> {
        let repo = reference.repository();
        let what = format!("starting an upload to {repo}");
        let request = Request::new(
            Method::POST,
            Target::Path(format!("/v2/{repo}/blobs/uploads/")),
            vec![push_scope(repo)],
        )
        .header(CONTENT_LENGTH, HeaderValue::from_static("0"));
        let response = self
            .transport
            .send(reference.api_host(), request, &what)
            .await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(unexpected(&what, response.status()));
        }
        writer_from_response(self, reference, &response, &what)
    }

    /// Picks up a suspended session from its `location`, asking the registry
    /// how many bytes it holds.
    pub async fn resume_upload(&self, reference: &Reference, location: &str) -> Result<BlobWriter> {
        let url = Url::parse(location).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("upload location {location:?}: {e}"),
            )
        })?;
        let mut writer = BlobWriter::new(self, reference, url, None, None);
        writer.refresh().await?;
        Ok(writer)
    }

    /// Asks the registry to link blob `digest` from repository `from` into
    /// the repository of `reference` (same registry), without uploading.
    pub async fn mount_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        from: &str,
    ) -> Result<MountResult> {
        let repo = reference.repository();
        let what = format!("mounting {digest} from {from} into {repo}");
        let scopes = vec![push_scope(repo), pull_scope(from)];
        self.transport
            .check_allowed(reference.api_host(), &scopes)?;
        let mut url = self.transport.base_url(reference.api_host()).await?;
        url.set_path(&format!("/v2/{repo}/blobs/uploads/"));
        url.query_pairs_mut()
            .append_pair("mount", digest.as_str())
            .append_pair("from", from);
        let request = Request::new(Method::POST, Target::Url(url), scopes)
            .header(CONTENT_LENGTH, HeaderValue::from_static("0"));
        let response = self
            .transport
            .send(reference.api_host(), request, &what)
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(MountResult::Mounted),
            StatusCode::ACCEPTED => Ok(MountResult::Upload(Box::new(writer_from_response(
                self, reference, &response, &what,
            )?))),
            other => Err(unexpected(&what, other)),
        }
    }

    /// Uploads a blob held in memory in one request (POST then PUT) and
    /// returns its digest. Retried as a whole on transient failures.
    pub async fn push_blob(&self, reference: &Reference, data: Bytes) -> Result<Digest> {
        let digest = Digest::sha256_of(&data);
        // A PUT cut in the middle may leave part of the body in the
        // session, so each attempt starts a fresh session.
        self.push_restarting(reference, &digest, || async {
            let mut writer = self.start_upload(reference).await?;
            writer.complete(&digest, Body::Bytes(data.clone())).await
        })
        .await
    }

    /// Uploads a blob of `size` bytes with digest `digest` from a stream in
    /// one PUT; the stream is not replayed. The bytes are verified as they
    /// leave: a wrong size or digest fails the body before its last byte is
    /// sent, so the registry never completes a wrong blob.
    pub async fn push_blob_stream<S>(
        &self,
        reference: &Reference,
        digest: &Digest,
        size: u64,
        body: S,
    ) -> Result<Digest>
    where
        S: Stream<Item = Result<Bytes>> + Send + 'static,
    {
        let body = reqwest::Body::wrap_stream(verified(body, digest, size));
        let mut writer = self.start_upload(reference).await?;
        writer
            .complete(digest, Body::Stream(Some(body), Some(size)))
            .await
    }

    /// Uploads everything `reader` yields through a [`BlobWriter`], in
    /// chunks of its [`chunk_size`](BlobWriter::chunk_size), hashing as the
    /// bytes pass. Returns the digest.
    pub async fn push_blob_chunked<R: AsyncRead + Unpin>(
        &self,
        reference: &Reference,
        reader: &mut R,
    ) -> Result<Digest> {
        let mut writer = self.start_upload(reference).await?;
        let mut buffer = vec![0; writer.chunk_size().min(READ_SIZE)];
        loop {
            let n = reader.read(&mut buffer).await?;
            if n == 0 {
                return writer.finish(None).await;
            }
            writer.write(&buffer[..n]).await?;
        }
    }

    /// Runs `attempt` (one whole upload of blob `digest`) again while it
    /// fails in a way a fresh start may pass, at most the client's
    /// `max_retries` more times. Before each restart, a registry that has
    /// the blob after all (an answer lost after the last byte) ends it.
    pub(crate) async fn push_restarting<F, Fut>(
        &self,
        reference: &Reference,
        digest: &Digest,
        mut attempt: F,
    ) -> Result<Digest>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Digest>>,
    {
        let mut restarts = 0;
        loop {
            match attempt().await {
                Err(e) if may_restart(&e) && restarts < self.options().max_retries => {
                    restarts += 1;
                    if self
                        .blob_exists_direct(reference, digest)
                        .await
                        .unwrap_or(false)
                    {
                        return Ok(digest.clone());
                    }
                }
                other => return other,
            }
        }
    }
}

/// The most read from a source at once by [`Client::push_blob_chunked`].
pub(crate) const READ_SIZE: usize = 1024 * 1024;

/// A writer on the session a `202 Accepted` response opened.
fn writer_from_response(
    client: &Client,
    reference: &Reference,
    response: &reqwest::Response,
    what: &str,
) -> Result<BlobWriter> {
    let location = location(response, what)?;
    let min_chunk = response
        .headers()
        .get("oci-chunk-min-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let hasher = Some(Hasher::new(Algorithm::Sha256));
    Ok(BlobWriter::new(
        client, reference, location, min_chunk, hasher,
    ))
}

/// Whether an upload failure may pass on a retry.
pub(super) fn is_transient(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Network | ErrorKind::Server | ErrorKind::TooManyRequests
    )
}

/// Whether the registry dropped the upload session (distribution does
/// when a request was cut midway): the upload must start over.
pub(super) fn is_session_lost(e: &Error) -> bool {
    e.kind() == ErrorKind::NotFound
        && matches!(
            e.registry_code(),
            Some("BLOB_UPLOAD_INVALID" | "BLOB_UPLOAD_UNKNOWN")
        )
}

/// The error for a session the registry gave up after a dropped connection.
pub(super) fn start_over(lost: &Error) -> Error {
    Error::new(
        ErrorKind::Network,
        format!(
            "the connection dropped and the registry gave up the upload session ({}); \
             the upload must start over",
            lost.detail()
        ),
    )
}

/// Whether a whole upload is worth starting again from its source.
fn may_restart(e: &Error) -> bool {
    is_transient(e) || is_session_lost(e)
}

pub(super) fn unexpected(what: &str, status: StatusCode) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("{what}: unexpected status {status}"),
    )
    .with_http_status(status.as_u16())
}

/// The `Location` of a response, resolved against the request URL.
pub(super) fn location(response: &reqwest::Response, what: &str) -> Result<Url> {
    let value = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::new(ErrorKind::Protocol, format!("{what}: no Location header")))?;
    response.url().join(value).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("{what}: bad Location {value:?}: {e}"),
        )
    })
}

/// The offset recorded in distribution's `_state` query parameter (an
/// HMAC of 32 bytes followed by the session's JSON, base64url), if the
/// location carries one.
pub(super) fn distribution_state_offset(location: &Url) -> Option<u64> {
    use base64::Engine as _;
    let state = location.query_pairs().find(|(k, _)| k == "_state")?.1;
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(state.as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(state.trim_end_matches('='))
        })
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(raw.get(32..)?).ok()?;
    json.get("Offset")?.as_u64()
}

/// One past the last byte of a `Range: 0-N` header (`N + 1`), if present.
pub(super) fn range_end(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get(RANGE)?.to_str().ok()?;
    let value = value.trim().strip_prefix("bytes=").unwrap_or(value.trim());
    let end: u64 = value.split('-').nth(1)?.trim().parse().ok()?;
    end.checked_add(1)
}
