//! Pushes and copies that survive a restart (issue 16): each blob goes up
//! in chunks (`PATCH`) whose upload session (its location and the bytes the
//! registry holds) is recorded in a state directory the caller names
//! (`ImageOptions::resume_dir`), so that the next push or copy of the same
//! blob to the same repository asks the registry where the session stands
//! (`GET <location>`: `204` and `Range: 0-N`) and sends only the rest.
//!
//! The bytes the registry holds came from the same source (a layout file,
//! or the source registry's blob) in the earlier run; this run reads that
//! prefix from the source again and hashes it with every byte it sends, and
//! completes the upload only when the whole blob matches the digest. A
//! copy thus reads the whole blob from its source again (over ranged
//! connections where they help) but sends the destination only the rest. A registry that dropped the session (distribution 2.8 after a
//! cut request: `404 BLOB_UPLOAD_UNKNOWN`), or that cannot report one
//! (go-containerregistry's: `400`), makes the upload start over cleanly.
//!
//! A record is one small JSON file per (registry, repository, digest),
//! named by a hash of the three, written atomically with mode 0600 and
//! removed once the blob is in place. It holds no credential: an upload
//! location is the registry's URL for the session (distribution signs its
//! state into it).

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::layout_fs::io_error;
use super::plan::BlobRef;
use super::progress::Tracker;
use super::stream::{AttemptProgress, send_restarting};
use super::transport::BlobStream;
use crate::client::{BlobWriter, Client};
use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::log::{LogLevel, log};
use crate::reference::Reference;

/// The largest record read.
const MAX_RECORD: u64 = 64 * 1024;

/// The upload sessions recorded in a state directory.
#[derive(Clone, Debug)]
pub(crate) struct UploadRecords {
    dir: PathBuf,
}

/// One recorded session.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Record {
    registry: String,
    repository: String,
    digest: String,
    location: String,
    offset: u64,
}

impl UploadRecords {
    /// The records in `dir`, created (mode 0700) when missing.
    pub fn open(dir: &Path) -> Result<UploadRecords> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| io_error(dir, e))?;
        if !std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("resume directory {} is not a directory", dir.display()),
            ));
        }
        Ok(UploadRecords {
            dir: dir.to_path_buf(),
        })
    }

    /// The record's file for blob `digest` in the repository of `target`.
    fn path(&self, target: &Reference, digest: &Digest) -> PathBuf {
        let key = format!("{}\n{}\n{digest}", target.api_host(), target.repository());
        let name = Digest::sha256_of(key.as_bytes());
        self.dir.join(format!("upload-{}.json", name.hex()))
    }

    /// The session recorded for `digest` in `target`'s repository, if any
    /// (a record that cannot be read or is for another blob is ignored).
    fn load(&self, target: &Reference, digest: &Digest) -> Option<Record> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(self.path(target, digest))
            .ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let mut bytes = Vec::new();
        file.take(MAX_RECORD).read_to_end(&mut bytes).ok()?;
        let record: Record = serde_json::from_slice(&bytes).ok()?;
        let ours = record.registry == target.api_host()
            && record.repository == target.repository()
            && record.digest == digest.as_str();
        ours.then_some(record)
    }

    /// Records that `writer`'s session holds its offset of `digest`.
    fn save(&self, target: &Reference, digest: &Digest, writer: &BlobWriter) -> Result<()> {
        let record = Record {
            registry: target.api_host().to_string(),
            repository: target.repository().to_string(),
            digest: digest.to_string(),
            location: writer.location().to_string(),
            offset: writer.offset(),
        };
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("upload record: {e}")))?;
        let path = self.path(target, digest);
        let temp = path.with_extension(format!("tmp-{}", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)
            .and_then(|mut f| f.write_all(&bytes))
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(io_error(&path, e));
        }
        Ok(())
    }

    /// Forgets the session of `digest` in `target`'s repository.
    fn remove(&self, target: &Reference, digest: &Digest) {
        let _ = std::fs::remove_file(self.path(target, digest));
    }
}

/// Puts `blob` into `target`: nothing moves when the registry has it or
/// mounts it from one of `mounts`; otherwise it is uploaded in recorded
/// chunks from the bytes `open` gives (the whole blob, from its first
/// byte), continuing the session an earlier run recorded when the registry
/// still has it. A failure a fresh start may pass (a cut connection, a
/// lost session) continues again from the record.
pub(crate) async fn put_blob_resumable<F, Fut>(
    client: &Client,
    (target, mounts): (&Reference, &[String]),
    blob: &BlobRef,
    records: &UploadRecords,
    tracker: &Arc<Tracker>,
    open: F,
) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<BlobStream>>,
{
    if let Some(outcome) = client.blob_present_or_mounted(target, blob, mounts).await? {
        tracker.finish(&blob.digest, blob.size, blob.size, outcome);
        records.remove(target, &blob.digest);
        return Ok(());
    }
    let open = &open;
    // What an earlier attempt reported is counted again from the
    // registry's offset.
    send_restarting(client, (target, blob), tracker, |progress| {
        upload_once(client, open, (target, blob), records, progress)
    })
    .await
}

/// One attempt: continue the recorded session or start one, send what the
/// registry lacks, verify, complete, forget the record.
async fn upload_once<F, Fut>(
    client: &Client,
    open: &F,
    (target, blob): (&Reference, &BlobRef),
    records: &UploadRecords,
    progress: AttemptProgress,
) -> Result<Digest>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<BlobStream>>,
{
    let mut writer = match records.load(target, &blob.digest) {
        Some(record) => continue_session(client, target, blob, &record).await,
        None => None,
    };
    let mut writer = match writer.take() {
        Some(writer) => writer,
        None => client.start_upload(target).await?,
    };
    records.save(target, &blob.digest, &writer)?;
    let result = match open().await {
        Ok(body) => send_rest(body, (target, blob), &mut writer, records, &progress).await,
        Err(e) => Err(e),
    };
    if let Err(e) = &result
        && matches!(
            e.kind(),
            ErrorKind::DigestMismatch | ErrorKind::SizeExceeded
        )
    {
        // The source is not the blob: neither this session nor a later
        // one can be completed from it.
        let _ = writer.cancel().await;
        records.remove(target, &blob.digest);
    }
    result?;
    let digest = writer.finish(Some(&blob.digest)).await?;
    records.remove(target, &blob.digest);
    Ok(digest)
}

/// The recorded session, when the registry still holds it (and no more
/// than the blob); `None` to start over.
async fn continue_session(
    client: &Client,
    target: &Reference,
    blob: &BlobRef,
    record: &Record,
) -> Option<BlobWriter> {
    match client.resume_upload(target, &record.location).await {
        Ok(writer) if writer.offset() <= blob.size => {
            log(LogLevel::Debug, || {
                format!(
                    "blob {}: continuing its upload at byte {}",
                    blob.digest,
                    writer.offset()
                )
            });
            Some(writer)
        }
        Ok(mut writer) => {
            let _ = writer.cancel().await;
            None
        }
        Err(e) => {
            log(LogLevel::Debug, || {
                format!(
                    "blob {}: the recorded upload is gone ({e}); starting over",
                    blob.digest
                )
            });
            None
        }
    }
}

/// Hashes what the registry holds as `body` gives it again, sends the
/// rest in the writer's chunks (recording each), and checks the digest over
/// the whole before the caller completes the upload.
async fn send_rest(
    mut body: BlobStream,
    (target, blob): (&Reference, &BlobRef),
    writer: &mut BlobWriter,
    records: &UploadRecords,
    progress: &AttemptProgress,
) -> Result<()> {
    let held = writer.offset();
    let mut hasher = Hasher::new(blob.digest.algorithm());
    let mut position = 0u64;
    let mut recorded = held;
    while let Some(bytes) = body.next().await {
        let bytes = bytes?;
        let n = bytes.len() as u64;
        let start = position;
        position += n;
        if position > blob.size {
            return Err(Error::new(
                ErrorKind::SizeExceeded,
                format!(
                    "blob {}: the source has more than {} bytes",
                    blob.digest, blob.size
                ),
            ));
        }
        hasher.update(&bytes);
        if position <= held {
            progress.advance(n);
            continue;
        }
        let fresh = &bytes[held.saturating_sub(start) as usize..];
        writer.write(fresh).await?;
        if writer.offset() != recorded {
            recorded = writer.offset();
            records.save(target, &blob.digest, writer)?;
        }
        progress.advance(n);
    }
    if position != blob.size {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "blob {}: the source ended at {position} of {} bytes",
                blob.digest, blob.size
            ),
        ));
    }
    hasher.finish().expect_equal(&blob.digest).map_err(|e| {
        e.context(format!(
            "refusing to complete the upload of {}",
            blob.digest
        ))
    })
}
