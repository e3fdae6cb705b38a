//! Content digests (`sha256:<64 hex>`, `sha512:<128 hex>`) and the hasher
//! that verifies bytes as they pass.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{Error, ErrorKind, Result};

/// A hash algorithm a digest may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// SHA-256, the registry default.
    Sha256,
    /// SHA-512, allowed by the OCI image spec.
    Sha512,
}

impl Algorithm {
    /// The name used in digest strings.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A validated content digest such as `sha256:e3b0c4...`.
///
/// Only lower-case hex of the exact length is accepted, so a digest is
/// always safe to use as a file name or URL path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    text: String,
}

impl Digest {
    /// Parses and validates a digest string.
    pub fn parse(s: &str) -> Result<Digest> {
        let invalid = |why: &str| Error::new(ErrorKind::InvalidDigest, format!("{why}: {s:?}"));
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| invalid("digest has no ':'"))?;
        let alg = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(invalid("unsupported digest algorithm")),
        };
        if hex.len() != alg.hex_len() {
            return Err(invalid("digest has the wrong length"));
        }
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid("digest is not lower-case hex"));
        }
        Ok(Digest {
            text: s.to_string(),
        })
    }

    /// The SHA-256 digest of `data`.
    #[must_use]
    pub fn sha256_of(data: &[u8]) -> Digest {
        let mut h = Hasher::new(Algorithm::Sha256);
        h.update(data);
        h.finish()
    }

    /// The algorithm part.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        if self.text.starts_with("sha512:") {
            Algorithm::Sha512
        } else {
            Algorithm::Sha256
        }
    }

    /// The hex part, after the colon.
    #[must_use]
    pub fn hex(&self) -> &str {
        self.text.split_once(':').map_or("", |(_, h)| h)
    }

    /// The whole digest string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Checks that `data` hashes to this digest.
    pub fn verify(&self, data: &[u8]) -> Result<()> {
        let mut h = Hasher::new(self.algorithm());
        h.update(data);
        h.finish().expect_equal(self)
    }

    /// Fails with `DIGEST_MISMATCH` unless `self` (computed) equals `expected`.
    pub fn expect_equal(&self, expected: &Digest) -> Result<()> {
        if self == expected {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::DigestMismatch,
                format!("content hashes to {self}, expected {expected}"),
            ))
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Digest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Digest> {
        Digest::parse(s)
    }
}

/// An incremental hasher for one algorithm: feed bytes as they pass, then
/// [`Hasher::finish`].
#[derive(Clone)]
pub enum Hasher {
    /// SHA-256 state.
    Sha256(Sha256),
    /// SHA-512 state.
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh hasher for `alg`.
    #[must_use]
    pub fn new(alg: Algorithm) -> Hasher {
        match alg {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    /// The algorithm this hasher computes.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Hasher::Sha256(_) => Algorithm::Sha256,
            Hasher::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// The digest of everything fed.
    #[must_use]
    pub fn finish(self) -> Digest {
        let (alg, bytes) = match self {
            Hasher::Sha256(h) => ("sha256", h.finalize().to_vec()),
            Hasher::Sha512(h) => ("sha512", h.finalize().to_vec()),
        };
        Digest {
            text: format!("{alg}:{}", to_hex(&bytes)),
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hashes_empty_input() {
        assert_eq!(Digest::sha256_of(b"").as_str(), EMPTY);
    }

    #[test]
    fn parses_and_rejects() {
        let d = Digest::parse(EMPTY).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha256);
        assert_eq!(d.hex().len(), 64);
        for bad in [
            "",
            "sha256",
            "sha256:",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:../../../../etc/passwd",
            &EMPTY[..EMPTY.len() - 1],
        ] {
            let e = Digest::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidDigest, "{bad}");
        }
    }

    #[test]
    fn verify_detects_mismatch() {
        let d = Digest::parse(EMPTY).unwrap();
        assert!(d.verify(b"").is_ok());
        assert_eq!(
            d.verify(b"x").unwrap_err().kind(),
            ErrorKind::DigestMismatch
        );
    }
}
