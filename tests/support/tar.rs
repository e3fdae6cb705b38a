//! Tar archives written by hand, as a hostile writer could make them: no
//! checks at all (names under 100 bytes, any type flag, any link target).

/// One tar entry of a test archive: name, type flag, contents, link target.
pub struct Entry<'a> {
    pub name: &'a str,
    pub kind: u8,
    pub data: &'a [u8],
    pub link: &'a str,
}

/// A regular file entry.
pub fn file<'a>(name: &'a str, data: &'a [u8]) -> Entry<'a> {
    Entry {
        name,
        kind: b'0',
        data,
        link: "",
    }
}

/// A ustar header for a member `name` of type `kind` claiming `len` bytes.
pub fn header(name: &str, kind: u8, len: usize, link: &str) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{len:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A ustar archive of `entries`, in order, with the two zero blocks at the end.
pub fn tar_of(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(e.name, e.kind, e.data.len(), e.link));
        out.extend_from_slice(e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// A plain tar layer holding one file, `file-<seed>.bin`, of `len`
/// deterministic bytes (umoci and docker can unpack it).
pub fn layer(seed: u64, len: usize) -> Vec<u8> {
    let data = super::content::bytes(seed, len);
    tar_of(&[file(&format!("file-{seed}.bin"), &data)])
}
