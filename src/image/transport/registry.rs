//! `docker://`: an image in a registry, read and written through the client.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures_util::stream;

use super::{BlobStream, Source};
use crate::client::{BlobDownload, Client, Manifest};
use crate::digest::Digest;
use crate::error::Result;
use crate::image::plan::{BlobRef, Plan};
use crate::image::progress::Tracker;
use crate::image::resume::{UploadRecords, put_blob_resumable};
use crate::image::stream::{counted_body, send_blob};
use crate::reference::Reference;

/// Reads an image from a registry. Everything after the top manifest
/// comes from the endpoint that served it (a mirror, with a
/// registries.conf), as in containers/image.
pub(crate) struct RegistrySource {
    pub client: Client,
    pub reference: Reference,
    /// The endpoint that served the top manifest, once it has.
    served_by: OnceLock<Reference>,
}

impl RegistrySource {
    /// Reads `reference` through `client`.
    pub fn new(client: Client, reference: Reference) -> RegistrySource {
        RegistrySource {
            client,
            reference,
            served_by: OnceLock::new(),
        }
    }

    /// The endpoint manifests by digest and blobs are read from.
    fn endpoint(&self) -> &Reference {
        self.served_by.get().unwrap_or(&self.reference)
    }

    pub async fn top(&self) -> Result<Manifest> {
        let top = self.client.get_manifest(&self.reference).await?;
        let served_by = top.source.clone().unwrap_or_else(|| self.reference.clone());
        // A second call finds the same endpoint already recorded.
        let _ = self.served_by.set(served_by);
        Ok(top)
    }

    pub async fn manifest(&self, digest: Digest) -> Result<Manifest> {
        self.client
            .get_manifest_direct(&self.endpoint().with_digest(digest))
            .await
    }

    /// The blob's bytes as they arrive, in order (the destination verifies
    /// them): a large blob over several connections at once where that
    /// helps, as the client's `ranged_download` says.
    pub async fn blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        let mode = self.client.options().ranged_download;
        let download = self
            .client
            .download_blob(self.endpoint(), &blob.digest, (0, blob.size), mode)
            .await?;
        Ok(Box::pin(download_stream(download)))
    }
}

fn download_stream(download: BlobDownload) -> impl futures_util::Stream<Item = Result<Bytes>> {
    stream::unfold((download, false), |(mut download, ended)| async move {
        if ended {
            return None;
        }
        match download.chunk().await {
            Ok(Some(bytes)) => Some((Ok(bytes), (download, false))),
            Ok(None) => None,
            Err(e) => Some((Err(e), (download, true))),
        }
    })
}

/// Writes an image to a registry: blobs it has are skipped, blobs in the
/// `mounts` repositories mounted, the rest uploaded (verified as they leave),
/// in recorded sessions that a later copy continues when `records` is set.
#[derive(Clone)]
pub(crate) struct RegistryDestination {
    pub client: Client,
    pub reference: Reference,
    pub mounts: Vec<String>,
    pub records: Option<UploadRecords>,
}

impl RegistryDestination {
    pub async fn put_blob(
        &self,
        source: &Arc<Source>,
        blob: &BlobRef,
        tracker: &Arc<Tracker>,
    ) -> Result<()> {
        match &self.records {
            Some(records) => {
                let to = (&self.reference, self.mounts.as_slice());
                let open = || source.blob(blob);
                put_blob_resumable(&self.client, to, blob, records, tracker, open).await
            }
            None => {
                send_blob(
                    &self.client,
                    &self.reference,
                    blob,
                    &self.mounts,
                    tracker,
                    |progress| async move { Ok(counted_body(source.blob(blob).await?, progress)) },
                )
                .await
            }
        }
    }

    /// Pushes the manifests, children first; the digest of the top one.
    pub async fn finish(&self, plan: &Plan) -> Result<Digest> {
        self.client.push_manifests(&self.reference, plan).await
    }
}
