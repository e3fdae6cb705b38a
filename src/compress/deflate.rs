//! One independently compressed piece of a parallel gzip stream: a raw
//! deflate stream primed with the previous piece's tail, split into 64 KiB
//! windows, ended with a sync flush (and, for the last piece, an empty
//! final block) — klauspost/compress's `Writer` at its default level, as
//! pgzip drives it (`ResetDict`, `Write`, `Flush`, `Close`).

use super::block_writer::BlockWriter;
use super::level5::MatchFinder;
use super::tokens::{MAX_WINDOW, Tokens};

/// Windows shorter than this (only a piece's last) are not searched.
const TINY_WINDOW: usize = 128;
/// Windows up to this are stored as they are.
const STORE_TINY: usize = 32;

/// Reusable state for compressing pieces one after another.
pub(super) struct PieceCompressor {
    finder: MatchFinder,
    tokens: Tokens,
}

impl PieceCompressor {
    pub fn new() -> Self {
        PieceCompressor {
            finder: MatchFinder::new(),
            tokens: Tokens::new(),
        }
    }

    /// The deflate bytes of `data`, which follows `dict` in the input.
    /// `last` ends the deflate stream.
    pub fn compress(&mut self, dict: &[u8], data: &[u8], last: bool) -> Vec<u8> {
        let mut writer = BlockWriter::new();
        self.finder.start();
        if !dict.is_empty() {
            // Prime the history and tables; the tokens are thrown away.
            self.tokens.clear();
            self.finder.encode(&mut self.tokens, dict);
        }
        let windows = data.chunks(MAX_WINDOW);
        let count = windows.len();
        for (i, window) in windows.enumerate() {
            self.window(&mut writer, window, i + 1 == count);
        }
        // Sync flush: an empty stored block ends on a byte boundary.
        writer.stored_header(0, false);
        writer.align();
        if last {
            writer.stored_header(0, true);
        }
        writer.sink.out
    }

    fn window(&mut self, writer: &mut BlockWriter, window: &[u8], sync: bool) {
        if window.len() < TINY_WINDOW {
            if window.len() <= STORE_TINY {
                writer.stored(window, false);
            } else {
                writer.literals_only(window, true);
            }
            return;
        }
        self.tokens.clear();
        self.finder.encode(&mut self.tokens, window);
        let n = self.tokens.len();
        if n == 0 {
            writer.stored(window, false);
        } else if n > window.len() - (window.len() >> 4) {
            // Matches removed less than 1/16 of the bytes.
            writer.literals_only(window, sync);
        } else {
            writer.dynamic(&mut self.tokens, window, sync);
        }
    }
}
