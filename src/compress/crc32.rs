//! CRC-32 (IEEE 802.3, as gzip's trailer wants it), eight bytes a step.

const POLY: u32 = 0xedb8_8320;

const TABLES: [[u32; 256]; 8] = {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut k = 1;
        while k < 8 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            k += 1;
        }
        i += 1;
    }
    t
};

/// A running CRC-32.
#[derive(Default)]
pub(super) struct Crc32(u32);

impl Crc32 {
    pub fn update(&mut self, data: &[u8]) {
        let mut crc = !self.0;
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            crc = TABLES[7][(lo & 0xff) as usize]
                ^ TABLES[6][((lo >> 8) & 0xff) as usize]
                ^ TABLES[5][((lo >> 16) & 0xff) as usize]
                ^ TABLES[4][(lo >> 24) as usize]
                ^ TABLES[3][usize::from(c[4])]
                ^ TABLES[2][usize::from(c[5])]
                ^ TABLES[1][usize::from(c[6])]
                ^ TABLES[0][usize::from(c[7])];
        }
        for &b in chunks.remainder() {
            crc = TABLES[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
        }
        self.0 = !crc;
    }

    pub fn value(&self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Crc32;

    #[test]
    fn check_value() {
        let mut c = Crc32::default();
        c.update(b"12345");
        c.update(b"6789");
        assert_eq!(c.value(), 0xcbf4_3926);
    }
}
