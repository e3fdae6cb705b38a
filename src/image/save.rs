//! Save: an image as a docker-archive tarball (`manifest.json`, the config,
//! the layers) that `docker load`, `podman load` and skopeo read.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::options::ImageOptions;
use super::plan::blobs_of;
use super::progress::Tracker;
use super::tar;
use crate::client::Client;
use crate::descriptor::ManifestFields;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::reference::Reference;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ArchiveEntry {
    config: String,
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

impl Client {
    /// Writes the image `reference` (the platform's, for an index) to
    /// `file` as a docker-archive. The file appears only when complete.
    pub async fn save(
        &self,
        reference: &Reference,
        file: &Path,
        options: &ImageOptions,
    ) -> Result<Digest> {
        // Dropping the write on cancel removes the partial file.
        options
            .step(self.write_archive(reference, file, options))
            .await
    }

    async fn write_archive(
        &self,
        reference: &Reference,
        file: &Path,
        options: &ImageOptions,
    ) -> Result<Digest> {
        let manifest = self.image_manifest(reference, &options.platform()).await?;
        let fields: ManifestFields = serde_json::from_slice(&manifest.bytes).map_err(|e| {
            Error::new(ErrorKind::Protocol, format!("manifest of {reference}: {e}"))
        })?;
        let config = fields.config.ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, format!("{reference} has no config"))
        })?;
        let config_digest = Digest::parse(&config.digest)?;
        let layers = blobs_of(&manifest)?
            .into_iter()
            .filter(|b| b.digest != config_digest)
            .collect::<Vec<_>>();
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_total(layers.iter().map(|l| l.size).sum::<u64>() + config.size);

        let partial = PartialFile::new(file);
        let out = tokio::fs::File::create(&partial.path)
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", partial.path.display())))?;
        let mut out = BufWriter::with_capacity(1024 * 1024, out);
        let config_bytes = self.config_of(reference, &manifest).await?.bytes;
        let config_name = format!("{}.json", config_digest.hex());
        tar::write_file(&mut out, &config_name, &config_bytes).await?;
        tracker.advance(&config_digest, config.size, config.size, config.size);
        let mut layer_names = Vec::new();
        for layer in &layers {
            check_cancel(options)?;
            let name = format!("{}.tar", layer.digest.hex());
            out.write_all(&tar::header(&name, layer.size)?).await?;
            let mut reader = self.get_blob(reference, &layer.digest).await?;
            reader.expect_size(layer.size)?;
            let mut done = 0u64;
            while let Some(chunk) = reader.chunk().await? {
                out.write_all(&chunk).await?;
                done += chunk.len() as u64;
                tracker.advance(&layer.digest, chunk.len() as u64, done, layer.size);
            }
            out.write_all(&[0u8; 512][..tar::padding(layer.size)])
                .await?;
            layer_names.push(name);
        }
        let repo_tags = match reference.tag() {
            Some(tag) => vec![format!(
                "{}/{}:{tag}",
                reference.registry(),
                reference.repository()
            )],
            None => Vec::new(),
        };
        let index = vec![ArchiveEntry {
            config: config_name,
            repo_tags,
            layers: layer_names,
        }];
        let index = serde_json::to_vec(&index)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("manifest.json: {e}")))?;
        tar::write_file(&mut out, "manifest.json", &index).await?;
        tar::finish(&mut out).await?;
        out.into_inner().sync_all().await?;
        partial
            .commit()
            .await
            .map_err(|e| e.context(file.display()))?;
        Ok(manifest.digest)
    }
}

fn check_cancel(options: &ImageOptions) -> Result<()> {
    match &options.cancel {
        Some(token) => token.check(),
        None => Ok(()),
    }
}

/// A file written under a temporary name, renamed when complete and
/// removed when dropped before.
struct PartialFile {
    path: PathBuf,
    target: PathBuf,
    done: bool,
}

impl PartialFile {
    fn new(target: &Path) -> PartialFile {
        let mut name = target
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(format!(".partial-{}", std::process::id()));
        PartialFile {
            path: target.with_file_name(name),
            target: target.to_path_buf(),
            done: false,
        }
    }

    async fn commit(mut self) -> Result<()> {
        tokio::fs::rename(&self.path, &self.target).await?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
