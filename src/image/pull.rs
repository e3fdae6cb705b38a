//! Pull: an image (one platform, or a whole index) from a registry into an
//! OCI image layout directory.

use std::path::Path;
use std::sync::Arc;

use super::concurrent::run_all;
use super::layout::OciLayout;
use super::options::ImageOptions;
use super::plan::BlobRef;
use super::progress::Tracker;
use crate::client::{Client, Manifest};
use crate::descriptor::Descriptor;
use crate::error::Result;
use crate::reference::Reference;

impl Client {
    /// Pulls `reference` into the OCI layout at `dir` (created if needed)
    /// and names it there (`options.layout_name`, else the reference's tag).
    /// Blobs already present and verified are not fetched again; every blob
    /// is written to a temporary file and renamed only once verified.
    /// Returns the descriptor written to `index.json`.
    pub async fn pull(
        &self,
        reference: &Reference,
        dir: &Path,
        options: &ImageOptions,
    ) -> Result<Descriptor> {
        let layout = options.step(OciLayout::create(dir)).await?;
        let plan = options.step(self.plan(reference, options)).await?;
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_total(plan.blob_bytes());
        let jobs = plan.blobs.clone();
        let (client, source, target) = (self.clone(), reference.clone(), layout.clone());
        run_all(
            jobs,
            self.options().concurrency,
            options.cancel.as_ref(),
            move |blob| {
                let (client, source, layout, tracker) = (
                    client.clone(),
                    source.clone(),
                    target.clone(),
                    tracker.clone(),
                );
                async move { fetch_blob(&client, &source, &layout, &blob, &tracker).await }
            },
        )
        .await?;
        for manifest in plan.children.iter().chain([&plan.top]) {
            options
                .step(layout.write_blob(&manifest.digest, &manifest.bytes))
                .await?;
        }
        let descriptor = descriptor_of(&plan.top);
        let name = options.layout_name.as_deref().or(reference.tag());
        options
            .step(layout.set_image(descriptor.clone(), name))
            .await?;
        Ok(descriptor)
    }
}

/// Downloads one blob into the layout unless it is already there, verified.
async fn fetch_blob(
    client: &Client,
    source: &Reference,
    layout: &OciLayout,
    blob: &BlobRef,
    tracker: &Arc<Tracker>,
) -> Result<()> {
    if layout.has_verified_blob(&blob.digest, blob.size).await? {
        tracker.advance(&blob.digest, blob.size, blob.size, blob.size);
        return Ok(());
    }
    let mut reader = client.get_blob(source, &blob.digest).await?;
    reader.expect_size(blob.size)?;
    // The sink's thread hashes and writes while this task receives; it
    // verifies before the blob takes its place.
    reader.defer_verification();
    let mut sink = layout.blob_sink(&blob.digest, blob.size).await?;
    let mut done = 0u64;
    while let Some(chunk) = reader.chunk().await? {
        done += chunk.len() as u64;
        let n = chunk.len() as u64;
        sink.send(chunk).await?;
        tracker.advance(&blob.digest, n, done, blob.size);
    }
    sink.finish().await
}

/// The descriptor of a manifest.
pub(crate) fn descriptor_of(manifest: &Manifest) -> Descriptor {
    Descriptor {
        media_type: manifest.media_type.clone(),
        digest: manifest.digest.to_string(),
        size: manifest.bytes.len() as u64,
        artifact_type: None,
        annotations: None,
        platform: None,
    }
}
