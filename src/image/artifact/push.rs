//! Pushing files as an artifact.

use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use super::manifest::{FileLayer, artifact_manifest, rfc3339};
use super::title::check_title;
use super::{CREATED, DEFAULT_ARTIFACT_TYPE, DEFAULT_FILE_MEDIA_TYPE, MAX_FILES};
use crate::client::{Client, EMPTY_CONFIG};
use crate::descriptor::Descriptor;
use crate::digest::{Algorithm, Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::image::concurrent::run_all;
use crate::image::layout_fs::io_error;
use crate::image::plan::BlobRef;
use crate::image::progress::Tracker;
use crate::image::stream::{file_body, send_blob};
use crate::media_type::OCI_MANIFEST;
use crate::reference::Reference;

/// The read size when hashing a file.
const HASH_CHUNK: usize = 1024 * 1024;

/// One file of an artifact to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactFile {
    /// The file; its base name becomes its title
    /// (`org.opencontainers.image.title`).
    pub path: PathBuf,
    /// The media type of its layer (default
    /// [`DEFAULT_FILE_MEDIA_TYPE`](super::DEFAULT_FILE_MEDIA_TYPE)).
    pub media_type: Option<String>,
}

/// What an artifact push can be told.
#[derive(Debug, Clone, Default)]
pub struct ArtifactOptions {
    /// The manifest's `artifactType` (default
    /// [`DEFAULT_ARTIFACT_TYPE`](super::DEFAULT_ARTIFACT_TYPE)).
    pub artifact_type: Option<String>,
    /// The manifest's annotations. `org.opencontainers.image.created` is
    /// added with the current time unless given (as oras does).
    pub annotations: BTreeMap<String, String>,
    /// The manifest the artifact refers to (its `subject`), in the same
    /// repository.
    pub subject: Option<Reference>,
}

impl Client {
    /// Pushes `files` as an artifact to `reference` (its tag) and returns
    /// the manifest's digest. Each file is hashed, then streamed to the
    /// registry (skipped when the registry has it) and verified as it
    /// leaves; the manifest goes last. At most [`MAX_FILES`] files, each a
    /// regular file with a distinct base name that is a valid title.
    pub async fn push_artifact(
        &self,
        reference: &Reference,
        files: &[ArtifactFile],
        options: &ArtifactOptions,
    ) -> Result<Digest> {
        if reference.digest().is_some() {
            return Err(invalid(format!(
                "push an artifact to a tag, not to a digest ({reference})"
            )));
        }
        if files.is_empty() || files.len() > MAX_FILES {
            return Err(invalid(format!(
                "an artifact holds 1 to {MAX_FILES} files, not {}",
                files.len()
            )));
        }
        let subject = match &options.subject {
            Some(s) => Some(self.subject_descriptor(reference, s).await?),
            None => None,
        };
        let mut layers = Vec::with_capacity(files.len());
        let mut titles = HashSet::new();
        for file in files {
            let title = title_of(&file.path)?;
            if !titles.insert(title.clone()) {
                return Err(invalid(format!("two files are named {title:?}")));
            }
            let (digest, size) = hash_file(&file.path).await?;
            layers.push(FileLayer {
                media_type: file
                    .media_type
                    .clone()
                    .unwrap_or_else(|| DEFAULT_FILE_MEDIA_TYPE.to_string()),
                digest,
                size,
                title,
            });
        }
        let mut annotations = options.annotations.clone();
        annotations
            .entry(CREATED.to_string())
            .or_insert_with(|| rfc3339(SystemTime::now()));
        let artifact_type = options
            .artifact_type
            .as_deref()
            .unwrap_or(DEFAULT_ARTIFACT_TYPE);
        let manifest = artifact_manifest(artifact_type, &layers, subject.as_ref(), &annotations);

        let config = Digest::sha256_of(EMPTY_CONFIG);
        if !self.blob_exists_direct(reference, &config).await? {
            self.push_blob(reference, Bytes::from_static(EMPTY_CONFIG))
                .await?;
        }
        let tracker = Tracker::new(None);
        let uploads: Vec<(BlobRef, PathBuf)> = layers
            .iter()
            .zip(files)
            .map(|(layer, file)| {
                let blob = BlobRef {
                    digest: layer.digest.clone(),
                    size: layer.size,
                    media_type: layer.media_type.clone(),
                };
                (blob, file.path.clone())
            })
            .collect();
        let (client, target) = (self.clone(), reference.clone());
        run_all(
            uploads,
            self.options().concurrency,
            None,
            move |(blob, path)| {
                let (client, target, tracker) = (client.clone(), target.clone(), tracker.clone());
                async move {
                    send_blob(&client, &target, &blob, &[], &tracker, |progress| {
                        let path = path.clone();
                        async move {
                            let file = open_regular_file(&path)?;
                            Ok(file_body(tokio::fs::File::from_std(file), progress))
                        }
                    })
                    .await
                }
            },
        )
        .await?;
        self.put_manifest(reference, manifest, OCI_MANIFEST).await
    }

    /// The descriptor of the subject manifest, which must be in the
    /// repository of `reference`.
    async fn subject_descriptor(
        &self,
        reference: &Reference,
        subject: &Reference,
    ) -> Result<Descriptor> {
        if subject.api_host() != reference.api_host()
            || subject.repository() != reference.repository()
        {
            return Err(invalid(format!(
                "the subject {subject} is not in the artifact's repository {}",
                reference.repository()
            )));
        }
        let info = self.head_manifest_direct(subject).await?;
        Ok(Descriptor {
            media_type: info.media_type,
            digest: info.digest.to_string(),
            size: info.size,
            artifact_type: None,
            annotations: None,
            platform: None,
        })
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// The title of a file: its base name, checked like a pulled title.
fn title_of(path: &Path) -> Result<String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| invalid(format!("{}: no UTF-8 file name", path.display())))?;
    check_title(name)?;
    Ok(name.to_string())
}

/// Opens a regular file (never blocking on a FIFO or reading a device).
fn open_regular_file(path: &Path) -> Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if !meta.is_file() {
        return Err(invalid(format!("{}: not a regular file", path.display())));
    }
    Ok(file)
}

/// The digest and size of a file's contents.
async fn hash_file(path: &Path) -> Result<(Digest, u64)> {
    let mut file = tokio::fs::File::from_std(open_regular_file(path)?);
    let mut hasher = Hasher::new(Algorithm::Sha256);
    let mut buffer = vec![0; HASH_CHUNK];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .await
            .map_err(|e| io_error(path, e))?;
        if n == 0 {
            return Ok((hasher.finish(), size));
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
}
