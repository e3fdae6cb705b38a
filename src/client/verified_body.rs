//! Upload bodies checked against their digest while they leave: the byte
//! that completes the blob is handed to the HTTP layer only after the whole
//! blob hashed to the digest the upload will name. A mismatch (or a size
//! other than promised) fails the body before its last byte is sent, so the
//! destination never receives a complete wrong blob, whether or not it
//! verifies digests itself.
//!
//! Holding back the last chunk is what makes this work: an HTTP client
//! stops polling a body once `Content-Length` bytes went out, so a check
//! made after the last chunk would never run.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};

use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};

/// Where a verified body stands.
struct State<S> {
    inner: Pin<Box<S>>,
    hasher: Option<Hasher>,
    digest: Digest,
    size: u64,
    seen: u64,
    ended: bool,
}

impl<S> State<S> {
    /// Hashes `bytes`; when they complete the blob, checks size and digest
    /// before they may leave.
    fn admit(&mut self, bytes: &Bytes) -> Result<()> {
        self.seen += bytes.len() as u64;
        if self.seen > self.size {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "blob {} has more than the {} bytes its descriptor says",
                    self.digest, self.size
                ),
            ));
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(bytes);
        }
        if self.seen == self.size {
            self.check_digest()?;
        }
        Ok(())
    }

    /// Compares the hash of everything seen with the digest (once).
    fn check_digest(&mut self) -> Result<()> {
        match self.hasher.take() {
            Some(h) => h.finish().expect_equal(&self.digest).map_err(|e| {
                e.context(format!(
                    "refusing to complete the upload of {}",
                    self.digest
                ))
            }),
            None => Ok(()),
        }
    }

    /// The source ended: right only when every byte arrived and verified.
    fn at_end(&mut self) -> Result<()> {
        if self.seen < self.size {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "blob {} ended at {} of {} bytes",
                    self.digest, self.seen, self.size
                ),
            ));
        }
        self.check_digest()
    }
}

/// Wraps `inner` (the bytes of blob `digest`, `size` bytes long) so that it
/// fails instead of yielding the chunk that would complete a blob of the
/// wrong size or digest.
pub(crate) fn verified<S>(
    inner: S,
    digest: &Digest,
    size: u64,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static
where
    S: Stream<Item = Result<Bytes>> + Send + 'static,
{
    let state = State {
        inner: Box::pin(inner),
        hasher: Some(Hasher::new(digest.algorithm())),
        digest: digest.clone(),
        size,
        seen: 0,
        ended: false,
    };
    stream::unfold(state, |mut state| async move {
        if state.ended {
            return None;
        }
        let item = match state.inner.next().await {
            Some(Ok(bytes)) => state.admit(&bytes).map(|()| bytes),
            Some(Err(e)) => Err(e),
            None => {
                state.ended = true;
                return match state.at_end() {
                    Ok(()) => None,
                    Err(e) => Some((Err(e), state)),
                };
            }
        };
        if item.is_err() {
            state.ended = true;
        }
        Some((item, state))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
        let parts: Vec<Result<Bytes>> = parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        stream::iter(parts)
    }

    async fn collect<S: Stream<Item = Result<Bytes>>>(s: S) -> (Vec<u8>, Option<Error>) {
        let mut s = Box::pin(s);
        let mut out = Vec::new();
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => out.extend_from_slice(&b),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    #[tokio::test]
    async fn right_bytes_pass_whole() {
        let digest = Digest::sha256_of(b"hello world");
        let (out, err) = collect(verified(chunks(&[b"hello ", b"world"]), &digest, 11)).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, b"hello world");
    }

    #[tokio::test]
    async fn a_flipped_byte_never_sends_the_last_chunk() {
        let digest = Digest::sha256_of(b"hello world");
        let (out, err) = collect(verified(chunks(&[b"hello ", b"wOrld"]), &digest, 11)).await;
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::DigestMismatch));
        assert_eq!(out, b"hello ", "the completing chunk must be held back");
    }

    #[tokio::test]
    async fn more_bytes_than_promised_fail() {
        let digest = Digest::sha256_of(b"hello");
        let (out, err) = collect(verified(chunks(&[b"hel", b"lo!!"]), &digest, 5)).await;
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::SizeExceeded));
        assert_eq!(out, b"hel");
    }

    #[tokio::test]
    async fn a_short_source_fails() {
        let digest = Digest::sha256_of(b"hello");
        let (_, err) = collect(verified(chunks(&[b"hel"]), &digest, 5)).await;
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Io));
    }

    #[tokio::test]
    async fn an_empty_blob_is_verified_too() {
        let empty = Digest::sha256_of(b"");
        let (_, err) = collect(verified(chunks(&[]), &empty, 0)).await;
        assert!(err.is_none());
        let other = Digest::sha256_of(b"x");
        let (_, err) = collect(verified(chunks(&[]), &other, 0)).await;
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::DigestMismatch));
    }
}
