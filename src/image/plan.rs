//! What an image operation moves: the manifests (children first) and the
//! blobs they name, each blob once.

use std::collections::{HashSet, VecDeque};

use super::options::ImageOptions;
use super::platform::Platform;
use super::platform_subset::subset;
use crate::client::{Client, Manifest};
use crate::descriptor::{Descriptor, ManifestFields};
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

/// How deep indexes may nest (an index naming indexes naming ...).
const MAX_INDEX_DEPTH: usize = 4;
/// The most manifests one operation walks.
const MAX_MANIFESTS: usize = 10_000;

impl Plan {
    /// Plans from a top manifest and a way to fetch children by digest
    /// (given the media type the index names). Indexes may nest: one
    /// platform is resolved through nested indexes, and with
    /// `all_platforms` every level is kept, children before the index that
    /// names them. Manifests missing the fields the spec requires are a
    /// `PROTOCOL` error, never an empty image.
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
        if !options.all_platforms && options.platforms.len() > 1 {
            return subset(&top, &options.platforms, &fetch).await;
        }
        if !options.all_platforms {
            let image = choose_image(&top, &options.platform()?, &fetch).await?;
            let blobs = blobs_of(&image)?;
            return Ok(Plan {
                top: image,
                children: Vec::new(),
                blobs,
            });
        }
        let children = walk_index(&top, &fetch).await?;
        Plan::with_children(top, children)
    }

    /// The plan of `top` and the manifests under it: every blob of the image
    /// manifests among `children`, each once.
    pub(super) fn with_children(top: Manifest, children: Vec<Manifest>) -> Result<Plan> {
        let mut blobs = Vec::new();
        let mut seen = HashSet::new();
        for child in children
            .iter()
            .filter(|c| !media_type::is_index(&c.media_type))
        {
            for blob in blobs_of(child)? {
                if seen.insert(blob.digest.clone()) {
                    blobs.push(blob);
                }
            }
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

/// The image manifest of `platform` under `index`: the entry matching the
/// platform, looked for first in the index itself, then in the indexes it
/// names (breadth first, at most [`MAX_INDEX_DEPTH`] deep).
pub(crate) async fn choose_image<F, Fut>(
    index: &Manifest,
    platform: &Platform,
    fetch: &F,
) -> Result<Manifest>
where
    F: Fn(Digest, String) -> Fut,
    Fut: std::future::Future<Output = Result<Manifest>>,
{
    Ok(choose_entry(index, platform, fetch).await?.image)
}

/// An image manifest chosen from an index, and where it was found.
pub(super) struct Chosen {
    /// The index (the top one or a nested one) whose entry names it.
    pub parent: Manifest,
    /// The image manifest.
    pub image: Manifest,
}

/// [`choose_image`], also telling which index named the image.
pub(super) async fn choose_entry<F, Fut>(
    index: &Manifest,
    platform: &Platform,
    fetch: &F,
) -> Result<Chosen>
where
    F: Fn(Digest, String) -> Fut,
    Fut: std::future::Future<Output = Result<Manifest>>,
{
    let mut queue = VecDeque::from([(index.clone(), 0usize)]);
    let mut visited = 0usize;
    while let Some((index, depth)) = queue.pop_front() {
        visited += 1;
        let entries = index_entries(&index)?;
        if let Some(entry) = platform.choose(&entries) {
            let child = fetch(parse_digest(&entry.digest)?, entry.media_type.clone()).await?;
            if !media_type::is_index(&child.media_type) {
                return Ok(Chosen {
                    parent: index,
                    image: child,
                });
            }
            check_depth(depth + 1)?;
            queue.push_front((child, depth + 1));
            continue;
        }
        for entry in entries
            .iter()
            .filter(|e| media_type::is_index(&e.media_type))
        {
            check_depth(depth + 1)?;
            if visited + queue.len() >= MAX_MANIFESTS {
                return Err(too_many());
            }
            let child = fetch(parse_digest(&entry.digest)?, entry.media_type.clone()).await?;
            queue.push_back((child, depth + 1));
        }
    }
    Err(Error::new(
        ErrorKind::NotFound,
        format!("the index has no image for platform {platform}"),
    ))
}

/// Every image-manifest entry of `index` and of the indexes it names, in
/// order (breadth first, at most [`MAX_INDEX_DEPTH`] deep, at most
/// [`MAX_MANIFESTS`] entries): what a multi-platform image offers. Only
/// nested indexes are fetched; image manifests are listed as described.
pub(crate) async fn image_entries<F, Fut>(index: &Manifest, fetch: &F) -> Result<Vec<Descriptor>>
where
    F: Fn(Digest, String) -> Fut,
    Fut: std::future::Future<Output = Result<Manifest>>,
{
    let mut queue = VecDeque::from([(index.clone(), 0usize)]);
    let mut seen = HashSet::from([index.digest.clone()]);
    let mut out = Vec::new();
    while let Some((index, depth)) = queue.pop_front() {
        for entry in index_entries(&index)? {
            if out.len() + seen.len() > MAX_MANIFESTS {
                return Err(too_many());
            }
            let digest = parse_digest(&entry.digest)?;
            if !media_type::is_index(&entry.media_type) {
                out.push(entry);
                continue;
            }
            check_depth(depth + 1)?;
            if seen.insert(digest.clone()) {
                let child = fetch(digest, entry.media_type.clone()).await?;
                queue.push_back((child, depth + 1));
            }
        }
    }
    Ok(out)
}

/// Every manifest under `top`, each once, deepest level first, so that
/// whatever an index names is written or pushed before the index.
async fn walk_index<F, Fut>(top: &Manifest, fetch: &F) -> Result<Vec<Manifest>>
where
    F: Fn(Digest, String) -> Fut,
    Fut: std::future::Future<Output = Result<Manifest>>,
{
    let mut levels: Vec<Vec<Manifest>> = Vec::new();
    let mut seen = HashSet::from([top.digest.clone()]);
    let mut current = vec![top.clone()];
    let mut count = 0usize;
    for depth in 1.. {
        let mut next = Vec::new();
        for index in current
            .iter()
            .filter(|m| media_type::is_index(&m.media_type))
        {
            for entry in index_entries(index)? {
                let digest = parse_digest(&entry.digest)?;
                if !seen.insert(digest.clone()) {
                    continue;
                }
                count += 1;
                if count > MAX_MANIFESTS {
                    return Err(too_many());
                }
                next.push(fetch(digest, entry.media_type.clone()).await?);
            }
        }
        if next.is_empty() {
            break;
        }
        if next.iter().any(|m| media_type::is_index(&m.media_type)) {
            check_depth(depth + 1)?;
        }
        levels.push(next.clone());
        current = next;
    }
    Ok(levels.into_iter().rev().flatten().collect())
}

fn check_depth(depth: usize) -> Result<()> {
    if depth > MAX_INDEX_DEPTH {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("indexes nested more than {MAX_INDEX_DEPTH} deep"),
        ));
    }
    Ok(())
}

fn too_many() -> Error {
    Error::new(
        ErrorKind::SizeExceeded,
        format!("the index names more than {MAX_MANIFESTS} manifests"),
    )
}

/// The entries of an index, validated.
pub(super) fn index_entries(index: &Manifest) -> Result<Vec<Descriptor>> {
    Ok(parse(index)?.manifests.unwrap_or_default())
}

impl Client {
    /// Plans moving `reference` out of its registry.
    pub(crate) async fn plan(&self, reference: &Reference, options: &ImageOptions) -> Result<Plan> {
        let top = self.get_manifest(reference).await?;
        // Everything else comes from the endpoint that served the top
        // manifest (a mirror, with a registries.conf), as in containers/image.
        let source = top.source.clone().unwrap_or_else(|| reference.clone());
        Plan::build(top, options, |digest, _| {
            let child = source.with_digest(digest);
            async move { self.get_manifest_direct(&child).await }
        })
        .await
    }
}

/// The config and layers (or artifact blobs) of an image manifest.
pub(crate) fn blobs_of(manifest: &Manifest) -> Result<Vec<BlobRef>> {
    let fields = parse(manifest)?;
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

/// The fields of a manifest, checked against what its media type requires.
fn parse(manifest: &Manifest) -> Result<ManifestFields> {
    let fields = manifest.fields()?;
    fields
        .validate(&manifest.media_type)
        .map_err(|e| e.context(format!("manifest {}", manifest.digest)))?;
    Ok(fields)
}

fn parse_digest(text: &str) -> Result<Digest> {
    Digest::parse(text).map_err(|e| e.context("a descriptor in the manifest"))
}
