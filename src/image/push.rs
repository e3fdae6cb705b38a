//! Push: an image (or a whole index) from an OCI image layout to a registry.

use std::path::Path;
use std::sync::Arc;

use super::concurrent::run_all;
use super::layout::OciLayout;
use super::options::ImageOptions;
use super::plan::{BlobRef, Plan};
use super::progress::{BlobOutcome, Tracker};
use super::referrer_graph::{GraphSource, LayoutFiles, check_signature_end};
use super::resume::{UploadRecords, put_blob_resumable};
use super::stream::{file_body, file_chunks, send_blob};
use super::transport::{BlobStream, ImageName};
use crate::client::{Client, Manifest, MountResult};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

/// The largest manifest read from a layout.
const MAX_MANIFEST: u64 = 4 * 1024 * 1024;

impl Client {
    /// Pushes the image of the layout at `dir` (`options.layout_name`, or
    /// its only image) to `reference` (its tag, or by digest). Blobs the
    /// registry has are skipped, blobs in `options.mount_from` repositories
    /// are mounted, manifests go children first. With `options.referrers`,
    /// what the layout holds attached to the image follows it. Returns the
    /// digest of what was tagged.
    pub async fn push(
        &self,
        dir: &Path,
        reference: &Reference,
        options: &ImageOptions,
    ) -> Result<Digest> {
        check_signature_end(
            options,
            &ImageName::Layout {
                dir: dir.to_path_buf(),
                name: None,
            },
        )?;
        let layout = options.step(OciLayout::open(dir)).await?;
        let top_desc = options
            .step(layout.find_image(options.layout_name.as_deref()))
            .await?;
        let top = options
            .step(read_manifest(
                &layout,
                &top_desc.digest,
                &top_desc.media_type,
            ))
            .await?;
        self.push_from_layout(&layout, top, reference, options)
            .await
    }

    /// Pushes `top` (a manifest of the layout) and everything it names
    /// from `layout` to `reference`: the body of [`Client::push`] once the
    /// image is found.
    async fn push_from_layout(
        &self,
        layout: &OciLayout,
        top: Manifest,
        reference: &Reference,
        options: &ImageOptions,
    ) -> Result<Digest> {
        let plan = Plan::build(top, options, |digest, media_type| {
            let layout = layout.clone();
            async move {
                let bytes = layout.read_blob(&digest, MAX_MANIFEST).await?;
                Ok(Manifest {
                    bytes,
                    media_type,
                    digest,
                    source: None,
                })
            }
        })
        .await?;
        let source = GraphSource::layout(LayoutFiles::Dir(layout), &options.referrers).await?;
        let graph = self.referrer_graph(&source, &plan, options).await?;
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_blobs(plan.blobs.len() as u64, plan.blob_bytes());
        let (client, target, source) = (self.clone(), reference.clone(), layout.clone());
        let mounts = options.mount_from.clone();
        let records = match &options.resume_dir {
            Some(dir) => Some(UploadRecords::open(dir)?),
            None => None,
        };
        run_all(
            plan.blobs.clone(),
            self.options().concurrency,
            options.cancel.as_ref(),
            move |blob| {
                let (client, target, layout) = (client.clone(), target.clone(), source.clone());
                let (tracker, mounts, records) = (tracker.clone(), mounts.clone(), records.clone());
                async move {
                    match records {
                        Some(records) => {
                            let to = (&target, mounts.as_slice());
                            let open = || async {
                                let file = layout_blob(&layout, &blob).await?;
                                Ok(Box::pin(file_chunks(file)) as BlobStream)
                            };
                            put_blob_resumable(&client, to, &blob, &records, &tracker, open).await
                        }
                        None => push_blob(&client, &layout, &target, &blob, &mounts, tracker).await,
                    }
                }
            },
        )
        .await?;
        let digest = options.step(self.push_manifests(reference, &plan)).await?;
        let from = ImageName::Layout {
            dir: layout.root().to_path_buf(),
            name: None,
        };
        let to = ImageName::Registry(reference.clone());
        self.carry_graph(&graph, &from, &to, options).await?;
        Ok(digest)
    }

    /// Pushes the plan's child manifests by digest, then the top one under
    /// the reference's tag (or by digest).
    pub(crate) async fn push_manifests(
        &self,
        reference: &Reference,
        plan: &Plan,
    ) -> Result<Digest> {
        for child in &plan.children {
            self.put_manifest(
                &reference.with_digest(child.digest.clone()),
                child.bytes.clone(),
                &child.media_type,
            )
            .await?;
        }
        let target = match reference.tag() {
            Some(tag) => reference.with_tag(tag)?,
            None => reference.with_digest(plan.top.digest.clone()),
        };
        self.put_manifest(&target, plan.top.bytes.clone(), &plan.top.media_type)
            .await
    }

    /// Makes sure `target` has `blob`: `Skipped` when it is already there,
    /// `Mounted` when mounted from one of `mounts`, `None` when it must be
    /// uploaded.
    pub(crate) async fn blob_present_or_mounted(
        &self,
        target: &Reference,
        blob: &BlobRef,
        mounts: &[String],
    ) -> Result<Option<BlobOutcome>> {
        if self.blob_exists_direct(target, &blob.digest).await? {
            return Ok(Some(BlobOutcome::Skipped));
        }
        for from in mounts.iter().filter(|m| m.as_str() != target.repository()) {
            match self.mount_blob(target, &blob.digest, from).await {
                Ok(MountResult::Mounted) => return Ok(Some(BlobOutcome::Mounted)),
                // Best effort: an unused session expires on the registry anyway.
                Ok(MountResult::Upload(mut writer)) => {
                    let _ = writer.cancel().await;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::NotFound | ErrorKind::Denied | ErrorKind::Unauthorized
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

async fn push_blob(
    client: &Client,
    layout: &OciLayout,
    target: &Reference,
    blob: &BlobRef,
    mounts: &[String],
    tracker: Arc<Tracker>,
) -> Result<()> {
    send_blob(
        client,
        target,
        blob,
        mounts,
        &tracker,
        |progress| async move { Ok(file_body(layout_blob(layout, blob).await?, progress)) },
    )
    .await
}

/// The layout's file of `blob`, opened, once its size is the manifest's.
pub(crate) async fn layout_blob(layout: &OciLayout, blob: &BlobRef) -> Result<tokio::fs::File> {
    let (file, len) = layout.open_blob(&blob.digest).await?;
    if len != blob.size {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "blob {} is {len} bytes in the layout, the manifest says {}",
                blob.digest, blob.size
            ),
        ));
    }
    Ok(file)
}

async fn read_manifest(layout: &OciLayout, digest: &str, media_type: &str) -> Result<Manifest> {
    let digest = Digest::parse(digest).map_err(|e| e.context("index.json"))?;
    let bytes = layout.read_blob(&digest, MAX_MANIFEST).await?;
    Ok(Manifest {
        bytes,
        media_type: media_type.to_string(),
        digest,
        source: None,
    })
}
