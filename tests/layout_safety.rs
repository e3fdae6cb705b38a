//! OCI layouts under hostile contents, concurrent writers, kills and full
//! disks: symlinks, FIFOs, devices and directories on every path that reads
//! a layout; many threads and processes naming images in one layout;
//! pull, push and save killed (SIGKILL, SIGTERM) at several moments and run
//! again; a pull and a save into a file system filled to many levels.
//!
//! Child processes are this test binary run again (`child_process`, which
//! does nothing unless `OCIREG_CHILD_OP` is set).

mod fixtures;
mod support;

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use fixtures::{plain_client, push_image, reference};
use ocireg::image::{ImageOptions, OciLayout};
use ocireg::{Client, Digest, ErrorKind, Reference, media_type};
use serde_json::{Value, json};
use support::tempdir::TempDir;
use support::{FaultProxy, Mode, Registry};

// ---- helpers ---------------------------------------------------------------

/// An image written straight into a layout directory.
struct LocalImage {
    manifest: Digest,
    config: Digest,
    layers: Vec<Digest>,
}

fn put_blob(dir: &Path, data: &[u8]) -> Digest {
    let digest = Digest::sha256_of(data);
    std::fs::write(dir.join("blobs/sha256").join(digest.hex()), data).unwrap();
    digest
}

/// Writes a layout holding one image (two layers) named `v1`.
fn write_layout(dir: &Path, seed: u64) -> LocalImage {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let layers: Vec<Vec<u8>> = vec![
        support::content::bytes(seed, 20_000),
        support::content::bytes(seed + 1, 30_000),
    ];
    let layer_digests: Vec<Digest> = layers.iter().map(|l| put_blob(dir, l)).collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": layer_digests.iter().map(|d| d.as_str()).collect::<Vec<_>>()},
    }))
    .unwrap();
    let config_digest = put_blob(dir, &config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": config_digest.as_str(), "size": config.len()},
        "layers": layers.iter().zip(&layer_digests).map(|(l, d)| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d.as_str(), "size": l.len()
        })).collect::<Vec<_>>(),
    }))
    .unwrap();
    let manifest_digest = put_blob(dir, &manifest);
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{
            "mediaType": media_type::OCI_MANIFEST, "digest": manifest_digest.as_str(),
            "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "v1"}
        }]}))
        .unwrap(),
    )
    .unwrap();
    LocalImage {
        manifest: manifest_digest,
        config: config_digest,
        layers: layer_digests,
    }
}

fn blob(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs/sha256").join(digest.hex())
}

/// Moves `path` to `outside/NAME` and leaves a symlink to it in its place.
fn move_out(path: &Path, outside: &Path) -> PathBuf {
    let moved = outside.join(path.file_name().unwrap());
    std::fs::rename(path, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, path).unwrap();
    moved
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every `.tmp-*` (or old-style `.partial-*`) file under `dir`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let kind = e.file_type().unwrap();
            if kind.is_dir() {
                stack.push(e.path());
            } else if name.starts_with(".tmp-") || name.contains(".partial") {
                found.push(e.path());
            }
        }
    }
    found
}

/// The names in a layout's `index.json`.
fn names(dir: &Path) -> BTreeSet<String> {
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap())
        .expect("index.json parses");
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .map(str::to_string)
        .collect()
}

/// Pushes with a guard: a push stuck on a FIFO (it would wait forever)
/// fails the test after a minute (after opening the FIFOs for writing, so
/// that the stuck read ends) instead of hanging it. A minute, so that a
/// slow push on a loaded machine is never taken for a stuck one.
async fn push_guarded(
    client: &Client,
    dir: &Path,
    r: &Reference,
    fifos: &[PathBuf],
) -> ocireg::Result<Digest> {
    let options = ImageOptions::default();
    let push = client.push(dir, r, &options);
    match tokio::time::timeout(Duration::from_secs(60), push).await {
        Ok(result) => result,
        Err(_) => {
            for _ in 0..100 {
                for fifo in fifos {
                    let _ = OpenOptions::new()
                        .write(true)
                        .custom_flags(libc::O_NONBLOCK)
                        .open(fifo);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!("push still blocked after 60 s (on a FIFO?)");
        }
    }
}

fn assert_refused(err: &ocireg::Error, path_part: &str, what: &str) {
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(
        err.message().contains(path_part) && err.message().contains(what),
        "the error names {path_part} and says {what}: {err}"
    );
}

// ---- item 1: nothing outside the layout is read ----------------------------

#[tokio::test]
async fn push_never_reads_a_file_outside_the_layout() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let cases = [
        "layer",
        "config",
        "manifest",
        "index.json",
        "blobs/sha256",
        "blobs",
    ];
    for (i, case) in cases.iter().enumerate() {
        let tmp = TempDir::new("symlink-out");
        let dir = tmp.path().join("layout");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        let image = write_layout(&dir, 1000 + 10 * i as u64);
        let (link, secret) = match *case {
            "layer" => (blob(&dir, &image.layers[1]), image.layers[1].clone()),
            "config" => (blob(&dir, &image.config), image.config.clone()),
            "manifest" => (blob(&dir, &image.manifest), image.manifest.clone()),
            "index.json" => (dir.join("index.json"), image.layers[1].clone()),
            "blobs/sha256" => (dir.join("blobs/sha256"), image.layers[1].clone()),
            _ => (dir.join("blobs"), image.layers[1].clone()),
        };
        move_out(&link, &outside);
        let r = reference(reg.host(), &format!("symlink/{i}:v1"));
        let err = push_guarded(&client, &dir, &r, &[])
            .await
            .expect_err(&format!(
                "{case}: a push through a symlink out of the layout"
            ));
        let shown = link.file_name().unwrap().to_string_lossy().into_owned();
        assert_refused(&err, &shown, "symlink");
        assert!(
            !reg.blob_path(secret.hex()).exists(),
            "{case}: the file outside the layout reached the registry"
        );
    }
}

#[tokio::test]
async fn push_refuses_fifos_devices_and_directories_at_once() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let cases = [
        "fifo layer",
        "fifo manifest",
        "fifo index.json",
        "symlink to /dev/zero",
        "character device",
        "directory",
    ];
    for (i, case) in cases.iter().enumerate() {
        let tmp = TempDir::new("special");
        let dir = tmp.path().join("layout");
        let image = write_layout(&dir, 2000 + 10 * i as u64);
        let target = match *case {
            "fifo manifest" => blob(&dir, &image.manifest),
            "fifo index.json" => dir.join("index.json"),
            _ => blob(&dir, &image.layers[0]),
        };
        std::fs::remove_file(&target).unwrap();
        let mut fifos = Vec::new();
        let what = match *case {
            "symlink to /dev/zero" => {
                std::os::unix::fs::symlink("/dev/zero", &target).unwrap();
                "symlink"
            }
            "character device" => {
                run(Command::new("mknod").arg(&target).args(["c", "1", "3"]));
                "character device"
            }
            "directory" => {
                std::fs::create_dir(&target).unwrap();
                "directory"
            }
            _ => {
                run(Command::new("mkfifo").arg(&target));
                fifos.push(target.clone());
                "FIFO"
            }
        };
        let r = reference(reg.host(), &format!("special/{i}:v1"));
        // Refused, not stuck (push_guarded fails a push that blocks).
        let err = push_guarded(&client, &dir, &r, &fifos)
            .await
            .expect_err(case);
        let shown = target.file_name().unwrap().to_string_lossy().into_owned();
        assert_refused(&err, &shown, what);
    }
}

#[tokio::test]
async fn pull_replaces_a_symlinked_blob_instead_of_trusting_it() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "reuse/app:v1");
    let pushed = push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(3000, 20_000)],
        &["v1"],
    )
    .await;
    let tmp = TempDir::new("reuse");
    let dir = tmp.path().join("layout");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    client
        .pull(&r, &dir, &ImageOptions::default())
        .await
        .expect("first pull");
    // The layer moves out of the layout (right bytes, right size) and a
    // symlink takes its place: it must not count as present.
    let (layer, data) = &pushed.layers[0];
    let link = blob(&dir, layer);
    let moved = move_out(&link, &outside);
    client
        .pull(&r, &dir, &ImageOptions::default())
        .await
        .expect("second pull");
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(
        meta.is_file(),
        "the symlink was replaced by the blob itself"
    );
    assert_eq!(&std::fs::read(&link).unwrap(), data);
    assert_eq!(
        &std::fs::read(&moved).unwrap(),
        data,
        "the file outside is untouched"
    );
}

#[tokio::test]
async fn pull_refuses_a_blobs_dir_symlinked_out_of_the_layout() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "outdir/app:v1");
    push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(3100, 20_000)],
        &["v1"],
    )
    .await;
    for link in ["blobs", "blobs/sha256"] {
        let tmp = TempDir::new("outdir");
        let dir = tmp.path().join("layout");
        let outside = tmp.path().join("outside");
        let link = dir.join(link);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let err = client
            .pull(&r, &dir, &ImageOptions::default())
            .await
            .expect_err(&format!("{}", link.display()));
        assert_refused(&err, &link.display().to_string(), "symlink");
        let written: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();
        assert!(
            written.is_empty(),
            "{}: nothing written outside: {written:?}",
            link.display()
        );
    }
}

// ---- item 2: many writers, one index.json ----------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn names_survive_concurrent_pulls_in_one_process() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "many/threads:v1");
    push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(4000, 10_000)],
        &["v1"],
    )
    .await;
    for round in 0..3 {
        let tmp = TempDir::new("threads");
        let dir = tmp.path().join("layout");
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let (client, r, dir) = (client.clone(), r.clone(), dir.clone());
                tokio::spawn(async move {
                    let options = ImageOptions {
                        layout_name: Some(format!("n{i}")),
                        ..Default::default()
                    };
                    client.pull(&r, &dir, &options).await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().expect("pull");
        }
        let expected: BTreeSet<String> = (0..16).map(|i| format!("n{i}")).collect();
        assert_eq!(names(&dir), expected, "round {round}: every name is there");
        assert!(temporaries(&dir).is_empty());
    }
}

#[test]
fn names_survive_concurrent_pulls_by_many_processes() {
    let reg = Registry::start(Mode::Plain);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "many/procs:v1");
    rt.block_on(push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(4100, 10_000)],
        &["v1"],
    ));
    let tmp = TempDir::new("procs");
    let dir = tmp.path().join("layout");
    let children: Vec<Child> = (0..12)
        .map(|i| child("pull", &r, &dir, Some(&format!("n{i}")), None).0)
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child pull failed");
    }
    let expected: BTreeSet<String> = (0..12).map(|i| format!("n{i}")).collect();
    assert_eq!(names(&dir), expected, "every process's name is there");
    assert!(temporaries(&dir).is_empty());
}

// ---- item 3: kills and stale temporaries ------------------------------------

#[tokio::test]
async fn later_pulls_remove_abandoned_temporaries_but_not_live_ones() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "stale/app:v1");
    let pushed = push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(5000, 20_000)],
        &["v1"],
    )
    .await;
    let tmp = TempDir::new("stale");
    let dir = tmp.path().join("layout");
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let hex = pushed.layers[0].0.hex().to_string();
    // Left by killed processes: nobody holds their locks.
    let abandoned = [
        dir.join(format!("blobs/sha256/.tmp-{hex}-999999-0")),
        dir.join("blobs/sha256/.tmp-0123-999999-3"),
        dir.join(".tmp-index.json-999999-1"),
    ];
    for path in &abandoned {
        std::fs::write(path, b"partial").unwrap();
    }
    // Being written by a live process (this one holds its lock).
    let live_path = dir.join(format!("blobs/sha256/.tmp-{hex}-1-7"));
    let live = std::fs::File::create(&live_path).unwrap();
    live.lock().unwrap();
    client
        .pull(&r, &dir, &ImageOptions::default())
        .await
        .expect("pull");
    for path in &abandoned {
        assert!(!path.exists(), "{} removed", path.display());
    }
    assert!(live_path.exists(), "a live writer's file stays");
    drop(live);
    client
        .pull(&r, &dir, &ImageOptions::default())
        .await
        .expect("pull again");
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
}

/// The `Range` headers of the blob GETs the proxy saw for `digest`.
fn ranges(proxy: &FaultProxy, digest: &Digest) -> Vec<Option<String>> {
    proxy
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path_and_query.contains(digest.as_str()))
        .map(|r| r.header("range").map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_partial_blob_a_killed_pull_left_is_continued_with_a_range_request() {
    let reg = Registry::start(Mode::Plain);
    let proxy = FaultProxy::start(reg.host());
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "resume/app:v1");
    let pushed = push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(5100, 300_000)],
        &["v1"],
    )
    .await;
    let (layer, data) = &pushed.layers[0];
    for (case, corrupt) in [("intact prefix", false), ("corrupt prefix", true)] {
        let tmp = TempDir::new("resume");
        let dir = tmp.path().join("layout");
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        // What a pull killed after 120000 bytes leaves (its lock is gone).
        let mut prefix = data[..120_000].to_vec();
        if corrupt {
            prefix[1000] ^= 0xff;
        }
        let partial = dir.join(format!("blobs/sha256/.tmp-{}-999999-0", layer.hex()));
        std::fs::write(&partial, &prefix).unwrap();
        proxy.clear_requests();
        client
            .pull(&r, &dir, &ImageOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let layout = OciLayout::open(&dir).await.unwrap();
        assert!(
            layout
                .has_verified_blob(layer, data.len() as u64)
                .await
                .unwrap(),
            "{case}: the blob is complete and verified"
        );
        assert!(
            temporaries(&dir).is_empty(),
            "{case}: {:?}",
            temporaries(&dir)
        );
        let seen = ranges(&proxy, layer);
        let expected = if corrupt {
            // The continued blob fails its digest: fetched again whole.
            vec![Some("bytes=120000-299999".to_string()), None]
        } else {
            vec![Some("bytes=120000-299999".to_string())]
        };
        assert_eq!(seen, expected, "{case}: the GETs of the blob");
    }
}

/// Kills a child running `op` once it reported `fraction` of its bytes
/// (where it stops, waiting for the signal: the kill never races it).
fn kill_at(op: &str, r: &Reference, path: &Path, fraction: f64, signal: &str) {
    let stop = format!("{}%", fraction * 100.0);
    let (mut child, stopped) = child(op, r, path, None, Some(&stop));
    if let Err(e) = stopped.recv() {
        let _ = child.kill();
        panic!("{op}: the child ended before stopping at {stop} ({e})");
    }
    run(Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string()));
    let status = child.wait().unwrap();
    assert!(!status.success(), "{op}: the child was killed: {status}");
}

#[test]
fn killed_pulls_are_finished_by_the_next_run_leaving_no_temporary() {
    let reg = Registry::start(Mode::Plain);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "killed/pull:v1");
    let layers: Vec<(u64, usize)> = (0..6).map(|i| (6000 + i, 300_000)).collect();
    let pushed = rt.block_on(push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &layers,
        &["v1"],
    ));
    // The next runs go through a proxy that shows their requests.
    let proxy = FaultProxy::start(reg.host());
    let via_proxy = plain_client(proxy.host());
    let r2 = reference(proxy.host(), "killed/pull:v1");
    let (mut left_behind, mut continued) = (0, 0);
    for signal in ["KILL", "TERM"] {
        for fraction in [0.0, 0.4, 0.85] {
            let tmp = TempDir::new("killed-pull");
            let dir = tmp.path().join("layout");
            kill_at("pull", &r, &dir, fraction, signal);
            left_behind += temporaries(&dir).len();
            proxy.clear_requests();
            let desc = rt
                .block_on(via_proxy.pull(&r2, &dir, &ImageOptions::default()))
                .expect("the next pull");
            continued += proxy
                .requests()
                .iter()
                .filter(|q| q.header("range").is_some())
                .count();
            assert_eq!(desc.digest, pushed.digest.as_str());
            assert!(
                temporaries(&dir).is_empty(),
                "{signal} at {fraction}: {:?}",
                temporaries(&dir)
            );
            let layout = rt.block_on(OciLayout::open(&dir)).unwrap();
            for (digest, data) in &pushed.layers {
                assert!(
                    rt.block_on(layout.has_verified_blob(digest, data.len() as u64))
                        .unwrap()
                );
            }
            assert_eq!(names(&dir), BTreeSet::from(["v1".to_string()]));
        }
    }
    assert!(left_behind > 0, "the kills left temporaries to clean up");
    assert!(
        continued > 0,
        "partial blobs were continued with Range requests"
    );
}

#[test]
fn killed_saves_and_pushes_are_finished_by_the_next_run() {
    let reg = Registry::start(Mode::Plain);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "killed/save:v1");
    let layers: Vec<(u64, usize)> = (0..4).map(|i| (7000 + i, 300_000)).collect();
    let pushed = rt.block_on(push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &layers,
        &["v1"],
    ));
    let tmp = TempDir::new("killed-save");
    let file = tmp.path().join("app.tar");
    for fraction in [0.1, 0.6] {
        kill_at("save", &r, &file, fraction, "KILL");
        assert!(!file.exists(), "no archive appears from a killed save");
        rt.block_on(client.save(&r, &file, &ImageOptions::default()))
            .expect("the next save");
        assert!(
            temporaries(tmp.path()).is_empty(),
            "{:?}",
            temporaries(tmp.path())
        );
        std::fs::remove_file(&file).unwrap();
    }

    // A push killed half-way: the next push completes the image.
    let layout = tmp.path().join("layout");
    rt.block_on(client.pull(&r, &layout, &ImageOptions::default()))
        .unwrap();
    let target = reference(reg.host(), "killed/push:v1");
    kill_at("push", &target, &layout, 0.5, "KILL");
    let digest = rt
        .block_on(client.push(&layout, &target, &ImageOptions::default()))
        .expect("the next push");
    assert_eq!(digest, pushed.digest);
    let manifest = rt.block_on(client.get_manifest(&target)).unwrap();
    assert_eq!(manifest.digest, pushed.digest);
}

// ---- item 4: full disk -------------------------------------------------------

/// A small tmpfs, unmounted on drop.
struct Tmpfs(TempDir);

impl Tmpfs {
    fn mount(bytes: usize) -> Tmpfs {
        let dir = TempDir::new("tmpfs");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(dir.path())
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "this test needs to mount a tmpfs (as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir)
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

/// The file an ENOSPC error names: `index.json` for `.../.tmp-index.json-PID-N: ...`.
fn written_file(message: &str) -> String {
    let path = message.split(": ").next().unwrap_or_default();
    let name = Path::new(path)
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    let name = name.strip_prefix(".tmp-").unwrap_or(&name);
    name.rsplitn(3, '-').last().unwrap_or_default().to_string()
}

/// Fills the file system at `dir` but for `free` bytes (or as far as it goes).
fn fill(dir: &Path, capacity: usize, free: usize) {
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let _ = f.write_all(&vec![0xa5u8; capacity.saturating_sub(free)]);
}

#[tokio::test]
async fn a_full_disk_leaves_no_temporary_file() {
    const CAPACITY: usize = 160 * 1024;
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "full/app:v1");
    push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(8000, 24_000), (8001, 40_000)],
        &["v1"],
    )
    .await;
    let fs = Tmpfs::mount(CAPACITY);
    let (mut failures, mut successes) = (BTreeSet::new(), 0);
    for pages in 0..=24 {
        let dir = fs.path().join("layout");
        let _ = std::fs::remove_dir_all(&dir);
        fill(fs.path(), CAPACITY, pages * 4096);
        match client.pull(&r, &dir, &ImageOptions::default()).await {
            Ok(_) => successes += 1,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Io, "{pages} pages free: {e}");
                assert!(
                    e.message().contains("No space left on device"),
                    "{pages} pages free: {e}"
                );
                failures.insert(written_file(e.message()));
            }
        }
        assert!(
            temporaries(fs.path()).is_empty(),
            "{pages} pages free: {:?}",
            temporaries(fs.path())
        );
        std::fs::remove_file(fs.path().join("filler")).unwrap();
    }
    eprintln!("a full disk stopped the pull writing: {failures:?}");
    assert!(successes > 0, "the image fits with enough room");
    assert!(
        failures.contains("oci-layout") && failures.contains("index.json") && failures.len() >= 4,
        "failures at several points (oci-layout, blobs, index.json): {failures:?}"
    );

    for pages in [0, 4, 8, 12] {
        fill(fs.path(), CAPACITY, pages * 4096);
        let file = fs.path().join("app.tar");
        let err = client
            .save(&r, &file, &ImageOptions::default())
            .await
            .expect_err("save into a full disk");
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        assert!(!file.exists());
        assert!(
            temporaries(fs.path()).is_empty(),
            "{:?}",
            temporaries(fs.path())
        );
        std::fs::remove_file(fs.path().join("filler")).unwrap();
    }
}

/// A copy killed half-way never leaves a tagged half image at the
/// destination, and the next copy completes it, every blob verified.
#[test]
fn killed_copies_are_finished_by_the_next_run() {
    let source = Registry::start(Mode::Plain);
    let destination = Registry::start(Mode::Plain);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = reference(source.host(), "killed/copy:v1");
    let layers: Vec<(u64, usize)> = (0..4).map(|i| (7500 + i, 300_000)).collect();
    let pushed = rt.block_on(push_image(
        &plain_client(source.host()),
        &r,
        media_type::OCI_MANIFEST,
        &layers,
        &["v1"],
    ));
    let client = ocireg::Client::new(ocireg::ClientOptions {
        insecure_registries: vec![source.host().to_string(), destination.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    for (n, (signal, fraction)) in [("KILL", 0.3), ("TERM", 0.6), ("KILL", 0.9)]
        .into_iter()
        .enumerate()
    {
        let target = reference(destination.host(), &format!("copied/app{n}:v1"));
        kill_at("copy", &r, Path::new(&target.to_string()), fraction, signal);
        let err = rt.block_on(client.get_manifest(&target)).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::NotFound,
            "no tag after a killed copy"
        );
        let digest = rt
            .block_on(client.copy(&r, &target, &ImageOptions::default()))
            .expect("the next copy");
        assert_eq!(digest, pushed.digest);
        for (layer, data) in &pushed.layers {
            let mut reader = rt.block_on(client.get_blob(&target, layer)).unwrap();
            let mut got = Vec::new();
            while let Some(chunk) = rt.block_on(reader.chunk()).expect("verified read") {
                got.extend_from_slice(&chunk);
            }
            assert_eq!(&got, data, "{signal} at {fraction}: {layer}");
        }
    }
}

// ---- the child process ------------------------------------------------------

/// Starts this binary as a child running `op` (pull, push, save, or copy
/// to the reference written in `path`) with `path`, stopping for good at
/// `stop_at` ([`support::child::STOP_AT`]) when given. Returns the child
/// and a receiver that gets a message when it stopped there.
fn child(
    op: &str,
    r: &Reference,
    path: &Path,
    name: Option<&str>,
    stop_at: Option<&str>,
) -> (Child, std::sync::mpsc::Receiver<()>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("OCIREG_CHILD_OP", op)
    .env("OCIREG_CHILD_REF", r.to_string())
    .env("OCIREG_CHILD_PATH", path)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if let Some(name) = name {
        cmd.env("OCIREG_CHILD_NAME", name);
    }
    if let Some(stop_at) = stop_at {
        cmd.env(support::child::STOP_AT, stop_at);
    }
    let mut child = cmd.spawn().expect("starting the child");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line == support::child::STOPPED {
                let _ = tx.send(());
            } else if !line.starts_with("progress ") {
                eprintln!("child: {line}");
            }
        }
    });
    (child, rx)
}

/// Not a test of its own: the body of the child processes above.
#[test]
fn child_process() {
    let Ok(op) = std::env::var("OCIREG_CHILD_OP") else {
        return;
    };
    let r = Reference::parse(&std::env::var("OCIREG_CHILD_REF").unwrap()).unwrap();
    let path = PathBuf::from(std::env::var("OCIREG_CHILD_PATH").unwrap());
    // A copy's destination is a reference, passed where the path goes.
    let target = Reference::parse(&path.to_string_lossy()).ok();
    let client = ocireg::Client::new(ocireg::ClientOptions {
        insecure_registries: [Some(&r), target.as_ref()]
            .into_iter()
            .flatten()
            .map(|t| t.registry().to_string())
            .collect(),
        ..Default::default()
    })
    .unwrap();
    let options = ImageOptions {
        layout_name: std::env::var("OCIREG_CHILD_NAME").ok(),
        progress: Some(Arc::new(move |p| {
            eprintln!("progress {} {}", p.done, p.total);
            support::child::park_at_stop(p.done, p.total);
        })),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        match op.as_str() {
            "pull" => client.pull(&r, &path, &options).await.map(|_| ()),
            "push" => client.push(&path, &r, &options).await.map(|_| ()),
            "save" => client.save(&r, &path, &options).await.map(|_| ()),
            "copy" => {
                let target = target.expect("a copy's destination reference");
                client.copy(&r, &target, &options).await.map(|_| ())
            }
            other => panic!("unknown child op {other}"),
        }
    });
    if let Err(e) = result {
        eprintln!("{op} failed: {e}");
        std::process::exit(1);
    }
    std::process::exit(0);
}
