//! Reading small response bodies (JSON documents, token responses) with a
//! size limit.

use bytes::{Bytes, BytesMut};

use super::error_map::error_from_reqwest;
use crate::error::{Error, ErrorKind, Result};

/// Reads the whole body of `response`, refusing more than `limit` bytes
/// with `SIZE_EXCEEDED` (before reading, when `Content-Length` says so).
pub async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
    what: &str,
) -> Result<Bytes> {
    let too_big = || {
        Error::new(
            ErrorKind::SizeExceeded,
            format!("{what}: body is larger than {limit} bytes"),
        )
    };
    if let Some(len) = response.content_length()
        && len > limit as u64
    {
        return Err(too_big());
    }
    let mut body = BytesMut::with_capacity(response.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| error_from_reqwest(what, e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
