//! Changing an auth file safely: under a lock against other writers, read
//! afresh, changed, and replaced atomically (a temporary file in the same
//! directory, mode 0600, renamed over it), so that readers see the old
//! file or the new one and every key and entry not changed is kept.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// The largest auth file read for an update.
const MAX_AUTH_FILE: u64 = 4 << 20;

/// Applies `change` to the top-level object of the auth file at `path`
/// (an empty object when the file does not exist) and writes the result
/// back when `change` returns `true`. Returns what `change` returned.
///
/// The directory is created (mode 0700) when missing. Writers are
/// serialized by an exclusive `flock` on the directory (the file itself
/// is replaced, so it cannot carry the lock). A file that is not a JSON
/// object is an error naming it, and it is left as it was.
pub(super) async fn update_auth_file<F>(path: PathBuf, change: F) -> Result<bool>
where
    F: FnOnce(&mut Map<String, Value>) -> Result<bool> + Send + 'static,
{
    update_json_file(path, Malformed::Refuse, change).await
}

/// What an update does with a file that is not a JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::transport::auth) enum Malformed {
    /// Fails, leaving the file as it was (an auth file holds credentials).
    Refuse,
    /// Starts from an empty object (a cache, which may be rebuilt).
    StartOver,
}

/// [`update_auth_file`] for any JSON file kept the same way (the token
/// cache too), with `malformed` saying what a malformed file means.
pub(in crate::transport::auth) async fn update_json_file<F>(
    path: PathBuf,
    malformed: Malformed,
    change: F,
) -> Result<bool>
where
    F: FnOnce(&mut Map<String, Value>) -> Result<bool> + Send + 'static,
{
    tokio::task::spawn_blocking(move || update_locked(&path, malformed, change))
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("updating an auth file failed: {e}"),
            )
        })?
}

/// [`update_json_file`] on the calling thread.
fn update_locked<F>(path: &Path, malformed: Malformed, change: F) -> Result<bool>
where
    F: FnOnce(&mut Map<String, Value>) -> Result<bool>,
{
    let io_error = |what: &str, e: std::io::Error| {
        Error::new(
            ErrorKind::Io,
            format!("auth file {}: cannot {what}: {e}", path.display()),
        )
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| io_error("create its directory", e))?;
    let lock = File::open(&dir).map_err(|e| io_error("open its directory", e))?;
    lock.lock().map_err(|e| io_error("lock its directory", e))?;
    let mut contents = match read_object(path) {
        Err(e) if malformed == Malformed::StartOver && e.kind() != ErrorKind::Io => Map::new(),
        other => other?,
    };
    let changed = change(&mut contents)?;
    if changed {
        let bytes = Zeroizing::new(serde_json::to_vec_pretty(&Value::Object(contents)).map_err(
            |e| {
                Error::new(
                    ErrorKind::Internal,
                    format!("cannot serialize an auth file: {e}"),
                )
            },
        )?);
        replace(path, &dir, &bytes).map_err(|e| io_error("write it", e))?;
    }
    // The lock goes with the descriptor.
    drop(lock);
    Ok(changed)
}

/// The top-level object of the file; empty when it does not exist.
/// Errors: `Io` (unreadable), `SizeExceeded` (over 4 MiB),
/// `InvalidArgument` (not a JSON object).
pub(in crate::transport::auth) fn read_object(path: &Path) -> Result<Map<String, Value>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot read auth file {}: {e}", path.display()),
            ));
        }
    };
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_AUTH_FILE + 1),
        &mut bytes,
    )
    .map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read auth file {}: {e}", path.display()),
        )
    })?;
    if bytes.len() as u64 > MAX_AUTH_FILE {
        return Err(Error::new(
            ErrorKind::SizeExceeded,
            format!(
                "auth file {} is larger than {} MiB",
                path.display(),
                MAX_AUTH_FILE >> 20
            ),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    // serde_json's messages may quote the input, so only its position is kept.
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("auth file {} is not a JSON object", path.display()),
        )),
        Err(e) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "auth file {} is malformed (line {}, column {}); it was left unchanged",
                path.display(),
                e.line(),
                e.column()
            ),
        )),
    }
}

/// Writes `bytes` to a new temporary file in `dir` (mode 0600), syncs it
/// and renames it over `path`; the temporary file is removed on failure.
fn replace(path: &Path, dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // The rename is durable once the directory is synced; a failure here
    // leaves the new file in place, so it is not reported.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::auth::credentials::test_support::TempDir;
    use std::os::unix::fs::PermissionsExt as _;

    #[tokio::test]
    async fn creates_with_private_modes_and_keeps_other_keys() {
        let dir = TempDir::new();
        let path = dir.0.join("new/sub/auth.json");
        update_auth_file(path.clone(), |map| {
            map.insert(
                "auths".into(),
                serde_json::json!({"a.example": {"auth": "eA=="}}),
            );
            Ok(true)
        })
        .await
        .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        std::fs::write(
            &path,
            r#"{"auths":{"a.example":{"auth":"eA=="}},"credHelpers":{"x":"y"},"other":[1,{"k":true}]}"#,
        )
        .unwrap();
        update_auth_file(path.clone(), |map| {
            let auths = map.get_mut("auths").unwrap().as_object_mut().unwrap();
            auths.insert("b.example".into(), serde_json::json!({"auth": "eQ=="}));
            Ok(true)
        })
        .await
        .unwrap();
        let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            written,
            serde_json::json!({
                "auths": {"a.example": {"auth": "eA=="}, "b.example": {"auth": "eQ=="}},
                "credHelpers": {"x": "y"},
                "other": [1, {"k": true}],
            })
        );
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("auth.json")]);
    }

    #[tokio::test]
    async fn malformed_file_is_left_unchanged() {
        let dir = TempDir::new();
        for contents in ["{ not json SECRETVALUE", "[\"SECRETVALUE\"]"] {
            let path = dir.write("auth.json", contents);
            let err = update_auth_file(path.clone(), |_| Ok(true))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(err.message().contains(&path.display().to_string()), "{err}");
            assert!(!err.to_string().contains("SECRETVALUE"), "{err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), contents);
        }
    }

    #[tokio::test]
    async fn concurrent_writers_lose_nothing() {
        let dir = TempDir::new();
        let path = dir.0.join("auth.json");
        let writers = (0..16).map(|i| {
            let path = path.clone();
            tokio::spawn(update_auth_file(path, move |map| {
                let auths = map
                    .entry("auths")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(auths) = auths {
                    auths.insert(format!("r{i}.example"), serde_json::json!({"auth": "eA=="}));
                }
                Ok(true)
            }))
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.unwrap().unwrap();
        }
        let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(written["auths"].as_object().unwrap().len(), 16);
    }
}
