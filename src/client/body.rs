//! Small response bodies: the manifest size limit and JSON parsing (the
//! bounded reader is the transport's, re-exported here).

use crate::error::{Error, ErrorKind, Result};
pub use crate::transport::body::read_bounded;

/// The largest manifest or JSON body accepted, as the spec suggests.
pub const MAX_MANIFEST_SIZE: usize = 4 * 1024 * 1024;

/// Parses a JSON body, mapping failures to `PROTOCOL`.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::new(ErrorKind::Protocol, format!("{what}: invalid JSON: {e}")))
}
