//! One image signature, in the two formats containers/image knows
//! (`internal/signature`): "simple signing" (an OpenPGP-signed JSON
//! document, stored in lookasides as its bare bytes) and sigstore (a payload
//! with a MIME type and annotations, stored as a layer of the
//! `sha256-<hex>.sig` manifest), and the lookaside blob format that tells
//! them apart.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The largest signature read or written, in bytes (containers/image's
/// `MaxSignatureBodySize`): 4 MiB.
pub const MAX_SIGNATURE_SIZE: usize = 4 * 1024 * 1024;

/// The most signatures one image may have in a lookaside or in its
/// sigstore attachment manifest (containers/image reads at most 128 from a
/// lookaside).
pub const MAX_SIGNATURES: usize = 128;

/// The media type of cosign's simple-signing payloads (the layers of a
/// `.sig` manifest).
pub const SIGSTORE_PAYLOAD_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The annotation holding a sigstore signature (base64).
pub const SIGSTORE_SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding a sigstore signing certificate (PEM).
pub const SIGSTORE_CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding a sigstore certificate chain (PEM).
pub const SIGSTORE_CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The annotation holding a sigstore transparency-log bundle (JSON).
pub const SIGSTORE_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// The format names of containers/image's prefixed blob format
/// (`\0<format>\n<data>`).
const SIMPLE_SIGNING_FORMAT: &[u8] = b"simple-signing";
const SIGSTORE_FORMAT: &[u8] = b"sigstore-json";

/// An image signature. Its content is untrusted: ocireg stores and moves
/// signatures, it does not verify them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// A "simple signing" signature: the bytes of an OpenPGP message
    /// signing a JSON document that names the image (what `skopeo copy
    /// --sign-by` and `skopeo standalone-sign` write to a lookaside).
    SimpleSigning(Vec<u8>),
    /// A sigstore signature, as cosign stores it in a `.sig` manifest: the
    /// layer's payload, its media type and its annotations (the signature
    /// itself is in `dev.cosignproject.cosign/signature`).
    Sigstore {
        /// The payload's media type (normally
        /// [`SIGSTORE_PAYLOAD_MEDIA_TYPE`]).
        mime_type: String,
        /// The payload: the signed document.
        payload: Vec<u8>,
        /// The layer's annotations.
        annotations: BTreeMap<String, String>,
    },
}

/// The JSON form of a sigstore signature in a lookaside blob (after
/// `\0sigstore-json\n`), as containers/image writes it.
#[derive(Serialize, Deserialize)]
struct SigstoreJson {
    #[serde(rename = "mimeType")]
    mime_type: String,
    /// base64, as Go's `encoding/json` writes a `[]byte`.
    payload: String,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

impl Signature {
    /// A stable lower-case name of the kind: `simple-signing` or `sigstore`.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Signature::SimpleSigning(_) => "simple-signing",
            Signature::Sigstore { .. } => "sigstore",
        }
    }

    /// The signature's main bytes: the simple-signing blob, or the sigstore
    /// payload.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        match self {
            Signature::SimpleSigning(bytes) => bytes,
            Signature::Sigstore { payload, .. } => payload,
        }
    }

    /// Refuses a signature that ocireg would not read back: empty, or
    /// larger than [`MAX_SIGNATURE_SIZE`].
    pub fn check_size(&self) -> Result<()> {
        let len = self.bytes().len();
        if len == 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("a {} signature is empty", self.kind_name()),
            ));
        }
        if len > MAX_SIGNATURE_SIZE {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "a {} signature of {len} bytes is larger than the {MAX_SIGNATURE_SIZE} bytes allowed",
                    self.kind_name()
                ),
            ));
        }
        Ok(())
    }

    /// The bytes stored in a lookaside file, as containers/image's
    /// `signature.Blob`: a simple-signing signature as it is, any other
    /// format as `\0<format>\n<data>`.
    pub fn to_lookaside_blob(&self) -> Result<Vec<u8>> {
        match self {
            Signature::SimpleSigning(bytes) => Ok(bytes.clone()),
            Signature::Sigstore {
                mime_type,
                payload,
                annotations,
            } => {
                let json = SigstoreJson {
                    mime_type: mime_type.clone(),
                    payload: base64::engine::general_purpose::STANDARD.encode(payload),
                    annotations: Some(annotations.clone()),
                };
                let chunk = serde_json::to_vec(&json).map_err(|e| {
                    Error::new(
                        ErrorKind::Internal,
                        format!("encoding a sigstore signature: {e}"),
                    )
                })?;
                let mut blob = Vec::with_capacity(chunk.len() + SIGSTORE_FORMAT.len() + 2);
                blob.push(0);
                blob.extend_from_slice(SIGSTORE_FORMAT);
                blob.push(b'\n');
                blob.extend_from_slice(&chunk);
                Ok(blob)
            }
        }
    }

    /// Parses a lookaside file, as containers/image's `signature.FromBlob`:
    /// bare OpenPGP data (recognized by its first packet) is simple signing;
    /// `\0<format>\n<data>` names its format. Anything else (an HTML error
    /// page, say) is a `PROTOCOL` error.
    pub fn from_lookaside_blob(blob: &[u8]) -> Result<Signature> {
        let invalid = |why: String| Error::new(ErrorKind::Protocol, why);
        let Some(&first) = blob.first() else {
            return Err(invalid("the signature is empty".into()));
        };
        if is_openpgp_start(first) {
            return Ok(Signature::SimpleSigning(blob.to_vec()));
        }
        if first != 0 {
            return Err(invalid(format!(
                "unrecognized signature format, starting with byte {first:#04x}"
            )));
        }
        let rest = &blob[1..];
        let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
            return Err(invalid(
                "invalid signature format: no newline after the format name".into(),
            ));
        };
        let (format, data) = (&rest[..newline], &rest[newline + 1..]);
        if let Some(bad) = format.iter().find(|b| !(32..0x7f).contains(*b)) {
            return Err(invalid(format!(
                "invalid signature format: byte {bad:#04x} in the format name"
            )));
        }
        match format {
            SIMPLE_SIGNING_FORMAT => Ok(Signature::SimpleSigning(data.to_vec())),
            SIGSTORE_FORMAT => {
                let json: SigstoreJson = serde_json::from_slice(data).map_err(|e| {
                    invalid(format!("invalid sigstore signature in a lookaside: {e}"))
                })?;
                let payload = base64::engine::general_purpose::STANDARD
                    .decode(json.payload.as_bytes())
                    .map_err(|e| {
                        invalid(format!("invalid sigstore signature payload (base64): {e}"))
                    })?;
                Ok(Signature::Sigstore {
                    mime_type: json.mime_type,
                    payload,
                    annotations: json.annotations.unwrap_or_default(),
                })
            }
            other => Err(invalid(format!(
                "unrecognized signature format {:?}",
                String::from_utf8_lossy(other)
            ))),
        }
    }
}

/// Whether `first` starts an OpenPGP message as containers/image
/// recognizes it: a compressed-data, one-pass-signature or signature packet
/// in the old or new packet format.
fn is_openpgp_start(first: u8) -> bool {
    matches!(
        first,
        // compressed data (tag 8): old format, any length type; new format
        0xA0..=0xA3 | 0xC8
        // one-pass signature (tag 4): old format (containers/image lists
        // 0x3d where 0x93 is meant; both are accepted), new format
        | 0x90..=0x93 | 0x3d | 0xC4
        // signature (tag 2): old format, new format
        | 0x88..=0x8B | 0xC2
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openpgp_bytes_are_simple_signing_as_they_are() {
        let blob = vec![0xA3, 1, 2, 3];
        let sig = Signature::from_lookaside_blob(&blob).unwrap();
        assert_eq!(sig, Signature::SimpleSigning(blob.clone()));
        assert_eq!(sig.to_lookaside_blob().unwrap(), blob);
    }

    #[test]
    fn prefixed_simple_signing_is_unwrapped() {
        let sig = Signature::from_lookaside_blob(b"\0simple-signing\n\x89abc").unwrap();
        assert_eq!(sig, Signature::SimpleSigning(b"\x89abc".to_vec()));
    }

    #[test]
    fn sigstore_round_trips_through_the_prefixed_format() {
        let sig = Signature::Sigstore {
            mime_type: SIGSTORE_PAYLOAD_MEDIA_TYPE.into(),
            payload: b"{\"critical\":{}}".to_vec(),
            annotations: BTreeMap::from([(
                SIGSTORE_SIGNATURE_ANNOTATION.to_string(),
                "MEUCIQ==".to_string(),
            )]),
        };
        let blob = sig.to_lookaside_blob().unwrap();
        assert!(blob.starts_with(b"\0sigstore-json\n{"));
        assert_eq!(Signature::from_lookaside_blob(&blob).unwrap(), sig);
    }

    #[test]
    fn html_and_unknown_formats_are_refused() {
        for (blob, says) in [
            (&b"<html>not found</html>"[..], "starting with byte 0x3c"),
            (b"", "empty"),
            (b"\0nope\ndata", "unrecognized signature format \"nope\""),
            (b"\0no newline", "no newline"),
            (b"\0bad\x01\ndata", "byte 0x01"),
            (b"\0sigstore-json\n{", "invalid sigstore"),
        ] {
            let e = Signature::from_lookaside_blob(blob).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Protocol);
            assert!(e.message().contains(says), "{}", e.message());
        }
    }

    #[test]
    fn sizes_are_bounded() {
        assert!(
            Signature::SimpleSigning(vec![0x89; 10])
                .check_size()
                .is_ok()
        );
        let e = Signature::SimpleSigning(vec![]).check_size().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = Signature::SimpleSigning(vec![0x89; MAX_SIGNATURE_SIZE + 1])
            .check_size()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SizeExceeded);
    }
}
