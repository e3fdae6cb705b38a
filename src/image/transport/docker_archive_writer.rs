//! `docker-archive:FILE[:REF]`, written: one image as `docker load`,
//! `podman load` and skopeo read it: the config as `<hex>.json`, each layer
//! as `<hex>.tar` (the blob as the source holds it), and `manifest.json`
//! naming them with `RepoTags`. Written through `archive_writer`: the file
//! appears only when complete.

use std::path::Path;
use std::sync::Arc;

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
    /// The layer members in the manifest's order (a repeated layer twice).
    layers: Vec<String>,
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
            layers.push(format!("{}.tar", Digest::parse(&layer.digest)?.hex()));
        }
        Ok(DockerArchiveDestination {
            writer: ArchiveWriter::create(file)?,
            config: Digest::parse(&config.digest)?,
            layers,
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
        let name = if blob.digest == self.config {
            format!("{}.json", blob.digest.hex())
        } else {
            format!("{}.tar", blob.digest.hex())
        };
        self.writer.blob(&name, blob, body, tracker).await
    }

    /// Adds `manifest.json` and puts the file in place.
    pub async fn finish(mut self, plan: &Plan) -> Result<Digest> {
        let index = vec![ArchiveEntry {
            config: format!("{}.json", self.config.hex()),
            repo_tags: Some(self.repo_tags),
            layers: self.layers,
        }];
        let bytes = serde_json::to_vec(&index)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("manifest.json: {e}")))?;
        self.writer.file("manifest.json", &bytes).await?;
        self.writer.finish().await?;
        Ok(plan.top.digest.clone())
    }
}
