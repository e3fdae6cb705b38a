//! The blocking facade against a real registry, from plain threads.

mod fixtures;
mod support;

use std::io::Read;

use bytes::Bytes;
use fixtures::{bytes, reference};
use ocireg::blocking::Client;
use ocireg::{ClientOptions, Digest, ErrorKind, media_type};
use support::{Mode, Registry};

fn client(host: &str) -> Client {
    Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        upload_chunk_size: 100_000,
        ..Default::default()
    })
    .expect("blocking client")
}

#[test]
fn blocking_round_trip() {
    let reg = Registry::start(Mode::Plain);
    let c = client(reg.host());
    c.ping(reg.host()).unwrap();
    let r = reference(reg.host(), "blocking/app");

    let data = bytes(1, 250_001);
    let digest = c
        .push_blob_from_reader(&r, &mut &data[..])
        .expect("chunked push from Read");
    assert_eq!(digest, Digest::sha256_of(&data));
    assert_eq!(c.head_blob(&r, &digest).unwrap().size, data.len() as u64);

    let mut reader = c.get_blob(&r, &digest).unwrap();
    let mut got = Vec::new();
    reader.read_to_end(&mut got).expect("verified read");
    assert_eq!(got, data);
    let mut range = c.get_blob_range(&r, &digest, 10, Some(20)).unwrap();
    let mut part = Vec::new();
    range.read_to_end(&mut part).unwrap();
    assert_eq!(part, &data[10..30]);

    let config = c.push_blob(&r, Bytes::from_static(b"{}")).unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": config.as_str(), "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest.as_str(), "size": data.len()}]
    }))
    .unwrap();
    let m = c
        .put_manifest_tags(
            &r,
            &["a".into(), "b".into()],
            Bytes::from(manifest.clone()),
            media_type::OCI_MANIFEST,
        )
        .unwrap();
    let mut tags = c.tags(&r).unwrap();
    tags.sort();
    assert_eq!(tags, vec!["a", "b"]);
    assert_eq!(
        c.get_manifest(&r.with_tag("a").unwrap()).unwrap().bytes,
        manifest
    );
    assert_eq!(
        c.head_manifest(&r.with_tag("b").unwrap()).unwrap().digest,
        m
    );
    assert_eq!(c.catalog(reg.host()).unwrap(), vec!["blocking/app"]);
    assert!(
        c.referrers(&r.with_digest(m.clone()), None)
            .unwrap()
            .is_empty()
    );

    let mut session = c.start_upload(&r).unwrap();
    session.write(b"part one ").unwrap();
    session.suspend().unwrap();
    let location = session.location().to_string();
    let mut resumed = c.resume_upload(&r, &location).unwrap();
    assert_eq!(resumed.offset(), 9);
    resumed.write(b"part two").unwrap();
    let whole = resumed
        .finish(Some(&Digest::sha256_of(b"part one part two")))
        .unwrap();
    let other = reference(reg.host(), "blocking/other");
    assert!(
        c.mount_blob(&other, &whole, r.repository())
            .unwrap()
            .is_none(),
        "mounted"
    );

    c.delete_manifest(&r.with_digest(m)).unwrap();
    c.delete_blob(&r, &digest).unwrap();
    assert!(!c.blob_exists(&r, &digest).unwrap());
}

#[test]
fn a_digest_mismatch_surfaces_through_read() {
    let reg = Registry::start(Mode::Plain);
    let c = client(reg.host());
    let r = reference(reg.host(), "blocking/corrupt");
    let data = bytes(2, 70_000);
    let digest = c.push_blob(&r, Bytes::from(data)).unwrap();
    let hex = digest.hex();
    let path = reg
        .storage_dir()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let mut stored = std::fs::read(&path).unwrap();
    stored[0] ^= 1;
    std::fs::write(&path, stored).unwrap();
    let mut reader = c.get_blob(&r, &digest).unwrap();
    let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<ocireg::Error>())
        .expect("an ocireg error inside");
    assert_eq!(inner.kind(), ErrorKind::DigestMismatch);
}

#[tokio::test]
async fn calling_the_blocking_api_inside_a_runtime_is_an_error() {
    let err = Client::new(ClientOptions::default())
        .err()
        .expect("refused inside a runtime");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[test]
fn image_operations_report_progress_on_the_calling_thread_and_abort_cleanly() {
    use ocireg::image::ImageOptions;
    let reg = Registry::start(Mode::Plain);
    let c = client(reg.host());
    let r = reference(reg.host(), "blocking/image:v1");
    let layer = bytes(3, 300_000);
    let layer_digest = c.push_blob(&r, Bytes::from(layer.clone())).unwrap();
    let config = c.push_blob(&r, Bytes::from_static(b"{}")).unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": config.as_str(), "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest.as_str(), "size": layer.len()}]
    }))
    .unwrap();
    let digest = c
        .put_manifest(&r, Bytes::from(manifest), media_type::OCI_MANIFEST)
        .unwrap();

    let dir = reg.dir().join("pulled");
    let caller = std::thread::current().id();
    let mut reports = 0;
    let pulled = c
        .pull(&r, &dir, &ImageOptions::default(), &mut |p| {
            assert_eq!(
                std::thread::current().id(),
                caller,
                "progress on the calling thread"
            );
            assert!(p.done <= p.total);
            reports += 1;
            true
        })
        .expect("pull");
    assert_eq!(pulled.digest, digest.as_str());
    assert!(reports >= 2, "{reports} reports");

    // Every report reaches the caller before the call returns: the last
    // one says the whole image is done.
    for round in 0..20 {
        let mut last = None;
        c.pull(
            &r,
            &reg.dir().join(format!("again-{round}")),
            &ImageOptions::default(),
            &mut |p| {
                last = Some((p.done, p.total));
                true
            },
        )
        .expect("pull");
        let (done, total) = last.expect("reports");
        assert_eq!(done, total, "round {round}: the last report");
    }

    let copied = c
        .copy(
            &r,
            &reference(reg.host(), "blocking/copy:v1"),
            &ImageOptions::default(),
            &mut |_| true,
        )
        .unwrap();
    assert_eq!(copied, digest);

    let other = reg.dir().join("aborted");
    let err = c
        .pull(&r, &other, &ImageOptions::default(), &mut |_| false)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(other.join("blobs/sha256"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        leftovers
            .iter()
            .all(|n| !n.to_string_lossy().starts_with(".tmp")),
        "{leftovers:?}"
    );

    let info = c.inspect(&r, &ImageOptions::default(), false).unwrap();
    assert_eq!(info.digest, digest.as_str());
}

/// A chunk size of 1 TiB is bounded, not allocated: a small blob uploads
/// from a reader and through the writer (also an `std::io::Write`).
#[test]
fn a_huge_chunk_size_uploads_a_small_blob() {
    let reg = Registry::start(Mode::Plain);
    let c = Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        upload_chunk_size: 1 << 40,
        ..Default::default()
    })
    .expect("blocking client");
    let r = reference(reg.host(), "blocking/huge-chunk");
    let data = bytes(13, 200_000);
    let want = Digest::sha256_of(&data);
    let mut reports = Vec::new();
    let digest = c
        .push_blob_with_progress(&r, &mut &data[..], &mut |done| {
            reports.push(done);
            true
        })
        .expect("push from Read with a 1 TiB chunk size");
    assert_eq!(digest, want);
    assert_eq!(reports, vec![data.len() as u64], "one chunk, one report");

    let mut writer = c.start_upload(&r).unwrap();
    assert_eq!(writer.chunk_size(), ocireg::client::MAX_CHUNK_SIZE);
    std::io::Write::write_all(&mut writer, &data).expect("io::Write");
    assert_eq!(writer.offset(), 0, "less than a chunk stays buffered");
    assert_eq!(writer.finish(None).expect("finish"), want);
    assert_eq!(c.head_blob(&r, &want).unwrap().size, data.len() as u64);
}

/// Dropping an open writer sends its `DELETE` even once the client was
/// cancelled, and waits for it at most `CANCEL_ON_DROP_TIMEOUT` even when
/// the client has no timeouts at all: a stalled registry cannot hang it.
#[test]
fn dropping_an_open_writer_deletes_within_its_own_bound() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    use support::scripted::scripted;

    let deletes = Arc::new(AtomicUsize::new(0));
    let seen = deletes.clone();
    let server = scripted(Arc::new(move |method, path| {
        if method == "POST" && path.starts_with("/v2/r/blobs/uploads/") {
            let headers = vec![
                ("Location".to_string(), "/v2/r/blobs/uploads/u1".to_string()),
                ("Range".to_string(), "0-0".to_string()),
            ];
            return (202, headers, Vec::new());
        }
        if method == "DELETE" {
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(30));
            return (204, Vec::new(), Vec::new());
        }
        (404, Vec::new(), Vec::new())
    }));
    let host = server.addr().to_string();
    let c = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        request_timeout: Duration::ZERO,
        read_timeout: Duration::ZERO,
        max_retries: 0,
        ..Default::default()
    })
    .unwrap();
    let token = ocireg::CancelToken::new();
    let c = c.with_cancel(&token);
    let mut writer = c.start_upload(&reference(&host, "r")).unwrap();
    writer.write(b"buffered, never sent").unwrap();
    token.cancel();
    let started = Instant::now();
    drop(writer);
    let took = started.elapsed();
    assert_eq!(deletes.load(Ordering::SeqCst), 1, "the DELETE was sent");
    // It waited for its bound, and gave up long before the registry
    // answered (30 s): no tighter upper bound, which a loaded machine
    // could overrun.
    assert!(
        took >= ocireg::blocking::CANCEL_ON_DROP_TIMEOUT - Duration::from_millis(100)
            && took < Duration::from_secs(30),
        "drop took {took:?}"
    );
}

/// Against a real registry, the session of a dropped writer of a cancelled
/// client is gone afterwards.
#[test]
fn a_dropped_writer_of_a_cancelled_client_leaves_no_session() {
    let reg = Registry::start(Mode::Plain);
    let token = ocireg::CancelToken::new();
    let c = client(reg.host()).with_cancel(&token);
    let r = reference(reg.host(), "blocking/dropped");
    let mut writer = c.start_upload(&r).unwrap();
    writer.write(b"some bytes").unwrap();
    writer.flush().unwrap();
    let location = writer.location().to_string();
    token.cancel();
    drop(writer);
    let fresh = client(reg.host());
    let err = fresh
        .resume_upload(&r, &location)
        .err()
        .expect("the session was deleted");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(reg.count_requests("DELETE", "/blobs/uploads/"), 1);
}
