//! A plain tar layer inside a file (a docker-archive member) served
//! gzipped, byte for byte as skopeo gzips it ([`crate::compress`]), for
//! destinations that want compressed layers. The compressed digest is
//! needed before the blob is written (a manifest names it), so a layer is
//! compressed twice: once to measure it ([`measure`]), once to stream it
//! ([`stream`]). The output is deterministic, and the destination verifies
//! the second pass against the first. Neither pass holds more than a few
//! MiB, whatever the layer's size, and both check that the plain bytes
//! hash to the layer's diff ID.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;

use super::BlobStream;
use super::tar_index::open_regular_file;
use crate::compress::GzipWriter;
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::image::layout_fs::io_error;

/// How much is read at a time, and the size of each streamed chunk.
const CHUNK: usize = 256 * 1024;
/// Chunks queued between the compressing thread and the stream.
const QUEUED: usize = 4;

/// Where a plain layer's bytes are: `size` bytes at `offset` in `file`,
/// which must hash to `diff_id`.
#[derive(Clone, Debug)]
pub(crate) struct PlainLayer {
    pub file: PathBuf,
    pub offset: u64,
    pub size: u64,
    pub diff_id: Digest,
}

/// The digest and size of the layer gzipped. Dropping the future (a
/// cancelled copy) stops the work at the next piece.
pub(crate) async fn measure(layer: &PlainLayer) -> Result<(Digest, u64)> {
    let layer = layer.clone();
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let stopped = stop.0.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let mut sink = Measure {
            hasher: Hasher::new(Algorithm::Sha256),
            size: 0,
            stopped,
        };
        compress(&layer, &mut sink)?;
        Ok((sink.hasher.finish(), sink.size))
    })
    .await;
    drop(stop);
    joined.map_err(|e| Error::new(ErrorKind::Internal, format!("gzip: {e}")))?
}

/// Raises its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The layer gzipped, as a stream of chunks.
pub(crate) fn stream(layer: &PlainLayer) -> BlobStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(QUEUED);
    let layer = layer.clone();
    tokio::task::spawn_blocking(move || {
        let mut sink = Channel {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let done = compress(&layer, &mut sink).and_then(|()| sink.send());
        if let Err(e) = done {
            // The reader may have gone; then nobody needs the error.
            let _ = tx.blocking_send(Err(e));
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Reads the plain layer, gzips it into `sink` and checks its digest.
fn compress(layer: &PlainLayer, sink: &mut dyn Write) -> Result<()> {
    let path = &layer.file;
    let (mut file, _) = open_regular_file(path)?;
    file.seek(SeekFrom::Start(layer.offset))
        .map_err(|e| io_error(path, e))?;
    let mut gz = GzipWriter::new(sink).map_err(|e| write_error(path, e))?;
    let mut hasher = Hasher::new(layer.diff_id.algorithm());
    let mut buf = vec![0u8; CHUNK];
    let mut left = layer.size;
    while left > 0 {
        let want = (left as usize).min(CHUNK);
        let n = file.read(&mut buf[..want]).map_err(|e| io_error(path, e))?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Io,
                format!("{}: ends early", path.display()),
            ));
        }
        hasher.update(&buf[..n]);
        gz.write_all(&buf[..n]).map_err(|e| write_error(path, e))?;
        left -= n as u64;
    }
    hasher.finish().expect_equal(&layer.diff_id)?;
    gz.finish().map_err(|e| write_error(path, e))?;
    Ok(())
}

fn write_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("gzipping a layer of {}: {e}", path.display()),
    )
}

/// Counts and hashes what it is given; fails once `stopped` is raised.
struct Measure {
    hasher: Hasher,
    size: u64,
    stopped: Arc<AtomicBool>,
}

impl Write for Measure {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.stopped.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("cancelled"));
        }
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hands chunks of [`CHUNK`] bytes to the stream; fails once its reader
/// has gone (the copy was cancelled or failed), which stops the work.
struct Channel {
    tx: tokio::sync::mpsc::Sender<Result<Bytes>>,
    buf: Vec<u8>,
}

impl Channel {
    fn send(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| Error::new(ErrorKind::Cancelled, "the layer's reader has gone"))
    }
}

impl Write for Channel {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let take = buf.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&buf[..take]);
        if self.buf.len() == CHUNK {
            self.send()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
