//! Reliability under faults: connections cut at many offsets (downloads,
//! manifests, uploads), a registry restarted under a pull and a push,
//! cancellation at every stage, and credentials that never leak.
//! `docs/RELIABILITY.md` summarizes what these tests try.

mod fixtures;
mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fixtures::{bytes, plain_client, push_image, reference};
use ocireg::image::ImageOptions;
use ocireg::{CancelToken, Client, ClientOptions, Credential, Digest, ErrorKind, media_type};
use support::{FaultProxy, Mode, Registry};

async fn read_all(mut reader: ocireg::BlobReader) -> ocireg::Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = reader.chunk().await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn client_with_chunks(host: &str, chunk: usize) -> Client {
    Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        upload_chunk_size: chunk,
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn downloads_cut_at_many_offsets_resume_byte_identical() {
    let reg = Registry::start(Mode::Plain);
    let data = bytes(1, 1024 * 1024 + 7);
    let digest = plain_client(reg.host())
        .push_blob(
            &reference(reg.host(), "rel/blob"),
            Bytes::from(data.clone()),
        )
        .await
        .unwrap();
    let proxy = FaultProxy::start(reg.host());
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "rel/blob");
    let size = data.len() as u64;
    let offsets = [
        0,
        1,
        511,
        512,
        4095,
        4096,
        16_383,
        65_535,
        65_536,
        65_537,
        131_072,
        500_000,
        size - 1,
    ];
    for offset in offsets {
        proxy.cut_body_after("GET", "/blobs/sha256:", offset, 1);
        let got = read_all(client.get_blob(&r, &digest).await.unwrap())
            .await
            .unwrap_or_else(|e| panic!("cut at {offset}: {e}"));
        assert!(got == data, "cut at {offset}: bytes differ");
    }
    // Several cuts in one download (each resume cut again).
    proxy.cut_body_after("GET", "/blobs/sha256:", 100_000, 4);
    let got = read_all(client.get_blob(&r, &digest).await.unwrap())
        .await
        .unwrap();
    assert!(got == data);
}

#[tokio::test]
async fn manifest_reads_cut_at_many_offsets_are_retried() {
    let reg = Registry::start(Mode::Plain);
    let direct = plain_client(reg.host());
    let image = push_image(
        &direct,
        &reference(reg.host(), "rel/manifest"),
        media_type::OCI_MANIFEST,
        &[(2, 100)],
        &["v1"],
    )
    .await;
    let proxy = FaultProxy::start(reg.host());
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "rel/manifest:v1");
    let len = image.manifest.len() as u64;
    for offset in [0, 1, 10, len / 2, len - 1] {
        proxy.cut_body_after("GET", "/manifests/", offset, 1);
        let m = client
            .get_manifest(&r)
            .await
            .unwrap_or_else(|e| panic!("cut at {offset}: {e}"));
        assert_eq!(m.bytes, image.manifest, "cut at {offset}");
        assert_eq!(m.digest, image.digest);
    }
}

#[tokio::test]
async fn chunked_uploads_cut_midway_fail_clearly_and_a_rerun_completes() {
    // distribution 2.8 gives up a session whose PATCH was cut (its state
    // token no longer matches what it holds), so a reader that cannot be
    // read again ends in a clear NETWORK error; a registry that keeps the
    // session gets the rest from the offset it reports.
    let reg = Registry::start(Mode::Plain);
    let proxy = FaultProxy::start(reg.host());
    let client = client_with_chunks(proxy.host(), 256 * 1024);
    let r = reference(proxy.host(), "rel/upload");
    let data = bytes(3, 1024 * 1024 + 3);
    let want = Digest::sha256_of(&data);
    for offset in [1, 65_536, 262_143] {
        proxy.cut_request_after("PATCH", "/blobs/uploads/", offset, 1);
        match client
            .push_blob_chunked(&r, &mut std::io::Cursor::new(data.clone()))
            .await
        {
            Ok(digest) => assert_eq!(digest, want, "cut at {offset}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Network, "cut at {offset}: {e}");
                assert!(e.message().contains("start over"), "{e}");
                let digest = client
                    .push_blob_chunked(&r, &mut std::io::Cursor::new(data.clone()))
                    .await
                    .unwrap();
                assert_eq!(digest, want);
            }
        }
        let back = read_all(client.get_blob(&r, &want).await.unwrap())
            .await
            .unwrap();
        assert!(back == data, "cut at {offset}: stored bytes differ");
        client.delete_blob(&r, &want).await.unwrap();
    }
}

#[tokio::test]
async fn image_pushes_cut_at_many_offsets_start_the_blob_over() {
    let reg = Registry::start(Mode::Plain);
    let direct = plain_client(reg.host());
    let source = reference(reg.host(), "rel/source:v1");
    let image = push_image(
        &direct,
        &source,
        media_type::OCI_MANIFEST,
        &[(7, 600_000), (8, 300_000)],
        &["v1"],
    )
    .await;
    let dir = reg.dir().join("layout");
    direct
        .pull(&source, &dir, &ImageOptions::default())
        .await
        .unwrap();
    let proxy = FaultProxy::start(reg.host());
    let client = plain_client(proxy.host());
    for (i, offset) in [1u64, 65_536, 299_999, 599_999].into_iter().enumerate() {
        proxy.cut_request_after("PUT", "/blobs/uploads/", offset, 1);
        let target = reference(proxy.host(), &format!("rel/pushed{i}:v1"));
        let digest = client
            .push(&dir, &target, &ImageOptions::default())
            .await
            .unwrap_or_else(|e| panic!("cut at {offset}: {e}"));
        assert_eq!(digest, image.digest);
        for (layer, data) in &image.layers {
            let back = read_all(client.get_blob(&target, layer).await.unwrap())
                .await
                .unwrap();
            assert!(&back == data, "cut at {offset}: {layer} differs");
        }
    }
}

#[tokio::test]
async fn monolithic_uploads_cut_midway_start_over() {
    let reg = Registry::start(Mode::Plain);
    let proxy = FaultProxy::start(reg.host());
    let client = plain_client(proxy.host());
    let r = reference(proxy.host(), "rel/mono");
    let data = bytes(4, 300_000);
    for offset in [1, 65_536, 299_999] {
        proxy.cut_request_after("PUT", "/blobs/uploads/", offset, 1);
        let digest = client
            .push_blob(&r, Bytes::from(data.clone()))
            .await
            .unwrap_or_else(|e| panic!("cut at {offset}: {e}"));
        let back = read_all(client.get_blob(&r, &digest).await.unwrap())
            .await
            .unwrap();
        assert!(back == data, "cut at {offset}");
        client.delete_blob(&r, &digest).await.unwrap();
    }
}

#[tokio::test]
async fn a_registry_restarted_under_a_pull_and_a_push() {
    let reg = Arc::new(Registry::start(Mode::Plain));
    let client = Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        concurrency: 1,
        ..Default::default()
    })
    .unwrap();
    let r = reference(reg.host(), "rel/restart:v1");
    let layers: Vec<(u64, usize)> = (0..6).map(|i| (50 + i, 2 * 1024 * 1024)).collect();
    let image = push_image(&client, &r, media_type::OCI_MANIFEST, &layers, &["v1"]).await;

    // Pull, with the registry restarted once a third of the bytes arrived.
    let dir = reg.dir().join("pulled");
    let restarted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (trigger_reg, flag) = (reg.clone(), restarted.clone());
    let options = ImageOptions {
        progress: Some(Arc::new(move |p| {
            if p.done * 3 >= p.total && !flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
                let reg = trigger_reg.clone();
                std::thread::spawn(move || reg.restart(Duration::from_millis(200)));
            }
        })),
        ..Default::default()
    };
    let first = client.pull(&r, &dir, &options).await;
    assert!(restarted.load(std::sync::atomic::Ordering::SeqCst));
    if let Err(e) = &first {
        assert!(
            matches!(e.kind(), ErrorKind::Network | ErrorKind::Server),
            "a clear error: {e}"
        );
    }
    // Either way a re-run completes, verified.
    let desc = client
        .pull(&r, &dir, &ImageOptions::default())
        .await
        .expect("re-run");
    assert_eq!(desc.digest, image.digest.as_str());

    // Push to another repository, with a restart in the middle.
    let target = reference(reg.host(), "rel/restart-push:v1");
    let trigger_reg = reg.clone();
    let restarter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        trigger_reg.restart(Duration::from_millis(200));
    });
    let first = client.push(&dir, &target, &ImageOptions::default()).await;
    restarter.join().unwrap();
    if let Err(e) = &first {
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Network | ErrorKind::Server | ErrorKind::NotFound
            ),
            "a clear error: {e}"
        );
    }
    let digest = client
        .push(&dir, &target, &ImageOptions::default())
        .await
        .expect("re-run");
    assert_eq!(digest, image.digest);
    let back = client.get_manifest(&target).await.unwrap();
    assert_eq!(back.bytes, image.manifest);
}

#[tokio::test]
async fn image_operations_cancel_before_any_transfer() {
    // A server that accepts and never answers: the manifest fetch hangs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let client = plain_client(&host);
    let r = reference(&host, "rel/stalled:v1");
    let dir = std::env::temp_dir().join(format!("ocireg-rel-cancel-{}", std::process::id()));
    let token = CancelToken::new();
    let canceller = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        canceller.cancel();
    });
    let options = ImageOptions {
        cancel: Some(token),
        ..Default::default()
    };
    let err = client.pull(&r, &dir, &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    let err = client
        .copy(&r, &reference(&host, "rel/other:v1"), &options)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let file = dir.join("x.tar");
    let err = client.save(&r, &file, &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let _ = std::fs::remove_dir_all(&dir);
    drop(listener);
}

#[tokio::test]
async fn credentials_never_appear_in_errors() {
    const SECRET: &str = "S3cr3t-Pa55-ocireg";
    let tls = Registry::start(Mode::BasicTls);
    let token = Registry::start(Mode::Token);
    let mut messages = Vec::new();
    for reg in [&tls, &token] {
        let client = Client::new(ClientOptions {
            ca_files: reg
                .ca_pem_path()
                .map(|p| p.to_path_buf())
                .into_iter()
                .collect(),
            credentials: vec![(
                reg.host().to_string(),
                Credential::Basic {
                    username: "testuser".into(),
                    password: SECRET.into(),
                },
            )],
            ..Default::default()
        })
        .unwrap();
        let r = reference(reg.host(), "leak/check:v1");
        messages.push(client.check_credentials(reg.host()).await.unwrap_err());
        messages.push(client.get_manifest(&r).await.unwrap_err());
        messages.push(
            client
                .push_blob(&r, Bytes::from_static(b"x"))
                .await
                .unwrap_err(),
        );
        messages.push(client.tags(&r).await.unwrap_err());
    }
    let with_identity = Client::new(ClientOptions {
        ca_files: token
            .ca_pem_path()
            .map(|p| p.to_path_buf())
            .into_iter()
            .collect(),
        credentials: vec![(
            token.host().to_string(),
            Credential::IdentityToken {
                token: SECRET.into(),
            },
        )],
        ..Default::default()
    })
    .unwrap();
    messages.push(
        with_identity
            .check_credentials(token.host())
            .await
            .unwrap_err(),
    );
    for e in &messages {
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        for text in [e.to_string(), format!("{e:?}"), e.detail()] {
            assert!(!text.contains(SECRET), "credential leaked: {text}");
        }
    }
    let debug = format!(
        "{:?}",
        Credential::Basic {
            username: "u".into(),
            password: SECRET.into()
        }
    );
    assert!(!debug.contains(SECRET), "{debug}");
}

#[tokio::test]
async fn a_blob_larger_than_its_descriptor_is_refused_and_not_written() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "rel/liar:v1");
    let layer = bytes(9, 1000);
    let layer_digest = client.push_blob(&r, Bytes::from(layer)).await.unwrap();
    let config = client
        .push_blob(&r, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": config.as_str(), "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest.as_str(), "size": 500}],
    }))
    .unwrap();
    match client
        .put_manifest(&r, Bytes::from(manifest), media_type::OCI_MANIFEST)
        .await
    {
        // distribution may check sizes itself; then there is nothing to pull.
        Err(e) => assert!(matches!(e.kind(), ErrorKind::Rejected), "{e}"),
        Ok(_) => {
            let dir = reg.dir().join("liar");
            let err = client
                .pull(&r, &dir, &ImageOptions::default())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
            let blob = dir.join("blobs/sha256").join(layer_digest.hex());
            assert!(!blob.exists(), "nothing written for the lying blob");
            let leftovers: Vec<_> = std::fs::read_dir(dir.join("blobs/sha256"))
                .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
                .unwrap_or_default();
            assert!(
                leftovers
                    .iter()
                    .all(|n| !n.to_string_lossy().starts_with(".tmp")),
                "{leftovers:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_token_refused_in_the_middle_of_a_push_is_fetched_again() {
    let reg = Registry::start(Mode::TokenPlain);
    let tokens = reg.token_server().expect("token server");
    let proxy = FaultProxy::start(reg.host());
    let (user, password) = reg.credentials().unwrap();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![proxy.host().to_string()],
        ca_files: vec![reg.ca_pem_path().unwrap().to_path_buf()],
        credentials: vec![(
            proxy.host().to_string(),
            Credential::Basic {
                username: user.into(),
                password: password.into(),
            },
        )],
        upload_chunk_size: 64 * 1024,
        ..Default::default()
    })
    .unwrap();
    let r = reference(proxy.host(), "rel/expiring");
    client
        .push_blob(&r, Bytes::from_static(b"warm up"))
        .await
        .unwrap();

    // The registry stops accepting the token during the next push, as it
    // would when the token expires.
    let challenge = format!(
        "Bearer realm=\"{}\",service=\"{}\",error=\"invalid_token\"",
        tokens.realm(),
        support::token_server::SERVICE
    );
    proxy.respond_status(
        "PATCH",
        "/blobs/uploads/",
        401,
        vec![("WWW-Authenticate".into(), challenge)],
        1,
    );
    let fetched_before = tokens.requests();
    let patches_before = proxy.count("PATCH", "/blobs/uploads/");
    let data = bytes(20, 300_000);
    let digest = client
        .push_blob_chunked(&r, &mut std::io::Cursor::new(data.clone()))
        .await
        .expect("the push goes on with a new token");
    assert_eq!(digest, Digest::sha256_of(&data));
    assert_eq!(
        tokens.requests() - fetched_before,
        1,
        "exactly one new token"
    );
    assert_eq!(
        proxy.count("PATCH", "/blobs/uploads/") - patches_before,
        6,
        "5 chunks and 1 refused"
    );
    let back = read_all(client.get_blob(&r, &digest).await.unwrap())
        .await
        .unwrap();
    assert!(back == data);
}
