//! Pull: an image (one platform, or a whole index) from a registry into an
//! OCI image layout directory.

use std::path::Path;
use std::sync::Arc;

use super::concurrent::run_all;
use super::layout::{BlobSink, OciLayout};
use super::options::ImageOptions;
use super::plan::BlobRef;
use super::progress::{BlobOutcome, Tracker};
use super::referrer_graph::{GraphSource, check_signature_end};
use super::transport::ImageName;
use crate::client::{Client, Manifest};
use crate::descriptor::Descriptor;
use crate::error::{ErrorKind, Result};
use crate::options::RangedDownload;
use crate::reference::Reference;

impl Client {
    /// Pulls `reference` into the OCI layout at `dir` (created if needed)
    /// and names it there (`options.layout_name`, else the reference's tag).
    /// Blobs already present and verified are not fetched again; every blob
    /// is written to a temporary file and renamed only once verified. With
    /// `options.referrers`, what is attached to the image is stored in the
    /// layout too, where oras and regctl find it. Returns the descriptor written to `index.json`.
    pub async fn pull(
        &self,
        reference: &Reference,
        dir: &Path,
        options: &ImageOptions,
    ) -> Result<Descriptor> {
        let into = ImageName::Layout {
            dir: dir.to_path_buf(),
            name: None,
        };
        check_signature_end(options, &into)?;
        let layout = options.step(OciLayout::create(dir)).await?;
        let plan = options.step(self.plan(reference, options)).await?;
        let graph = self
            .referrer_graph(&GraphSource::Registry(reference), &plan, options)
            .await?;
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_blobs(plan.blobs.len() as u64, plan.blob_bytes());
        let jobs = plan.blobs.clone();
        let source = plan.top.source.clone().unwrap_or_else(|| reference.clone());
        let (client, source, target) = (self.clone(), source, layout.clone());
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
        layout.remove_abandoned_blobs();
        let from = ImageName::Registry(reference.clone());
        self.carry_graph(&graph, &from, &into, options).await?;
        Ok(descriptor)
    }
}

/// Downloads one blob into the layout unless it is already there, verified.
/// A partial file a killed run left is continued with a `Range` request.
/// If the whole then fails its digest, and the bytes came from that partial
/// file or from parallel ranges, the blob is fetched again whole over one
/// connection: a wrong byte never takes a blob's place, and one bad source
/// of bytes costs one more transfer, not the pull.
async fn fetch_blob(
    client: &Client,
    source: &Reference,
    layout: &OciLayout,
    blob: &BlobRef,
    tracker: &Arc<Tracker>,
) -> Result<()> {
    if layout.has_verified_blob(&blob.digest, blob.size).await? {
        tracker.finish(&blob.digest, blob.size, blob.size, BlobOutcome::Skipped);
        return Ok(());
    }
    let sink = layout.blob_sink(&blob.digest, blob.size).await?;
    let continued = sink.offset() > 0;
    let mut split = false;
    let mode = client.options().ranged_download;
    match download(client, source, blob, sink, tracker, (mode, &mut split)).await {
        Err(e) if (continued || split) && e.kind() == ErrorKind::DigestMismatch => {
            // The failed sink removed the partial file: this one starts empty.
            tracker.rewind(blob.size);
            let sink = layout.blob_sink(&blob.digest, blob.size).await?;
            let mode = RangedDownload::Off;
            download(client, source, blob, sink, tracker, (mode, &mut split)).await
        }
        other => other,
    }?;
    tracker.finish(&blob.digest, 0, blob.size, BlobOutcome::Sent);
    Ok(())
}

/// Sends the bytes of `blob` after the sink's offset into the sink, split
/// into parallel ranges as `mode` says; `split` says afterwards whether
/// they came (in part) as ranges.
async fn download(
    client: &Client,
    source: &Reference,
    blob: &BlobRef,
    mut sink: BlobSink,
    tracker: &Arc<Tracker>,
    (mode, split): (RangedDownload, &mut bool),
) -> Result<()> {
    let offset = sink.offset();
    if offset > 0 {
        tracker.advance(&blob.digest, offset, offset, blob.size);
    }
    // The sink's thread hashes and writes while this task receives; it
    // verifies before the blob takes its place.
    let mut reader = client
        .download_blob(source, &blob.digest, (offset, blob.size), mode)
        .await?;
    let mut done = offset;
    let result = async {
        while let Some(chunk) = reader.chunk().await? {
            done += chunk.len() as u64;
            let n = chunk.len() as u64;
            sink.send(&chunk).await?;
            tracker.advance(&blob.digest, n, done, blob.size);
        }
        sink.finish().await
    }
    .await;
    *split = reader.was_split();
    result
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
