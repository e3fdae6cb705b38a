//! Deflate blocks from tokens: the choice between a stored block, the
//! fixed code, a new dynamic table and continuing the previous block's
//! table, and the bits of each. The choices follow klauspost/compress's
//! `huffmanBitWriter` (v1.15.12) so that the output is byte-identical.

use super::bits::BitSink;
use super::huffman::{Code, Huffman};
use super::tokens::{
    END_OF_BLOCK, LENGTH_BASE, LENGTH_EXTRA_BITS, LITERAL_COUNT, MAX_WINDOW, OFFSET_BASE,
    OFFSET_CODE_COUNT, OFFSET_EXTRA_BITS, Token, Tokens, length_code, offset_code,
};

const CODEGEN_CODE_COUNT: usize = 19;
const CODEGEN_ORDER: [usize; CODEGEN_CODE_COUNT] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];
/// Below this many tokens the fixed code is worth pricing.
const MAX_PREDEFINED_TOKENS: usize = 250;
/// A new table must win by `size >> this` to replace a reusable one.
const LOG_NEW_TABLE_PENALTY: u32 = 7;
/// What a literal-only header is guessed to cost before it is built.
const GUESS_HEADER_BITS: i64 = 70 * 8;
/// Marks the end of the code-length sequence.
const BAD_CODE: u8 = 255;
/// Literal/length frequencies: 257 + 32 (the last three are never used).
const LITERAL_FREQ_LEN: usize = 257 + 32;

/// Writes blocks; a dynamic block may stay open across calls so that the
/// next window reuses its table.
pub(super) struct BlockWriter {
    pub sink: BitSink,
    /// Size in bits of the open block's header; 0 when no block is open.
    last_header: i64,
    /// The open block is a literal-only one.
    last_huffman: bool,
    literal_enc: Huffman,
    tmp_lit_enc: Huffman,
    offset_enc: Huffman,
    codegen_enc: Huffman,
    fixed_literals: Huffman,
    fixed_offsets: Huffman,
    /// The distance code of literal-only blocks (one unused code).
    huff_offset: Huffman,
    literal_freq: [u16; LITERAL_FREQ_LEN],
    offset_freq: [u16; 32],
    codegen_freq: [u16; CODEGEN_CODE_COUNT],
    codegen: Vec<u8>,
}

impl BlockWriter {
    pub fn new() -> Self {
        let mut huff_offset = Huffman::new(OFFSET_CODE_COUNT);
        let mut one = [0u16; OFFSET_CODE_COUNT];
        one[0] = 1;
        huff_offset.generate(&one, 15);
        BlockWriter {
            sink: BitSink::new(),
            last_header: 0,
            last_huffman: false,
            literal_enc: Huffman::new(LITERAL_COUNT),
            tmp_lit_enc: Huffman::new(LITERAL_COUNT),
            offset_enc: Huffman::new(OFFSET_CODE_COUNT),
            codegen_enc: Huffman::new(CODEGEN_CODE_COUNT),
            fixed_literals: Huffman::fixed_literals(),
            fixed_offsets: Huffman::fixed_offsets(),
            huff_offset,
            literal_freq: [0; LITERAL_FREQ_LEN],
            offset_freq: [0; 32],
            codegen_freq: [0; CODEGEN_CODE_COUNT],
            codegen: vec![0; LITERAL_COUNT + OFFSET_CODE_COUNT + 1],
        }
    }

    fn put_code(&mut self, code: Code) {
        self.sink.code(code);
    }

    /// Ends the open dynamic block, if any.
    fn close_open_block(&mut self) {
        if self.last_header > 0 {
            self.put_code(self.literal_enc.codes[END_OF_BLOCK]);
            self.last_header = 0;
        }
    }

    /// Ends any open block and pads to a byte boundary.
    pub fn align(&mut self) {
        self.close_open_block();
        self.sink.align();
    }

    /// A stored block's header (`len` bytes follow), or, for an empty final
    /// block, a fixed block holding only end-of-block.
    pub fn stored_header(&mut self, len: usize, last: bool) {
        self.close_open_block();
        if len == 0 && last {
            self.sink.put(3, 3);
            self.sink.put(0, 7);
            self.sink.align();
            return;
        }
        self.sink.put(u64::from(last), 3);
        self.sink.align();
        self.sink.put(len as u64, 16);
        self.sink.put(u64::from(!(len as u16)), 16);
    }

    /// A whole stored block.
    pub fn stored(&mut self, input: &[u8], last: bool) {
        self.stored_header(input.len(), last);
        self.sink.put_bytes(input);
    }

    fn fixed_header(&mut self, last: bool) {
        self.close_open_block();
        self.sink.put(if last { 3 } else { 2 }, 3);
    }

    fn stored_size(input: &[u8]) -> Option<i64> {
        (input.len() <= MAX_WINDOW).then_some((input.len() as i64 + 5) * 8)
    }

    fn index_tokens(&mut self, tokens: &Tokens, filled: bool) -> (usize, usize) {
        self.literal_freq[..256].copy_from_slice(&tokens.lit_hist);
        self.literal_freq[256..256 + 32].copy_from_slice(&tokens.extra_hist);
        self.offset_freq = tokens.off_hist;
        if tokens.len() == 0 {
            return (0, 0);
        }
        if filled {
            return (LITERAL_COUNT, OFFSET_CODE_COUNT);
        }
        let mut num_literals = LITERAL_FREQ_LEN;
        while self.literal_freq[num_literals - 1] == 0 {
            num_literals -= 1;
        }
        let mut num_offsets = 32;
        while num_offsets > 0 && self.offset_freq[num_offsets - 1] == 0 {
            num_offsets -= 1;
        }
        if num_offsets == 0 {
            // A table needs at least one distance code.
            self.offset_freq[0] = 1;
            num_offsets = 1;
        }
        (num_literals, num_offsets)
    }

    fn extra_bit_size(&self) -> i64 {
        let lengths: i64 = self.literal_freq[257..LITERAL_COUNT]
            .iter()
            .zip(LENGTH_EXTRA_BITS)
            .map(|(&n, e)| i64::from(n) * i64::from(e))
            .sum();
        let offsets: i64 = self.offset_freq[..OFFSET_CODE_COUNT]
            .iter()
            .zip(OFFSET_EXTRA_BITS)
            .map(|(&n, e)| i64::from(n) * i64::from(e))
            .sum();
        lengths + offsets
    }

    fn fixed_size(&self, extra_bits: i64) -> i64 {
        3 + self.fixed_literals.bit_length(&self.literal_freq)
            + self.fixed_offsets.bit_length(&self.offset_freq)
            + extra_bits
    }

    fn num_codegens(&self) -> usize {
        let mut n = CODEGEN_CODE_COUNT;
        while n > 4 && self.codegen_freq[CODEGEN_ORDER[n - 1]] == 0 {
            n -= 1;
        }
        n
    }

    fn header_size(&self) -> i64 {
        3 + 5
            + 5
            + 4
            + 3 * self.num_codegens() as i64
            + self.codegen_enc.bit_length(&self.codegen_freq)
            + i64::from(self.codegen_freq[16]) * 2
            + i64::from(self.codegen_freq[17]) * 3
            + i64::from(self.codegen_freq[18]) * 7
    }

    fn dynamic_size(&self, extra_bits: i64) -> i64 {
        self.header_size()
            + self.literal_enc.bit_length(&self.literal_freq)
            + self.offset_enc.bit_length(&self.offset_freq)
            + extra_bits
    }

    /// Can the open table code every symbol of `tokens`?
    fn can_reuse(&self, tokens: &Tokens) -> bool {
        let has_all = |hist: &[u16], codes: &[Code]| {
            hist.iter().zip(codes).all(|(&v, c)| v == 0 || !c.is_none())
        };
        has_all(
            &tokens.off_hist[..OFFSET_CODE_COUNT],
            &self.offset_enc.codes,
        ) && has_all(
            &tokens.extra_hist[..LITERAL_COUNT - 256],
            &self.literal_enc.codes[256..],
        ) && has_all(&tokens.lit_hist, &self.literal_enc.codes[..256])
    }

    /// Run-length codes the code lengths of both tables into `codegen`
    /// (RFC 1951 3.2.7), counting symbol use in `codegen_freq`.
    fn generate_codegen(&mut self, num_literals: usize, num_offsets: usize, offsets_of_huff: bool) {
        self.codegen_freq = [0; CODEGEN_CODE_COUNT];
        let offset_enc = if offsets_of_huff {
            &self.huff_offset
        } else {
            &self.offset_enc
        };
        let mut lengths: Vec<u8> = self.literal_enc.codes[..num_literals]
            .iter()
            .chain(&offset_enc.codes[..num_offsets])
            .map(|c| c.len)
            .collect();
        lengths.push(BAD_CODE);
        let out = &mut self.codegen;
        let freq = &mut self.codegen_freq;
        let mut out_index = 0;
        let mut emit = |v: u8, out: &mut Vec<u8>| {
            out[out_index] = v;
            out_index += 1;
        };
        let mut size = lengths[0];
        let mut count: i32 = 1;
        let mut in_index = 1;
        while size != BAD_CODE {
            let next = lengths[in_index];
            in_index += 1;
            if next == size {
                count += 1;
                continue;
            }
            if size != 0 {
                emit(size, out);
                freq[usize::from(size)] += 1;
                count -= 1;
                while count >= 3 {
                    let n = count.min(6);
                    emit(16, out);
                    emit((n - 3) as u8, out);
                    freq[16] += 1;
                    count -= n;
                }
            } else {
                while count >= 11 {
                    let n = count.min(138);
                    emit(18, out);
                    emit((n - 11) as u8, out);
                    freq[18] += 1;
                    count -= n;
                }
                if count >= 3 {
                    emit(17, out);
                    emit((count - 3) as u8, out);
                    freq[17] += 1;
                    count = 0;
                }
            }
            while count > 0 {
                emit(size, out);
                freq[usize::from(size)] += 1;
                count -= 1;
            }
            size = next;
            count = 1;
        }
        emit(BAD_CODE, out);
    }

    fn dynamic_header(
        &mut self,
        num_literals: usize,
        num_offsets: usize,
        num_codegens: usize,
        last: bool,
    ) {
        self.sink.put(if last { 5 } else { 4 }, 3);
        self.sink.put((num_literals - 257) as u64, 5);
        self.sink.put((num_offsets - 1) as u64, 5);
        self.sink.put((num_codegens - 4) as u64, 4);
        for &symbol in &CODEGEN_ORDER[..num_codegens] {
            self.sink
                .put(u64::from(self.codegen_enc.codes[symbol].len), 3);
        }
        let mut i = 0;
        loop {
            let word = self.codegen[i];
            i += 1;
            if word == BAD_CODE {
                break;
            }
            self.put_code(self.codegen_enc.codes[usize::from(word)]);
            let extra = match word {
                16 => 2,
                17 => 3,
                18 => 7,
                _ => continue,
            };
            self.sink.put(u64::from(self.codegen[i]), extra);
            i += 1;
        }
    }

    /// The tokens of a window: continues the open table when that is
    /// cheaper than a new one, else starts a block (dynamic, fixed or
    /// stored, the smallest). With `sync` the block is closed.
    pub fn dynamic(&mut self, tokens: &mut Tokens, input: &[u8], sync: bool) {
        if sync {
            tokens.end_of_block();
        }
        if self.last_huffman && self.last_header > 0 {
            self.close_open_block();
            self.last_huffman = false;
        }
        if self.last_header > 0 && !self.can_reuse(tokens) {
            self.close_open_block();
        }
        let (num_literals, num_offsets) = self.index_tokens(tokens, !sync);
        let stored = Self::stored_size(input);
        let extra_bits = if stored.is_some() || self.last_header > 0 {
            self.extra_bit_size()
        } else {
            0
        };

        if self.last_header > 0 {
            let mut new_size = self.last_header + tokens.estimated_bits();
            new_size += i64::from(self.literal_enc.codes[END_OF_BLOCK].len)
                + (new_size >> LOG_NEW_TABLE_PENALTY);
            let reuse_size = self.literal_enc.bit_length(&self.literal_freq)
                + self.offset_enc.bit_length(&self.offset_freq)
                + extra_bits;
            let size = if new_size < reuse_size {
                self.close_open_block();
                new_size
            } else {
                reuse_size
            };
            if tokens.len() < MAX_PREDEFINED_TOKENS && self.fixed_size(extra_bits) + 7 < size {
                self.fixed_or_stored(tokens, input, stored, size, sync);
                return;
            }
            if let Some(ssize) = stored
                && ssize <= size
            {
                self.stored(input, false);
                return;
            }
        }

        if self.last_header == 0 {
            self.literal_freq[END_OF_BLOCK] = 1;
            self.literal_enc
                .generate(&self.literal_freq[..LITERAL_COUNT], 15);
            self.offset_enc
                .generate(&self.offset_freq[..OFFSET_CODE_COUNT], 15);
            self.generate_codegen(num_literals, num_offsets, false);
            self.codegen_enc.generate(&self.codegen_freq, 7);
            let num_codegens = self.num_codegens();
            let size = self.dynamic_size(extra_bits);
            if tokens.len() < MAX_PREDEFINED_TOKENS {
                let pre_size = self.fixed_size(extra_bits);
                if pre_size <= size {
                    self.fixed_or_stored(tokens, input, stored, pre_size, sync);
                    return;
                }
            }
            if let Some(ssize) = stored
                && ssize <= size
            {
                self.stored(input, false);
                return;
            }
            self.dynamic_header(num_literals, num_offsets, num_codegens, false);
            if !sync {
                self.last_header = self.header_size();
            }
            self.last_huffman = false;
        }
        if sync {
            self.last_header = 0;
        }
        put_tokens(
            &mut self.sink,
            &tokens.list,
            &self.literal_enc.codes,
            &self.offset_enc.codes,
        );
    }

    /// The fixed code won: stored if that is no bigger still, else a fixed
    /// block (always closed).
    fn fixed_or_stored(
        &mut self,
        tokens: &mut Tokens,
        input: &[u8],
        stored: Option<i64>,
        size: i64,
        sync: bool,
    ) {
        if let Some(ssize) = stored
            && ssize <= size
        {
            self.stored(input, false);
            return;
        }
        self.fixed_header(false);
        if !sync {
            tokens.end_of_block();
        }
        put_tokens(
            &mut self.sink,
            &tokens.list,
            &self.fixed_literals.codes,
            &self.fixed_offsets.codes,
        );
    }

    /// A window coded with literals only (few matches found): stored when
    /// the bytes look uniform or the code would not pay, else continuing
    /// the open table or a new literal-only one.
    pub fn literals_only(&mut self, input: &[u8], sync: bool) {
        self.literal_freq = [0; LITERAL_FREQ_LEN];
        for &b in input {
            self.literal_freq[usize::from(b)] += 1;
        }
        let stored = Self::stored_size(input);
        if stored.is_some() && input.len() > 1024 {
            // Close to uniform: not worth coding.
            let mut abs = 0f64;
            let avg = input.len() as f64 / 256.0;
            let max = (input.len() * 2) as f64;
            for &v in &self.literal_freq[..256] {
                let diff = f64::from(v) - avg;
                abs += diff * diff;
                if abs > max {
                    break;
                }
            }
            if abs < max {
                self.stored(input, false);
                return;
            }
        }
        self.literal_freq[END_OF_BLOCK] = 1;
        self.tmp_lit_enc
            .generate(&self.literal_freq[..=END_OF_BLOCK], 15);
        let mut est_bits = self
            .tmp_lit_enc
            .reuse_bits(&self.literal_freq[..=END_OF_BLOCK]);
        if est_bits < i64::from(i32::MAX) {
            est_bits += self.last_header;
            if self.last_header == 0 {
                est_bits += GUESS_HEADER_BITS;
            }
            est_bits += est_bits >> LOG_NEW_TABLE_PENALTY;
        }
        if let Some(ssize) = stored
            && ssize <= est_bits
        {
            self.stored(input, false);
            return;
        }
        if self.last_header > 0 {
            let reuse_size = self.literal_enc.reuse_bits(&self.literal_freq[..256]);
            if est_bits < reuse_size {
                self.close_open_block();
            }
        }
        if self.last_header == 0 {
            std::mem::swap(&mut self.literal_enc, &mut self.tmp_lit_enc);
            self.generate_codegen(END_OF_BLOCK + 1, 1, true);
            self.codegen_enc.generate(&self.codegen_freq, 7);
            let num_codegens = self.num_codegens();
            self.dynamic_header(END_OF_BLOCK + 1, 1, num_codegens, false);
            self.last_huffman = true;
            self.last_header = self.header_size();
        }
        for &b in input {
            self.put_code(self.literal_enc.codes[usize::from(b)]);
        }
        if sync {
            self.put_code(self.literal_enc.codes[END_OF_BLOCK]);
            self.last_header = 0;
            self.last_huffman = false;
        }
    }
}

/// The bits of `tokens` under the given literal/length and distance codes.
fn put_tokens(sink: &mut BitSink, tokens: &[Token], literal: &[Code], offset: &[Code]) {
    for &token in tokens {
        match token {
            Token::Literal(b) => sink.code(literal[usize::from(b)]),
            Token::EndOfBlock => sink.code(literal[END_OF_BLOCK]),
            Token::Match { xlen, xoff } => {
                let lc = length_code(xlen);
                sink.code(literal[257 + lc]);
                if LENGTH_EXTRA_BITS[lc] > 0 {
                    sink.put(u64::from(xlen - LENGTH_BASE[lc]), LENGTH_EXTRA_BITS[lc]);
                }
                let oc = offset_code(u32::from(xoff));
                sink.code(offset[oc]);
                if OFFSET_EXTRA_BITS[oc] > 0 {
                    sink.put(
                        u64::from(u32::from(xoff) - OFFSET_BASE[oc]),
                        OFFSET_EXTRA_BITS[oc],
                    );
                }
            }
        }
    }
}
