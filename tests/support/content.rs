//! Deterministic test content.

/// Returns `len` pseudo-random bytes derived from `seed` (xorshift64*).
///
/// The same `(seed, len)` always gives the same bytes, and a longer output
/// starts with the shorter one, so tests can regenerate expected content.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    // A zero state would stay zero forever; mix the seed so 0 is usable too.
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    if state == 0 {
        state = 0x2545_F491_4F6C_DD1D;
    }
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.truncate(len);
    out
}
