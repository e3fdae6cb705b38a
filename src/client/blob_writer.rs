//! The blob writer: one upload session on the registry and every way bytes
//! reach it. Written bytes are buffered into chunks and sent with `PATCH`
//! (at least the registry's `OCI-Chunk-Min-Length`, at most
//! [`MAX_CHUNK_SIZE`]); a chunk cut by the network is resumed from the
//! offset the registry reports; the last `PUT` carries nothing, the whole
//! blob (monolithic) or a verified stream (see
//! [`verified_body`](super::verified_body)). A writer can be suspended (keep
//! its [`location`](BlobWriter::location)) and resumed, even by another
//! process, or cancelled.

use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};

use super::Client;
use super::uploads::{
    distribution_state_offset, is_session_lost, is_transient, location, range_end, start_over,
    unexpected,
};
use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;
use crate::transport::request::{Body, Request, Target, push_scope};

/// The largest chunk a writer sends, whatever the configured chunk size or
/// the registry's minimum. A writer never buffers more bytes than this; its
/// buffer is allocated as bytes arrive (never the chunk size up front) and
/// its capacity stays below twice this bound.
pub const MAX_CHUNK_SIZE: usize = 64 * 1024 * 1024;

/// Why a writer whose chunk was stopped midway (its future dropped, as
/// cancellation does) refuses more bytes: what the registry holds of that
/// chunk is unknown.
const INTERRUPTED: &str = "interrupted while sending a chunk; resume it from its location";

const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// An upload session on the registry used as a writer. Bytes given to
/// [`BlobWriter::write`] are buffered and sent in chunks of
/// [`BlobWriter::chunk_size`]; [`BlobWriter::finish`] sends the rest and
/// creates the blob. A writer can be suspended by keeping
/// [`BlobWriter::location`] and resumed later with
/// [`Client::resume_upload`], even from another process. Dropping a writer
/// leaves its session on the registry (which expires it); call
/// [`BlobWriter::cancel`] to drop it at once.
pub struct BlobWriter {
    client: Client,
    registry: String,
    repository: String,
    location: Url,
    /// Bytes the registry holds.
    offset: u64,
    min_chunk: Option<u64>,
    chunk_size: usize,
    /// Written bytes not sent yet (at most `chunk_size`).
    buffer: BytesMut,
    /// The hash of every byte sent, while this writer has seen them all.
    hasher: Option<Hasher>,
    /// A chunk failed: the registry may hold part of it.
    unsure: bool,
    /// Why no more bytes may be written (`None` while open).
    closed: Option<&'static str>,
}

impl BlobWriter {
    /// A writer on the session at `location`, at offset 0 until refreshed;
    /// `hasher` is given to a writer that sees every byte of the blob.
    pub(super) fn new(
        client: &Client,
        reference: &Reference,
        location: Url,
        min_chunk: Option<u64>,
        hasher: Option<Hasher>,
    ) -> BlobWriter {
        let wanted = client.options().upload_chunk_size;
        let min = usize::try_from(min_chunk.unwrap_or(0)).unwrap_or(usize::MAX);
        BlobWriter {
            client: client.clone(),
            registry: reference.api_host().to_string(),
            repository: reference.repository().to_string(),
            location,
            offset: 0,
            min_chunk,
            chunk_size: wanted.max(min).clamp(1, MAX_CHUNK_SIZE),
            buffer: BytesMut::new(),
            hasher,
            unsure: false,
            closed: None,
        }
    }

    /// The session's URL: keep it to resume the upload later.
    #[must_use]
    pub fn location(&self) -> &str {
        self.location.as_str()
    }

    /// How many bytes the registry holds (buffered bytes not included).
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The registry's `OCI-Chunk-Min-Length`, when it sent one.
    #[must_use]
    pub fn min_chunk_size(&self) -> Option<u64> {
        self.min_chunk
    }

    /// The size of the chunks this writer sends: the client's
    /// `upload_chunk_size`, raised to the registry's minimum, at most
    /// [`MAX_CHUNK_SIZE`].
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// How many more bytes fill the current chunk.
    #[must_use]
    pub fn room(&self) -> usize {
        self.chunk_size - self.buffer.len()
    }

    /// Whether the upload is still open on the registry: neither
    /// finished, suspended nor cancelled.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(self.closed, None | Some(INTERRUPTED))
    }

    fn check_open(&self) -> Result<()> {
        match self.closed {
            None => Ok(()),
            Some(why) => Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("the upload was already {why}"),
            )),
        }
    }

    /// Appends `data`; every chunk that fills is sent.
    pub async fn write(&mut self, mut data: &[u8]) -> Result<()> {
        self.check_open()?;
        while !data.is_empty() {
            let take = self.room().min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buffer.len() == self.chunk_size {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// Sends the buffered bytes now as one chunk (shorter than the chunk
    /// size, which a registry with a minimum accepts only as the last).
    /// On failure the bytes stay buffered.
    pub async fn flush(&mut self) -> Result<()> {
        self.check_open()?;
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = self.buffer.split().freeze();
        self.closed = Some(INTERRUPTED);
        let result = self.send_chunk(chunk.clone()).await;
        self.closed = None;
        if result.is_err() {
            self.buffer.extend_from_slice(&chunk);
        }
        result
    }

    /// Appends `data` (PATCH with `Content-Range`). When the connection
    /// fails, asks the registry how much arrived and sends the rest; after
    /// a failure the next attempt asks first.
    async fn send_chunk(&mut self, data: Bytes) -> Result<()> {
        let start = self.offset;
        let result = self.send_chunk_from(start, &data).await;
        self.unsure = result.is_err();
        match result {
            Ok(()) => {
                if let Some(h) = self.hasher.as_mut() {
                    h.update(&data);
                }
                self.offset = start + data.len() as u64;
                Ok(())
            }
            Err(e) => {
                // `offset` stays where the chunk begins: a retry resends it.
                self.offset = start;
                Err(e)
            }
        }
    }

    async fn send_chunk_from(&mut self, start: u64, data: &Bytes) -> Result<()> {
        let mut sent_from = 0;
        if self.unsure {
            sent_from = self.held_of(start, data.len()).await?.ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "the registry's upload offset moved unexpectedly",
                )
            })?;
        }
        let mut attempts = 0u32;
        while sent_from < data.len() {
            self.offset = start + sent_from as u64;
            match self.patch(data.slice(sent_from..)).await {
                Ok(()) => break,
                Err(e) if is_transient(&e) && attempts < self.client.options().max_retries => {
                    attempts += 1;
                    sent_from = self.held_of(start, data.len()).await?.ok_or_else(|| {
                        e.context("the registry's upload offset moved unexpectedly")
                    })?;
                }
                Err(e) if is_session_lost(&e) => return Err(start_over(&e)),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// How many bytes of a chunk of `len` bytes starting at `start` the
    /// registry holds (`None`: a number outside the chunk).
    async fn held_of(&mut self, start: u64, len: usize) -> Result<Option<usize>> {
        let held = match self.refresh().await {
            Ok(held) => held,
            Err(lost) if is_session_lost(&lost) => return Err(start_over(&lost)),
            Err(other) => return Err(other),
        };
        if held < start || held > start + len as u64 {
            return Ok(None);
        }
        Ok(Some((held - start) as usize))
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

    /// Sends the buffered bytes and completes the upload (`PUT ?digest=`).
    /// With `None`, the digest of the bytes written through this writer is
    /// used (not possible for a resumed upload, which did not see the
    /// earlier bytes). A digest given for a writer that saw every byte must
    /// match those bytes: otherwise `DIGEST_MISMATCH`, and the registry is
    /// not told to complete. On failure the writer is still usable (retry,
    /// or finish with a digest).
    pub async fn finish(&mut self, digest: Option<&Digest>) -> Result<Digest> {
        self.flush().await?;
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
        match self.complete(&digest, Body::Empty).await {
            // The PUT may have landed with its answer lost: the blob is there.
            Err(e) if is_transient(&e) || e.kind() == ErrorKind::NotFound => {
                let repo = Reference::parse(&format!("{}/{}", self.registry, self.repository))?;
                match self.client.blob_exists_direct(&repo, &digest).await {
                    Ok(true) => {
                        self.closed = Some("committed");
                        Ok(digest)
                    }
                    _ => Err(e),
                }
            }
            other => other,
        }
    }

    /// Completes the upload with a last body: the whole blob (monolithic)
    /// or a verified stream, on a writer that sent nothing yet.
    pub(super) async fn complete(&mut self, digest: &Digest, body: Body) -> Result<Digest> {
        self.check_open()?;
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
        self.closed = Some("committed");
        Ok(digest.clone())
    }

    /// Sends the buffered bytes and leaves the session on the registry:
    /// [`BlobWriter::location`] and [`BlobWriter::offset`] are what
    /// [`Client::resume_upload`] needs. No more bytes may be written. On
    /// failure the writer is still usable.
    pub async fn suspend(&mut self) -> Result<()> {
        self.flush().await?;
        self.closed = Some("suspended");
        Ok(())
    }

    /// Abandons the session (`DELETE`), so the registry can drop its bytes.
    pub async fn cancel(&mut self) -> Result<()> {
        self.closed = Some("cancelled");
        self.buffer.clear();
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
