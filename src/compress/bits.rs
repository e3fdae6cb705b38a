//! An LSB-first bit sink over a byte vector: what deflate writes.

use super::huffman::Code;

/// Bits accumulate in a 64-bit register and leave six bytes at a time.
pub(super) struct BitSink {
    pub out: Vec<u8>,
    bits: u64,
    nbits: u32,
}

impl BitSink {
    pub fn new() -> Self {
        BitSink {
            out: Vec::new(),
            bits: 0,
            nbits: 0,
        }
    }

    /// Appends the low `n` bits of `value` (at most 16 at a time).
    pub fn put(&mut self, value: u64, n: u8) {
        self.bits |= value << self.nbits;
        self.nbits += u32::from(n);
        if self.nbits >= 48 {
            self.out.extend_from_slice(&self.bits.to_le_bytes()[..6]);
            self.bits >>= 48;
            self.nbits -= 48;
        }
    }

    /// Appends a Huffman code.
    pub fn code(&mut self, code: Code) {
        self.put(u64::from(code.bits), code.len);
    }

    /// Pads with zero bits to a byte boundary and moves everything to `out`.
    pub fn align(&mut self) {
        while self.nbits > 0 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits = self.nbits.saturating_sub(8);
        }
        self.bits = 0;
    }

    /// Appends whole bytes; the sink must be byte aligned.
    pub fn put_bytes(&mut self, bytes: &[u8]) {
        self.align();
        self.out.extend_from_slice(bytes);
    }
}
