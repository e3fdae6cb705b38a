//! Blob uploads: monolithic (POST then PUT), chunked (PATCH with
//! `Content-Range`), resumable sessions, cross-repository mounts and cancel.

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderValue, LOCATION, RANGE};
use reqwest::{Method, StatusCode, Url};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Client;
use super::verified_body::verified;
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::request::{Body, Request, Target, pull_scope, push_scope};

const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// The result of a cross-repository mount.
pub enum MountResult {
    /// The registry linked the blob into the repository; nothing to upload.
    Mounted,
    /// The registry could not mount and opened an upload session instead.
    Upload(Box<UploadSession>),
}

/// An upload session on the registry. Bytes are appended with
/// [`UploadSession::write_chunk`] and the blob is created by
/// [`UploadSession::finish`]. A session can be suspended by keeping
/// [`UploadSession::location`] and resumed later with
/// [`Client::resume_upload`], even from another process.
pub struct UploadSession {
    client: Client,
    registry: String,
    repository: String,
    location: Url,
    offset: u64,
    min_chunk: Option<u64>,
    /// The hash of every byte sent, while this session has seen them all.
    hasher: Option<Hasher>,
}

impl Client {
    /// Opens an upload session in the repository of `reference`.
    pub async fn start_upload(&self, reference: &Reference) -> Result<UploadSession> {
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
        UploadSession::from_response(self, reference, &response, &what)
    }

    /// Picks up a suspended session from its `location`, asking the registry
    /// how many bytes it holds.
    pub async fn resume_upload(
        &self,
        reference: &Reference,
        location: &str,
    ) -> Result<UploadSession> {
        let url = Url::parse(location).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("upload location {location:?}: {e}"),
            )
        })?;
        let mut session = UploadSession {
            client: self.clone(),
            registry: reference.api_host().to_string(),
            repository: reference.repository().to_string(),
            location: url,
            offset: 0,
            min_chunk: None,
            hasher: None,
        };
        session.refresh().await?;
        Ok(session)
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
        let mut url = self.transport.base_url(reference.api_host()).await?;
        url.set_path(&format!("/v2/{repo}/blobs/uploads/"));
        url.query_pairs_mut()
            .append_pair("mount", digest.as_str())
            .append_pair("from", from);
        let request = Request::new(
            Method::POST,
            Target::Url(url),
            vec![push_scope(repo), pull_scope(from)],
        )
        .header(CONTENT_LENGTH, HeaderValue::from_static("0"));
        let response = self
            .transport
            .send(reference.api_host(), request, &what)
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(MountResult::Mounted),
            StatusCode::ACCEPTED => Ok(MountResult::Upload(Box::new(
                UploadSession::from_response(self, reference, &response, &what)?,
            ))),
            other => Err(unexpected(&what, other)),
        }
    }

    /// Uploads a blob held in memory in one request (POST then PUT) and
    /// returns its digest. Retried as a whole on transient failures.
    pub async fn push_blob(&self, reference: &Reference, data: Bytes) -> Result<Digest> {
        let digest = Digest::sha256_of(&data);
        let mut attempt = 0;
        loop {
            // A PUT cut in the middle may leave part of the body in the
            // session, so a retry starts a fresh session.
            let mut session = self.start_upload(reference).await?;
            match session
                .finish_with(&digest, Body::Bytes(data.clone()))
                .await
            {
                Err(e) if may_restart(&e) && attempt < self.options().max_retries => {
                    attempt += 1;
                    if self.blob_exists(reference, &digest).await.unwrap_or(false) {
                        return Ok(digest);
                    }
                }
                other => return other,
            }
        }
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
        let mut session = self.start_upload(reference).await?;
        session
            .finish_with(digest, Body::Stream(Some(body), Some(size)))
            .await
    }

    /// Uploads everything `reader` yields in chunks (PATCH) of the client's
    /// chunk size, or the registry's minimum when larger, hashing as the
    /// bytes pass. Returns the digest.
    pub async fn push_blob_chunked<R: AsyncRead + Unpin>(
        &self,
        reference: &Reference,
        reader: &mut R,
    ) -> Result<Digest> {
        let mut session = self.start_upload(reference).await?;
        let chunk_size = session.chunk_size(self.options().upload_chunk_size);
        let mut buffer = BytesMut::with_capacity(chunk_size);
        loop {
            buffer.clear();
            while buffer.len() < chunk_size {
                let n = reader.read_buf(&mut buffer).await?;
                if n == 0 {
                    break;
                }
                if buffer.len() > chunk_size {
                    break;
                }
            }
            if buffer.is_empty() {
                break;
            }
            let last = buffer.len() < chunk_size;
            session.write_chunk(buffer.split().freeze()).await?;
            if last {
                break;
            }
        }
        session.finish(None).await
    }
}

impl UploadSession {
    fn from_response(
        client: &Client,
        reference: &Reference,
        response: &reqwest::Response,
        what: &str,
    ) -> Result<UploadSession> {
        let location = location(response, what)?;
        let min_chunk = response
            .headers()
            .get("oci-chunk-min-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        Ok(UploadSession {
            client: client.clone(),
            registry: reference.api_host().to_string(),
            repository: reference.repository().to_string(),
            location,
            offset: 0,
            min_chunk,
            hasher: Some(Hasher::new(Algorithm::Sha256)),
        })
    }

    /// The session's URL: keep it to resume the upload later.
    pub fn location(&self) -> &str {
        self.location.as_str()
    }

    /// How many bytes the registry holds.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The registry's `OCI-Chunk-Min-Length`, when it sent one.
    pub fn min_chunk_size(&self) -> Option<u64> {
        self.min_chunk
    }

    /// `preferred`, raised to the registry's minimum chunk size.
    pub fn chunk_size(&self, preferred: usize) -> usize {
        let min = self.min_chunk.unwrap_or(0).min(usize::MAX as u64) as usize;
        preferred.max(min).max(1)
    }

    /// Asks the registry how many bytes it holds (`GET` on the session).
    pub async fn refresh(&mut self) -> Result<u64> {
        let what = format!("checking upload to {}", self.repository);
        let request = Request::new(
            Method::GET,
            Target::Url(self.location.clone()),
            self.scopes(),
        );
        let response = self
            .client
            .transport
            .send(&self.registry, request, &what)
            .await?;
        if response.status() != StatusCode::NO_CONTENT && response.status() != StatusCode::OK {
            return Err(unexpected(&what, response.status()));
        }
        if response.headers().contains_key(LOCATION) {
            self.location = location(&response, &what)?;
        }
        self.offset = match range_end(&response) {
            // distribution says `0-0` both for nothing and for one byte;
            // its signed session state in the location tells which.
            Some(1) => distribution_state_offset(&self.location).unwrap_or(1),
            Some(end) => end,
            None => 0,
        };
        Ok(self.offset)
    }

    /// Appends `data` (PATCH with `Content-Range`). When the connection
    /// fails, asks the registry how much arrived and sends the rest.
    pub async fn write_chunk(&mut self, data: Bytes) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let start = self.offset;
        let mut sent_from = 0usize;
        let mut attempts = 0u32;
        loop {
            let part = data.slice(sent_from..);
            match self.patch(part).await {
                Ok(()) => break,
                Err(e) if is_transient(&e) && attempts < self.client.options().max_retries => {
                    attempts += 1;
                    let held = match self.refresh().await {
                        Ok(held) => held,
                        Err(lost) if is_session_lost(&lost) => return Err(start_over(&lost)),
                        Err(other) => return Err(other),
                    };
                    if held < start || held > start + data.len() as u64 {
                        return Err(e.context("the registry's upload offset moved unexpectedly"));
                    }
                    sent_from = (held - start) as usize;
                    if sent_from == data.len() {
                        break;
                    }
                }
                Err(e) if is_session_lost(&e) => return Err(start_over(&e)),
                Err(e) => return Err(e),
            }
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(&data);
        }
        self.offset = start + data.len() as u64;
        Ok(())
    }

    async fn patch(&mut self, data: Bytes) -> Result<()> {
        let what = format!("uploading to {}", self.repository);
        let first = self.offset;
        let last = first + data.len() as u64 - 1;
        let range = HeaderValue::from_str(&format!("{first}-{last}"))
            .map_err(|_| Error::new(ErrorKind::Internal, "content-range header"))?;
        let mut request = Request::new(
            Method::PATCH,
            Target::Url(self.location.clone()),
            self.scopes(),
        )
        .header(CONTENT_TYPE, OCTET_STREAM)
        .header(CONTENT_RANGE, range)
        .body(Body::Bytes(data))
        .unbounded();
        request.retry = false;
        let response = self
            .client
            .transport
            .send(&self.registry, request, &what)
            .await?;
        if response.status() != StatusCode::ACCEPTED && response.status() != StatusCode::NO_CONTENT
        {
            return Err(unexpected(&what, response.status()));
        }
        if let Some(end) = range_end(&response)
            && end != last + 1
        {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "{what}: the registry holds {end} bytes after a chunk ending at {}",
                    last + 1
                ),
            ));
        }
        self.offset = last + 1;
        if response.headers().contains_key(LOCATION) {
            self.location = location(&response, &what)?;
        }
        Ok(())
    }

    /// Completes the upload (`PUT ?digest=`). With `None`, the digest of the
    /// bytes written through this session is used (not possible for a
    /// resumed session, which did not see the earlier bytes). A digest given
    /// for a session that saw every byte must match those bytes: otherwise
    /// `DIGEST_MISMATCH`, and the registry is not told to complete. On
    /// failure the session is still usable (retry, or finish with a digest).
    pub async fn finish(&mut self, digest: Option<&Digest>) -> Result<Digest> {
        let digest = match (digest, &self.hasher) {
            (Some(d), Some(h)) if h.algorithm() == d.algorithm() => {
                h.clone()
                    .finish()
                    .expect_equal(d)
                    .map_err(|e| e.context(format!("refusing to complete the upload of {d}")))?;
                d.clone()
            }
            (Some(d), _) => d.clone(),
            (None, Some(h)) => h.clone().finish(),
            (None, None) => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "a resumed upload needs the blob's digest to finish",
                ));
            }
        };
        match self.finish_with(&digest, Body::Empty).await {
            // The PUT may have landed with its answer lost: the blob is there.
            Err(e) if is_transient(&e) || e.kind() == ErrorKind::NotFound => {
                let repo = Reference::parse(&format!("{}/{}", self.registry, self.repository))?;
                match self.client.blob_exists(&repo, &digest).await {
                    Ok(true) => Ok(digest),
                    _ => Err(e),
                }
            }
            other => other,
        }
    }

    /// Completes the upload with a last body (the whole blob, for a
    /// monolithic upload).
    async fn finish_with(&mut self, digest: &Digest, body: Body) -> Result<Digest> {
        let what = format!("completing upload of {digest} to {}", self.repository);
        let mut url = self.location.clone();
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let len = match &body {
            Body::Empty => Some(0),
            Body::Bytes(b) => Some(b.len() as u64),
            Body::Stream(_, len) => *len,
        };
        let mut request = Request::new(Method::PUT, Target::Url(url), self.scopes())
            .header(CONTENT_TYPE, OCTET_STREAM)
            .body(body)
            .unbounded();
        if let Some(len) = len {
            request = request.header(CONTENT_LENGTH, HeaderValue::from(len));
        }
        let response = if request.body.is_replayable() {
            self.client
                .transport
                .send(&self.registry, request, &what)
                .await?
        } else {
            self.client
                .transport
                .send_stream(&self.registry, request, &what)
                .await?
        };
        if response.status() != StatusCode::CREATED && response.status() != StatusCode::NO_CONTENT {
            return Err(unexpected(&what, response.status()));
        }
        self.hasher = None;
        Ok(digest.clone())
    }

    /// Abandons the session (`DELETE`), so the registry can drop its bytes.
    pub async fn cancel(self) -> Result<()> {
        let what = format!("cancelling upload to {}", self.repository);
        let request = Request::new(
            Method::DELETE,
            Target::Url(self.location.clone()),
            self.scopes(),
        );
        self.client
            .transport
            .send(&self.registry, request, &what)
            .await?;
        Ok(())
    }

    fn scopes(&self) -> Vec<String> {
        vec![push_scope(&self.repository)]
    }
}

/// Whether an upload failure may pass on a retry.
pub(crate) fn is_transient(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Network | ErrorKind::Server | ErrorKind::TooManyRequests
    )
}

/// Whether the registry dropped the upload session (distribution does
/// when a request was cut midway): the upload must start over.
pub(crate) fn is_session_lost(e: &Error) -> bool {
    e.kind() == ErrorKind::NotFound
        && matches!(
            e.registry_code(),
            Some("BLOB_UPLOAD_INVALID") | Some("BLOB_UPLOAD_UNKNOWN")
        )
}

/// The error for a session the registry gave up after a dropped connection.
fn start_over(lost: &Error) -> Error {
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
pub(crate) fn may_restart(e: &Error) -> bool {
    is_transient(e) || is_session_lost(e)
}

fn unexpected(what: &str, status: StatusCode) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("{what}: unexpected status {status}"),
    )
    .with_http_status(status.as_u16())
}

/// The `Location` of a response, resolved against the request URL.
fn location(response: &reqwest::Response, what: &str) -> Result<Url> {
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
fn distribution_state_offset(location: &Url) -> Option<u64> {
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
fn range_end(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get(RANGE)?.to_str().ok()?;
    let value = value.trim().strip_prefix("bytes=").unwrap_or(value.trim());
    let end: u64 = value.split('-').nth(1)?.trim().parse().ok()?;
    end.checked_add(1)
}
