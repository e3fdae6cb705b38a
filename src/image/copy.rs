//! Copy: an image from any source to any destination ([`ImageName`]:
//! registries, OCI layouts, oci-archives, docker-archives, `dir:`
//! directories), streaming each blob from the source into the destination,
//! verified on the way, independent blobs at once. The manifests move
//! byte for byte, so digests stay identical; only a docker-archive source
//! has no manifest, and gets the one skopeo generates for it (with its
//! layers gzipped as skopeo gzips them where the destination wants
//! compressed layers: [`Source::convert_for`]).

use std::sync::Arc;

use super::layout::OciLayout;
use super::options::{ImageOptions, ReferrersMode};
use super::plan::Plan;
use super::progress::Tracker;
use super::referrer_graph::{
    GraphSource, LayoutFiles, ReferrerGraph, cannot_hold, check_signature_end,
};
use super::transport::tar_index::TarIndex;
use super::transport::{ConvertedSource, Destination, ImageName, Source};
use crate::client::Client;
use crate::digest::Digest;
use crate::error::Result;
use crate::reference::Reference;

/// The source of a copy: a name, or an image already opened.
pub(crate) enum ImageSource {
    Name(ImageName),
    Opened(Box<Source>),
}

impl Client {
    /// Copies the image `source` names to where `target` names: one
    /// platform's image, or with `options.all_platforms` the whole index.
    /// Between repositories of one registry, blobs are mounted instead of
    /// uploaded. With `options.referrers`, what is attached to the image
    /// follows it between registries, OCI layouts and oci-archives (see
    /// [`ImageOptions::referrers`]); a docker-archive or `dir:` at either
    /// end cannot hold attachments, and asking for them there is an
    /// `INVALID_ARGUMENT` error. With `options.signatures`, the image's
    /// signatures follow it from a registry to a registry (see
    /// [`ImageOptions::signatures`]). Into an OCI layout or an
    /// oci-archive, a Docker schema 2 image or manifest list is converted to
    /// OCI as skopeo converts it (so its digest changes; not with
    /// `options.referrers`). A destination file or directory appears only
    /// complete. Returns the digest of the manifest written at the
    /// destination.
    pub async fn copy_image(
        &self,
        source: &ImageName,
        target: &ImageName,
        options: &ImageOptions,
    ) -> Result<Digest> {
        check_signature_end(options, source)?;
        check_signature_end(options, target)?;
        if options.referrers != ReferrersMode::None {
            for end in [source, target] {
                if matches!(end, ImageName::DockerArchive { .. } | ImageName::Dir { .. }) {
                    return Err(cannot_hold(end));
                }
            }
            if let ImageName::OciArchive { file, name } = target {
                return self.copy_into_archive(source, file, name, options).await;
            }
        }
        self.copy_source(ImageSource::Name(source.clone()), target, options)
            .await
    }

    /// [`Client::copy_image`] from a source named or already opened (an
    /// attachment in a layout, which has no name to open it by).
    pub(crate) async fn copy_source(
        &self,
        source: ImageSource,
        target: &ImageName,
        options: &ImageOptions,
    ) -> Result<Digest> {
        let (mut opened, name) = match source {
            ImageSource::Name(name) => (
                options.step(Source::open(self, &name, options)).await?,
                Some(name),
            ),
            ImageSource::Opened(opened) => (*opened, None),
        };
        options.step(opened.convert_for(target)).await?;
        let plan = options.step(opened.plan(options)).await?;
        // An OCI layout holds OCI images: skopeo converts Docker ones. Not
        // with attachments, which name the image by its digest.
        let (opened, plan) = match target {
            ImageName::Layout { .. } | ImageName::OciArchive { .. }
                if options.referrers == ReferrersMode::None =>
            {
                options
                    .step(ConvertedSource::for_oci(opened, plan, options))
                    .await?
            }
            _ => (opened, plan),
        };
        let opened = Arc::new(opened);
        let graph = match &name {
            Some(name) => self.graph_of(name, &plan, options).await?,
            None => ReferrerGraph::default(),
        };
        let signatures = match (&name, target) {
            (Some(ImageName::Registry(from)), ImageName::Registry(to)) => {
                self.read_copied_signatures(from, to, &plan, options)
                    .await?
            }
            _ => None,
        };
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_blobs(plan.blobs.len() as u64, plan.blob_bytes());
        let mut destination = options
            .step(Destination::open(self, target, &opened, &plan, options))
            .await?;
        destination
            .put_blobs(
                &opened,
                &plan,
                &tracker,
                self.options().concurrency,
                options,
            )
            .await?;
        let digest = options.step(destination.finish(&plan)).await?;
        if let Some(name) = &name {
            self.carry_graph(&graph, name, target, options).await?;
        }
        if let (Some(signatures), ImageName::Registry(to)) = (&signatures, target) {
            self.put_copied_signatures(signatures, to, options).await?;
        }
        Ok(digest)
    }

    /// What is attached to the manifests `plan` moves out of `source`
    /// (nothing unless `options.referrers` asks for it).
    async fn graph_of(
        &self,
        source: &ImageName,
        plan: &Plan,
        options: &ImageOptions,
    ) -> Result<ReferrerGraph> {
        match source {
            _ if options.referrers == ReferrersMode::None => Ok(ReferrerGraph::default()),
            ImageName::Registry(reference) => {
                self.referrer_graph(&GraphSource::Registry(reference), plan, options)
                    .await
            }
            ImageName::Layout { dir, .. } => {
                let layout = options.step(OciLayout::open(dir)).await?;
                let files = LayoutFiles::Dir(&layout);
                let found = options
                    .step(GraphSource::layout(files, &options.referrers))
                    .await?;
                self.referrer_graph(&found, plan, options).await
            }
            ImageName::OciArchive { file, .. } => {
                let tar = options.step(TarIndex::open(file)).await?;
                let files = LayoutFiles::Archive(&tar);
                let found = options
                    .step(GraphSource::layout(files, &options.referrers))
                    .await?;
                self.referrer_graph(&found, plan, options).await
            }
            other => Err(cannot_hold(other)),
        }
    }

    /// Copies `source` to `target` between registries (or repositories):
    /// [`Client::copy_image`] with two `docker://` names. With
    /// `options.referrers`, what is attached to the image follows it (see
    /// [`ImageOptions::referrers`]); with `options.signatures`, its
    /// signatures (see [`ImageOptions::signatures`]).
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
