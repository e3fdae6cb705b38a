//! Image sources and destinations, one file per transport, named as
//! skopeo names them ([`ImageName`]): `docker://` (`registry.rs`), `oci:`
//! (`oci_layout.rs`), `oci-archive:` (`oci_archive.rs`), `docker-archive:`
//! (`docker_archive.rs` reads, `docker_archive_writer.rs` writes) and
//! `dir:` (`dir.rs`); tar files are read through `tar_index.rs` and written
//! through `archive_writer.rs`, their blobs read ahead (`read_ahead.rs`).
//! Into a layout or an oci-archive, a Docker image is read through
//! `converted.rs`, converted to OCI as skopeo converts it.
//!
//! A source gives the top manifest, a manifest by digest and a blob as a
//! stream; a destination takes blobs, then the manifests, and puts the
//! image in place. They are enums rather than trait objects: the set of
//! transports is closed, the methods are async (a trait object would box
//! every future), and a `match` keeps each format's code in its own file
//! while the copy stays generic. Sources never verify: every destination
//! verifies each blob against its digest while writing it, before the
//! destination counts it as complete.

mod archive_writer;
mod converted;
mod dir;
mod docker_archive;
mod docker_archive_writer;
mod gzip_layer;
mod name;
mod oci_archive;
mod oci_layout;
mod read_ahead;
mod registry;
pub(crate) mod tar_index;

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;

pub(crate) use self::archive_writer::{ArchiveWriter, split_target};
pub(crate) use self::converted::ConvertedSource;
use self::dir::{DirDestination, DirSource};
use self::docker_archive::DockerArchiveSource;
pub(crate) use self::docker_archive::list_tags as docker_archive_tags;
use self::docker_archive_writer::DockerArchiveDestination;
pub use self::name::ImageName;
pub(crate) use self::oci_archive::blob_member;
use self::oci_archive::{OciArchiveDestination, OciArchiveSource};
use self::oci_layout::{LayoutDestination, LayoutSource};
use self::read_ahead::ReadAhead;
use self::registry::{RegistryDestination, RegistrySource};
use self::tar_index::TarIndex;
use super::concurrent::run_all;
use super::layout::OciLayout;
use super::options::ImageOptions;
use super::plan::{BlobRef, Plan};
use super::progress::Tracker;
use super::resume::UploadRecords;
use crate::client::{Client, Manifest};
use crate::descriptor::Descriptor;
use crate::digest::Digest;
use crate::error::Result;

/// The largest manifest read from a file.
pub(crate) const MAX_MANIFEST: u64 = 4 * 1024 * 1024;

/// A blob's bytes as a source gives them (not yet verified).
pub(crate) type BlobStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// Where an image is read from.
pub(crate) enum Source {
    Registry(RegistrySource),
    Layout(LayoutSource),
    OciArchive(OciArchiveSource),
    DockerArchive(Box<DockerArchiveSource>),
    Dir(DirSource),
    Converted(ConvertedSource),
}

impl Source {
    /// Opens the image `name` names (`options.layout_name` selects in a
    /// layout or an oci-archive when the name has no `:REF`).
    pub async fn open(client: &Client, name: &ImageName, options: &ImageOptions) -> Result<Source> {
        let or_option = |n: &Option<String>| n.clone().or_else(|| options.layout_name.clone());
        Ok(match name {
            ImageName::Registry(reference) => {
                Source::Registry(RegistrySource::new(client.clone(), reference.clone()))
            }
            ImageName::Layout { dir, name } => {
                Source::Layout(LayoutSource::open(dir, or_option(name).as_deref()).await?)
            }
            ImageName::OciArchive { file, name } => {
                Source::OciArchive(OciArchiveSource::open(file, or_option(name).as_deref()).await?)
            }
            ImageName::DockerArchive { file, name } => Source::DockerArchive(Box::new(
                DockerArchiveSource::open(file, name.as_deref()).await?,
            )),
            ImageName::Dir { dir } => Source::Dir(DirSource::open(dir)),
        })
    }

    /// The image `top` of an opened layout directory (an attachment, which
    /// may have no name to open it by).
    pub fn layout_image(layout: OciLayout, top: Descriptor) -> Source {
        Source::Layout(LayoutSource { layout, top })
    }

    /// The image `top` of an indexed oci-archive (as
    /// [`Source::layout_image`]).
    pub fn archive_image(tar: TarIndex, top: Descriptor) -> Source {
        Source::OciArchive(OciArchiveSource { tar, top })
    }

    /// The manifest the name points at.
    pub async fn top(&self) -> Result<Manifest> {
        match self {
            Source::Registry(s) => s.top().await,
            Source::Layout(s) => s.top().await,
            Source::OciArchive(s) => s.top().await,
            Source::DockerArchive(s) => Ok(s.top()),
            Source::Dir(s) => s.top().await,
            Source::Converted(s) => Ok(s.top()),
        }
    }

    /// A manifest an index names.
    pub async fn manifest(&self, digest: Digest, media_type: String) -> Result<Manifest> {
        match self {
            Source::Registry(s) => s.manifest(digest).await,
            Source::Layout(s) => s.manifest(digest, media_type).await,
            Source::OciArchive(s) => s.manifest(digest, media_type).await,
            Source::DockerArchive(_) => Err(crate::error::Error::new(
                crate::error::ErrorKind::NotFound,
                format!("a docker-archive holds no manifest {digest}"),
            )),
            Source::Dir(s) => s.manifest(digest, media_type).await,
            Source::Converted(s) => Box::pin(s.manifest(digest, media_type)).await,
        }
    }

    /// The bytes of a blob.
    pub async fn blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        match self {
            Source::Registry(s) => s.blob(blob).await,
            Source::Layout(s) => s.blob(blob).await,
            Source::OciArchive(s) => s.blob(blob).await,
            Source::DockerArchive(s) => s.blob(blob).await,
            Source::Dir(s) => s.blob(blob).await,
            Source::Converted(s) => Box::pin(s.blob(blob)).await,
        }
    }

    /// What moves: one platform's image, or with `all_platforms` the index
    /// and everything under it.
    pub async fn plan(&self, options: &ImageOptions) -> Result<Plan> {
        let top = self.top().await?;
        Plan::build(top, options, |digest, media_type| {
            self.manifest(digest, media_type)
        })
        .await
    }

    /// Converts the source as skopeo does for `target` where the source's
    /// manifest cannot go unchanged: a docker-archive's plain layers are
    /// gzipped for a registry (Docker schema 2) and for an OCI layout or
    /// oci-archive (an OCI manifest); `dir:` and docker-archive
    /// destinations keep them plain, as skopeo keeps them.
    pub async fn convert_for(&mut self, target: &ImageName) -> Result<()> {
        let Source::DockerArchive(s) = self else {
            return Ok(());
        };
        match target {
            ImageName::Registry(_) | ImageName::Layout { .. } | ImageName::OciArchive { .. } => {
                s.gzip_layers().await
            }
            ImageName::DockerArchive { .. } | ImageName::Dir { .. } => Ok(()),
        }
    }

    /// The name a docker-archive written from this source is tagged with:
    /// the registry reference's, or the docker-archive's own.
    fn repo_tag(&self) -> Option<String> {
        match self {
            Source::Registry(s) => s.reference.tag().map(|tag| {
                format!(
                    "{}/{}:{tag}",
                    s.reference.registry(),
                    s.reference.repository()
                )
            }),
            Source::DockerArchive(s) => s.repo_tag().map(str::to_string),
            Source::Converted(s) => s.inner().repo_tag(),
            _ => None,
        }
    }
}

/// Where an image is written.
pub(crate) enum Destination {
    Registry(RegistryDestination),
    Layout(LayoutDestination),
    OciArchive(OciArchiveDestination),
    DockerArchive(DockerArchiveDestination),
    Dir(DirDestination),
}

impl Destination {
    /// Opens the destination `name` names for what `plan` moves out of
    /// `source`. Nothing at the destination changes until
    /// [`Destination::finish`], except an OCI layout's blobs (content
    /// addressed, each put in place once verified).
    pub async fn open(
        client: &Client,
        name: &ImageName,
        source: &Source,
        plan: &Plan,
        options: &ImageOptions,
    ) -> Result<Destination> {
        Ok(match name {
            ImageName::Registry(reference) => {
                let mut mounts = options.mount_from.clone();
                if let Source::Registry(from) = source
                    && from.reference.api_host() == reference.api_host()
                {
                    mounts.insert(0, from.reference.repository().to_string());
                }
                let records = match &options.resume_dir {
                    Some(dir) => Some(UploadRecords::open(dir)?),
                    None => None,
                };
                Destination::Registry(RegistryDestination {
                    client: client.clone(),
                    reference: reference.clone(),
                    mounts,
                    records,
                })
            }
            ImageName::Layout { dir, name } => Destination::Layout(LayoutDestination {
                layout: OciLayout::create(dir.clone()).await?,
                name: name.clone().or_else(|| options.layout_name.clone()),
            }),
            ImageName::OciArchive { file, name } => Destination::OciArchive(
                OciArchiveDestination::create(
                    file,
                    name.clone().or_else(|| options.layout_name.clone()),
                )
                .await?,
            ),
            ImageName::DockerArchive { file, name } => {
                let tag = name.clone().or_else(|| source.repo_tag());
                Destination::DockerArchive(DockerArchiveDestination::create(file, plan, tag)?)
            }
            ImageName::Dir { dir } => Destination::Dir(DirDestination::create(dir)?),
        })
    }

    /// Moves every blob of `plan`: at the client's concurrency into a
    /// registry, a layout or a directory; one after the other into a tar,
    /// the next ones read ahead meanwhile (`read_ahead.rs`).
    pub async fn put_blobs(
        &mut self,
        source: &Arc<Source>,
        plan: &Plan,
        tracker: &Arc<Tracker>,
        concurrency: usize,
        options: &ImageOptions,
    ) -> Result<()> {
        let blobs = plan.blobs.clone();
        let cancel = options.cancel.as_ref();
        macro_rules! concurrently {
            ($dest:expr) => {{
                let (dest, source, tracker) = ($dest.clone(), source.clone(), tracker.clone());
                run_all(blobs, concurrency, cancel, move |blob| {
                    let (dest, source, tracker) = (dest.clone(), source.clone(), tracker.clone());
                    async move { dest.put_blob(&source, &blob, &tracker).await }
                })
                .await
            }};
        }
        match self {
            Destination::Registry(d) => concurrently!(d),
            Destination::Layout(d) => concurrently!(d),
            Destination::Dir(d) => concurrently!(d),
            Destination::OciArchive(d) => {
                let mut ahead = ReadAhead::start(source, &blobs);
                while let Some((blob, body)) = ahead.next() {
                    options.step(d.put_blob(&blob, body, tracker)).await?;
                }
                Ok(())
            }
            Destination::DockerArchive(d) => {
                let mut ahead = ReadAhead::start(source, &blobs);
                while let Some((blob, body)) = ahead.next() {
                    options.step(d.put_blob(&blob, body, tracker)).await?;
                }
                Ok(())
            }
        }
    }

    /// Writes the manifests and puts the image in place; the digest of the
    /// top manifest.
    pub async fn finish(self, plan: &Plan) -> Result<Digest> {
        match self {
            Destination::Registry(d) => d.finish(plan).await,
            Destination::Layout(d) => d.finish(plan).await,
            Destination::OciArchive(d) => d.finish(plan).await,
            Destination::DockerArchive(d) => d.finish(plan).await,
            Destination::Dir(d) => d.finish(plan).await,
        }
    }
}
