//! Platforms as data against a real registry: the platforms of an index
//! (nested ones too) and of a single image, the manifest of one platform,
//! and the whole registry error body on the error.

mod fixtures;
mod support;

use std::sync::Arc;

use bytes::Bytes;
use fixtures::{plain_client, push_image, reference};
use ocireg::image::Platform;
use ocireg::{Client, Digest, ErrorKind, Reference, media_type};
use serde_json::json;
use support::scripted::{content_type, scripted};
use support::{Mode, Registry};

/// Pushes `index` (JSON) to `r` under `tag` and returns its digest.
async fn put_index(client: &Client, r: &Reference, tag: &str, index: serde_json::Value) -> Digest {
    let bytes = Bytes::from(serde_json::to_vec(&index).unwrap());
    client
        .put_manifest(&r.with_tag(tag).unwrap(), bytes, media_type::OCI_INDEX)
        .await
        .expect("push index")
}

#[tokio::test]
async fn lists_the_platforms_of_indexes_and_images_and_fetches_one() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "plat/app");
    let amd = push_image(&client, &r, media_type::OCI_MANIFEST, &[(1, 100)], &[]).await;
    let arm = push_image(&client, &r, media_type::DOCKER_MANIFEST, &[(2, 200)], &[]).await;
    let win = push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(3, 300)],
        &["single"],
    )
    .await;

    let entry = |d: &Digest, size: usize, mt: &str, platform: serde_json::Value| json!({"mediaType": mt, "digest": d.as_str(), "size": size, "platform": platform});
    let inner = put_index(
        &client,
        &r,
        "inner",
        json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": [
            entry(&win.digest, win.manifest.len(), media_type::OCI_MANIFEST,
                  json!({"os": "windows", "architecture": "amd64",
                         "os.version": "10.0.17763.1757", "os.features": ["win32k"]})),
        ]}),
    )
    .await;
    let inner_size = client
        .get_manifest(&r.with_tag("inner").unwrap())
        .await
        .unwrap()
        .bytes
        .len();
    let top = put_index(
        &client,
        &r,
        "multi",
        json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": [
            entry(&amd.digest, amd.manifest.len(), media_type::OCI_MANIFEST,
                  json!({"os": "linux", "architecture": "amd64"})),
            entry(&arm.digest, arm.manifest.len(), media_type::DOCKER_MANIFEST,
                  json!({"os": "linux", "architecture": "arm64", "variant": "v8",
                         "features": ["sse4"]})),
            {"mediaType": media_type::OCI_INDEX, "digest": inner.as_str(), "size": inner_size},
        ]}),
    )
    .await;

    // The index: its two images, then the nested index's one, in order.
    let platforms = client
        .platforms(&r.with_tag("multi").unwrap())
        .await
        .expect("platforms");
    assert_eq!(platforms.len(), 3, "{platforms:?}");
    let [a, b, w] = &platforms[..] else {
        unreachable!()
    };
    assert_eq!((a.os.as_str(), a.architecture.as_str()), ("linux", "amd64"));
    assert_eq!(a.variant, None);
    assert_eq!(a.digest, amd.digest);
    assert_eq!(a.size, amd.manifest.len() as u64);
    assert_eq!(a.media_type, media_type::OCI_MANIFEST);
    assert_eq!(b.architecture, "arm64");
    assert_eq!(b.variant.as_deref(), Some("v8"));
    assert_eq!(b.features, vec!["sse4".to_string()]);
    assert_eq!(b.digest, arm.digest);
    assert_eq!(b.media_type, media_type::DOCKER_MANIFEST);
    assert_eq!(w.os, "windows");
    assert_eq!(w.os_version.as_deref(), Some("10.0.17763.1757"));
    assert_eq!(w.os_features, vec!["win32k".to_string()]);
    assert_eq!(w.digest, win.digest);

    // The same by the index's digest, and through the blocking facade.
    let by_digest = r.with_digest(top.clone());
    assert_eq!(client.platforms(&by_digest).await.unwrap(), platforms);
    let host = reg.host().to_string();
    let blocking_r = by_digest.clone();
    let from_blocking = std::thread::spawn(move || {
        let c = ocireg::blocking::Client::new(ocireg::ClientOptions {
            insecure_registries: vec![host],
            ..Default::default()
        })
        .unwrap();
        c.platforms(&blocking_r)
    })
    .join()
    .unwrap()
    .expect("blocking platforms");
    assert_eq!(from_blocking, platforms);

    // A single image: one entry, its platform from the config.
    let single = client
        .platforms(&r.with_tag("single").unwrap())
        .await
        .expect("platforms of an image");
    assert_eq!(single.len(), 1);
    assert_eq!(
        (single[0].os.as_str(), single[0].architecture.as_str()),
        ("linux", "amd64")
    );
    assert_eq!(single[0].digest, win.digest);
    assert_eq!(single[0].size, win.manifest.len() as u64);
    assert!(single[0].features.is_empty());

    // The manifest of one platform, through the nesting too.
    let multi = r.with_tag("multi").unwrap();
    for (platform, want) in [
        ("linux/arm64/v8", &arm),
        ("linux/arm64", &arm),
        ("linux/amd64", &amd),
        ("windows/amd64", &win),
    ] {
        let m = client
            .image_manifest(&multi, &Platform::parse(platform).unwrap())
            .await
            .expect(platform);
        assert_eq!(m.digest, want.digest, "{platform}");
        assert_eq!(m.bytes, want.manifest, "{platform}");
    }
    let err = client
        .image_manifest(&multi, &Platform::parse("linux/s390x").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    // An unknown tag: the registry's whole error entry is on the error.
    let err = client
        .platforms(&r.with_tag("nope").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let entries = err.registry_errors();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].code, "MANIFEST_UNKNOWN");
    assert!(!entries[0].message.is_empty());
    assert!(entries[0].detail.contains("nope"), "{}", entries[0].detail);
}

#[tokio::test]
async fn an_index_entry_with_a_malformed_platform_is_a_protocol_error() {
    // A real registry refuses such an index; a hostile one serves it.
    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX,
        "manifests": [{"mediaType": media_type::OCI_MANIFEST, "digest": Digest::sha256_of(b"x").as_str(),
                       "size": 1, "platform": {"os": 7, "architecture": "amd64"}}]}))
    .unwrap();
    let server = scripted(Arc::new(move |_method: &str, _path: &str| {
        (200, content_type(media_type::OCI_INDEX), index.clone())
    }));
    let client = plain_client(server.addr());
    let err = client
        .platforms(&reference(server.addr(), "x/bad:t"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
}

#[tokio::test]
async fn every_entry_of_a_registry_error_body_is_kept_within_bounds() {
    let body = |n: usize| {
        let errors: Vec<_> = (0..n)
            .map(|i| {
                json!({"code": format!("CODE_{i}"), "message": format!("message {i}"),
                            "detail": {"i": i}})
            })
            .collect();
        serde_json::to_vec(&json!({ "errors": errors })).unwrap()
    };
    let server = scripted(Arc::new(move |_method: &str, path: &str| {
        let n = if path.contains("many") { 500 } else { 3 };
        (404, content_type("application/json"), body(n))
    }));
    let client = plain_client(server.addr());
    let err = client
        .get_manifest(&reference(server.addr(), "x/few:t"))
        .await
        .unwrap_err();
    let entries = err.registry_errors();
    assert_eq!(entries.len(), 3);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.code, format!("CODE_{i}"));
        assert_eq!(e.message, format!("message {i}"));
        assert_eq!(e.detail, format!("{{\"i\":{i}}}"));
    }
    let err = client
        .get_manifest(&reference(server.addr(), "x/many:t"))
        .await
        .unwrap_err();
    assert_eq!(err.registry_errors().len(), 64);
    assert_eq!(err.registry_errors()[63].code, "CODE_63");
}
