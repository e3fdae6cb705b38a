//! Reading small response bodies with a size limit.

use bytes::{Bytes, BytesMut};

use crate::error::{Error, ErrorKind, Result};
use crate::transport::error_map::error_from_reqwest;

/// The largest manifest or JSON body accepted, as the spec suggests.
pub const MAX_MANIFEST_SIZE: usize = 4 * 1024 * 1024;

/// Reads the whole body of `response`, refusing more than `limit` bytes.
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

/// Parses a JSON body, mapping failures to `PROTOCOL`.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::new(ErrorKind::Protocol, format!("{what}: invalid JSON: {e}")))
}
