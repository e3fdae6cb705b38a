//! The hidden staging directories an oci-archive with attachments is
//! assembled in, beside the archive: `.<file>.ocireg-stage-<pid>-<n>`.
//!
//! A stage holds an advisory lock (`flock`) on its directory for as long
//! as its copy runs and removes itself when dropped; a copy that was killed
//! leaves it behind. The next copy to the same file removes such stale
//! stages ([`remove_stale`]): those named exactly so for that file whose
//! process is not alive on this machine and whose lock no one holds (the
//! lock keeps a stage of a live process in another PID namespace). Nothing
//! else in the directory is touched.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorKind, Result};

/// What follows `.<file>` in a stage's name, before `<pid>-<n>`.
const MARK: &str = ".ocireg-stage-";

/// Tells apart the staging directories of one process.
static STAGES: AtomicU64 = AtomicU64::new(0);

/// A staging directory, locked while it lives, removed when dropped.
pub(crate) struct StageDir {
    path: PathBuf,
    /// Holds the lock; closed after the directory is gone.
    _lock: File,
}

impl StageDir {
    /// A new, empty, private (0700) directory for the file `name` in `dir`.
    pub fn create(dir: &Path, name: &str) -> Result<StageDir> {
        let n = STAGES.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}{MARK}{}-{n}", std::process::id()));
        let creating = |e: std::io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("creating the staging directory {}: {e}", path.display()),
            )
        };
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(creating)?;
        // From here on the directory is removed if anything fails.
        let lock = match open_dir(&path) {
            Ok(lock) => lock,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&path);
                return Err(creating(e));
            }
        };
        // A file system without locks leaves it unlocked; the pid in the
        // name still keeps it from the cleaners on this machine.
        // File::lock is Rust 1.89, as in temp_file.
        let _ = lock.lock();
        Ok(StageDir { path, _lock: lock })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StageDir {
    fn drop(&mut self) {
        // Best effort: a staging directory left behind is only disk space,
        // and the next copy to the file removes it.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes the stale staging directories of the file `name` in `dir` (see
/// the module documentation). Best effort: what cannot be examined stays.
pub(crate) fn remove_stale(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}{MARK}");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(stage_pid)
        else {
            continue;
        };
        if !process_alive(pid) {
            remove_if_unlocked(&entry.path());
        }
    }
}

/// The pid of a stage's name after its prefix (`<pid>-<n>`, both decimal),
/// or `None` when the rest is not exactly that.
fn stage_pid(rest: &str) -> Option<u32> {
    let (pid, n) = rest.split_once('-')?;
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !decimal(pid) || !decimal(n) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` runs on this machine (in this PID namespace).
/// Without `/proc` every process looks gone; the lock still protects live
/// stages then.
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes the directory at `path` when it is a real directory (not a
/// symlink) whose lock can be taken, holding the lock meanwhile.
// File::try_lock is Rust 1.89; see temp_file.
fn remove_if_unlocked(path: &Path) {
    let Ok(dir) = open_dir(path) else {
        return;
    };
    if dir.try_lock().is_err() {
        return;
    }
    // Still the directory we locked under that name?
    let (Ok(opened), Ok(now)) = (dir.metadata(), std::fs::symlink_metadata(path)) else {
        return;
    };
    if now.is_dir() && (now.dev(), now.ino()) == (opened.dev(), opened.ino()) {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// Opens the directory at `path` (never through a symlink) for its lock.
fn open_dir(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory.
    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ocireg-stage-test-{tag}-{}-{}",
            std::process::id(),
            STAGES.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The pid of a process that has exited.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    fn stage_with_file(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("blob"), b"staged").unwrap();
        path
    }

    #[test]
    fn only_stale_stages_of_that_file_are_removed() {
        let dir = scratch("stale");
        let dead = dead_pid();
        let stale = stage_with_file(&dir, &format!(".a.tar{MARK}{dead}-0"));
        let stale_too = stage_with_file(&dir, &format!(".a.tar{MARK}{dead}-17"));
        // Not that exact pattern, another file's stage, the file itself,
        // a temporary file: all stay.
        let kept = [
            stage_with_file(&dir, &format!(".a.tar{MARK}{dead}-0x")),
            stage_with_file(&dir, &format!(".a.tar{MARK}{dead}")),
            stage_with_file(&dir, &format!(".a.tar{MARK}-{dead}-0")),
            stage_with_file(&dir, &format!(".a.tar.gz{MARK}{dead}-0")),
            stage_with_file(&dir, &format!(".b.tar{MARK}{dead}-0")),
            stage_with_file(&dir, &format!("a.tar{MARK}{dead}-0")),
        ];
        std::fs::write(dir.join("a.tar"), b"archive").unwrap();
        std::fs::write(dir.join(format!(".tmp-a.tar-{dead}-0")), b"temp").unwrap();
        // A live stage of this process stays, and so does a stage whose
        // (dead-looking) name is locked by a live holder.
        let live = StageDir::create(&dir, "a.tar").unwrap();
        std::fs::write(live.path().join("blob"), b"live").unwrap();
        let held = stage_with_file(&dir, &format!(".a.tar{MARK}{dead}-3"));
        let holder = open_dir(&held).unwrap();
        holder.lock().unwrap();

        remove_stale(&dir, "a.tar");

        assert!(!stale.exists(), "a dead process's stage is removed");
        assert!(!stale_too.exists(), "every dead stage of the file goes");
        for path in &kept {
            assert!(path.join("blob").exists(), "{} stays", path.display());
        }
        assert!(dir.join("a.tar").exists());
        assert!(dir.join(format!(".tmp-a.tar-{dead}-0")).exists());
        assert!(live.path().join("blob").exists(), "a live stage stays");
        assert!(held.join("blob").exists(), "a locked stage stays");
        drop(holder);
        let live_path = live.path().to_path_buf();
        drop(live);
        assert!(!live_path.exists(), "a stage removes itself when dropped");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symlink_named_like_a_stage_is_not_followed() {
        let dir = scratch("symlink");
        let elsewhere = scratch("elsewhere");
        std::fs::write(elsewhere.join("precious"), b"keep").unwrap();
        let link = dir.join(format!(".a.tar{MARK}{}-0", dead_pid()));
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();

        remove_stale(&dir, "a.tar");

        assert!(elsewhere.join("precious").exists());
        assert!(link.symlink_metadata().is_ok(), "the link itself stays");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&elsewhere).unwrap();
    }
}
