//! Moving the attachments: each as an image of its own through the
//! ordinary copy, pull and push, subjects first; into a layout, also the
//! subjects' fallback indexes.

use std::path::Path;

use bytes::Bytes;

use super::source::{fallback_entries, layout_manifest};
use super::{Attachment, ReferrerGraph};
use crate::client::{Client, fallback_tag, listed_artifact_type};
use crate::descriptor::{Descriptor, Index};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::layout::{OciLayout, ref_name};
use crate::image::options::{ImageOptions, ReferrersMode};
use crate::media_type::OCI_INDEX;
use crate::reference::Reference;

impl Client {
    /// Copies the attachments from `source`'s repository to `target`'s.
    pub(crate) async fn copy_graph(
        &self,
        graph: &ReferrerGraph,
        source: &Reference,
        target: &Reference,
        options: &ImageOptions,
    ) -> Result<()> {
        for attachment in &graph.attachments {
            let digest = &attachment.manifest.digest;
            let to = attachment.target(target)?;
            let copied = Box::pin(self.copy(
                &source.with_digest(digest.clone()),
                &to,
                &attachment_options(options, None),
            ))
            .await?;
            attachment.check_moved(&copied)?;
        }
        Ok(())
    }

    /// Pushes the attachments from `layout` to `target`'s repository.
    pub(crate) async fn push_graph(
        &self,
        graph: &ReferrerGraph,
        layout: &OciLayout,
        target: &Reference,
        options: &ImageOptions,
    ) -> Result<()> {
        for attachment in &graph.attachments {
            let to = attachment.target(target)?;
            let pushed = Box::pin(self.push_from_layout(
                layout,
                attachment.manifest.clone(),
                &to,
                &attachment_options(options, None),
            ))
            .await?;
            attachment.check_moved(&pushed)?;
        }
        Ok(())
    }

    /// Pulls the attachments from `source`'s repository into the layout at
    /// `dir`, then names each subject's fallback index there.
    pub(crate) async fn pull_graph(
        &self,
        graph: &ReferrerGraph,
        source: &Reference,
        dir: &Path,
        options: &ImageOptions,
    ) -> Result<()> {
        for attachment in &graph.attachments {
            let digest = &attachment.manifest.digest;
            let pulled = Box::pin(self.pull(
                &source.with_digest(digest.clone()),
                dir,
                &attachment_options(options, attachment.tag.clone()),
            ))
            .await?;
            attachment.check_moved(&Digest::parse(&pulled.digest)?)?;
        }
        let layout = OciLayout::at(dir);
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
                .step(add_to_layout_fallback(&layout, subject, entries))
                .await?;
        }
        Ok(())
    }
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

/// The options an attachment moves with: every platform, no attachments of
/// its own (the graph has them), the caller's mounts and cancel token. No
/// progress: attachments are small, and each would start its own count.
fn attachment_options(options: &ImageOptions, layout_name: Option<String>) -> ImageOptions {
    ImageOptions {
        platforms: Vec::new(),
        all_platforms: true,
        layout_name,
        mount_from: options.mount_from.clone(),
        progress: None,
        cancel: options.cancel.clone(),
        referrers: ReferrersMode::None,
        resume_dir: None,
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
        Some(d) => fallback_entries(&layout_manifest(layout, &d.digest, &d.media_type).await?)?,
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
