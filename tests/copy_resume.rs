//! Copies between registries that read large blobs as parallel ranges and
//! continue across restarts (issue 16): a copy with a resume directory
//! killed (SIGKILL) at random points is continued by the next run from the
//! upload session the target kept (distribution 2.8 and v3) or started over
//! cleanly (go-containerregistry cannot report a session); a source that
//! serves a wrong byte on the rerun never gets its blob completed; and one
//! client's ranged parts, over all its blobs, never exceed its cap.
//!
//! Child processes are this test binary run again (`child_process`, which
//! does nothing unless `OCIREG_COPY_CHILD` is set).

mod fixtures;
mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fixtures::{PushedImage, push_image, reference};
use ocireg::image::ImageOptions;
use ocireg::{Client, ClientOptions, Digest, ErrorKind, RangedDownload, Reference, media_type};
use support::tempdir::TempDir;
use support::{FaultProxy, Implementation, Mode, Registry};

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 256 * 1024;
/// The client's cap on ranged parts (`RANGED_PARTS` in
/// src/client/ranged_download.rs).
const RANGED_PARTS: usize = 16;

fn client(hosts: &[&str], mode: RangedDownload) -> Client {
    Client::new(ClientOptions {
        insecure_registries: hosts.iter().map(|h| h.to_string()).collect(),
        upload_chunk_size: CHUNK,
        ranged_download: mode,
        ..Default::default()
    })
    .expect("client")
}

/// A plain registry holding an image of `layers` (seed, size) at `repo:v1`.
fn source(
    rt: &tokio::runtime::Runtime,
    repo: &str,
    layers: &[(u64, usize)],
) -> (Registry, PushedImage) {
    let reg = Registry::start(Mode::Plain);
    let c = client(&[reg.host()], RangedDownload::Off);
    let pushed = rt.block_on(push_image(
        &c,
        &reference(reg.host(), &format!("{repo}:v1")),
        media_type::OCI_MANIFEST,
        layers,
        &["v1"],
    ));
    (reg, pushed)
}

/// Bytes the PATCH and PUT requests to uploads carried, by Content-Length.
fn uploaded(proxy: &FaultProxy) -> u64 {
    proxy
        .requests()
        .iter()
        .filter(|q| {
            (q.method == "PATCH" || q.method == "PUT") && q.path_and_query.contains("/uploads/")
        })
        .map(|q| {
            q.header("content-length")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

/// The blob on the registry, read back whole and verified.
fn assert_blob_there(rt: &tokio::runtime::Runtime, c: &Client, r: &Reference, d: &Digest) {
    let mut reader = rt.block_on(c.get_blob(r, d)).expect("the blob is there");
    while rt
        .block_on(reader.chunk())
        .expect("and its bytes match its digest")
        .is_some()
    {}
}

/// The offset recorded in `dir` for blob `digest` copied to `target`, or
/// 0 when the kill came before its record.
fn recorded_offset(dir: &Path, target: &Reference, digest: &Digest) -> u64 {
    let key = format!("{}\n{}\n{digest}", target.api_host(), target.repository());
    let name = format!("upload-{}.json", Digest::sha256_of(key.as_bytes()).hex());
    let Ok(bytes) = std::fs::read(dir.join(name)) else {
        return 0;
    };
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON record");
    json["offset"].as_u64().expect("an offset")
}

/// Kill points between an eighth and seven eighths of `size`, from a seed
/// printed for reruns.
fn kill_points(size: u64, n: usize) -> Vec<u64> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill points from seed {seed}");
    let mut state = seed | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            size / 8 + state % (size * 3 / 4)
        })
        .collect()
}

#[test]
fn killed_copies_continue_where_the_target_kept_the_session() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = TempDir::new("copy-resume");
    let size = 3 * MIB + 5;
    let (src, pushed) = source(&rt, "resume/src", &[(777, size)]);
    let layer = &pushed.layers[0].0;
    let from = reference(src.host(), "resume/src:v1");
    let implementations = [
        Implementation::Distribution2,
        Implementation::Distribution3,
        Implementation::GgcrReferrers,
        Implementation::Distribution2,
    ];
    let points = kill_points(size as u64, implementations.len());
    for (round, (implementation, at)) in implementations.into_iter().zip(points).enumerate() {
        let mode = if round % 2 == 0 { "always" } else { "off" };
        let case = format!("round {round} ({implementation:?}, {mode}, killed at {at})");
        let reg = Registry::start_implementation(implementation, Mode::Plain);
        let proxy = FaultProxy::start(reg.host());
        let state = tmp.path().join(format!("state-{round}"));
        let target = reference(proxy.host(), "resume/dst:v1");
        kill_copy_at(&from, &target, &state, at, mode);
        let held = recorded_offset(&state, &target, layer);
        assert!(held < size as u64, "{case}: recorded {held}");
        proxy.clear_requests();
        let c = client(&[src.host(), proxy.host()], RangedDownload::Always);
        let options = ImageOptions {
            resume_dir: Some(state.clone()),
            ..Default::default()
        };
        let digest = rt
            .block_on(c.copy(&from, &target, &options))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            digest, pushed.digest,
            "{case}: the manifest moved byte for byte"
        );
        assert_blob_there(&rt, &c, &target, layer);
        let sent = uploaded(&proxy);
        match implementation {
            // go-containerregistry cannot report a session: start over.
            Implementation::GgcrReferrers => {
                assert!(sent >= size as u64, "{case}: sent {sent} of {size}")
            }
            // The rest of the layer, and the config (a few hundred bytes)
            // when the kill came before its upload ended.
            _ => assert!(
                (size as u64 - held..size as u64 - held + 4096).contains(&sent),
                "{case}: the rerun sent {sent}, the rest is {}",
                size as u64 - held
            ),
        }
        assert_eq!(
            std::fs::read_dir(&state).unwrap().count(),
            0,
            "{case}: the records are gone once the blobs are in place"
        );
    }
}

#[test]
fn a_source_serving_a_wrong_byte_on_the_rerun_never_completes_the_blob() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = TempDir::new("copy-wrong-byte");
    let size = 3 * MIB + 1;
    let (src, pushed) = source(&rt, "resume/wrong", &[(99, size)]);
    let layer = &pushed.layers[0].0;
    let src_proxy = FaultProxy::start(src.host());
    let from = reference(src_proxy.host(), "resume/wrong:v1");
    let dst = Registry::start(Mode::Plain);
    let target = reference(dst.host(), "resume/wrong-dst:v1");
    let state = tmp.path().join("state");
    kill_copy_at(&from, &target, &state, 2 * MIB as u64, "off");
    let held = recorded_offset(&state, &target, layer);
    assert!(held > 0, "the target holds part of the layer");
    // The rerun reads the blob again: a byte of the part the target already
    // holds (and does not get again) comes back wrong.
    src_proxy.corrupt_body_byte("GET", layer.as_str(), held / 2, 1);
    let c = client(&[src_proxy.host(), dst.host()], RangedDownload::Off);
    let options = ImageOptions {
        resume_dir: Some(state.clone()),
        ..Default::default()
    };
    let err = rt
        .block_on(c.copy(&from, &target, &options))
        .expect_err("a wrong byte is refused");
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert!(
        !rt.block_on(c.blob_exists(&target, layer)).unwrap(),
        "never completed on the target"
    );
    assert_eq!(
        recorded_offset(&state, &target, layer),
        0,
        "the session fed from a wrong source is forgotten"
    );
    // And with the source right again, the copy completes.
    rt.block_on(c.copy(&from, &target, &options))
        .expect("the copy starts over");
    assert_blob_there(&rt, &c, &target, layer);
}

#[test]
fn copies_read_large_blobs_as_ranges_and_a_client_caps_its_ranged_parts() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let layers: Vec<(u64, usize)> = (0..6).map(|i| (31 + i, 20 * MIB + i as usize)).collect();
    let (src, pushed) = source(&rt, "ranged/copy", &layers);
    let proxy = FaultProxy::start(src.host());
    let from = reference(proxy.host(), "ranged/copy:v1");
    let dst = Registry::start(Mode::Plain);
    let target = reference(dst.host(), "ranged/copied:v1");
    let c = client(&[proxy.host(), dst.host()], RangedDownload::Always);
    let digest = rt
        .block_on(c.copy(&from, &target, &ImageOptions::default()))
        .expect("copy");
    assert_eq!(digest, pushed.digest);
    for (layer, _) in &pushed.layers {
        assert_blob_there(&rt, &c, &target, layer);
        let ranges = proxy
            .requests()
            .iter()
            .filter(|q| q.method == "GET" && q.path_and_query.contains(layer.as_str()))
            .filter(|q| q.header("range").is_some())
            .count();
        assert!(ranges > 1, "{layer} came as {ranges} ranges");
    }
    let most = proxy.max_ranged_in_flight();
    eprintln!("at most {most} ranged requests at once");
    assert!(
        (1..=RANGED_PARTS).contains(&most),
        "six 20 MiB blobs at once, 6 parts each, held to {RANGED_PARTS}: saw {most}"
    );
}

/// Runs a copy of `from` to `target` with resume directory `state` and
/// ranged mode `mode` in a child process and kills it (SIGKILL) once it
/// reported `at` bytes.
fn kill_copy_at(from: &Reference, target: &Reference, state: &Path, at: u64, mode: &str) {
    let (from, target) = (from.to_string(), target.to_string());
    support::child::kill_child_at(
        &[
            ("OCIREG_COPY_CHILD", OsStr::new(mode)),
            ("OCIREG_CHILD_FROM", OsStr::new(&from)),
            ("OCIREG_CHILD_REF", OsStr::new(&target)),
            ("OCIREG_CHILD_STATE", state.as_os_str()),
        ],
        at,
    );
}

/// Not a test of its own: the body of the child processes above.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var("OCIREG_COPY_CHILD") else {
        return;
    };
    let from = Reference::parse(&std::env::var("OCIREG_CHILD_FROM").unwrap()).unwrap();
    let target = Reference::parse(&std::env::var("OCIREG_CHILD_REF").unwrap()).unwrap();
    let state = PathBuf::from(std::env::var("OCIREG_CHILD_STATE").unwrap());
    let c = client(
        &[from.registry(), target.registry()],
        RangedDownload::parse(&mode).unwrap(),
    );
    let options = ImageOptions {
        resume_dir: Some(state),
        progress: Some(Arc::new(move |p| {
            eprintln!("progress {}", p.done);
            support::child::park_at_stop(p.done, p.total);
        })),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(c.copy(&from, &target, &options));
    std::process::exit(i32::from(result.is_err()));
}
