//! Layers: the config and layers of one image, from any transport, into a
//! directory (containers/image's `Image.LayerInfos` + `GetBlob`, skopeo's
//! old `layers` command).
//!
//! The layout is skopeo's: each blob is the file named by its digest's hex
//! (`<hex>`, as skopeo `layers` and the `dir:` transport name them), so
//! the files of a fetch are the blobs of the same image copied to `dir:`,
//! and a name says which bytes it holds. Nothing else is written: the
//! caller gets the list (digest, size, media type, file) and already has
//! the manifest. Each blob streams into a locked temporary file in the
//! directory, is verified against its digest and size, and only then is
//! put in place (`place_file`): linked, so an existing name is never
//! replaced, or with `overwrite` renamed over a regular file (never over
//! a symlink or a directory). Every target is checked before a byte moves,
//! so a refused fetch writes nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::blob_file::write_verified;
use super::concurrent::run_all;
use super::layout_fs::io_error;
use super::options::ImageOptions;
use super::place_file::{check_target, place};
use super::plan::BlobRef;
use super::progress::{BlobOutcome, Tracker};
use super::source_ops::single_image;
use super::temp_file::{self, TempFile};
use super::transport::{ImageName, Source};
use crate::client::Client;
use crate::digest::Digest;
use crate::error::Result;

/// The stem of the temporary files a fetch writes.
const TEMP_STEM: &str = "ocireg-layer";

/// A blob [`Client::fetch_layers`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerFile {
    /// Its file name in the directory: the digest's hex.
    pub file: String,
    /// The digest of its contents.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type, as the manifest gives it (the config's first).
    pub media_type: String,
}

impl Client {
    /// Writes the config and the layers of the image `name` names (on any
    /// transport; through an index, the image of the one platform of
    /// `options.platforms`, else
    /// this machine's) into `dir`, created when missing, each as the file
    /// named by its digest's hex; returns them, config first, then the
    /// layers in order (a layer listed twice is written once). Each blob
    /// is streamed and verified before it appears. Without `overwrite`,
    /// an existing file of one of those names is an `INVALID_ARGUMENT`
    /// error before anything is written; with it, regular files are
    /// replaced, symlinks and directories still refused.
    pub async fn fetch_layers(
        &self,
        name: &ImageName,
        dir: &Path,
        options: &ImageOptions,
        overwrite: bool,
    ) -> Result<Vec<LayerFile>> {
        let source = Arc::new(options.step(Source::open(self, name, options)).await?);
        let top = options.step(source.top()).await?;
        let plan = options.step(single_image(&source, top, options)).await?;
        let files: Vec<(LayerFile, PathBuf)> = plan
            .blobs
            .iter()
            .map(|blob| {
                let file = blob.digest.hex().to_string();
                let target = dir.join(&file);
                (
                    LayerFile {
                        file,
                        digest: blob.digest.clone(),
                        size: blob.size,
                        media_type: blob.media_type.clone(),
                    },
                    target,
                )
            })
            .collect();
        for (_, target) in &files {
            check_target(target, overwrite)?;
        }
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        temp_file::remove_stale(dir, TEMP_STEM);
        let tracker = Tracker::new(options.progress.clone());
        tracker.add_blobs(plan.blobs.len() as u64, plan.blob_bytes());
        let jobs: Vec<(BlobRef, PathBuf)> = plan
            .blobs
            .iter()
            .cloned()
            .zip(files.iter().map(|(_, target)| target.clone()))
            .collect();
        let dir_owned = dir.to_path_buf();
        run_all(
            jobs,
            self.options().concurrency,
            options.cancel.as_ref(),
            move |(blob, target)| {
                let (source, tracker, dir) = (source.clone(), tracker.clone(), dir_owned.clone());
                async move { fetch_one(&source, &blob, &dir, &target, overwrite, &tracker).await }
            },
        )
        .await?;
        Ok(files.into_iter().map(|(file, _)| file).collect())
    }
}

/// Streams one blob into a temporary file in `dir`, verifies it and puts
/// it in place as `target`.
async fn fetch_one(
    source: &Source,
    blob: &BlobRef,
    dir: &Path,
    target: &Path,
    overwrite: bool,
    tracker: &Tracker,
) -> Result<()> {
    let mut temp = TempFile::create(dir, TEMP_STEM)?;
    let std_file = temp.file().try_clone().map_err(|e| io_error(dir, e))?;
    let mut out = tokio::fs::File::from_std(std_file);
    write_verified(source, blob, &mut out, temp.path(), tracker).await?;
    out.sync_all().await.map_err(|e| io_error(temp.path(), e))?;
    drop(out);
    place(temp, target, overwrite)?;
    tracker.finish(&blob.digest, 0, blob.size, BlobOutcome::Sent);
    Ok(())
}
