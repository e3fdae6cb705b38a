//! Parallel ranged download of one blob (issue 16), for correctness: the
//! ranges a pull asks for, registries that ignore `Range` or answer other
//! ranges, cut and corrupted ranges, the `Auto` decision over a slow link,
//! and pulls killed (SIGKILL) at random points and run again: never a wrong
//! byte in the layout, and the rerun fetches only what the kill lost.
//!
//! Child processes are this test binary run again (`child_process`, which
//! does nothing unless `OCIREG_RANGED_CHILD` is set).

mod fixtures;
mod support;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fixtures::{PushedImage, push_image, reference};
use ocireg::image::{ImageOptions, OciLayout};
use ocireg::{Client, ClientOptions, Digest, RangedDownload, Reference, media_type};
use support::tempdir::TempDir;
use support::{FaultProxy, Implementation, Mode, Registry};

const MIB: usize = 1024 * 1024;

fn client(host: &str, mode: RangedDownload) -> Client {
    Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        ranged_download: mode,
        ..Default::default()
    })
    .expect("client")
}

/// A registry of `implementation` holding an image with one layer of
/// `size` bytes, and a proxy in front of it.
fn setup(
    rt: &tokio::runtime::Runtime,
    implementation: Implementation,
    repo: &str,
    size: usize,
) -> (Registry, FaultProxy, PushedImage) {
    let reg = Registry::start_implementation(implementation, Mode::Plain);
    let direct = client(reg.host(), RangedDownload::Off);
    let pushed = rt.block_on(push_image(
        &direct,
        &reference(reg.host(), repo),
        media_type::OCI_MANIFEST,
        &[(1600 + size as u64, size)],
        &["v1"],
    ));
    let proxy = FaultProxy::start(reg.host());
    (reg, proxy, pushed)
}

/// The `Range` header of each GET of blob `digest`, in order.
fn gets(proxy: &FaultProxy, digest: &Digest) -> Vec<Option<String>> {
    proxy
        .requests()
        .iter()
        .filter(|q| q.method == "GET" && q.path_and_query.contains(digest.as_str()))
        .map(|q| q.header("range").map(str::to_string))
        .collect()
}

/// `bytes=A-B` as `(A, B)`.
fn range_bounds(range: &str) -> (u64, u64) {
    let (a, b) = range
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .unwrap_or_else(|| panic!("not a closed range: {range}"));
    (a.parse().unwrap(), b.parse().unwrap())
}

/// Asserts the layout holds every blob of `pushed`, verified, and no
/// temporary file.
fn assert_complete(rt: &tokio::runtime::Runtime, dir: &Path, pushed: &PushedImage, case: &str) {
    let layout = rt.block_on(OciLayout::open(dir)).expect("layout");
    for (digest, data) in &pushed.layers {
        assert!(
            rt.block_on(layout.has_verified_blob(digest, data.len() as u64))
                .unwrap(),
            "{case}: {digest} complete and verified"
        );
    }
    assert_eq!(temporaries(dir), Vec::<PathBuf>::new(), "{case}");
}

/// Every `.tmp-*` file under `dir/blobs/sha256`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("blobs/sha256")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp-")
        })
        .collect()
}

fn pull(rt: &tokio::runtime::Runtime, c: &Client, r: &Reference, dir: &Path) -> ocireg::Result<()> {
    rt.block_on(c.pull(r, dir, &ImageOptions::default()))
        .map(|_| ())
}

#[test]
fn always_fetches_a_large_blob_as_disjoint_ranges_in_parallel() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let size = 7 * MIB + 12_345;
    let (_reg, proxy, pushed) = setup(&rt, Implementation::Distribution2, "ranged/a:v1", size);
    let r = reference(proxy.host(), "ranged/a:v1");
    let tmp = TempDir::new("ranged-always");
    let dir = tmp.path().join("layout");
    pull(&rt, &client(proxy.host(), RangedDownload::Always), &r, &dir).expect("pull");
    assert_complete(&rt, &dir, &pushed, "always");
    let layer = &pushed.layers[0].0;
    let mut ranges: Vec<(u64, u64)> = gets(&proxy, layer)
        .iter()
        .map(|g| range_bounds(g.as_deref().expect("every GET is ranged")))
        .collect();
    assert_eq!(
        ranges.len(),
        8,
        "7 MiB and a bit in parts of 1 MiB: {ranges:?}"
    );
    ranges.sort();
    let mut next = 0;
    for (a, b) in &ranges {
        assert_eq!(*a, next, "ranges are disjoint and leave no gap: {ranges:?}");
        next = b + 1;
    }
    assert_eq!(next, size as u64, "the ranges cover the blob");
}

#[test]
fn off_and_auto_fetch_small_blobs_over_one_connection() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_reg, proxy, pushed) = setup(&rt, Implementation::Distribution2, "ranged/b:v1", 3 * MIB);
    let r = reference(proxy.host(), "ranged/b:v1");
    let layer = &pushed.layers[0].0;
    for mode in [RangedDownload::Off, RangedDownload::Auto] {
        let tmp = TempDir::new("ranged-off");
        let dir = tmp.path().join("layout");
        proxy.clear_requests();
        pull(&rt, &client(proxy.host(), mode), &r, &dir).expect("pull");
        assert_complete(&rt, &dir, &pushed, &format!("{mode:?}"));
        assert_eq!(gets(&proxy, layer), vec![None], "{mode:?}: one plain GET");
    }
}

#[test]
fn other_registries_serve_ranged_pulls_too() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for implementation in [Implementation::Distribution3, Implementation::GgcrReferrers] {
        let (_reg, proxy, pushed) = setup(&rt, implementation, "ranged/c:v1", 5 * MIB + 7);
        let r = reference(proxy.host(), "ranged/c:v1");
        let tmp = TempDir::new("ranged-impl");
        let dir = tmp.path().join("layout");
        pull(&rt, &client(proxy.host(), RangedDownload::Always), &r, &dir)
            .unwrap_or_else(|e| panic!("{implementation:?}: {e}"));
        assert_complete(&rt, &dir, &pushed, &format!("{implementation:?}"));
        let ranged = gets(&proxy, &pushed.layers[0].0)
            .iter()
            .filter(|g| g.is_some())
            .count();
        assert!(ranged >= 2, "{implementation:?}: {ranged} ranged GETs");
    }
}

#[test]
fn registries_that_ignore_or_misanswer_ranges_make_it_fall_back_to_one_connection() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_reg, proxy, pushed) = setup(&rt, Implementation::Distribution2, "ranged/d:v1", 6 * MIB);
    let r = reference(proxy.host(), "ranged/d:v1");
    let layer = pushed.layers[0].0.clone();
    // A 200 with the whole blob, then a 206 for another range than asked.
    for (case, rewritten) in [("ignored", None), ("other range", Some("bytes=0-"))] {
        proxy.clear_faults();
        proxy.clear_requests();
        proxy.rewrite_range("GET", layer.as_str(), rewritten, usize::MAX);
        let tmp = TempDir::new("ranged-fallback");
        let dir = tmp.path().join("layout");
        pull(&rt, &client(proxy.host(), RangedDownload::Always), &r, &dir)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_complete(&rt, &dir, &pushed, case);
        let seen = gets(&proxy, &layer);
        assert_eq!(
            seen.last(),
            Some(&None),
            "{case}: finished by a plain GET: {seen:?}"
        );
    }
}

#[test]
fn a_cut_range_is_resumed_and_a_corrupted_one_refetched_whole() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_reg, proxy, pushed) = setup(&rt, Implementation::Distribution2, "ranged/e:v1", 6 * MIB);
    let r = reference(proxy.host(), "ranged/e:v1");
    let layer = pushed.layers[0].0.clone();
    let c = client(proxy.host(), RangedDownload::Always);

    proxy.cut_body_after("GET", layer.as_str(), 100_000, 2);
    let tmp = TempDir::new("ranged-cut");
    let dir = tmp.path().join("layout");
    pull(&rt, &c, &r, &dir).expect("pull with cut ranges");
    assert_complete(&rt, &dir, &pushed, "cut");
    let resumed = gets(&proxy, &layer)
        .iter()
        .flatten()
        .filter(|g| range_bounds(g).0 % MIB as u64 == 100_000)
        .count();
    assert_eq!(resumed, 2, "each cut part went on from its cut");

    proxy.clear_faults();
    proxy.clear_requests();
    proxy.corrupt_body_byte("GET", layer.as_str(), 777, 1);
    let tmp = TempDir::new("ranged-corrupt");
    let dir = tmp.path().join("layout");
    pull(&rt, &c, &r, &dir).expect("pull with a corrupted range");
    assert_complete(&rt, &dir, &pushed, "corrupt");
    let seen = gets(&proxy, &layer);
    assert_eq!(seen.len(), 7, "six parts, then the whole blob: {seen:?}");
    assert_eq!(seen.last(), Some(&None), "{seen:?}");
}

/// A forwarder that sends the upstream's answers back at `rate` bytes per
/// second per connection (a CDN's per-connection cap); its address.
fn throttle(upstream: &str, rate: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let upstream = upstream.to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || pump(c2, s2, None));
            std::thread::spawn(move || pump(server, client, Some(rate)));
        }
    });
    addr
}

fn pump(mut from: TcpStream, mut to: TcpStream, rate: Option<u64>) {
    let started = Instant::now();
    let mut sent = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n as u64;
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}

#[test]
fn auto_splits_a_large_blob_when_its_connection_is_slow() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let size = 72 * MIB;
    let (_reg, proxy, pushed) = setup(&rt, Implementation::Distribution2, "ranged/f:v1", size);
    // 4 MiB/s per connection: one connection would take 18 s. (Auto
    // measures the time spent waiting for bytes, so the cap is kept well
    // under what a debug build's hashing takes on a loaded machine.)
    let slow = throttle(proxy.host(), 4 * MIB as u64);
    let r = reference(&slow, "ranged/f:v1");
    let tmp = TempDir::new("ranged-auto");
    let dir = tmp.path().join("layout");
    pull(&rt, &client(&slow, RangedDownload::Auto), &r, &dir).expect("pull");
    assert_complete(&rt, &dir, &pushed, "auto");
    let seen = gets(&proxy, &pushed.layers[0].0);
    assert_eq!(seen.first(), Some(&None), "it starts with one plain GET");
    assert!(
        seen.iter().filter(|g| g.is_some()).count() >= 4,
        "then goes on in ranges: {seen:?}"
    );
}

/// Bytes the GETs of `digest` asked for (a GET without `Range`: `size`).
fn requested_bytes(proxy: &FaultProxy, digest: &Digest, size: u64) -> u64 {
    gets(proxy, digest)
        .iter()
        .map(|g| match g {
            None => size,
            Some(range) => {
                let (a, b) = match range.strip_suffix('-') {
                    Some(open) => (open.trim_start_matches("bytes=").parse().unwrap(), size - 1),
                    None => range_bounds(range),
                };
                b + 1 - a
            }
        })
        .sum()
}

#[test]
fn pulls_killed_at_random_points_leave_a_verified_prefix_that_the_rerun_continues() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let size = 9 * MIB + 3;
    let (_reg, proxy, pushed) = setup(&rt, Implementation::Distribution2, "ranged/g:v1", size);
    let (layer, data) = &pushed.layers[0];
    let r = reference(proxy.host(), "ranged/g:v1");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill points from seed {seed}");
    let mut state = seed | 1;
    let mut continued = 0;
    for round in 0..6 {
        // xorshift: a kill point between 5% and 95% of the blob.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = size as u64 / 20 + state % (size as u64 * 9 / 10);
        let mode = if round % 2 == 0 { "always" } else { "off" };
        let tmp = TempDir::new("ranged-kill");
        let dir = tmp.path().join("layout");
        kill_pull_at(&r, &dir, at, mode);
        // What the kill left is a prefix of the blob: no wrong byte.
        let partial: Vec<PathBuf> = temporaries(&dir)
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(layer.hex()))
            .collect();
        let kept = match partial.as_slice() {
            [] => 0,
            [one] => {
                let bytes = std::fs::read(one).unwrap();
                assert_eq!(
                    bytes.as_slice(),
                    &data[..bytes.len()],
                    "round {round} ({mode}, killed at {at}): the partial file is a prefix"
                );
                bytes.len() as u64
            }
            more => panic!("round {round}: several partial files {more:?}"),
        };
        proxy.clear_requests();
        let c = client(proxy.host(), RangedDownload::Always);
        pull(&rt, &c, &r, &dir).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_complete(&rt, &dir, &pushed, &format!("round {round}"));
        let fetched = requested_bytes(&proxy, layer, size as u64);
        assert_eq!(
            fetched,
            size as u64 - kept,
            "round {round} ({mode}, killed at {at}): the rerun fetched only the rest"
        );
        if kept > 0 {
            continued += 1;
        }
    }
    assert!(continued >= 3, "most kills left a prefix to continue");
}

/// Runs a pull of `r` into `dir` in a child process with `mode` and kills
/// it (SIGKILL) once it reported `at` bytes of the layer.
fn kill_pull_at(r: &Reference, dir: &Path, at: u64, mode: &str) {
    let r = r.to_string();
    support::child::kill_child_at(
        &[
            ("OCIREG_RANGED_CHILD", OsStr::new(mode)),
            ("OCIREG_CHILD_REF", OsStr::new(&r)),
            ("OCIREG_CHILD_PATH", dir.as_os_str()),
        ],
        at,
    );
}

/// Not a test of its own: the body of the child processes above.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var("OCIREG_RANGED_CHILD") else {
        return;
    };
    let r = Reference::parse(&std::env::var("OCIREG_CHILD_REF").unwrap()).unwrap();
    let path = PathBuf::from(std::env::var("OCIREG_CHILD_PATH").unwrap());
    let c = client(r.registry(), RangedDownload::parse(&mode).unwrap());
    let options = ImageOptions {
        progress: Some(Arc::new(move |p| {
            eprintln!("progress {}", p.done);
            support::child::park_at_stop(p.done, p.total);
        })),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(c.pull(&r, &path, &options));
    std::process::exit(i32::from(result.is_err()));
}
