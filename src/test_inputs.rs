//! Inputs for the parsers' never-panic tests: known cases with a few bytes
//! replaced or inserted, and runs of bytes drawn mostly from an alphabet
//! biased towards a grammar's delimiters (the rest arbitrary), from a
//! small deterministic xorshift64* generator, so a failure replays.

/// A deterministic source of test inputs over one alphabet.
pub(crate) struct Inputs {
    state: u64,
    alphabet: &'static [u8],
}

impl Inputs {
    /// Inputs from the generator seeded with `seed` (not 0), drawing
    /// bytes from `alphabet` (not empty).
    pub fn new(seed: u64, alphabet: &'static [u8]) -> Inputs {
        Inputs {
            state: seed,
            alphabet,
        }
    }

    /// The generator's next number.
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (not 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `seeds` (not empty) with 1 to 4 alphabet bytes each replacing
    /// or inserted at a random place.
    pub fn mutated(&mut self, seeds: &[&str]) -> Vec<u8> {
        let mut bytes = seeds[self.below(seeds.len() as u64) as usize]
            .as_bytes()
            .to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(bytes.len() as u64 + 1) as usize;
            let b = self.alphabet[self.below(self.alphabet.len() as u64) as usize];
            if self.next().is_multiple_of(2) && at < bytes.len() {
                bytes[at] = b;
            } else {
                bytes.insert(at, b);
            }
        }
        bytes
    }

    /// `len` bytes: two in three from the alphabet, the others arbitrary.
    pub fn random(&mut self, len: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                let r = self.next();
                if r.is_multiple_of(3) {
                    (r >> 8) as u8
                } else {
                    self.alphabet[((r >> 8) % self.alphabet.len() as u64) as usize]
                }
            })
            .collect()
    }
}
