//! One check per fuzz target: each must never panic on any input except
//! through its own assertions, which state what must always hold.

use std::path::{Component, Path};

use ocireg::descriptor::{Index, ManifestFields};
use ocireg::fuzzing::{next_link, parse_challenges};
use ocireg::image::{LayoutIndex, OciLayout};
use reqwest::Url;

/// What parses as a reference prints as one that parses to the same.
pub fn reference(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(r) = ocireg::Reference::parse(text)
    {
        let again = ocireg::Reference::parse(&r.to_string());
        assert_eq!(again.ok().as_ref(), Some(&r), "{text:?}");
    }
}

/// Challenge schemes and parameter names come out lower-case.
pub fn challenge(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let values: Vec<&str> = text.split('\n').collect();
        for c in parse_challenges(&values) {
            assert_eq!(c.scheme, c.scheme.to_ascii_lowercase());
            for (name, _) in &c.params {
                assert_eq!(*name, name.to_ascii_lowercase());
            }
        }
    }
}

/// A next link is always http or https.
pub fn link(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let Ok(base) = Url::parse("https://registry.example/v2/_catalog?n=10") else {
            return;
        };
        let values: Vec<&str> = text.split('\n').collect();
        if let Ok(Some(next)) = next_link(&values, &base) {
            assert!(matches!(next.scheme(), "http" | "https"), "{next}");
        }
    }
}

/// Digests taken from manifests and indexes are validated hex.
pub fn manifest(data: &[u8]) {
    if let Ok(fields) = serde_json::from_slice::<ManifestFields>(data) {
        let all = fields
            .config
            .into_iter()
            .chain(fields.layers.unwrap_or_default())
            .chain(fields.manifests.unwrap_or_default())
            .chain(fields.subject);
        for d in all {
            if let Ok(digest) = ocireg::Digest::parse(&d.digest) {
                assert!(digest.hex().bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
    }
    let _ = serde_json::from_slice::<Index>(data);
}

/// Blob paths derived from a layout's `index.json` stay inside the layout.
pub fn layout_index(data: &[u8]) {
    if let Ok(index) = serde_json::from_slice::<LayoutIndex>(data) {
        let layout = OciLayout::at(Path::new("/layout"));
        for d in index.manifests {
            if let Ok(digest) = ocireg::Digest::parse(&d.digest) {
                let path = layout.blob_path(&digest);
                assert!(path.starts_with("/layout/blobs"), "{}", path.display());
                assert!(
                    path.components()
                        .all(|c| !matches!(c, Component::ParentDir))
                );
            }
        }
    }
}
