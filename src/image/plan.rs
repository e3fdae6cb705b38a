//! What an image operation moves: the manifests (children first) and the
//! blobs they name, each blob once.

use std::collections::HashSet;

use bytes::Bytes;

use super::options::ImageOptions;
use crate::client::{Client, Manifest};
use crate::descriptor::ManifestFields;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type;
use crate::reference::Reference;

/// A blob to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobRef {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
}

/// The manifests and blobs of one operation.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// What gets named or tagged: the index with `all_platforms`, else the
    /// image manifest (of the chosen platform).
    pub top: Manifest,
    /// Child manifests, to be written or pushed before `top`.
    pub children: Vec<Manifest>,
    /// Every blob, each once.
    pub blobs: Vec<BlobRef>,
}

impl Plan {
    /// Plans from a top manifest and a way to fetch children by digest
    /// (given the media type the index names).
    pub async fn build<F, Fut>(top: Manifest, options: &ImageOptions, fetch: F) -> Result<Plan>
    where
        F: Fn(Digest, String) -> Fut,
        Fut: std::future::Future<Output = Result<Manifest>>,
    {
        if !media_type::is_index(&top.media_type) {
            let blobs = blobs_of(&top)?;
            return Ok(Plan {
                top,
                children: Vec::new(),
                blobs,
            });
        }
        let fields = parse(&top.bytes)?;
        let entries = fields.manifests.unwrap_or_default();
        if !options.all_platforms {
            let platform = options.platform();
            let entry = platform.choose(&entries).ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("the index has no image for platform {platform}"),
                )
            })?;
            let child = fetch(parse_digest(&entry.digest)?, entry.media_type.clone()).await?;
            let blobs = blobs_of(&child)?;
            return Ok(Plan {
                top: child,
                children: Vec::new(),
                blobs,
            });
        }
        let mut children = Vec::new();
        let mut blobs = Vec::new();
        let mut seen = HashSet::new();
        for entry in &entries {
            let child = fetch(parse_digest(&entry.digest)?, entry.media_type.clone()).await?;
            if media_type::is_index(&child.media_type) {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "nested indexes are not supported",
                ));
            }
            for blob in blobs_of(&child)? {
                if seen.insert(blob.digest.clone()) {
                    blobs.push(blob);
                }
            }
            children.push(child);
        }
        Ok(Plan {
            top,
            children,
            blobs,
        })
    }

    /// The total size of the blobs.
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }
}

impl Client {
    /// Plans moving `reference` out of its registry.
    pub(crate) async fn plan(&self, reference: &Reference, options: &ImageOptions) -> Result<Plan> {
        let top = self.get_manifest(reference).await?;
        Plan::build(top, options, |digest, _| {
            let child = reference.with_digest(digest);
            async move { self.get_manifest(&child).await }
        })
        .await
    }
}

/// The config and layers (or artifact blobs) of an image manifest.
pub(crate) fn blobs_of(manifest: &Manifest) -> Result<Vec<BlobRef>> {
    let fields = parse(&manifest.bytes)?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let all = fields
        .config
        .into_iter()
        .chain(fields.layers.unwrap_or_default())
        .chain(fields.blobs.unwrap_or_default());
    for d in all {
        let digest = parse_digest(&d.digest)?;
        if seen.insert(digest.clone()) {
            out.push(BlobRef {
                digest,
                size: d.size,
                media_type: d.media_type,
            });
        }
    }
    Ok(out)
}

fn parse(bytes: &Bytes) -> Result<ManifestFields> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::new(ErrorKind::Protocol, format!("manifest: {e}")))
}

fn parse_digest(text: &str) -> Result<Digest> {
    Digest::parse(text).map_err(|e| e.context("a descriptor in the manifest"))
}
