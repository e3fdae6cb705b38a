//! Moving the attachments: each as an image of its own through the
//! ordinary copy, subjects first, between registries, OCI layouts and
//! (as a source) oci-archives; into a layout, also the subjects' fallback
//! indexes.

use bytes::Bytes;

use super::source::{LayoutFiles, fallback_entries, layout_manifest};
use super::{Attachment, ReferrerGraph};
use crate::client::{Client, fallback_tag, listed_artifact_type};
use crate::descriptor::{Descriptor, Index};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::copy::ImageSource;
use crate::image::layout::{OciLayout, ref_name};
use crate::image::options::{ImageOptions, ReferrersMode};
use crate::image::pull::descriptor_of;
use crate::image::transport::tar_index::TarIndex;
use crate::image::transport::{ImageName, Source};
use crate::media_type::OCI_INDEX;
use crate::reference::Reference;

impl Client {
    /// Moves the attachments of `graph` from `source` (a registry, an OCI
    /// layout or an oci-archive) to `target` (a registry or an OCI layout),
    /// each as an image of its own, subjects first; into a layout, then
    /// names each subject's fallback index there.
    pub(crate) async fn carry_graph(
        &self,
        graph: &ReferrerGraph,
        source: &ImageName,
        target: &ImageName,
        options: &ImageOptions,
    ) -> Result<()> {
        if graph.attachments.is_empty() {
            return Ok(());
        }
        let from = GraphEnd::open(source).await?;
        for attachment in &graph.attachments {
            let digest = &attachment.manifest.digest;
            let image = match &from {
                GraphEnd::Registry(reference) => {
                    ImageSource::Name(ImageName::Registry(reference.with_digest(digest.clone())))
                }
                GraphEnd::Layout(layout) => ImageSource::Opened(Box::new(Source::layout_image(
                    layout.clone(),
                    descriptor_of(&attachment.manifest),
                ))),
                GraphEnd::Archive(tar) => ImageSource::Opened(Box::new(Source::archive_image(
                    tar.clone(),
                    descriptor_of(&attachment.manifest),
                ))),
            };
            let to = match target {
                ImageName::Registry(reference) => {
                    ImageName::Registry(attachment.target(reference)?)
                }
                ImageName::Layout { dir, .. } => ImageName::Layout {
                    dir: dir.clone(),
                    name: attachment.tag.clone(),
                },
                other => return Err(cannot_hold(other)),
            };
            let moved =
                Box::pin(self.copy_source(image, &to, &attachment_options(options))).await?;
            attachment.check_moved(&moved)?;
        }
        if let ImageName::Layout { dir, .. } = target {
            name_layout_fallbacks(graph, &OciLayout::at(dir), options).await?;
        }
        Ok(())
    }
}

/// Where attachments are read from, opened once.
enum GraphEnd {
    Registry(Reference),
    Layout(OciLayout),
    Archive(TarIndex),
}

impl GraphEnd {
    async fn open(name: &ImageName) -> Result<GraphEnd> {
        Ok(match name {
            ImageName::Registry(reference) => GraphEnd::Registry(reference.clone()),
            ImageName::Layout { dir, .. } => GraphEnd::Layout(OciLayout::open(dir).await?),
            ImageName::OciArchive { file, .. } => GraphEnd::Archive(TarIndex::open(file).await?),
            other => return Err(cannot_hold(other)),
        })
    }
}

/// The `INVALID_ARGUMENT` error for a transport that cannot hold
/// attachments (a docker-archive or a `dir:` directory holds one image).
pub(crate) fn cannot_hold(name: &ImageName) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "{name}: transport {:?} cannot hold what is attached to an image; referrers \
             travel between registries, OCI layouts (oci:) and oci-archives",
            name.transport()
        ),
    )
}

/// Names, in `layout`, the fallback index of each subject with the
/// referrers among the attachments (regclient's `ocidir` reads them there).
async fn name_layout_fallbacks(
    graph: &ReferrerGraph,
    layout: &OciLayout,
    options: &ImageOptions,
) -> Result<()> {
    let mut by_subject: Vec<(&Digest, Vec<Descriptor>)> = Vec::new();
    for attachment in graph.attachments.iter().filter(|a| a.tag.is_none()) {
        let entry = attachment.fallback_entry()?;
        match by_subject
            .iter_mut()
            .find(|(s, _)| *s == &attachment.subject)
        {
            Some((_, entries)) => entries.push(entry),
            None => by_subject.push((&attachment.subject, vec![entry])),
        }
    }
    for (subject, entries) in by_subject {
        options
            .step(add_to_layout_fallback(layout, subject, entries))
            .await?;
    }
    Ok(())
}

impl Attachment {
    /// Where it goes in `target`'s repository: its cosign tag, or its digest.
    fn target(&self, target: &Reference) -> Result<Reference> {
        match &self.tag {
            Some(tag) => target.with_tag(tag),
            None => Ok(target.with_digest(self.manifest.digest.clone())),
        }
    }

    /// Digests never change on the way; a different one is a bug or a lie.
    fn check_moved(&self, moved: &Digest) -> Result<()> {
        moved.expect_equal(&self.manifest.digest).map_err(|e| {
            e.context(format!(
                "the attachment {} of {}",
                self.manifest.digest, self.subject
            ))
        })
    }

    /// Its entry in its subject's fallback index, as a registry lists it.
    fn fallback_entry(&self) -> Result<Descriptor> {
        let fields = self.manifest.fields()?;
        Ok(Descriptor {
            media_type: self.manifest.media_type.clone(),
            digest: self.manifest.digest.to_string(),
            size: self.manifest.bytes.len() as u64,
            artifact_type: listed_artifact_type(&fields),
            annotations: fields.annotations,
            platform: None,
        })
    }
}

/// The options an attachment moves with: every platform, no attachments or
/// signatures of its own (the graph has them), the caller's mounts and
/// cancel token. No progress: attachments are small, and each would start
/// its own count.
fn attachment_options(options: &ImageOptions) -> ImageOptions {
    ImageOptions {
        platforms: Vec::new(),
        all_platforms: true,
        layout_name: None,
        mount_from: options.mount_from.clone(),
        progress: None,
        cancel: options.cancel.clone(),
        referrers: ReferrersMode::None,
        resume_dir: None,
        signatures: None,
    }
}

/// Adds `entries` to `subject`'s fallback index in the layout (named
/// `<alg>-<hex>` in `index.json`, as regclient's `ocidir` keeps it),
/// keeping the entries it has.
async fn add_to_layout_fallback(
    layout: &OciLayout,
    subject: &Digest,
    entries: Vec<Descriptor>,
) -> Result<()> {
    let tag = fallback_tag(subject);
    let existing = layout.read_index().await?;
    let mut manifests = match existing
        .manifests
        .iter()
        .find(|d| ref_name(d) == Some(tag.as_str()))
    {
        Some(d) => fallback_entries(
            &layout_manifest(&LayoutFiles::Dir(layout), &d.digest, &d.media_type).await?,
        )?,
        None => Vec::new(),
    };
    for entry in entries {
        if !manifests.iter().any(|d| d.digest == entry.digest) {
            manifests.push(entry);
        }
    }
    let index = Index {
        schema_version: 2,
        media_type: Some(OCI_INDEX.to_string()),
        manifests,
    };
    let bytes = Bytes::from(serde_json::to_vec(&index).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("serializing a referrers index: {e}"),
        )
    })?);
    let digest = Digest::sha256_of(&bytes);
    layout.write_blob(&digest, &bytes).await?;
    let descriptor = Descriptor {
        media_type: OCI_INDEX.to_string(),
        digest: digest.to_string(),
        size: bytes.len() as u64,
        artifact_type: None,
        annotations: None,
        platform: None,
    };
    layout.set_image(descriptor, Some(&tag)).await
}
