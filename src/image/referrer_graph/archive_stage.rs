//! An oci-archive written with the image's attachments: an archive is
//! written in one pass, in order, so the image and its attachments are
//! first copied into a staging OCI layout beside the archive (a hidden
//! directory in the archive's own directory, removed however the copy
//! ends; see `stage_dir`), which is then written out as the archive: `oci-layout`, the
//! blobs, `index.json`, the layout's files as they are. The archive takes
//! the place of the file only once complete, as every archive ocireg
//! writes.

use std::path::Path;

use super::super::layout::{LAYOUT_FILE, OciLayout};
use super::super::options::ImageOptions;
use super::super::plan::BlobRef;
use super::super::progress::Tracker;
use super::super::stage_dir::{self, StageDir};
use super::super::transport::tar_index::region_stream;
use super::super::transport::{ArchiveWriter, ImageName, blob_member, split_target};
use crate::client::Client;
use crate::digest::{Algorithm, Digest};
use crate::error::{Error, ErrorKind, Result};

impl Client {
    /// Copies `source`, with what is attached to it, into the oci-archive
    /// `file` (the image named `name` there).
    pub(crate) async fn copy_into_archive(
        &self,
        source: &ImageName,
        file: &Path,
        name: &Option<String>,
        options: &ImageOptions,
    ) -> Result<Digest> {
        let (dir, file_name) = split_target(file)?;
        stage_dir::remove_stale(dir, file_name);
        let stage = StageDir::create(dir, file_name)?;
        let staged = ImageName::Layout {
            dir: stage.path().to_path_buf(),
            name: name.clone(),
        };
        let digest = Box::pin(self.copy_image(source, &staged, options)).await?;
        options.step(write_archive(stage.path(), file)).await?;
        Ok(digest)
    }
}

/// Writes the layout at `dir` as the oci-archive `file`.
async fn write_archive(dir: &Path, file: &Path) -> Result<()> {
    let layout = OciLayout::open(dir).await?;
    let index = layout.read_index().await?;
    let index_bytes = serde_json::to_vec(&index)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("index.json: {e}")))?;
    let mut writer = ArchiveWriter::create(file)?;
    writer.file("oci-layout", LAYOUT_FILE.as_bytes()).await?;
    writer.dir("blobs/").await?;
    let tracker = Tracker::new(None);
    for digest in layout_blobs(dir)? {
        writer
            .dir(&format!("blobs/{}/", digest.algorithm().name()))
            .await?;
        let (blob, size) = layout.open_blob(&digest).await?;
        let body = Box::pin(region_stream(blob, size, layout.blob_path(&digest)));
        let blob = BlobRef {
            digest: digest.clone(),
            size,
            media_type: String::new(),
        };
        writer
            .blob(&blob_member(&digest), &blob, body, &tracker)
            .await?;
    }
    writer.file("index.json", &index_bytes).await?;
    writer.finish().await
}

/// The blobs of the staging layout, in a fixed order (an archive of the
/// same content is the same archive).
fn layout_blobs(dir: &Path) -> Result<Vec<Digest>> {
    let mut digests = Vec::new();
    for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
        let blobs = dir.join("blobs").join(algorithm.name());
        let entries = match std::fs::read_dir(&blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("reading {}: {e}", blobs.display()),
                ));
            }
        };
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::new(ErrorKind::Io, format!("reading {}: {e}", blobs.display()))
            })?;
            let name = entry.file_name();
            // Temporary files of the staging copy are not blobs.
            let Some(digest) = name
                .to_str()
                .and_then(|hex| Digest::parse(&format!("{}:{hex}", algorithm.name())).ok())
            else {
                continue;
            };
            digests.push(digest);
        }
    }
    digests.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(digests)
}
