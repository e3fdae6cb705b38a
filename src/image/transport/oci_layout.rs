//! `oci:DIR[:REF]`: an image in an OCI image layout directory, one of
//! several selected by `org.opencontainers.image.ref.name`.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;

use super::{BlobStream, MAX_MANIFEST, Source};
use crate::client::Manifest;
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::layout::OciLayout;
use crate::image::plan::{BlobRef, Plan};
use crate::image::progress::{BlobOutcome, Tracker};
use crate::image::pull::descriptor_of;
use crate::image::transport::tar_index::region_stream;

/// Reads an image from a layout.
pub(crate) struct LayoutSource {
    pub(super) layout: OciLayout,
    pub(super) top: Descriptor,
}

impl LayoutSource {
    /// Opens the layout at `dir` and finds the image `name` (or its only one).
    pub async fn open(dir: &std::path::Path, name: Option<&str>) -> Result<LayoutSource> {
        let layout = OciLayout::open(dir).await?;
        let top = layout.find_image(name).await?;
        Ok(LayoutSource { layout, top })
    }

    pub async fn top(&self) -> Result<Manifest> {
        let digest = Digest::parse(&self.top.digest).map_err(|e| e.context("index.json"))?;
        self.manifest(digest, self.top.media_type.clone()).await
    }

    pub async fn manifest(&self, digest: Digest, media_type: String) -> Result<Manifest> {
        let bytes = self.layout.read_blob(&digest, MAX_MANIFEST).await?;
        Ok(Manifest {
            bytes,
            media_type,
            digest,
            source: None,
        })
    }

    /// The blob's file, which must hold exactly the bytes the manifest says.
    pub async fn blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        let (file, len) = self.layout.open_blob(&blob.digest).await?;
        if len != blob.size {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "blob {} is {len} bytes in {}, the manifest says {}",
                    blob.digest,
                    self.layout.root().display(),
                    blob.size
                ),
            ));
        }
        let path = self.layout.blob_path(&blob.digest);
        Ok(Box::pin(region_stream(file, len, path)))
    }
}

/// Writes an image into a layout (created when missing): each blob to a
/// temporary file renamed into place once verified, `index.json` last,
/// under its lock.
#[derive(Clone)]
pub(crate) struct LayoutDestination {
    pub layout: OciLayout,
    pub name: Option<String>,
}

impl LayoutDestination {
    pub async fn put_blob(
        &self,
        source: &Arc<Source>,
        blob: &BlobRef,
        tracker: &Arc<Tracker>,
    ) -> Result<()> {
        if self
            .layout
            .has_verified_blob(&blob.digest, blob.size)
            .await?
        {
            tracker.finish(&blob.digest, blob.size, blob.size, BlobOutcome::Skipped);
            return Ok(());
        }
        let mut sink = self.layout.blob_sink(&blob.digest, blob.size).await?;
        // A partial file a killed run left holds the first bytes already.
        let mut skip = sink.offset();
        let mut done = skip;
        if skip > 0 {
            tracker.advance(&blob.digest, skip, done, blob.size);
        }
        let mut body = source.blob(blob).await?;
        while let Some(chunk) = body.next().await {
            let mut chunk: Bytes = chunk?;
            if skip > 0 {
                let cut = (skip as usize).min(chunk.len());
                chunk = chunk.slice(cut..);
                skip -= cut as u64;
                if chunk.is_empty() {
                    continue;
                }
            }
            let n = chunk.len() as u64;
            done += n;
            sink.send(&chunk).await?;
            tracker.advance(&blob.digest, n, done, blob.size);
        }
        sink.finish().await?;
        tracker.finish(&blob.digest, 0, blob.size, BlobOutcome::Sent);
        Ok(())
    }

    /// Writes the manifests (verified), then names the top one.
    pub async fn finish(&self, plan: &Plan) -> Result<Digest> {
        for manifest in plan.children.iter().chain([&plan.top]) {
            self.layout
                .write_blob(&manifest.digest, &manifest.bytes)
                .await?;
        }
        self.layout
            .set_image(descriptor_of(&plan.top), self.name.as_deref())
            .await?;
        self.layout.remove_abandoned_blobs();
        Ok(plan.top.digest.clone())
    }
}
