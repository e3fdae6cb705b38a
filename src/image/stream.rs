//! Request bodies that stream from a file or from a blob download, counting
//! progress as the bytes leave.

use std::sync::Arc;

use bytes::BytesMut;
use futures_util::stream;
use tokio::io::AsyncReadExt;

use super::plan::BlobRef;
use super::progress::Tracker;
use crate::client::BlobReader;
use crate::error::{Error, ErrorKind};

/// The read size when streaming a file.
const FILE_CHUNK: usize = 256 * 1024;

/// A body streaming `file` (of blob `blob`), reporting to `tracker`.
pub(crate) fn file_body(
    file: tokio::fs::File,
    blob: BlobRef,
    tracker: Arc<Tracker>,
) -> reqwest::Body {
    let state = (file, 0u64, blob, tracker);
    reqwest::Body::wrap_stream(stream::unfold(
        state,
        |(mut file, done, blob, tracker)| async move {
            let mut buffer = BytesMut::with_capacity(FILE_CHUNK);
            match file.read_buf(&mut buffer).await {
                Ok(0) if done == blob.size => None,
                Ok(0) => Some((
                    Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "blob {} ended at {done} of {} bytes",
                            blob.digest, blob.size
                        ),
                    )),
                    (file, done, blob, tracker),
                )),
                Ok(n) => {
                    let done = done + n as u64;
                    tracker.advance(&blob.digest, n as u64, done, blob.size);
                    Some((Ok(buffer.freeze()), (file, done, blob, tracker)))
                }
                Err(e) => Some((Err(Error::from(e)), (file, done, blob, tracker))),
            }
        },
    ))
}

/// A body streaming a (verifying) blob download: a digest mismatch at the
/// end fails the body, so the registry never completes the upload.
pub(crate) fn download_body(
    reader: BlobReader,
    blob: BlobRef,
    tracker: Arc<Tracker>,
) -> reqwest::Body {
    let state = (reader, 0u64, blob, tracker, false);
    reqwest::Body::wrap_stream(stream::unfold(
        state,
        |(mut reader, done, blob, tracker, failed)| async move {
            if failed {
                return None;
            }
            match reader.chunk().await {
                Ok(Some(bytes)) => {
                    let done = done + bytes.len() as u64;
                    tracker.advance(&blob.digest, bytes.len() as u64, done, blob.size);
                    Some((Ok(bytes), (reader, done, blob, tracker, false)))
                }
                Ok(None) => None,
                Err(e) => Some((
                    Err::<bytes::Bytes, Error>(e),
                    (reader, done, blob, tracker, true),
                )),
            }
        },
    ))
}
