//! Copy: an image from any source to any destination ([`ImageName`]:
//! registries, OCI layouts, oci-archives, docker-archives, `dir:`
//! directories), streaming each blob from the source into the destination,
//! verified on the way, independent blobs at once. The manifests move
//! byte for byte, so digests stay identical; only a docker-archive source
//! has no manifest, and gets the one skopeo generates for it.

use std::sync::Arc;

use super::options::{ImageOptions, ReferrersMode};
use super::progress::Tracker;
use super::referrer_graph::GraphSource;
use super::transport::{Destination, ImageName, Source};
use crate::client::Client;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

impl Client {
    /// Copies the image `source` names to where `target` names: one
    /// platform's image, or with `options.all_platforms` the whole index.
    /// Between repositories of one registry, blobs are mounted instead of
    /// uploaded. From a registry to a registry, with `options.referrers`,
    /// what is attached to the image follows it (see
    /// [`ImageOptions::referrers`]); between other transports asking for it
    /// is an `INVALID_ARGUMENT` error. A destination file or directory
    /// appears only complete. Returns the digest of the manifest written at
    /// the destination.
    pub async fn copy_image(
        &self,
        source: &ImageName,
        target: &ImageName,
        options: &ImageOptions,
    ) -> Result<Digest> {
        let registries = matches!(
            (source, target),
            (ImageName::Registry(_), ImageName::Registry(_))
        );
        if !registries && options.referrers != ReferrersMode::None {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "referrers are carried from a registry to a registry only \
                 (pull and push carry them into and out of a layout)",
            ));
        }
        let source = Arc::new(options.step(Source::open(self, source, options)).await?);
        let plan = options.step(source.plan(options)).await?;
        let graph = match (source.as_ref(), target) {
            (Source::Registry(from), ImageName::Registry(to)) => Some((
                self.referrer_graph(&GraphSource::Registry(&from.reference), &plan, options)
                    .await?,
                &from.reference,
                to,
            )),
            _ => None,
        };
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_blobs(plan.blobs.len() as u64, plan.blob_bytes());
        let mut destination = options
            .step(Destination::open(self, target, &source, &plan, options))
            .await?;
        destination
            .put_blobs(
                &source,
                &plan,
                &tracker,
                self.options().concurrency,
                options,
            )
            .await?;
        let digest = options.step(destination.finish(&plan)).await?;
        if let Some((graph, from, to)) = graph {
            self.copy_graph(&graph, from, to, options).await?;
        }
        Ok(digest)
    }

    /// Copies `source` to `target` between registries (or repositories):
    /// [`Client::copy_image`] with two `docker://` names. With
    /// `options.referrers`, what is attached to the image follows it (see
    /// [`ImageOptions::referrers`]).
    pub async fn copy(
        &self,
        source: &Reference,
        target: &Reference,
        options: &ImageOptions,
    ) -> Result<Digest> {
        self.copy_image(
            &ImageName::Registry(source.clone()),
            &ImageName::Registry(target.clone()),
            options,
        )
        .await
    }
}
