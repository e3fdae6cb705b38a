//! One blob over several connections at once: byte ranges fetched in
//! parallel and delivered in order (issue 16).
//!
//! A [`BlobDownload`] starts as one plain `GET` (the *head*). Under
//! [`RangedDownload::Auto`] it measures that connection over its first
//! [`PROBE_BYTES`] or [`PROBE_TIME`]; when the blob is large and the
//! connection slow (a per-connection bandwidth cap, a long round trip), the
//! head is cut one part further on and the rest is split into parts of at
//! most [`MAX_PART`] bytes, [`WINDOW`] of them in flight at once, each its
//! own `Range` request. Parts are collected in memory and handed out
//! strictly in order, so the caller hashes and writes a contiguous prefix
//! straight from the buffers: nothing is read back, and a killed run leaves
//! a plain prefix on disk that the next one continues (`image/pull.rs`).
//! Memory is bounded by the window (`WINDOW * MAX_PART`, 48 MiB).
//!
//! Every part holds one of the client's [`RANGED_PARTS`] permits (one
//! semaphore per client, shared by all its downloads) from before its
//! request until it is handed out, so that however many blobs move at
//! once, a client opens at most that many range connections (besides each
//! blob's one head) and buffers at most that many parts. Permits are taken
//! in order by the download's consumer: a part is requested only with a
//! permit in hand, and a download waits for one only when it has no part
//! left in flight, so the oldest part of every download always holds one
//! and the downloads cannot starve each other. A head that turns out slow
//! is split only when a permit is free; otherwise it goes on alone.
//!
//! A part must come back as `206` with exactly the asked `Content-Range`
//! (see `BlobReader::open_part`). When one does not (the registry ignores
//! `Range`, answers another range, or a part fails for good), the parts are
//! dropped and the download goes on over one connection from the first byte
//! not yet handed out. Wrong bytes inside a range are caught by the digest,
//! which the caller checks over the whole blob before it takes its place.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::Client;
use super::blob_reader::BlobReader;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::log::{LogLevel, log};
use crate::options::RangedDownload;
use crate::reference::Reference;

/// Under `Auto`, the smallest remainder worth splitting.
pub const AUTO_MIN_SIZE: u64 = 64 * 1024 * 1024;
/// How many bytes of the head are measured before deciding.
pub const PROBE_BYTES: u64 = 8 * 1024 * 1024;
/// The longest the head is measured before deciding.
pub const PROBE_TIME: Duration = Duration::from_secs(1);
/// A head slower than this (bytes per second) is split.
pub const SLOW_RATE: f64 = 64.0 * 1024.0 * 1024.0;
/// The largest part.
pub const MAX_PART: u64 = 8 * 1024 * 1024;
/// The smallest part (small blobs under `Always`).
pub const MIN_PART: u64 = 1024 * 1024;
/// How many parts of one blob are in flight or waiting to be handed out
/// at once.
pub const WINDOW: usize = 6;
/// How many parts one client has in flight or waiting to be handed out at
/// once, over all its downloads: its range connections are capped at this.
pub const RANGED_PARTS: usize = 16;

/// The client's permits for ranged parts (see the module documentation).
pub(crate) fn ranged_parts() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(RANGED_PARTS))
}

/// A part's bytes, with the permit it holds until it is handed out.
type Part = (Vec<Bytes>, OwnedSemaphorePermit);

/// A download of bytes `offset..size` of one blob, over one connection or
/// several; see the module documentation. Chunks come in order; the bytes
/// are not verified here (the caller hashes them as they pass).
pub(crate) struct BlobDownload {
    client: Client,
    reference: Reference,
    digest: Digest,
    size: u64,
    /// Bytes handed out so far, counted from the blob's start.
    position: u64,
    /// The single connection, while it is in use.
    head: Option<BlobReader>,
    /// Where the head stops once the rest was split.
    head_end: u64,
    /// The head's measurement, until the decision is taken.
    probe: Option<Probe>,
    /// The parts in flight, in order, and where the next one starts.
    parts: VecDeque<JoinHandle<Result<Part>>>,
    next_part: u64,
    part_size: u64,
    /// The chunks of the part being handed out.
    current: VecDeque<Bytes>,
    /// Whether any part was requested.
    split: bool,
}

/// The head's throughput so far: bytes over the time spent waiting for
/// them, not the time the caller took to take them (a copy whose upload is
/// slower than its source reads its head slowly, yet a split would not help).
struct Probe {
    started: Instant,
    bytes: u64,
    waited: Duration,
}

impl Client {
    /// Starts downloading bytes `offset..size` of blob `digest` of `size`
    /// bytes from the repository of `reference`, split into parallel
    /// ranges as `mode` says (the client's `ranged_download`, or `Off` to
    /// fetch again over one connection).
    pub(crate) async fn download_blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        (offset, size): (u64, u64),
        mode: RangedDownload,
    ) -> Result<BlobDownload> {
        let mut download = BlobDownload {
            client: self.clone(),
            reference: reference.clone(),
            digest: digest.clone(),
            size,
            position: offset,
            head: None,
            head_end: size,
            probe: None,
            parts: VecDeque::new(),
            next_part: size,
            part_size: part_size(size - offset.min(size)),
            current: VecDeque::new(),
            split: false,
        };
        if offset >= size {
            return Ok(download);
        }
        if mode == RangedDownload::Always && size - offset > download.part_size {
            let permit = download.permit().await?;
            download.start_parts(offset, permit);
        } else {
            download.open_head(offset).await?;
            if mode == RangedDownload::Auto && size - offset >= AUTO_MIN_SIZE {
                download.probe = Some(Probe {
                    started: Instant::now(),
                    bytes: 0,
                    waited: Duration::ZERO,
                });
            }
        }
        Ok(download)
    }
}

impl BlobDownload {
    /// Whether the blob was (at least in part) fetched as parallel ranges.
    pub fn was_split(&self) -> bool {
        self.split
    }

    /// The next bytes in order, or `None` after the last one.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        loop {
            if let Some(bytes) = self.current.pop_front() {
                self.position += bytes.len() as u64;
                return Ok(Some(bytes));
            }
            if self.position >= self.size {
                return Ok(None);
            }
            if self.head.is_some() {
                if let Some(bytes) = self.head_chunk().await? {
                    return Ok(Some(bytes));
                }
                // The head ended (or was cut right at a chunk's end).
                continue;
            }
            if self.parts.is_empty() && self.split && self.next_part < self.size {
                // Every permit is out: wait for one, in turn.
                let permit = self.permit().await?;
                self.launch_next(permit);
            }
            let Some(part) = self.parts.pop_front() else {
                // Every part was handed out: the sizes did not add up.
                return Err(Error::new(
                    ErrorKind::Internal,
                    format!(
                        "blob {}: ranges ended at {} of {} bytes",
                        self.digest, self.position, self.size
                    ),
                ));
            };
            match part.await {
                Ok(Ok((chunks, permit))) => {
                    self.current = chunks.into();
                    // Handed out: the part's permit may serve the next.
                    drop(permit);
                    self.top_up();
                }
                Ok(Err(e)) => self.fall_back(&e).await?,
                Err(e) => {
                    let e = Error::new(ErrorKind::Internal, format!("range task: {e}"));
                    self.fall_back(&e).await?;
                }
            }
        }
    }

    /// The head's next chunk (cut at `head_end`); `None` when it had
    /// nothing to hand out (it ended, or was cut at a chunk's end).
    async fn head_chunk(&mut self) -> Result<Option<Bytes>> {
        let Some(head) = self.head.as_mut() else {
            return Ok(None);
        };
        let asked = Instant::now();
        let Some(mut bytes) = head.chunk().await? else {
            self.head = None;
            return Ok(None);
        };
        let room = self.head_end - self.position;
        if bytes.len() as u64 >= room {
            bytes = bytes.slice(..room as usize);
            // Dropping the response mid-body closes its connection.
            self.head = None;
        }
        self.position += bytes.len() as u64;
        self.measure(bytes.len() as u64, asked.elapsed());
        Ok((!bytes.is_empty()).then_some(bytes))
    }

    /// Counts `n` more bytes of the head, which took `waited` to arrive;
    /// once the probe is over, splits the rest when the head was slow.
    fn measure(&mut self, n: u64, waited: Duration) {
        if let Some(probe) = self.probe.as_mut() {
            probe.bytes += n;
            probe.waited += waited;
            if probe.bytes < PROBE_BYTES && probe.started.elapsed() < PROBE_TIME {
                return;
            }
            let rate = probe.bytes as f64 / probe.waited.as_secs_f64().max(1e-6);
            self.probe = None;
            let rest = self.size - self.position;
            let part = part_size(rest);
            if rate < SLOW_RATE && rest > 2 * part && self.head.is_some() {
                let Ok(permit) = self.client.ranged_parts().try_acquire_owned() else {
                    // The client's range connections are all in use.
                    return;
                };
                let digest = &self.digest;
                log(LogLevel::Debug, || {
                    format!(
                        "blob {digest}: {:.1} MiB/s over one connection, \
                         fetching the rest in ranges",
                        rate / (1024.0 * 1024.0)
                    )
                });
                self.part_size = part;
                self.head_end = self.position + part;
                self.start_parts(self.head_end, permit);
            }
        }
    }

    /// Opens the single connection from `from` to the end.
    async fn open_head(&mut self, from: u64) -> Result<()> {
        let reference = &self.reference;
        let reader = if from == 0 {
            let mut reader = self.client.get_blob_direct(reference, &self.digest).await?;
            reader.expect_size(self.size)?;
            // The caller hashes (on its own thread, overlapped with receiving).
            reader.defer_verification();
            reader
        } else {
            self.client
                .get_blob_range_direct(reference, &self.digest, from, Some(self.size - from))
                .await?
        };
        self.head = Some(reader);
        self.head_end = self.size;
        Ok(())
    }

    /// Waits for one of the client's permits for a part.
    async fn permit(&self) -> Result<OwnedSemaphorePermit> {
        self.client
            .ranged_parts()
            .acquire_owned()
            .await
            .map_err(|e| Error::new(ErrorKind::Internal, format!("ranged parts: {e}")))
    }

    /// Requests the parts from `from` on: the first with `permit`, more up
    /// to the window while permits are free.
    fn start_parts(&mut self, from: u64, permit: OwnedSemaphorePermit) {
        self.split = true;
        self.next_part = from;
        self.launch_next(permit);
        self.top_up();
    }

    /// Requests more parts, up to the window, while permits are free.
    fn top_up(&mut self) {
        while self.split && self.parts.len() < WINDOW && self.next_part < self.size {
            let Ok(permit) = self.client.ranged_parts().try_acquire_owned() else {
                return;
            };
            self.launch_next(permit);
        }
    }

    /// Requests the next part with `permit`, if any is left.
    fn launch_next(&mut self, permit: OwnedSemaphorePermit) {
        if self.next_part >= self.size || !self.split {
            return;
        }
        let start = self.next_part;
        let len = self.part_size.min(self.size - start);
        self.next_part += len;
        let (client, reference, digest, total) = (
            self.client.clone(),
            self.reference.clone(),
            self.digest.clone(),
            self.size,
        );
        self.parts.push_back(tokio::spawn(async move {
            let mut reader = BlobReader::open_part(
                &client,
                reference.api_host(),
                reference.repository(),
                &digest,
                (start, len),
                total,
            )
            .await?;
            let mut chunks = Vec::new();
            let mut got = 0u64;
            while let Some(bytes) = reader.chunk().await? {
                got += bytes.len() as u64;
                chunks.push(bytes);
            }
            if got != len {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("blob {digest}: range at {start} gave {got} of {len} bytes"),
                ));
            }
            Ok((chunks, permit))
        }));
    }

    /// A part failed: drop the others and go on over one connection from
    /// the first byte not handed out.
    async fn fall_back(&mut self, error: &Error) -> Result<()> {
        let digest = &self.digest;
        log(LogLevel::Debug, || {
            format!(
                "blob {digest}: ranged download stopped ({error}); going on over one connection"
            )
        });
        for part in self.parts.drain(..) {
            part.abort();
        }
        self.next_part = self.size;
        self.open_head(self.position).await
    }
}

impl Drop for BlobDownload {
    fn drop(&mut self) {
        for part in self.parts.drain(..) {
            part.abort();
        }
    }
}

/// The part size for `rest` bytes: a sixteenth, within
/// [`MIN_PART`]..=[`MAX_PART`].
fn part_size(rest: u64) -> u64 {
    (rest / 16).clamp(MIN_PART, MAX_PART)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_a_sixteenth_within_bounds() {
        assert_eq!(part_size(0), MIN_PART);
        assert_eq!(part_size(4 * MIN_PART), MIN_PART);
        assert_eq!(part_size(32 * MIN_PART), 2 * MIN_PART);
        assert_eq!(part_size(1 << 30), MAX_PART);
    }
}
