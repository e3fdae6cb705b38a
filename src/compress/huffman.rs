//! Length-limited Huffman codes: from symbol frequencies to canonical
//! deflate codes, with the same tie-breaking as Go's compress/flate
//! (frequency, then symbol), so equal inputs give equal codes.

/// One symbol's code: `len` bits (0 when the symbol has no code), stored
/// bit-reversed, ready to be written LSB first.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(super) struct Code {
    pub bits: u16,
    pub len: u8,
}

impl Code {
    pub fn is_none(self) -> bool {
        self.len == 0 && self.bits == 0
    }
}

/// A code table for one alphabet.
#[derive(Clone)]
pub(super) struct Huffman {
    pub codes: Vec<Code>,
}

#[derive(Clone, Copy)]
struct Node {
    symbol: u16,
    freq: u16,
}

const SENTINEL: Node = Node {
    symbol: u16::MAX,
    freq: u16::MAX,
};

/// Per-level state of the package-merge style walk in [`bit_counts`].
#[derive(Clone, Copy, Default)]
struct Level {
    level: usize,
    last_freq: i32,
    next_char_freq: i32,
    next_pair_freq: i32,
    needed: i32,
}

impl Huffman {
    pub fn new(symbols: usize) -> Self {
        Huffman {
            codes: vec![Code::default(); symbols],
        }
    }

    /// Deflate's fixed literal/length code (RFC 1951 3.2.6).
    pub fn fixed_literals() -> Self {
        let codes = (0..super::tokens::LITERAL_COUNT as u16)
            .map(|ch| {
                let (bits, len) = match ch {
                    0..=143 => (ch + 48, 8),
                    144..=255 => (ch + 400 - 144, 9),
                    256..=279 => (ch - 256, 7),
                    _ => (ch + 192 - 280, 8),
                };
                Code {
                    bits: reverse(bits, len),
                    len,
                }
            })
            .collect();
        Huffman { codes }
    }

    /// Deflate's fixed distance code.
    pub fn fixed_offsets() -> Self {
        let codes = (0..super::tokens::OFFSET_CODE_COUNT as u16)
            .map(|ch| Code {
                bits: reverse(ch, 5),
                len: 5,
            })
            .collect();
        Huffman { codes }
    }

    /// Total bits of `freq` under this code.
    pub fn bit_length(&self, freq: &[u16]) -> i64 {
        freq.iter()
            .zip(&self.codes)
            .map(|(&f, c)| i64::from(f) * i64::from(c.len))
            .sum()
    }

    /// Like [`Huffman::bit_length`], or `i32::MAX` when a used symbol has
    /// no code here.
    pub fn reuse_bits(&self, freq: &[u16]) -> i64 {
        let mut total = 0;
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                let code = self.codes[i];
                if code.is_none() {
                    return i64::from(i32::MAX);
                }
                total += i64::from(f) * i64::from(code.len);
            }
        }
        total
    }

    /// Rebuilds the codes of symbols `0..freq.len()` for `freq`, no code
    /// longer than `max_bits`. Codes past `freq.len()` are left as they are.
    pub fn generate(&mut self, freq: &[u16], max_bits: usize) {
        let mut list: Vec<Node> = Vec::with_capacity(freq.len() + 1);
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                list.push(Node {
                    symbol: i as u16,
                    freq: f,
                });
            } else {
                self.codes[i] = Code::default();
            }
        }
        if list.len() <= 2 {
            for (i, node) in list.iter().enumerate() {
                self.codes[usize::from(node.symbol)] = Code {
                    bits: i as u16,
                    len: 1,
                };
            }
            return;
        }
        list.sort_unstable_by_key(|n| (n.freq, n.symbol));
        let counts = bit_counts(&mut list, max_bits);
        self.assign(&counts, &mut list);
    }

    /// Canonical codes: the most frequent symbols get the shortest codes,
    /// symbols of one length are numbered in symbol order.
    fn assign(&mut self, bit_counts: &[i32], mut list: &mut [Node]) {
        let mut code = 0u16;
        for (len, &count) in bit_counts.iter().enumerate() {
            code <<= 1;
            if len == 0 || count == 0 {
                continue;
            }
            let split = list.len() - count as usize;
            let (rest, chunk) = list.split_at_mut(split);
            chunk.sort_unstable_by_key(|n| n.symbol);
            for node in chunk.iter() {
                self.codes[usize::from(node.symbol)] = Code {
                    bits: reverse(code, len as u8),
                    len: len as u8,
                };
                code += 1;
            }
            list = rest;
        }
    }
}

/// How many symbols get each code length (index = length), for `list`
/// sorted by ascending frequency, lengths at most `max_bits` (Go's
/// compress/flate algorithm: a boundary package-merge over levels).
fn bit_counts(list: &mut Vec<Node>, max_bits: usize) -> Vec<i32> {
    let n = list.len();
    list.push(SENTINEL);
    let max_bits = max_bits.min(n - 1);
    let mut levels = [Level::default(); 18];
    let mut leaf_counts = [[0i32; 18]; 18];
    let l2f = i32::from(list[2].freq);
    let l1f = i32::from(list[1].freq);
    let l0f = i32::from(list[0].freq) + i32::from(list[1].freq);
    for level in 1..=max_bits {
        levels[level] = Level {
            level,
            last_freq: l1f,
            next_char_freq: l2f,
            next_pair_freq: if level == 1 { i32::MAX } else { l0f },
            needed: 0,
        };
        leaf_counts[level][level] = 2;
    }
    levels[max_bits].needed = 2 * n as i32 - 4;

    let mut level = max_bits;
    while level < 16 {
        let mut l = levels[level];
        if l.next_pair_freq == i32::MAX && l.next_char_freq == i32::MAX {
            // Nothing left at this level: pass an empty chain up.
            l.needed = 0;
            levels[level] = l;
            levels[level + 1].next_pair_freq = i32::MAX;
            level += 1;
            continue;
        }
        let prev_freq = l.last_freq;
        if l.next_char_freq < l.next_pair_freq {
            // The next leaf is lighter than the next pair: take the leaf.
            let taken = leaf_counts[level][level] + 1;
            l.last_freq = l.next_char_freq;
            leaf_counts[level][level] = taken;
            let next = list[taken as usize];
            l.next_char_freq = if next.symbol < u16::MAX {
                i32::from(next.freq)
            } else {
                i32::MAX
            };
        } else {
            // Take a pair from the level below, inheriting its leaf counts.
            l.last_freq = l.next_pair_freq;
            let save = leaf_counts[level][level];
            leaf_counts[level] = leaf_counts[level - 1];
            leaf_counts[level][level] = save;
            levels[l.level - 1].needed = 2;
        }
        l.needed -= 1;
        levels[level] = l;
        if l.needed == 0 {
            if l.level == max_bits {
                break;
            }
            levels[l.level + 1].next_pair_freq = prev_freq + l.last_freq;
            level += 1;
        } else {
            while levels[level - 1].needed > 0 {
                level -= 1;
            }
        }
    }
    list.pop();

    let mut counts = vec![0i32; max_bits + 1];
    let top = &leaf_counts[max_bits];
    for (bits, level) in (1..=max_bits).rev().enumerate() {
        counts[bits + 1] = top[level] - top[level - 1];
    }
    counts
}

/// `number`'s low `len` bits, reversed.
fn reverse(number: u16, len: u8) -> u16 {
    (number << ((16 - u32::from(len)) & 15)).reverse_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_literal_codes_are_rfc1951s() {
        let fixed = Huffman::fixed_literals();
        // 'A' (65) is 0x30 + 65 = 0b0111_0001 in 8 bits, written reversed.
        assert_eq!(
            fixed.codes[65],
            Code {
                bits: reverse(0x71, 8),
                len: 8
            }
        );
        assert_eq!(fixed.codes[256].len, 7);
        assert_eq!(fixed.codes[200].len, 9);
    }

    #[test]
    fn generated_codes_are_complete_prefix_codes_within_the_limit() {
        let mut freq = [0u16; 286];
        for (i, f) in freq.iter_mut().enumerate() {
            *f = ((i * 7919) % 1000) as u16;
        }
        freq[3] = 60000;
        let mut h = Huffman::new(286);
        h.generate(&freq, 15);
        let kraft: f64 = h
            .codes
            .iter()
            .filter(|c| c.len > 0)
            .map(|c| 2f64.powi(-i32::from(c.len)))
            .sum();
        assert!((kraft - 1.0).abs() < 1e-12, "kraft sum {kraft}");
        assert!(h.codes.iter().all(|c| c.len <= 15));
        assert_eq!(h.codes[0].len, 0, "a symbol never seen has no code");
    }
}
