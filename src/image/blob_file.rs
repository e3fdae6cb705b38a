//! A blob streamed from its source into a file of its own (a fetched
//! layer, a `dir:` blob): hashed and counted as it is written, and refused
//! when its source gives more or fewer bytes than its descriptor says, or
//! other bytes than its digest names.

use std::path::Path;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::layout_fs::io_error;
use super::plan::BlobRef;
use super::progress::Tracker;
use super::transport::Source;
use crate::digest::Hasher;
use crate::error::{Error, ErrorKind, Result};

/// Writes `blob` from `source` into `out` (the file at `path`, named in
/// errors), reporting each chunk to `tracker`, and checks its size and
/// digest. The caller finishes the blob's progress and keeps or drops the
/// file.
pub(crate) async fn write_verified(
    source: &Source,
    blob: &BlobRef,
    out: &mut tokio::fs::File,
    path: &Path,
    tracker: &Tracker,
) -> Result<()> {
    let mut body = source.blob(blob).await?;
    let mut hasher = Hasher::new(blob.digest.algorithm());
    let mut done = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        done += chunk.len() as u64;
        if done > blob.size {
            break;
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(|e| io_error(path, e))?;
        tracker.advance(&blob.digest, chunk.len() as u64, done, blob.size);
    }
    if done != blob.size {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "blob {} gave {done} bytes or more, the manifest says {}",
                blob.digest, blob.size
            ),
        ));
    }
    hasher.finish().expect_equal(&blob.digest)
}
