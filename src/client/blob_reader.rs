//! A streaming blob download that hashes bytes as they pass, verifies the
//! digest at the end, and resumes with `Range` when the connection drops.

use bytes::Bytes;
use reqwest::header::{CONTENT_RANGE, HeaderValue, RANGE};
use reqwest::{Method, StatusCode};

use super::Client;
use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::error_map::error_from_reqwest;
use crate::transport::request::{Request, Target, pull_scope};

/// A blob being downloaded. Call [`BlobReader::chunk`] until it returns
/// `None`; a full read only returns `None` after the digest checked out, so
/// a caller that sees the end has verified bytes. Range reads cannot be
/// verified and are not.
pub struct BlobReader {
    client: Client,
    registry: String,
    repository: String,
    digest: Digest,
    /// Where the requested bytes start in the blob.
    start: u64,
    /// How many bytes this reader should deliver, when known.
    length: Option<u64>,
    /// Bytes delivered so far.
    delivered: u64,
    /// Bytes still to drop from the current response (a server that
    /// answered a ranged request with the whole blob).
    skip: u64,
    hasher: Option<Hasher>,
    response: Option<reqwest::Response>,
    resumes_left: u32,
    done: bool,
    /// Whether only a `206` with exactly the requested `Content-Range`
    /// is accepted (a part of a ranged download: a `200` or another range
    /// fails the read instead of being skipped through).
    exact_range: bool,
    /// The blob's size, as the last `Content-Range` gave it.
    total: Option<u64>,
}

impl BlobReader {
    /// Opens a download; `range` is `(start, length)` for partial reads. A
    /// length whose last byte would lie at or past `u64::MAX` (such as
    /// `u64::MAX` itself, a natural "to the end") means to the end.
    pub(super) async fn open(
        client: &Client,
        registry: &str,
        repository: &str,
        digest: &Digest,
        range: Option<(u64, Option<u64>)>,
    ) -> Result<BlobReader> {
        let (start, length) = range.unwrap_or((0, None));
        let length = length.filter(|&len| start.saturating_add(len) < u64::MAX);
        let mut reader = BlobReader {
            client: client.clone(),
            registry: registry.to_string(),
            repository: repository.to_string(),
            digest: digest.clone(),
            start,
            length,
            delivered: 0,
            skip: 0,
            hasher: if range.is_none() {
                Some(Hasher::new(digest.algorithm()))
            } else {
                None
            },
            response: None,
            resumes_left: client.options().max_resumes,
            done: length == Some(0),
            exact_range: false,
            total: None,
        };
        if !reader.done {
            reader.reopen(range.is_some()).await?;
        }
        Ok(reader)
    }

    /// Opens bytes `start..start + length` of a blob of `total` bytes as
    /// one part of a ranged download: the registry must answer `206` with
    /// exactly that `Content-Range`; a `200` (Range ignored) or any other
    /// range fails with `PROTOCOL` rather than being read through.
    pub(super) async fn open_part(
        client: &Client,
        registry: &str,
        repository: &str,
        digest: &Digest,
        (start, length): (u64, u64),
        total: u64,
    ) -> Result<BlobReader> {
        let mut reader = BlobReader {
            client: client.clone(),
            registry: registry.to_string(),
            repository: repository.to_string(),
            digest: digest.clone(),
            start,
            length: Some(length),
            delivered: 0,
            skip: 0,
            hasher: None,
            response: None,
            resumes_left: client.options().max_resumes,
            done: length == 0,
            exact_range: true,
            total: None,
        };
        if !reader.done {
            reader.reopen(true).await?;
            reader.check_total(total)?;
        }
        Ok(reader)
    }

    /// Fails unless the last `Content-Range` said the blob has `total`
    /// bytes (or did not say).
    fn check_total(&self, total: u64) -> Result<()> {
        match self.total {
            Some(got) if got != total => Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "blob {}: the registry says it has {got} bytes, expected {total}",
                    self.digest
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Fails the read unless the blob has exactly `size` bytes (the size a
    /// descriptor promised); a larger body is cut off with `SIZE_EXCEEDED`.
    pub fn expect_size(&mut self, size: u64) -> Result<()> {
        if let Some(known) = self.length
            && known != size
        {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!("blob {} is {known} bytes, expected {size}", self.digest),
            ));
        }
        self.length = Some(size);
        Ok(())
    }

    /// Stops hashing here: the caller takes over verifying the bytes (to
    /// hash them on another thread, overlapped with receiving). The end of
    /// the stream then says nothing about the digest.
    pub fn defer_verification(&mut self) {
        self.hasher = None;
    }

    /// The number of bytes this reader delivers in all, when known.
    #[must_use]
    pub fn size(&self) -> Option<u64> {
        self.length
    }

    /// The number of bytes delivered so far.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.delivered
    }

    /// The digest being read.
    #[must_use]
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The next chunk of bytes, or `None` at the (verified) end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(response) = self.response.as_mut() else {
                self.reopen(true).await?;
                continue;
            };
            match response.chunk().await {
                Ok(Some(mut bytes)) => {
                    if self.skip > 0 {
                        let drop = self.skip.min(bytes.len() as u64) as usize;
                        self.skip -= drop as u64;
                        bytes = bytes.slice(drop..);
                    }
                    if let Some(length) = self.length {
                        let room = length - self.delivered;
                        if bytes.len() as u64 > room {
                            if self.hasher.is_some() {
                                return Err(self.too_long(length));
                            }
                            bytes = bytes.slice(..room as usize);
                        }
                    }
                    if bytes.is_empty() {
                        if self.length == Some(self.delivered) {
                            return self.finish().map(|()| None);
                        }
                        continue;
                    }
                    if let Some(h) = self.hasher.as_mut() {
                        h.update(&bytes);
                    }
                    self.delivered += bytes.len() as u64;
                    return Ok(Some(bytes));
                }
                Ok(None) => {
                    let short = self.length.is_some_and(|l| self.delivered < l);
                    if short {
                        self.lost_connection(None)?;
                        continue;
                    }
                    return self.finish().map(|()| None);
                }
                Err(e) => {
                    let error = error_from_reqwest(&format!("reading blob {}", self.digest), e);
                    if error.kind() == ErrorKind::Timeout {
                        return Err(error);
                    }
                    self.lost_connection(Some(error))?;
                }
            }
        }
    }

    fn lost_connection(&mut self, error: Option<Error>) -> Result<()> {
        self.response = None;
        if self.resumes_left == 0 {
            let reason =
                error.map_or_else(|| "body ended early".into(), |e| e.message().to_string());
            return Err(Error::new(
                ErrorKind::Network,
                format!(
                    "blob {}: connection lost after {} bytes and no resumes left: {reason}",
                    self.digest, self.delivered
                ),
            ));
        }
        self.resumes_left -= 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.done = true;
        self.response = None;
        if let Some(length) = self.length
            && self.delivered != length
        {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "blob {}: got {} bytes, expected {length}",
                    self.digest, self.delivered
                ),
            ));
        }
        if let Some(hasher) = self.hasher.take() {
            hasher.finish().expect_equal(&self.digest)?;
        }
        Ok(())
    }

    fn too_long(&self, length: u64) -> Error {
        Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "blob {} is longer than the {length} bytes expected",
                self.digest
            ),
        )
    }

    /// (Re)issues the GET from the current position.
    async fn reopen(&mut self, ranged: bool) -> Result<()> {
        let from = self.start + self.delivered;
        let path = format!("/v2/{}/blobs/{}", self.repository, self.digest);
        let mut request = Request::new(
            Method::GET,
            Target::Path(path),
            vec![pull_scope(&self.repository)],
        )
        .unbounded();
        if ranged {
            let range = match self.length {
                Some(len) => format!("bytes={from}-{}", self.start.saturating_add(len) - 1),
                None => format!("bytes={from}-"),
            };
            let value = HeaderValue::from_str(&range)
                .map_err(|_| Error::new(ErrorKind::Internal, "range header"))?;
            request = request.header(RANGE, value);
        }
        let what = format!("fetching blob {}@{}", self.repository, self.digest);
        let response = self
            .client
            .transport
            .send(&self.registry, request, &what)
            .await?;
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let got = ContentRange::of(&response).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Protocol,
                        format!("{what}: 206 without a valid Content-Range"),
                    )
                })?;
                if got.start != from {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "{what}: asked for bytes from {from}, got them from {}",
                            got.start
                        ),
                    ));
                }
                if self.exact_range
                    && let Some(len) = self.length
                    && got.end != self.start + len - 1
                {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "{what}: asked for bytes {from}-{}, got {from}-{}",
                            self.start + len - 1,
                            got.end
                        ),
                    ));
                }
                self.total = got.total;
                self.skip = 0;
            }
            StatusCode::OK if self.exact_range => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("{what}: the registry ignored Range (200, not 206)"),
                ));
            }
            StatusCode::OK => {
                self.skip = from;
                if self.length.is_none()
                    && self.start == 0
                    && let Some(len) = response.content_length()
                {
                    self.length = Some(len);
                }
                if let (Some(len), Some(expected)) = (response.content_length(), self.length)
                    && self.hasher.is_some()
                    && len != expected
                {
                    return Err(Error::new(
                        ErrorKind::SizeExceeded,
                        format!("{what}: the registry sends {len} bytes, expected {expected}"),
                    ));
                }
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("{what}: unexpected status {other}"),
                )
                .with_http_status(other.as_u16()));
            }
        }
        self.response = Some(response);
        Ok(())
    }
}

/// A `Content-Range: bytes FIRST-LAST/TOTAL` header (`TOTAL` may be `*`).
struct ContentRange {
    start: u64,
    end: u64,
    total: Option<u64>,
}

impl ContentRange {
    /// The header of `response`, when present and well-formed.
    fn of(response: &reqwest::Response) -> Option<ContentRange> {
        let value = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
        ContentRange::parse(value)
    }

    fn parse(value: &str) -> Option<ContentRange> {
        let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
        let (start, end) = range.split_once('-')?;
        let (start, end) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
        let total = match total.trim() {
            "*" => None,
            n => Some(n.parse().ok()?),
        };
        (start <= end && total.is_none_or(|t| end < t)).then_some(ContentRange {
            start,
            end,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ContentRange;

    #[test]
    fn content_ranges_are_parsed_strictly() {
        let r = ContentRange::parse("bytes 10-19/100").expect("valid");
        assert_eq!((r.start, r.end, r.total), (10, 19, Some(100)));
        let r = ContentRange::parse("bytes 0-0/*").expect("unknown total");
        assert_eq!((r.start, r.end, r.total), (0, 0, None));
        for bad in [
            "bytes 10-19",
            "bytes 19-10/100",
            "bytes 10-100/100",
            "items 0-1/2",
            "bytes -5/10",
            "bytes a-b/c",
        ] {
            assert!(ContentRange::parse(bad).is_none(), "{bad}");
        }
    }
}
