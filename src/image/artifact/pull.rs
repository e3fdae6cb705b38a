//! Pulling an artifact's files into a directory.
//!
//! Every name is checked before a byte is written ([`check_title`]), and
//! every file is written to a temporary file in the directory and put in
//! place only after its digest checked out: a failed pull leaves each file
//! complete or absent, put in place as `place_file` says.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use super::title::check_title;
use super::{MAX_FILES, TITLE};
use crate::client::Client;
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::concurrent::run_all;
use crate::image::layout_fs::io_error;
use crate::image::place_file::{check_target, place};
use crate::image::temp_file::TempFile;
use crate::media_type::{self, OCI_ARTIFACT_MANIFEST};
use crate::reference::Reference;

/// The stem of the temporary files a pull writes.
const TEMP_STEM: &str = "ocireg-artifact";

/// A file an artifact pull wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledFile {
    /// Its name in the directory (the layer's title).
    pub name: String,
    /// The digest of its contents.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
}

impl Client {
    /// Pulls the files of the artifact at `reference` into `dir` (created
    /// when missing), each under its title, and returns them. Layers
    /// without a title are skipped, as oras does. Titles that are not
    /// plain file names, two layers with one title, more than
    /// [`MAX_FILES`] layers, and (unless `overwrite`) names that exist in
    /// `dir` are refused before anything is written; a symlink or
    /// directory of that name is refused even with `overwrite`.
    pub async fn pull_artifact(
        &self,
        reference: &Reference,
        dir: &Path,
        overwrite: bool,
    ) -> Result<Vec<PulledFile>> {
        let manifest = self.get_manifest(reference).await?;
        if media_type::is_index(&manifest.media_type) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("{reference} is an index, not an artifact: name one of its manifests"),
            ));
        }
        let fields = manifest.fields()?;
        let layers = if manifest.media_type == OCI_ARTIFACT_MANIFEST {
            fields.blobs.unwrap_or_default()
        } else {
            fields.layers.unwrap_or_default()
        };
        if layers.len() > MAX_FILES {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{reference} has {} layers, more than {MAX_FILES}",
                    layers.len()
                ),
            ));
        }
        // Every name is checked before the directory is even created.
        let files = plan_files(&layers, dir, overwrite)?;
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let pulled: Vec<PulledFile> = files.iter().map(|(f, _)| f.clone()).collect();
        // The files come from the endpoint that served the manifest.
        let source = manifest.source.clone().unwrap_or_else(|| reference.clone());
        let (client, source, dir) = (self.clone(), source, dir.to_path_buf());
        run_all(
            files,
            self.options().concurrency,
            None,
            move |(file, target)| {
                let (client, source, dir) = (client.clone(), source.clone(), dir.clone());
                async move { download(&client, &source, &dir, &file, &target, overwrite).await }
            },
        )
        .await?;
        Ok(pulled)
    }
}

/// The files to write and where, every name checked.
fn plan_files(
    layers: &[Descriptor],
    dir: &Path,
    overwrite: bool,
) -> Result<Vec<(PulledFile, PathBuf)>> {
    let mut names = HashSet::new();
    let mut files = Vec::new();
    for layer in layers {
        let Some(title) = layer.annotations.as_ref().and_then(|a| a.get(TITLE)) else {
            continue;
        };
        check_title(title)?;
        if !names.insert(title.clone()) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("two files of the artifact are named {title:?}"),
            ));
        }
        let digest = Digest::parse(&layer.digest)?;
        let target = dir.join(title);
        check_target(&target, overwrite)?;
        files.push((
            PulledFile {
                name: title.clone(),
                digest,
                size: layer.size,
            },
            target,
        ));
    }
    Ok(files)
}

/// Downloads one file into a temporary file and puts it in place once
/// its digest checked out.
async fn download(
    client: &Client,
    source: &Reference,
    dir: &Path,
    file: &PulledFile,
    target: &Path,
    overwrite: bool,
) -> Result<()> {
    let mut temp = TempFile::create(dir, TEMP_STEM)?;
    let std_file = temp.file().try_clone().map_err(|e| io_error(dir, e))?;
    let mut out = tokio::fs::File::from_std(std_file);
    let mut reader = client.get_blob_direct(source, &file.digest).await?;
    reader.expect_size(file.size)?;
    // `chunk` returns the end only after the digest checked out.
    while let Some(bytes) = reader.chunk().await? {
        out.write_all(&bytes)
            .await
            .map_err(|e| io_error(temp.path(), e))?;
    }
    out.sync_all().await.map_err(|e| io_error(temp.path(), e))?;
    drop(out);
    place(temp, target, overwrite)
}
