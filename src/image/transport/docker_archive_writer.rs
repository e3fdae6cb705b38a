//! `docker-archive:FILE[:REF]`, written: one image as `docker load`,
//! `podman load` and skopeo read it: the config as `<hex>.json`, each layer
//! as `<hex>.tar`, and `manifest.json` naming them with `RepoTags`. A
//! gzip-compressed layer is written decompressed under its diff ID, as
//! skopeo and `docker save` write it (and as ocireg's reader takes it);
//! other layers as the source holds them. Written through
//! `archive_writer`: the file appears only when complete.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use futures_util::StreamExt;

use super::BlobStream;
use super::archive_writer::ArchiveWriter;
use super::docker_archive::ArchiveEntry;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::plan::{BlobRef, Plan};
use crate::image::progress::Tracker;
use crate::media_type;

/// Writes one image as a docker-archive.
pub(crate) struct DockerArchiveDestination {
    writer: ArchiveWriter,
    config: Digest,
    /// The layers in the manifest's order (a repeated layer twice).
    layers: Vec<Digest>,
    /// The member each layer was written as.
    members: HashMap<Digest, String>,
    repo_tags: Vec<String>,
}

impl DockerArchiveDestination {
    /// Starts the archive for the image `plan` moves (one image manifest
    /// with a config), tagged `repo_tag` when given.
    pub fn create(
        file: &Path,
        plan: &Plan,
        repo_tag: Option<String>,
    ) -> Result<DockerArchiveDestination> {
        if media_type::is_index(&plan.top.media_type) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "a docker-archive holds one image, not an index: choose a platform",
            ));
        }
        let fields = plan.top.fields()?;
        let config = fields.config.ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                format!("manifest {} has no config", plan.top.digest),
            )
        })?;
        let mut layers = Vec::new();
        for layer in fields.layers.unwrap_or_default() {
            layers.push(Digest::parse(&layer.digest)?);
        }
        Ok(DockerArchiveDestination {
            writer: ArchiveWriter::create(file)?,
            config: Digest::parse(&config.digest)?,
            layers,
            members: HashMap::new(),
            repo_tags: repo_tag.into_iter().collect(),
        })
    }

    /// Writes `blob`, whose bytes `body` gives.
    pub async fn put_blob(
        &mut self,
        blob: &BlobRef,
        body: BlobStream,
        tracker: &Arc<Tracker>,
    ) -> Result<()> {
        if blob.digest == self.config {
            let name = format!("{}.json", blob.digest.hex());
            return self.writer.blob(&name, blob, body, tracker).await;
        }
        // Decided by the bytes, as skopeo does: a docker-archive source
        // serves plain tars under a gzip media type.
        let (gzipped, body) = sniff_gzip(body).await?;
        let name = if gzipped {
            let diff_id = self.writer.gunzipped_blob(blob, body, tracker).await?;
            format!("{}.tar", diff_id.hex())
        } else {
            let name = format!("{}.tar", blob.digest.hex());
            self.writer.blob(&name, blob, body, tracker).await?;
            name
        };
        self.members.insert(blob.digest.clone(), name);
        Ok(())
    }

    /// Adds `manifest.json` and puts the file in place.
    pub async fn finish(mut self, plan: &Plan) -> Result<Digest> {
        let mut layers = Vec::new();
        for layer in &self.layers {
            let member = self.members.get(layer).ok_or_else(|| {
                Error::new(
                    ErrorKind::Internal,
                    format!("layer {layer} was not written"),
                )
            })?;
            layers.push(member.clone());
        }
        let index = vec![ArchiveEntry {
            config: format!("{}.json", self.config.hex()),
            repo_tags: Some(self.repo_tags),
            layers,
        }];
        let bytes = serde_json::to_vec(&index)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("manifest.json: {e}")))?;
        self.writer.file("manifest.json", &bytes).await?;
        self.writer.finish().await?;
        Ok(plan.top.digest.clone())
    }
}

/// Whether the stream starts with gzip's magic bytes; the stream, whole.
async fn sniff_gzip(mut body: BlobStream) -> Result<(bool, BlobStream)> {
    let first = body.next().await.transpose()?;
    let gzipped = first
        .as_ref()
        .is_some_and(|chunk| chunk.starts_with(&[0x1f, 0x8b]));
    let whole = futures_util::stream::iter(first.map(Ok)).chain(body);
    Ok((gzipped, Box::pin(whole)))
}
