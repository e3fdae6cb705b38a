//! Copy: an image from one registry (or repository) to another, streaming
//! blobs through without touching disk. Digests stay identical.

use std::sync::Arc;

use super::concurrent::run_all;
use super::options::ImageOptions;
use super::plan::BlobRef;
use super::progress::Tracker;
use super::referrer_graph::GraphSource;
use super::stream::{download_body, send_blob};
use crate::client::Client;
use crate::digest::Digest;
use crate::error::Result;
use crate::reference::Reference;

impl Client {
    /// Copies `source` to `target`: one platform's image, or with
    /// `options.all_platforms` the whole index (same digest). Within one
    /// registry, blobs are mounted from the source repository instead of
    /// uploaded. With `options.referrers`, what is attached to the image
    /// follows it (see [`ImageOptions::referrers`]). Returns the digest of
    /// what was tagged.
    pub async fn copy(
        &self,
        source: &Reference,
        target: &Reference,
        options: &ImageOptions,
    ) -> Result<Digest> {
        let plan = options.step(self.plan(source, options)).await?;
        let graph = self
            .referrer_graph(&GraphSource::Registry(source), &plan, options)
            .await?;
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_blobs(plan.blobs.len() as u64, plan.blob_bytes());
        let same_registry = source.api_host() == target.api_host();
        let mut mounts = options.mount_from.clone();
        if same_registry {
            mounts.insert(0, source.repository().to_string());
        }
        // Blobs come from the endpoint that served the top manifest.
        let from = plan.top.source.clone().unwrap_or_else(|| source.clone());
        let (client, from, to) = (self.clone(), from, target.clone());
        run_all(
            plan.blobs.clone(),
            self.options().concurrency,
            options.cancel.as_ref(),
            move |blob| {
                let (client, from, to, tracker, mounts) = (
                    client.clone(),
                    from.clone(),
                    to.clone(),
                    tracker.clone(),
                    mounts.clone(),
                );
                async move { copy_blob(&client, &from, &to, &blob, &mounts, tracker).await }
            },
        )
        .await?;
        let digest = options.step(self.push_manifests(target, &plan)).await?;
        self.copy_graph(&graph, source, target, options).await?;
        Ok(digest)
    }
}

async fn copy_blob(
    client: &Client,
    source: &Reference,
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
        |progress| async move {
            let mut reader = client.get_blob_direct(source, &blob.digest).await?;
            reader.expect_size(blob.size)?;
            Ok(download_body(reader, progress))
        },
    )
    .await
}
