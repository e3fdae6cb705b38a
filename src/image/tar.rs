//! A minimal streaming tar (ustar) writer: regular files and directories,
//! names under 100 bytes, sizes of any length (base-256 above the octal
//! limit).

use crate::error::{Error, ErrorKind, Result};

pub(crate) const BLOCK: usize = 512;

/// The 512-byte ustar header of a regular file.
pub(crate) fn header(name: &str, size: u64) -> Result<[u8; BLOCK]> {
    entry_header(name, size, b'0', 0o644)
}

/// The 512-byte ustar header of a directory (`name` ends with `/`).
pub(crate) fn dir_header(name: &str) -> Result<[u8; BLOCK]> {
    entry_header(name, 0, b'5', 0o755)
}

fn entry_header(name: &str, size: u64, kind: u8, mode: u64) -> Result<[u8; BLOCK]> {
    if name.len() >= 100 {
        return Err(Error::new(
            ErrorKind::Internal,
            format!("tar name too long: {name}"),
        ));
    }
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], mode);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    if size < 0o77_777_777_777 {
        octal(&mut h[124..136], size);
    } else {
        // GNU base-256: high bit set, big-endian value in the rest.
        h[124] = 0x80;
        h[128..136].copy_from_slice(&size.to_be_bytes());
    }
    octal(&mut h[136..148], 0);
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    // The checksum is computed with its own field as spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    Ok(h)
}

/// Zero bytes that pad a file of `size` bytes to a whole block.
pub(crate) fn padding(size: u64) -> usize {
    let rest = (size % BLOCK as u64) as usize;
    if rest == 0 { 0 } else { BLOCK - rest }
}

/// The end of an archive: two zero blocks. Its first [`padding`] bytes
/// pad a file to a whole block.
pub(crate) const END: [u8; BLOCK * 2] = [0; BLOCK * 2];

fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(&text.as_bytes()[text.len() - width..]);
    field[width] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_checksum() {
        let h = header("abc.json", 1234).unwrap();
        assert_eq!(&h[..8], b"abc.json");
        assert_eq!(&h[124..136], b"00000002322\0");
        assert_eq!(&h[257..262], b"ustar");
        let stored = std::str::from_utf8(&h[148..154]).unwrap();
        let mut copy = h;
        copy[148..156].copy_from_slice(b"        ");
        let sum: u64 = copy.iter().map(|b| u64::from(*b)).sum();
        assert_eq!(u64::from_str_radix(stored, 8).unwrap(), sum);
        assert_eq!(padding(1234), 512 - 1234 % 512);
        assert_eq!(padding(1024), 0);
        assert!(header(&"x".repeat(100), 1).is_err());
        let big = header("big", 20 * 1024 * 1024 * 1024).unwrap();
        assert_eq!(big[124], 0x80);
    }
}
