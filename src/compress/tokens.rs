//! The symbols a deflate block is made of — literals, back-references and
//! the end-of-block marker — with the histograms the block writer chooses
//! its codes from and the entropy estimate it compares table costs with.

/// The largest block the compressor works on at once (the longest stored
/// block deflate allows).
pub(super) const MAX_WINDOW: usize = 65535;
/// Literal/length alphabet size: 256 literals, end of block, 29 lengths.
pub(super) const LITERAL_COUNT: usize = 286;
/// Distance alphabet size.
pub(super) const OFFSET_CODE_COUNT: usize = 30;
/// The end-of-block symbol.
pub(super) const END_OF_BLOCK: usize = 256;
/// Shortest match length deflate encodes.
pub(super) const BASE_MATCH_LENGTH: u32 = 3;
/// Longest match length deflate encodes.
pub(super) const MAX_MATCH_LENGTH: u32 = 258;

/// Extra bits of each length code (code 257 + index).
pub(super) const LENGTH_EXTRA_BITS: [u8; 32] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0, 0, 0, 0,
];
/// Smallest `length - 3` of each length code.
pub(super) const LENGTH_BASE: [u8; 32] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224, 255, 0, 0, 0,
];
/// Extra bits of each distance code.
pub(super) const OFFSET_EXTRA_BITS: [u8; 32] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13, 14, 14,
];
/// Smallest `distance - 1` of each distance code.
pub(super) const OFFSET_BASE: [u32; 32] = [
    0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0006, 0x0008, 0x000c, 0x0010, 0x0018, 0x0020, 0x0030,
    0x0040, 0x0060, 0x0080, 0x00c0, 0x0100, 0x0180, 0x0200, 0x0300, 0x0400, 0x0600, 0x0800, 0x0c00,
    0x1000, 0x1800, 0x2000, 0x3000, 0x4000, 0x6000, 0x8000, 0xc000,
];

/// The length code (0..=28, i.e. symbol 257 + code) of `length - 3`.
pub(super) fn length_code(xlen: u8) -> usize {
    match xlen {
        0..=7 => usize::from(xlen),
        255 => 28,
        _ => {
            let log = 7 - xlen.leading_zeros() as usize;
            4 * (log - 1) + ((usize::from(xlen) >> (log - 2)) & 3)
        }
    }
}

/// The distance code of `distance - 1`.
pub(super) fn offset_code(xoff: u32) -> usize {
    if xoff < 4 {
        return xoff as usize;
    }
    let log = 31 - xoff.leading_zeros() as usize;
    2 * log + ((xoff as usize >> (log - 1)) & 1)
}

/// One deflate symbol.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Token {
    /// A byte as itself.
    Literal(u8),
    /// A back-reference: `length - 3` and `distance - 1`.
    Match { xlen: u8, xoff: u16 },
    /// The end of the block.
    EndOfBlock,
}

/// The tokens of one window and their histograms.
pub(super) struct Tokens {
    pub list: Vec<Token>,
    pub lit_hist: [u16; 256],
    /// Index 0 counts end-of-block markers, index `1 + c` length code `c`.
    pub extra_hist: [u16; 32],
    pub off_hist: [u16; 32],
}

impl Tokens {
    pub fn new() -> Self {
        Tokens {
            list: Vec::with_capacity(MAX_WINDOW + 1),
            lit_hist: [0; 256],
            extra_hist: [0; 32],
            off_hist: [0; 32],
        }
    }

    pub fn clear(&mut self) {
        self.list.clear();
        self.lit_hist = [0; 256];
        self.extra_hist = [0; 32];
        self.off_hist = [0; 32];
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn literal(&mut self, byte: u8) {
        self.list.push(Token::Literal(byte));
        self.lit_hist[usize::from(byte)] += 1;
    }

    pub fn literals(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.literal(b);
        }
    }

    pub fn end_of_block(&mut self) {
        self.list.push(Token::EndOfBlock);
        self.extra_hist[0] += 1;
    }

    /// A match of any length (at least 4) at `distance - 1 = xoff`, split
    /// into pieces of at most 258 so that no piece is shorter than 3.
    pub fn long_match(&mut self, mut length: u32, xoff: u32) {
        let ocode = offset_code(xoff);
        while length > 0 {
            let piece = match length {
                0..=MAX_MATCH_LENGTH => length,
                259..=261 => MAX_MATCH_LENGTH - BASE_MATCH_LENGTH,
                _ => MAX_MATCH_LENGTH,
            };
            length -= piece;
            let xlen = (piece - BASE_MATCH_LENGTH) as u8;
            self.extra_hist[1 + length_code(xlen)] += 1;
            self.off_hist[ocode] += 1;
            self.list.push(Token::Match {
                xlen,
                xoff: xoff as u16,
            });
        }
    }

    /// An estimate, in bits, of these tokens under codes made for them
    /// (a Shannon estimate with a fast float32 log2, plus extra bits).
    pub fn estimated_bits(&self) -> i64 {
        let mut shannon = 0f32;
        let mut bits = 0i64;
        let mut matches = 0i64;
        let total = self.list.len();
        if total > 0 {
            let inv_total = 1.0 / total as f32;
            for &v in &self.lit_hist {
                if v > 0 {
                    let n = f32::from(v);
                    shannon += at_least_one(-fast_log2(n * inv_total)) * n;
                }
            }
            shannon += 15.0;
            for (code, &v) in self.extra_hist[1..LITERAL_COUNT - 256].iter().enumerate() {
                if v > 0 {
                    let n = f32::from(v);
                    shannon += at_least_one(-fast_log2(n * inv_total)) * n;
                    bits += i64::from(LENGTH_EXTRA_BITS[code]) * i64::from(v);
                    matches += i64::from(v);
                }
            }
        }
        if matches > 0 {
            let inv_total = 1.0 / matches as f32;
            for (code, &v) in self.off_hist[..OFFSET_CODE_COUNT].iter().enumerate() {
                if v > 0 {
                    let n = f32::from(v);
                    shannon += at_least_one(-fast_log2(n * inv_total)) * n;
                    bits += i64::from(OFFSET_EXTRA_BITS[code]) * i64::from(v);
                }
            }
        }
        shannon as i64 + bits
    }
}

fn at_least_one(v: f32) -> f32 {
    v.clamp(1.0, 15.0)
}

/// log2 by the exponent and a quadratic on the mantissa, in float32 steps
/// (the estimate must round exactly as the reference does, so the constants
/// are written as the reference writes them).
#[allow(clippy::excessive_precision)]
fn fast_log2(val: f32) -> f32 {
    let mut ux = val.to_bits() as i32;
    let mut log2 = (((ux >> 23) & 255) - 128) as f32;
    ux &= !0x7f80_0000;
    ux += 127 << 23;
    let uval = f32::from_bits(ux as u32);
    log2 += ((-0.34484843_f32) * uval + 2.02466578_f32) * uval - 0.67487759_f32;
    log2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_codes_follow_rfc1951() {
        // (length, symbol) pairs from RFC 1951 3.2.5.
        for (length, symbol) in [
            (3, 257),
            (10, 264),
            (11, 265),
            (12, 265),
            (13, 266),
            (18, 268),
            (19, 269),
            (35, 273),
            (67, 277),
            (130, 280),
            (131, 281),
            (227, 284),
            (257, 284),
            (258, 285),
        ] {
            assert_eq!(
                257 + length_code((length - 3) as u8),
                symbol,
                "length {length}"
            );
            let code = length_code((length - 3) as u8);
            assert!(u32::from(LENGTH_BASE[code]) <= length - 3);
        }
    }

    #[test]
    fn offset_codes_follow_rfc1951() {
        for (distance, code) in [
            (1, 0),
            (4, 3),
            (5, 4),
            (6, 4),
            (7, 5),
            (9, 6),
            (13, 7),
            (17, 8),
            (25, 9),
            (257, 16),
            (24577, 29),
            (32768, 29),
        ] {
            assert_eq!(offset_code(distance - 1), code, "distance {distance}");
            assert!(OFFSET_BASE[code] < distance);
        }
    }
}
