//! The async client against a real plain-HTTP registry: every operation.

mod fixtures;
mod support;

use bytes::Bytes;
use fixtures::{bytes, index_bytes, plain_client, push_image, reference};
use ocireg::{ClientOptions, Digest, ErrorKind, MountResult, media_type};
use support::{Mode, Registry};

async fn read_all(mut reader: ocireg::BlobReader) -> ocireg::Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = reader.chunk().await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[tokio::test]
async fn ping_and_unreachable_registry() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    client.ping(reg.host()).await.expect("ping");

    // A port nobody listens on: a network error, not a hang or a panic.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let client = plain_client(&dead);
    let err = client.ping(&dead).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
}

#[tokio::test]
async fn plain_http_is_refused_unless_marked_insecure() {
    let reg = Registry::start(Mode::Plain);
    let client = ocireg::Client::new(ClientOptions::default()).unwrap();
    let err = client.ping(reg.host()).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Tls | ErrorKind::Network),
        "https to a plain registry must fail: {err}"
    );
}

#[tokio::test]
async fn blob_push_head_get_range_delete() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "blobs/one");
    let data = bytes(1, 3 * 1024 * 1024 + 17);
    let digest = client
        .push_blob(&r, Bytes::from(data.clone()))
        .await
        .expect("push");
    assert_eq!(digest, Digest::sha256_of(&data));

    let info = client.head_blob(&r, &digest).await.expect("head");
    assert_eq!(info.size, data.len() as u64);
    assert!(client.blob_exists(&r, &digest).await.unwrap());

    let mut reader = client.get_blob(&r, &digest).await.expect("get");
    reader.expect_size(data.len() as u64).expect("size matches");
    assert_eq!(read_all(reader).await.expect("read"), data);

    let reader = client
        .get_blob_range(&r, &digest, 1000, Some(5000))
        .await
        .expect("range");
    assert_eq!(read_all(reader).await.unwrap(), &data[1000..6000]);
    let reader = client
        .get_blob_range(&r, &digest, data.len() as u64 - 10, None)
        .await
        .unwrap();
    assert_eq!(read_all(reader).await.unwrap(), &data[data.len() - 10..]);
    // u64::MAX (and any length whose end would pass it) means to the end,
    // not an overflowed or bogus Range.
    for (offset, length) in [(7, u64::MAX), (data.len() as u64 - 10, u64::MAX - 3)] {
        let reader = client
            .get_blob_range(&r, &digest, offset, Some(length))
            .await
            .expect("range to the end");
        let from = usize::try_from(offset).unwrap();
        assert_eq!(read_all(reader).await.unwrap(), &data[from..]);
    }

    let mut reader = client.get_blob(&r, &digest).await.unwrap();
    let err = reader.expect_size(12).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded);

    client.delete_blob(&r, &digest).await.expect("delete");
    let err = client.head_blob(&r, &digest).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!client.blob_exists(&r, &digest).await.unwrap());
    let err = client.get_blob(&r, &digest).await.err().expect("gone");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.http_status(), Some(404));
    assert_eq!(err.registry_code(), Some("BLOB_UNKNOWN"));
}

#[tokio::test]
async fn chunked_and_resumable_uploads() {
    let reg = Registry::start(Mode::Plain);
    let client = ocireg::Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        upload_chunk_size: 64 * 1024,
        ..Default::default()
    })
    .unwrap();
    let r = reference(reg.host(), "uploads/chunked");
    let data = bytes(2, 300 * 1024 + 5);
    let digest = client
        .push_blob_chunked(&r, &mut std::io::Cursor::new(data.clone()))
        .await
        .expect("chunked push");
    assert_eq!(digest, Digest::sha256_of(&data));
    assert_eq!(
        read_all(client.get_blob(&r, &digest).await.unwrap())
            .await
            .unwrap(),
        data
    );

    // Suspend after two chunks, resume from the location alone.
    let mut session = client.start_upload(&r).await.expect("start");
    session.write(&data[..100_000]).await.unwrap();
    session.write(&data[100_000..150_000]).await.unwrap();
    session.suspend().await.unwrap();
    let location = session.location().to_string();
    drop(session);
    let mut resumed = client.resume_upload(&r, &location).await.expect("resume");
    assert_eq!(resumed.offset(), 150_000);
    resumed.write(&data[150_000..]).await.unwrap();
    let err = client.resume_upload(&r, "not a url").await.err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let finished = resumed.finish(Some(&digest)).await.expect("finish resumed");
    assert_eq!(finished, digest);

    // A resumed session cannot guess the digest of bytes it never saw.
    let mut session = client.start_upload(&r).await.unwrap();
    session.write(b"abc").await.unwrap();
    session.suspend().await.unwrap();
    let location = session.location().to_string();
    let mut resumed = client.resume_upload(&r, &location).await.unwrap();
    assert_eq!(resumed.offset(), 3);
    assert_eq!(
        resumed.finish(None).await.unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    // The failed finish left the session usable: finish it with the digest.
    let abc = Digest::sha256_of(b"abc");
    assert_eq!(
        resumed
            .finish(Some(&abc))
            .await
            .expect("finish with the digest"),
        abc
    );

    // Finishing with a digest the bytes do not hash to is refused before
    // the PUT (the registry would say DIGEST_INVALID).
    let mut session = client.start_upload(&r).await.unwrap();
    session.write(b"hello").await.unwrap();
    let wrong = Digest::sha256_of(b"bye");
    let err = session.finish(Some(&wrong)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");

    // Cancel: the session is gone afterwards.
    let mut session = client.start_upload(&r).await.unwrap();
    session.write(b"abandon").await.unwrap();
    let location = session.location().to_string();
    session.cancel().await.expect("cancel");
    let err = client
        .resume_upload(&r, &location)
        .await
        .err()
        .expect("cancelled");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn cross_repository_mount() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let src = reference(reg.host(), "mount/source");
    let dst = reference(reg.host(), "mount/target");
    let data = bytes(3, 10_000);
    let digest = client
        .push_blob(&src, Bytes::from(data.clone()))
        .await
        .unwrap();
    match client
        .mount_blob(&dst, &digest, src.repository())
        .await
        .expect("mount")
    {
        MountResult::Mounted => {}
        MountResult::Upload(_) => panic!("a blob the registry has must mount"),
    }
    assert!(client.blob_exists(&dst, &digest).await.unwrap());

    let unknown = Digest::sha256_of(b"never pushed");
    match client
        .mount_blob(&dst, &unknown, src.repository())
        .await
        .expect("mount attempt")
    {
        MountResult::Mounted => panic!("an unknown blob cannot mount"),
        MountResult::Upload(session) => {
            let digest = session_push(*session, b"never pushed").await;
            assert_eq!(digest, unknown);
        }
    }
}

async fn session_push(mut session: ocireg::BlobWriter, data: &'static [u8]) -> Digest {
    session.write(data).await.unwrap();
    session.finish(None).await.unwrap()
}

#[tokio::test]
async fn manifests_of_every_kind() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "images/app");

    let oci = push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(10, 1000), (11, 2000)],
        &["v1", "v1.0"],
    )
    .await;
    let docker = push_image(
        &client,
        &r,
        media_type::DOCKER_MANIFEST,
        &[(12, 3000)],
        &["docker"],
    )
    .await;

    let mut tags = client.tags(&r).await.expect("tags");
    tags.sort();
    assert_eq!(tags, vec!["docker", "v1", "v1.0"]);

    for (tag, pushed, mt) in [
        ("v1", &oci, media_type::OCI_MANIFEST),
        ("docker", &docker, media_type::DOCKER_MANIFEST),
    ] {
        let m = client
            .get_manifest(&r.with_tag(tag).unwrap())
            .await
            .expect("get by tag");
        assert_eq!(m.bytes, pushed.manifest, "raw bytes are kept");
        assert_eq!(m.media_type, mt);
        assert_eq!(m.digest, pushed.digest);
        let by_digest = client
            .get_manifest(&r.with_digest(pushed.digest.clone()))
            .await
            .expect("get by digest");
        assert_eq!(by_digest.bytes, pushed.manifest);
        let head = client
            .head_manifest(&r.with_tag(tag).unwrap())
            .await
            .expect("head");
        assert_eq!(head.digest, pushed.digest);
        assert_eq!(head.size, pushed.manifest.len() as u64);
        assert_eq!(head.media_type, mt);
    }

    // An OCI index and a Docker manifest list over the two images.
    for (tag, index_type) in [
        ("oci-index", media_type::OCI_INDEX),
        ("docker-list", media_type::DOCKER_MANIFEST_LIST),
    ] {
        let index = index_bytes(
            index_type,
            &[
                (
                    media_type::OCI_MANIFEST,
                    &oci.digest,
                    oci.manifest.len(),
                    "amd64",
                ),
                (
                    media_type::DOCKER_MANIFEST,
                    &docker.digest,
                    docker.manifest.len(),
                    "arm64",
                ),
            ],
        );
        let digest = client
            .put_manifest(&r.with_tag(tag).unwrap(), index.clone(), index_type)
            .await
            .expect("push index");
        assert_eq!(digest, Digest::sha256_of(&index));
        let got = client
            .get_manifest(&r.with_tag(tag).unwrap())
            .await
            .expect("get index");
        assert_eq!(got.media_type, index_type);
        assert_eq!(got.bytes, index);
    }

    // Unknown manifests carry the registry's error code.
    let err = client
        .get_manifest(&r.with_tag("nope").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.registry_code(), Some("MANIFEST_UNKNOWN"));
    let err = client
        .tags(&reference(reg.host(), "no/such/repo"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.registry_code(), Some("NAME_UNKNOWN"));

    // Too big to push: refused before anything is sent.
    let huge = Bytes::from(vec![b' '; 4 * 1024 * 1024 + 1]);
    let err = client
        .put_manifest(&r.with_tag("huge").unwrap(), huge, media_type::OCI_MANIFEST)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded);

    // Delete by tag resolves the digest; every tag of it goes.
    client
        .delete_manifest(&r.with_tag("v1").unwrap())
        .await
        .expect("delete");
    for tag in ["v1", "v1.0"] {
        let err = client
            .get_manifest(&r.with_tag(tag).unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{tag}");
    }
    client
        .delete_manifest(&r.with_digest(docker.digest.clone()))
        .await
        .expect("delete by digest");
}

#[tokio::test]
async fn tags_null_after_every_manifest_is_deleted() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "empty/soon");
    let img = push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(20, 100)],
        &["only"],
    )
    .await;
    client
        .delete_manifest(&r.with_digest(img.digest))
        .await
        .unwrap();
    assert_eq!(
        client.tags(&r).await.expect("tags of emptied repo"),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn catalog_follows_link_pagination() {
    let reg = Registry::start(Mode::Plain);
    let client = ocireg::Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        page_size: Some(2),
        ..Default::default()
    })
    .unwrap();
    let mut expected = Vec::new();
    for i in 0..5 {
        let repo = format!("catalog/repo{i}");
        push_image(
            &client,
            &reference(reg.host(), &repo),
            media_type::OCI_MANIFEST,
            &[(30 + i, 10)],
            &["t"],
        )
        .await;
        expected.push(repo);
    }
    let mut repos = client.catalog(reg.host()).await.expect("catalog");
    repos.sort();
    assert_eq!(repos, expected);
    let pages = reg.count_requests("GET", "/v2/_catalog");
    assert!(
        pages >= 3,
        "5 repositories at 2 per page take 3 requests, the log shows {pages}"
    );
}

#[tokio::test]
async fn referrers_fall_back_to_the_tag_schema() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "refs/app");
    let subject = push_image(&client, &r, media_type::OCI_MANIFEST, &[(40, 500)], &["v1"]).await;
    assert!(
        client
            .referrers(&r.with_tag("v1").unwrap(), None)
            .await
            .unwrap()
            .is_empty()
    );

    let empty = client
        .push_blob(&r, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let mut pushed = Vec::new();
    for (i, artifact_type) in [
        "application/vnd.example.sbom",
        "application/vnd.example.sig",
    ]
    .iter()
    .enumerate()
    {
        let sig = bytes(41 + i as u64, 64);
        let layer = client
            .push_blob(&r, Bytes::from(sig.clone()))
            .await
            .unwrap();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": media_type::OCI_EMPTY, "digest": empty.as_str(), "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": layer.as_str(), "size": sig.len()}],
            "subject": {"mediaType": media_type::OCI_MANIFEST, "digest": subject.digest.as_str(), "size": subject.manifest.len()},
            "annotations": {"n": i.to_string()},
        }))
        .unwrap();
        let digest = client
            .put_manifest_tags(&r, &[], Bytes::from(manifest), media_type::OCI_MANIFEST)
            .await
            .expect("push referrer by digest");
        pushed.push(digest);
    }

    let all = client
        .referrers(&r.with_digest(subject.digest.clone()), None)
        .await
        .expect("referrers");
    let mut got: Vec<&str> = all.iter().map(|d| d.descriptor.digest.as_str()).collect();
    got.sort();
    let mut want: Vec<&str> = pushed.iter().map(|d| d.as_str()).collect();
    want.sort();
    assert_eq!(got, want);
    let sboms = client
        .referrers(
            &r.with_tag("v1").unwrap(),
            Some("application/vnd.example.sbom"),
        )
        .await
        .unwrap();
    assert_eq!(sboms.len(), 1);
    assert_eq!(sboms[0].descriptor.digest, pushed[0].as_str());
    assert_eq!(
        sboms[0]
            .descriptor
            .annotations
            .as_ref()
            .and_then(|a| a.get("n"))
            .map(String::as_str),
        Some("0")
    );
    let tags = client.tags(&r).await.unwrap();
    assert!(
        tags.contains(&format!("sha256-{}", subject.digest.hex())),
        "{tags:?}"
    );
}

#[tokio::test]
async fn corrupted_blob_is_a_digest_mismatch() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "corrupt/blob");
    let data = bytes(50, 200_000);
    let digest = client.push_blob(&r, Bytes::from(data)).await.unwrap();
    let hex = digest.hex();
    let path = reg
        .storage_dir()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let mut stored = std::fs::read(&path).expect("blob file in storage");
    stored[123_456] ^= 0xff;
    std::fs::write(&path, stored).unwrap();

    let reader = client.get_blob(&r, &digest).await.expect("open");
    let err = read_all(reader).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
}

#[tokio::test]
async fn bad_references_are_clear_errors() {
    for bad in [
        "",
        "library/UPPER",
        "a//b",
        "host:5000/repo:",
        "repo@sha256:123",
        "repo:bad tag",
    ] {
        let err = ocireg::Reference::parse(bad).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::InvalidReference | ErrorKind::InvalidDigest
            ),
            "{bad:?}: {err}"
        );
    }
}

#[tokio::test]
async fn resuming_after_zero_and_one_byte_finds_the_right_offset() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "uploads/tiny");
    for held in [0usize, 1, 2] {
        let data = b"xyz";
        let mut session = client.start_upload(&r).await.unwrap();
        session.write(&data[..held]).await.unwrap();
        session.suspend().await.unwrap();
        let location = session.location().to_string();
        let mut resumed = client.resume_upload(&r, &location).await.unwrap();
        assert_eq!(resumed.offset(), held as u64, "after {held} bytes");
        resumed.write(&data[held..]).await.unwrap();
        let digest = resumed
            .finish(Some(&Digest::sha256_of(data)))
            .await
            .expect("finish");
        assert_eq!(digest, Digest::sha256_of(data));
    }
}

/// A chunk size far beyond memory (1 TiB) is bounded, never allocated up
/// front: chunks are capped at `MAX_CHUNK_SIZE` and a small blob uploads
/// through the writer and through a chunked push.
#[tokio::test]
async fn a_huge_chunk_size_uploads_a_small_blob() {
    let reg = Registry::start(Mode::Plain);
    let client = ocireg::Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        upload_chunk_size: 1 << 40,
        ..Default::default()
    })
    .unwrap();
    let r = reference(reg.host(), "uploads/huge-chunk");
    let data = bytes(12, 300_000);
    let want = Digest::sha256_of(&data);

    let digest = client
        .push_blob_chunked(&r, &mut std::io::Cursor::new(data.clone()))
        .await
        .expect("chunked push with a 1 TiB chunk size");
    assert_eq!(digest, want);

    let mut writer = client.start_upload(&r).await.unwrap();
    assert_eq!(writer.chunk_size(), ocireg::client::MAX_CHUNK_SIZE);
    writer.write(&data).await.unwrap();
    assert_eq!(writer.offset(), 0, "less than a chunk stays buffered");
    assert_eq!(writer.finish(None).await.expect("finish"), want);
    let back = read_all(client.get_blob(&r, &want).await.unwrap())
        .await
        .unwrap();
    assert!(back == data);
}
