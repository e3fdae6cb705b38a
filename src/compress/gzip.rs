//! gzip framing as github.com/klauspost/pgzip (v1.2.5) writes it: the
//! input cut into 1 MiB pieces, each compressed on its own thread with the
//! previous piece's last 16 KiB as dictionary and ended by a sync flush,
//! the pieces concatenated in order between a fixed header and the CRC-32
//! and size trailer. Memory is bounded by the pieces in flight, whatever
//! the input's size.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::crc32::Crc32;
use super::deflate::PieceCompressor;

/// Input bytes per piece.
pub const PIECE_SIZE: usize = 1 << 20;
/// How much of a piece primes the next one.
const TAIL_SIZE: usize = 16384;
/// ID1 ID2, deflate, no flags, the mtime Go's zero `time.Time` gives
/// (`uint32(-62135596800)`), no extra flags, OS "unknown".
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0x00, 0x09, 0x6e, 0x88, 0, 0xff];
/// Most compression threads per stream.
const MAX_THREADS: usize = 8;

struct Job {
    dict: Vec<u8>,
    data: Vec<u8>,
    last: bool,
    reply: SyncSender<Vec<u8>>,
}

/// A streaming, multi-threaded gzip writer producing pgzip's bytes.
/// Call [`GzipWriter::finish`] to end the stream; dropping it unfinished
/// leaves `out` truncated (the threads end with it).
pub struct GzipWriter<W: Write> {
    out: W,
    piece: Vec<u8>,
    /// The last [`TAIL_SIZE`] bytes of the previous piece, if it was longer.
    dict: Vec<u8>,
    crc: Crc32,
    size: u32,
    in_flight: VecDeque<Receiver<Vec<u8>>>,
    max_in_flight: usize,
    jobs: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl<W: Write> GzipWriter<W> {
    /// Starts a stream on `out` (the header is written at once), with as
    /// many threads as the machine has cores (at most 8).
    pub fn new(out: W) -> io::Result<Self> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS);
        Self::with_threads(out, threads)
    }

    /// Starts a stream compressing on `threads` threads.
    pub fn with_threads(mut out: W, threads: usize) -> io::Result<Self> {
        let threads = threads.max(1);
        out.write_all(&HEADER)?;
        let (jobs, queue) = sync_channel::<Job>(threads);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ocireg-gzip-{i}"))
                .spawn(move || {
                    let mut compressor = PieceCompressor::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let bytes = compressor.compress(&job.dict, &job.data, job.last);
                        // The writer may have gone away; nothing to do then.
                        let _ = job.reply.send(bytes);
                    }
                })?;
            workers.push(spawned);
        }
        Ok(GzipWriter {
            out,
            piece: Vec::with_capacity(PIECE_SIZE),
            dict: Vec::new(),
            crc: Crc32::default(),
            size: 0,
            in_flight: VecDeque::new(),
            max_in_flight: threads * 2,
            jobs: Some(jobs),
            workers,
        })
    }

    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        let data = std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE_SIZE));
        let next_dict = if data.len() > TAIL_SIZE {
            data[data.len() - TAIL_SIZE..].to_vec()
        } else {
            Vec::new()
        };
        let dict = std::mem::replace(&mut self.dict, next_dict);
        let (reply, result) = sync_channel(1);
        let job = Job {
            dict,
            data,
            last,
            reply,
        };
        let sent = match &self.jobs {
            Some(jobs) => jobs.send(job).is_ok(),
            None => false,
        };
        if !sent {
            return Err(io::Error::other("gzip: the compression threads stopped"));
        }
        self.in_flight.push_back(result);
        while self.in_flight.len() > self.max_in_flight {
            self.write_oldest()?;
        }
        Ok(())
    }

    fn write_oldest(&mut self) -> io::Result<()> {
        if let Some(result) = self.in_flight.pop_front() {
            let bytes = result
                .recv()
                .map_err(|_| io::Error::other("gzip: a compression thread failed"))?;
            self.out.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Ends the stream (last piece, trailer), stops the threads and
    /// returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.dispatch(true)?;
        while !self.in_flight.is_empty() {
            self.write_oldest()?;
        }
        let mut trailer = [0u8; 8];
        trailer[..4].copy_from_slice(&self.crc.value().to_le_bytes());
        trailer[4..].copy_from_slice(&self.size.to_le_bytes());
        self.out.write_all(&trailer)?;
        self.out.flush()?;
        // Closing the queue ends the threads; wait for them.
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        Ok(self.out)
    }
}

impl<W: Write> Write for GzipWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = PIECE_SIZE - self.piece.len();
        let take = buf.len().min(room);
        self.piece.extend_from_slice(&buf[..take]);
        self.crc.update(&buf[..take]);
        self.size = self.size.wrapping_add(take as u32);
        if self.piece.len() == PIECE_SIZE {
            self.dispatch(false)?;
        }
        Ok(take)
    }

    /// Writes out the pieces already compressed; a partial piece stays
    /// buffered (flushing it would change the bytes).
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
