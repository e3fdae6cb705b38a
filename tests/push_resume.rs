//! Pushes that continue across restarts (issue 16): a push with a resume
//! directory killed (SIGKILL) midway is continued by the next run from the
//! upload session the registry kept (distribution 2.8 and v3), or started
//! over cleanly where the registry cannot report one (go-containerregistry);
//! a record of a session the registry dropped starts over; a layout file
//! that is not its blob is never completed on the registry.
//!
//! Child processes are this test binary run again (`child_process`, which
//! does nothing unless `OCIREG_PUSH_CHILD` is set).

mod fixtures;
mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fixtures::{push_image, reference};
use ocireg::image::ImageOptions;
use ocireg::{Client, ClientOptions, Digest, ErrorKind, Reference, media_type};
use support::tempdir::TempDir;
use support::{FaultProxy, Implementation, Mode, Registry};

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 256 * 1024;

fn client(hosts: &[&str]) -> Client {
    Client::new(ClientOptions {
        insecure_registries: hosts.iter().map(|h| h.to_string()).collect(),
        upload_chunk_size: CHUNK,
        ..Default::default()
    })
    .expect("client")
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

/// A layout holding an image of one `size`-byte layer, pulled from a
/// plain registry; returns it with the layer's digest and the registry.
fn layout_with_layer(rt: &tokio::runtime::Runtime, dir: &Path, size: usize) -> (Registry, Digest) {
    let src = Registry::start(Mode::Plain);
    let c = client(&[src.host()]);
    let r = reference(src.host(), "resume/src:v1");
    let pushed = rt.block_on(push_image(
        &c,
        &r,
        media_type::OCI_MANIFEST,
        &[(4242 + size as u64, size)],
        &["v1"],
    ));
    rt.block_on(c.pull(&r, dir, &ImageOptions::default()))
        .expect("pull");
    (src, pushed.layers[0].0.clone())
}

/// The offset recorded in `dir` for blob `digest` pushed to `target` (the
/// config's record may be there too, when the kill came before its end).
fn recorded_offset(dir: &Path, target: &Reference, digest: &Digest) -> u64 {
    let key = format!("{}\n{}\n{digest}", target.api_host(), target.repository());
    let name = format!("upload-{}.json", Digest::sha256_of(key.as_bytes()).hex());
    let record = dir.join(name);
    let meta = std::fs::metadata(&record).expect("the layer's session is recorded");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "records are 0600");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    json["offset"].as_u64().expect("an offset")
}

#[test]
fn killed_pushes_continue_where_the_registry_kept_the_session() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = TempDir::new("push-resume");
    let layout = tmp.path().join("layout");
    let size = 3 * MIB + 5;
    let (_src, layer) = layout_with_layer(&rt, &layout, size);
    for implementation in [
        Implementation::Distribution2,
        Implementation::Distribution3,
        Implementation::GgcrReferrers,
    ] {
        let reg = Registry::start_implementation(implementation, Mode::Plain);
        let proxy = FaultProxy::start(reg.host());
        let state = tmp.path().join(format!("state-{implementation:?}"));
        let target = reference(proxy.host(), "resume/dst:v1");
        kill_push_after(&layout, &target, &state, MIB as u64);
        let held = recorded_offset(&state, &target, &layer);
        assert!(held >= MIB as u64, "{implementation:?}: recorded {held}");
        proxy.clear_requests();
        let c = client(&[proxy.host()]);
        let options = ImageOptions {
            resume_dir: Some(state.clone()),
            ..Default::default()
        };
        rt.block_on(c.push(&layout, &target, &options))
            .unwrap_or_else(|e| panic!("{implementation:?}: {e}"));
        assert_blob_there(&rt, &c, &target, &layer);
        let sent = uploaded(&proxy);
        match implementation {
            // go-containerregistry cannot report a session: start over.
            Implementation::GgcrReferrers => assert!(
                sent >= size as u64,
                "{implementation:?}: sent {sent} of {size}"
            ),
            // The rest of the layer, and the config (a few hundred bytes)
            // when the kill came before its upload ended.
            _ => assert!(
                (size as u64 - held..size as u64 - held + 4096).contains(&sent),
                "{implementation:?}: the rerun sent {sent}, the rest is {}",
                size as u64 - held
            ),
        }
        assert_eq!(
            std::fs::read_dir(&state).unwrap().count(),
            0,
            "{implementation:?}: the record is gone once the blob is in place"
        );
    }
}

#[test]
fn a_record_of_a_dropped_session_starts_over_and_a_wrong_file_is_never_completed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = TempDir::new("push-dropped");
    let layout = tmp.path().join("layout");
    let size = MIB + 3;
    let (_src, layer) = layout_with_layer(&rt, &layout, size);
    let reg = Registry::start(Mode::Plain);
    let c = client(&[reg.host()]);
    let target = reference(reg.host(), "resume/dropped:v1");
    let state = tmp.path().join("state");
    // A killed run's session, then dropped by the registry (cancelled).
    let options = ImageOptions {
        resume_dir: Some(state.clone()),
        ..Default::default()
    };
    let mut writer = rt.block_on(c.start_upload(&target)).unwrap();
    rt.block_on(writer.write(&vec![7u8; CHUNK])).unwrap();
    rt.block_on(writer.flush()).unwrap();
    let record = serde_json::json!({
        "registry": reg.host(), "repository": "resume/dropped", "digest": layer.as_str(),
        "location": writer.location(), "offset": CHUNK,
    });
    rt.block_on(writer.cancel()).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    let key = format!("{}\nresume/dropped\n{layer}", reg.host());
    let name = format!("upload-{}.json", Digest::sha256_of(key.as_bytes()).hex());
    std::fs::write(state.join(name), serde_json::to_vec(&record).unwrap()).unwrap();
    rt.block_on(c.push(&layout, &target, &options))
        .expect("the push starts over");
    assert_blob_there(&rt, &c, &target, &layer);
    assert_eq!(std::fs::read_dir(&state).unwrap().count(), 0);

    // A layout whose layer file was damaged: refused before completion.
    let file = layout.join("blobs/sha256").join(layer.hex());
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[size / 2] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let fresh = reference(reg.host(), "resume/damaged:v1");
    let err = rt
        .block_on(c.push(&layout, &fresh, &options))
        .expect_err("a damaged layer is refused");
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert!(
        !rt.block_on(c.blob_exists(&fresh, &layer)).unwrap(),
        "never completed on the registry"
    );
    assert_eq!(
        std::fs::read_dir(&state).unwrap().count(),
        0,
        "no record left"
    );
}

/// Runs a push of `layout` to `target` with resume directory `state` in a
/// child process and kills it (SIGKILL) once it reported `at` bytes.
fn kill_push_after(layout: &Path, target: &Reference, state: &Path, at: u64) {
    let target = target.to_string();
    support::child::kill_child_at(
        &[
            ("OCIREG_PUSH_CHILD", layout.as_os_str()),
            ("OCIREG_CHILD_REF", OsStr::new(&target)),
            ("OCIREG_CHILD_STATE", state.as_os_str()),
        ],
        at,
    );
}

/// Not a test of its own: the body of the child processes above.
#[test]
fn child_process() {
    let Ok(layout) = std::env::var("OCIREG_PUSH_CHILD") else {
        return;
    };
    let r = Reference::parse(&std::env::var("OCIREG_CHILD_REF").unwrap()).unwrap();
    let state = PathBuf::from(std::env::var("OCIREG_CHILD_STATE").unwrap());
    let c = client(&[r.registry()]);
    let options = ImageOptions {
        resume_dir: Some(state),
        progress: Some(Arc::new(move |p| {
            eprintln!("progress {}", p.done);
            support::child::park_at_stop(p.done, p.total);
        })),
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(c.push(Path::new(&layout), &r, &options));
    std::process::exit(i32::from(result.is_err()));
}
