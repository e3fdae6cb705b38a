//! Save: an image as a docker-archive tarball (`manifest.json`, the config,
//! the layers) that `docker load`, `podman load` and skopeo read.

use std::path::Path;

use serde::Serialize;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::layout_fs::io_error;
use super::options::ImageOptions;
use super::plan::blobs_of;
use super::progress::{BlobOutcome, Tracker};
use super::tar;
use super::temp_file::{self, TempFile};
use crate::client::Client;
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
    /// `file` as a docker-archive. The file appears only when complete: it
    /// is written as a locked temporary file next to it (removed on every
    /// failure; one a killed save left is removed by the next save to the
    /// same file) and renamed at the end.
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
        let fields = manifest.fields().map_err(|e| e.context(reference))?;
        let config = fields.config.ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, format!("{reference} has no config"))
        })?;
        let config_digest = Digest::parse(&config.digest)?;
        let layers = blobs_of(&manifest)?
            .into_iter()
            .filter(|b| b.digest != config_digest)
            .collect::<Vec<_>>();
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_blobs(
            layers.len() as u64 + 1,
            layers.iter().map(|l| l.size).sum::<u64>() + config.size,
        );

        let (dir, name) = split_target(file)?;
        temp_file::remove_stale(dir, &format!("{name}-"));
        // Removed on every error path and on cancel (when dropped).
        let mut partial = TempFile::create(dir, name)?;
        let out = partial
            .file()
            .try_clone()
            .map_err(|e| io_error(partial.path(), e))?;
        let mut out = BufWriter::with_capacity(1024 * 1024, tokio::fs::File::from_std(out));
        let config_bytes = self.config_of(reference, &manifest).await?.bytes;
        let config_name = format!("{}.json", config_digest.hex());
        tar::write_file(&mut out, &config_name, &config_bytes).await?;
        tracker.finish(&config_digest, config.size, config.size, BlobOutcome::Sent);
        let mut layer_names = Vec::new();
        for layer in &layers {
            check_cancel(options)?;
            let name = format!("{}.tar", layer.digest.hex());
            out.write_all(&tar::header(&name, layer.size)?).await?;
            let source = manifest.source.as_ref().unwrap_or(reference);
            let mut reader = self.get_blob_direct(source, &layer.digest).await?;
            reader.expect_size(layer.size)?;
            let mut done = 0u64;
            while let Some(chunk) = reader.chunk().await? {
                out.write_all(&chunk).await?;
                done += chunk.len() as u64;
                tracker.advance(&layer.digest, chunk.len() as u64, done, layer.size);
            }
            out.write_all(&[0u8; 512][..tar::padding(layer.size)])
                .await?;
            tracker.finish(&layer.digest, 0, layer.size, BlobOutcome::Sent);
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
        out.into_inner()
            .sync_all()
            .await
            .map_err(|e| io_error(partial.path(), e))?;
        partial.persist(file)?;
        Ok(manifest.digest)
    }
}

fn check_cancel(options: &ImageOptions) -> Result<()> {
    match &options.cancel {
        Some(token) => token.check(),
        None => Ok(()),
    }
}

/// The directory and file name of `file`: the temporary file goes next to
/// it, so that the final rename stays within one file system.
fn split_target(file: &Path) -> Result<(&Path, &str)> {
    let name = file.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{}: not a file name", file.display()),
        )
    })?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Ok((dir, name))
}
