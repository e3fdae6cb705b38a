//! `oci-archive:FILE[:REF]`: an OCI image layout held in a tar file, as
//! skopeo reads and writes it. Reading never unpacks: each blob is streamed
//! from its member of the tar (see `tar_index`). Writing streams the blobs
//! into a temporary tar renamed over the file at the end (see
//! `archive_writer`), in a fixed order: `oci-layout`, `blobs/`,
//! `blobs/<alg>/`, the blobs in the order of the plan, the manifests
//! (children first), `index.json`.

use std::path::Path;
use std::sync::Arc;

use super::archive_writer::ArchiveWriter;
use super::tar_index::TarIndex;
use super::{BlobStream, MAX_MANIFEST};
use crate::client::Manifest;
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::image::layout::{LAYOUT_FILE, LayoutIndex, MAX_INDEX_SIZE, REF_NAME};
use crate::image::plan::{BlobRef, Plan};
use crate::image::progress::Tracker;
use crate::image::pull::descriptor_of;
use crate::media_type::OCI_INDEX;

/// The member holding a blob.
pub(crate) fn blob_member(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().name(), digest.hex())
}

/// Reads an image from an oci-archive.
pub(crate) struct OciArchiveSource {
    pub(super) tar: TarIndex,
    pub(super) top: Descriptor,
}

impl OciArchiveSource {
    /// Indexes the archive and finds the image `name` (or its only one).
    pub async fn open(file: &Path, name: Option<&str>) -> Result<OciArchiveSource> {
        let tar = TarIndex::open(file).await?;
        if tar.find("oci-layout")?.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{} is not an oci-archive (no oci-layout member)",
                    file.display()
                ),
            ));
        }
        let bytes = tar.read("index.json", MAX_INDEX_SIZE).await?;
        let index: LayoutIndex = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("{}: index.json: {e}", file.display()),
            )
        })?;
        let top = index.find(name, &file.display().to_string())?;
        Ok(OciArchiveSource { tar, top })
    }

    pub async fn top(&self) -> Result<Manifest> {
        let digest = Digest::parse(&self.top.digest).map_err(|e| e.context("index.json"))?;
        self.manifest(digest, self.top.media_type.clone()).await
    }

    pub async fn manifest(&self, digest: Digest, media_type: String) -> Result<Manifest> {
        let bytes = self.tar.read(&blob_member(&digest), MAX_MANIFEST).await?;
        digest
            .verify(&bytes)
            .map_err(|e| e.context(self.tar.path().display()))?;
        Ok(Manifest {
            bytes,
            media_type,
            digest,
            source: None,
        })
    }

    pub async fn blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        let name = blob_member(&blob.digest);
        let (offset, size) = self.tar.require(&name)?;
        if size != blob.size {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{}: {name} is {size} bytes, the manifest says {}",
                    self.tar.path().display(),
                    blob.size
                ),
            ));
        }
        Ok(Box::pin(self.tar.stream(offset, size).await?))
    }
}

/// Writes an image as an oci-archive; see the module documentation.
pub(crate) struct OciArchiveDestination {
    writer: ArchiveWriter,
    name: Option<String>,
}

impl OciArchiveDestination {
    pub async fn create(file: &Path, name: Option<String>) -> Result<OciArchiveDestination> {
        let mut writer = ArchiveWriter::create(file)?;
        writer.file("oci-layout", LAYOUT_FILE.as_bytes()).await?;
        writer.dir("blobs/").await?;
        Ok(OciArchiveDestination { writer, name })
    }

    async fn dirs_for(&mut self, digest: &Digest) -> Result<String> {
        self.writer
            .dir(&format!("blobs/{}/", digest.algorithm().name()))
            .await?;
        Ok(blob_member(digest))
    }

    /// Writes `blob`, whose bytes `body` gives.
    pub async fn put_blob(
        &mut self,
        blob: &BlobRef,
        body: BlobStream,
        tracker: &Arc<Tracker>,
    ) -> Result<()> {
        let member = self.dirs_for(&blob.digest).await?;
        self.writer.blob(&member, blob, body, tracker).await
    }

    /// Adds the manifests and `index.json`, and puts the file in place.
    pub async fn finish(mut self, plan: &Plan) -> Result<Digest> {
        for manifest in plan.children.iter().chain([&plan.top]) {
            let member = self.dirs_for(&manifest.digest).await?;
            if !self.writer.has(&member) {
                manifest.digest.verify(&manifest.bytes)?;
                self.writer.file(&member, &manifest.bytes).await?;
            }
        }
        let mut top = descriptor_of(&plan.top);
        if let Some(name) = &self.name {
            top.annotations = Some([(REF_NAME.to_string(), name.clone())].into());
        }
        let index = LayoutIndex {
            schema_version: 2,
            media_type: Some(OCI_INDEX.to_string()),
            manifests: vec![top],
            annotations: None,
        };
        let bytes = serde_json::to_vec(&index)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("index.json: {e}")))?;
        self.writer.file("index.json", &bytes).await?;
        self.writer.finish().await?;
        Ok(plan.top.digest.clone())
    }
}
