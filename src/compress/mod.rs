//! gzip compression that reproduces, byte for byte, what skopeo 1.9.3
//! (Debian bookworm) writes when it compresses an uncompressed layer:
//! github.com/klauspost/pgzip v1.2.5 at its default level and block size
//! over github.com/klauspost/compress v1.15.12's flate, level 5. Registries
//! and layouts then get the same blobs, and so the same manifest digests,
//! from both tools. Only that one configuration is implemented.
//!
//! The algorithms are those of Go's `compress/flate` (BSD-3-Clause, The Go
//! Authors), Klaus Post's `compress/flate` (BSD-3-Clause) and `pgzip`
//! (MIT), re-expressed here: [`tokens`] (symbols and the entropy
//! estimate), [`huffman`] (code lengths and canonical codes), [`level5`]
//! (the match finder), [`block_writer`] (block types and table reuse),
//! [`deflate`] (one piece's deflate stream), [`gzip`] (the parallel
//! framing), with [`bits`] and [`crc32`] beneath. The tests compare the
//! output with the Go oracle in `tests/support/pgzip_oracle`.

mod bits;
mod block_writer;
mod crc32;
mod deflate;
mod gzip;
mod huffman;
mod level5;
mod tokens;

pub use gzip::GzipWriter;
