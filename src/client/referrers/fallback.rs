//! The tag-schema fallback: a subject's referrers listed in an index under
//! the tag `sha256-<hex>`, for registries without the referrers API.
//!
//! Other clients and tools update the same index, and registries offer no
//! conditional PUT, so every update runs under the client's per-subject
//! lock, is written, and is read back after a short settling delay; when
//! another writer's index replaced ours, the update is merged again, up to
//! [`MAX_MERGE_ROUNDS`] times, and then reported as an error (never lost
//! silently).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use tokio::sync::OwnedMutexGuard;

use super::fallback_tag;
use crate::client::Client;
use crate::client::body::parse_json;
use crate::descriptor::{Descriptor, Index};
use crate::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use crate::media_type::OCI_INDEX;
use crate::reference::Reference;
use crate::transport::retry::{backoff, jitter};

/// The most write-and-read-back rounds of one fallback index update.
pub(crate) const MAX_MERGE_ROUNDS: u32 = 5;

/// How many times a fallback index GET answered with a server error (the
/// registry racing with another writer) is tried again.
const SERVER_ERROR_RETRIES: u32 = 3;

/// How many entries of an index are checked (HEAD) at once when repairing it.
const REPAIR_CONCURRENCY: usize = 8;

/// The fallback index as the registry holds it.
pub(super) struct StoredIndex {
    /// The parsed index.
    pub(super) index: Index,
    /// The digest of the stored bytes.
    pub(super) digest: Digest,
}

impl Client {
    /// The subject's fallback index, `None` when the tag does not exist.
    /// A tag that holds something other than an image index, or an index
    /// with more entries than the client's `max_list_entries`, is an error
    /// (ocireg neither lists nor overwrites what it does not understand);
    /// bodies over 4 MiB are refused by the manifest fetch.
    pub(super) async fn read_fallback(
        &self,
        reference: &Reference,
        subject: &Digest,
    ) -> Result<Option<StoredIndex>> {
        let tag = fallback_tag(subject);
        let tagged = reference.with_tag(&tag)?;
        let what = format!(
            "the referrers fallback index {}:{tag}",
            reference.repository()
        );
        let mut attempt = 0;
        let manifest = loop {
            match self.get_manifest_direct(&tagged).await {
                Ok(m) => break m,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                // distribution answers 500 to a GET of a tag another
                // writer is replacing at that moment: look again.
                Err(e) if e.kind() == ErrorKind::Server && attempt < SERVER_ERROR_RETRIES => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e.context(&what)),
            }
        };
        if manifest.media_type != OCI_INDEX {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "{what} holds a {}, not an image index; ocireg leaves it alone",
                    manifest.media_type
                ),
            ));
        }
        let index: Index = parse_json(&manifest.bytes, &what)?;
        let max = self.options().max_list_entries;
        if index.manifests.len() > max {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "{what} has {} entries, more than {max} (the client's max_list_entries)",
                    index.manifests.len()
                ),
            ));
        }
        Ok(Some(StoredIndex {
            index,
            digest: manifest.digest,
        }))
    }

    /// Adds `entry` (a pushed manifest) to its subject's fallback index,
    /// dropping entries that name manifests the registry no longer has.
    pub(crate) async fn add_to_referrers_fallback(
        &self,
        reference: &Reference,
        subject: &Descriptor,
        entry: Descriptor,
    ) -> Result<()> {
        let subject = Digest::parse(&subject.digest)
            .map_err(|e| e.context("the pushed manifest's subject"))?;
        let _guard = self.lock_subject(reference, &subject).await;
        let max = self.options().max_list_entries;
        let mut live = HashSet::from([entry.digest.clone()]);
        for round in 0..MAX_MERGE_ROUNDS {
            if round > 0 {
                settle(Duration::ZERO).await;
            }
            let mut started = Instant::now();
            let first = self.read_fallback(reference, &subject).await?;
            let entries = first.map(|s| s.index.manifests).unwrap_or_default();
            let unchecked: Vec<String> = entries
                .iter()
                .map(|d| d.digest.clone())
                .filter(|d| !live.contains(d))
                .collect();
            let checked_any = !unchecked.is_empty();
            let gone = self.gone_manifests(reference, &unchecked).await?;
            live.extend(unchecked.into_iter().filter(|d| !gone.contains(d)));
            // Re-read after the checks, which took time: the write below
            // should start from the freshest index we can get.
            let mut entries = if checked_any {
                started = Instant::now();
                self.read_fallback(reference, &subject)
                    .await?
                    .map(|s| s.index.manifests)
                    .unwrap_or_default()
            } else {
                entries
            };
            let before = entries.len();
            entries.retain(|d| !gone.contains(&d.digest));
            let repaired = entries.len() != before;
            let present = entries.iter().any(|d| d.digest == entry.digest);
            if present && !repaired {
                return Ok(());
            }
            if !present {
                if entries.len() >= max {
                    return Err(Error::new(
                        ErrorKind::SizeExceeded,
                        format!(
                            "the referrers fallback index of {subject} already has {} entries, \
                             the most the client lists (max_list_entries); {} was pushed but \
                             is not listed there",
                            entries.len(),
                            entry.digest
                        ),
                    ));
                }
                entries.push(entry.clone());
            }
            self.write_fallback(reference, &subject, entries).await?;
            settle(started.elapsed()).await;
            let back = self.read_fallback(reference, &subject).await?;
            if back.is_some_and(|s| s.index.manifests.iter().any(|d| d.digest == entry.digest)) {
                return Ok(());
            }
        }
        Err(Error::new(
            ErrorKind::Rejected,
            format!(
                "{} was pushed, but other writers replaced the referrers fallback index of \
                 {subject} {MAX_MERGE_ROUNDS} times without it; it is not listed there",
                entry.digest
            ),
        ))
    }

    /// Removes `digest` (a deleted manifest) from its subject's fallback
    /// index, deleting the index when it becomes empty.
    pub(crate) async fn remove_from_referrers_fallback(
        &self,
        reference: &Reference,
        subject: &Descriptor,
        digest: &Digest,
    ) -> Result<()> {
        let subject = Digest::parse(&subject.digest)
            .map_err(|e| e.context("the deleted manifest's subject"))?;
        let _guard = self.lock_subject(reference, &subject).await;
        for round in 0..MAX_MERGE_ROUNDS {
            if round > 0 {
                settle(Duration::ZERO).await;
            }
            let started = Instant::now();
            let Some(stored) = self.read_fallback(reference, &subject).await? else {
                return Ok(());
            };
            let mut entries = stored.index.manifests;
            let before = entries.len();
            entries.retain(|d| d.digest != digest.as_str());
            if entries.len() == before {
                return Ok(());
            }
            if entries.is_empty() {
                self.delete_fallback(reference, &subject, &stored.digest)
                    .await?;
            } else {
                self.write_fallback(reference, &subject, entries).await?;
            }
            settle(started.elapsed()).await;
            let back = self.read_fallback(reference, &subject).await?;
            if !back.is_some_and(|s| {
                s.index
                    .manifests
                    .iter()
                    .any(|d| d.digest == digest.as_str())
            }) {
                return Ok(());
            }
        }
        Err(Error::new(
            ErrorKind::Rejected,
            format!(
                "{digest} was deleted, but other writers put it back in the referrers fallback \
                 index of {subject} {MAX_MERGE_ROUNDS} times"
            ),
        ))
    }

    /// The client's lock for updates of `subject`'s fallback index.
    async fn lock_subject(&self, reference: &Reference, subject: &Digest) -> OwnedMutexGuard<()> {
        let key = format!(
            "{}/{}@{subject}",
            reference.api_host(),
            reference.repository()
        );
        self.subject_locks.lock(&key).await
    }

    /// Which of `digests` the registry answers 404 for (a digest that does
    /// not parse names nothing, so it is gone too).
    async fn gone_manifests(
        &self,
        reference: &Reference,
        digests: &[String],
    ) -> Result<HashSet<String>> {
        let checks = stream::iter(digests.iter().cloned())
            .map(|text| async move {
                let Ok(digest) = Digest::parse(&text) else {
                    return Ok(Some(text));
                };
                match self
                    .head_manifest_direct(&reference.with_digest(digest))
                    .await
                {
                    Ok(_) => Ok(None),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(Some(text)),
                    Err(e) => Err(e.context("checking an entry of the referrers fallback index")),
                }
            })
            .buffer_unordered(REPAIR_CONCURRENCY)
            .collect::<Vec<Result<Option<String>>>>()
            .await;
        let mut gone = HashSet::new();
        for check in checks {
            if let Some(d) = check? {
                gone.insert(d);
            }
        }
        Ok(gone)
    }

    async fn write_fallback(
        &self,
        reference: &Reference,
        subject: &Digest,
        manifests: Vec<Descriptor>,
    ) -> Result<()> {
        let index = Index {
            schema_version: 2,
            media_type: Some(OCI_INDEX.to_string()),
            manifests,
        };
        let bytes = serde_json::to_vec(&index).map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("serializing the referrers index: {e}"),
            )
        })?;
        let tagged = reference.with_tag(&fallback_tag(subject))?;
        // Boxed: pushing the index re-enters the manifest push (whose own
        // fallback step is a no-op, as an index has no subject).
        Box::pin(self.put_manifest(&tagged, Bytes::from(bytes), OCI_INDEX)).await?;
        Ok(())
    }

    /// Deletes the fallback index: by digest (distribution 2.8.2 refuses
    /// deletes by tag, and untags what it deletes), then by tag when the
    /// tag still resolves (registries that keep tags apart from digests).
    async fn delete_fallback(
        &self,
        reference: &Reference,
        subject: &Digest,
        index_digest: &Digest,
    ) -> Result<()> {
        match self
            .delete_content(reference, "manifests", index_digest.as_str())
            .await
        {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let tag = fallback_tag(subject);
        let tagged = reference.with_tag(&tag)?;
        match self.head_manifest_direct(&tagged).await {
            Ok(_) => self.delete_content(reference, "manifests", &tag).await,
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The most a read-back waits for other writers.
const MAX_SETTLE: Duration = Duration::from_secs(2);

/// A random pause before reading an index back: 50 to 150 ms plus four
/// times `window`, the time our own read-modify-write took, so that another
/// writer's read-modify-write that started before our write (and would
/// replace it with an index without our entry) has landed by the time we
/// look, even on a loaded machine. At most [`MAX_SETTLE`].
pub(crate) async fn settle(window: Duration) {
    let base = Duration::from_secs_f64((50.0 + 100.0 * jitter()) / 1000.0);
    tokio::time::sleep((base + window * 4).min(MAX_SETTLE)).await;
}
