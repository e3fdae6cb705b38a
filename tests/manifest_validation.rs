//! Manifests that are not what they claim, and indexes that nest: a clear
//! `PROTOCOL` error or a whole image, never an empty or half image named
//! in a layout.

mod fixtures;
mod support;

use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use fixtures::{index_bytes, plain_client, push_image, reference};
use ocireg::image::{ImageOptions, OciLayout, Platform};
use ocireg::{ErrorKind, media_type};
use serde_json::Value;
use support::scripted::{content_type, scripted};
use support::tempdir::TempDir;
use support::{Mode, Registry};

/// A registry that serves `body` as every manifest, with `ct`.
fn serving(ct: &'static str, body: &'static str) -> support::server::Server {
    scripted(Arc::new(move |_method: &str, path: &str| {
        if path.contains("/manifests/") {
            (200, content_type(ct), body.as_bytes().to_vec())
        } else {
            (404, vec![], Vec::new())
        }
    }))
}

#[tokio::test]
async fn json_that_is_not_a_manifest_is_a_protocol_error_and_names_nothing() {
    let cases: [(&str, &str, &str); 5] = [
        (media_type::OCI_MANIFEST, "{}", "schemaVersion"),
        (media_type::OCI_MANIFEST, r#"{"schemaVersion":2}"#, "config"),
        (
            media_type::DOCKER_MANIFEST,
            r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}}"#,
            "layers",
        ),
        (media_type::OCI_INDEX, r#"{"schemaVersion":2}"#, "manifests"),
        (media_type::DOCKER_MANIFEST_LIST, "{}", "schemaVersion"),
    ];
    for (ct, body, missing) in cases {
        let server = serving(ct, body);
        let client = plain_client(server.addr());
        let image = reference(server.addr(), "hostile/empty:v1");
        let err = client.get_manifest(&image).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{ct} {body}: {err}");
        assert!(err.message().contains(missing), "{ct} {body}: {err}");

        let dir = TempDir::new("empty-manifest");
        let layout = dir.path().join("layout");
        let err = client
            .pull(&image, &layout, &ImageOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{ct} {body}: {err}");
        if layout.join("index.json").exists() {
            let index = OciLayout::open(&layout)
                .await
                .unwrap()
                .read_index()
                .await
                .unwrap();
            assert!(index.manifests.is_empty(), "{ct} {body}: named {index:?}");
        }
    }
}

/// An index whose only entry is another index, which names the image of
/// each platform. The outer entry carries `outer_platform` when given (as
/// the campaign's case did: the old pull then named a half image).
struct Nested {
    registry: Registry,
    outer: ocireg::Digest,
    image_amd64: ocireg::Digest,
    image_arm64: ocireg::Digest,
    config_arm64: ocireg::Digest,
    layers: Vec<ocireg::Digest>,
}

async fn nested_index(outer_platform: Option<&str>) -> Nested {
    let registry = Registry::start(Mode::Plain);
    let client = plain_client(registry.host());
    let repo = reference(registry.host(), "nested/img");
    let amd = push_image(
        &client,
        &repo,
        media_type::OCI_MANIFEST,
        &[(91, 20_000)],
        &[],
    )
    .await;
    let arm = push_image(
        &client,
        &repo,
        media_type::OCI_MANIFEST,
        &[(92, 30_000)],
        &[],
    )
    .await;
    let inner = index_bytes(
        media_type::OCI_INDEX,
        &[
            (
                media_type::OCI_MANIFEST,
                &amd.digest,
                amd.manifest.len(),
                "amd64",
            ),
            (
                media_type::OCI_MANIFEST,
                &arm.digest,
                arm.manifest.len(),
                "arm64",
            ),
        ],
    );
    let inner_digest = client
        .put_manifest(
            &repo.with_digest(ocireg::Digest::sha256_of(&inner)),
            inner.clone(),
            media_type::OCI_INDEX,
        )
        .await
        .expect("inner index");
    let mut entry = serde_json::json!(
        {"mediaType": media_type::OCI_INDEX, "digest": inner_digest.as_str(), "size": inner.len()}
    );
    if let Some(platform) = outer_platform {
        let (os, arch) = platform.split_once('/').unwrap();
        entry["platform"] = serde_json::json!({"os": os, "architecture": arch});
    }
    let outer = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_INDEX,
        "manifests": [entry],
    });
    let outer = Bytes::from(serde_json::to_vec(&outer).unwrap());
    let outer_digest = client
        .put_manifest(
            &reference(registry.host(), "nested/img:v1"),
            outer,
            media_type::OCI_INDEX,
        )
        .await
        .expect("outer index");
    let layers = amd
        .layers
        .iter()
        .chain(&arm.layers)
        .map(|(d, _)| d.clone())
        .collect();
    Nested {
        registry,
        outer: outer_digest,
        image_amd64: amd.digest,
        image_arm64: arm.digest,
        config_arm64: arm.config,
        layers,
    }
}

#[tokio::test]
async fn a_platform_is_resolved_through_a_nested_index() {
    for outer_platform in [None, Some("linux/arm64")] {
        let nested = nested_index(outer_platform).await;
        let client = plain_client(nested.registry.host());
        let dir = TempDir::new("nested-platform");
        let layout = dir.path().join("layout");
        let options = ImageOptions {
            platforms: vec![Platform::parse("linux/arm64").unwrap()],
            ..Default::default()
        };
        let descriptor = client
            .pull(
                &reference(nested.registry.host(), "nested/img:v1"),
                &layout,
                &options,
            )
            .await
            .unwrap_or_else(|e| panic!("pull through the nested index ({outer_platform:?}): {e}"));
        assert_eq!(descriptor.digest, nested.image_arm64.as_str());
        assert_eq!(descriptor.media_type, media_type::OCI_MANIFEST);
        // skopeo reads the image whole.
        let out = Command::new("skopeo")
            .args(["inspect", "--raw"])
            .arg(format!("oci:{}:v1", layout.display()))
            .output()
            .expect("skopeo runs");
        assert!(
            out.status.success(),
            "skopeo cannot read the layout: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let raw: Value = serde_json::from_slice(&out.stdout).unwrap();
        let layer = raw["layers"][0]["digest"].as_str().unwrap().to_string();
        assert!(layout.join("blobs/sha256").join(&layer[7..]).exists());

        // The config and save resolve the platform the same way.
        let image = reference(nested.registry.host(), "nested/img:v1");
        let platform = Platform::parse("linux/arm64").unwrap();
        let config = client
            .image_config(&image, &platform)
            .await
            .unwrap_or_else(|e| panic!("config through the nested index: {e}"));
        assert_eq!(config.digest, nested.config_arm64);
        let archive = dir.path().join("image.tar");
        client
            .save(&image, &archive, &options)
            .await
            .unwrap_or_else(|e| panic!("save through the nested index: {e}"));
        assert!(archive.exists());
    }
}

#[tokio::test]
async fn a_nested_index_is_copied_whole_with_all_platforms() {
    let nested = nested_index(None).await;
    let target = Registry::start(Mode::Plain);
    let client = ocireg::Client::new(ocireg::ClientOptions {
        insecure_registries: vec![
            nested.registry.host().to_string(),
            target.host().to_string(),
        ],
        ..Default::default()
    })
    .unwrap();
    let all = ImageOptions {
        all_platforms: true,
        ..Default::default()
    };
    let digest = client
        .copy(
            &reference(nested.registry.host(), "nested/img:v1"),
            &reference(target.host(), "copied/img:v1"),
            &all,
        )
        .await
        .expect("copy of a nested index");
    assert_eq!(digest, nested.outer, "digest preserved");
    let copied = reference(target.host(), "copied/img");
    for image in [&nested.image_amd64, &nested.image_arm64] {
        client
            .get_manifest(&copied.with_digest(image.clone()))
            .await
            .expect("every image arrived");
    }
    for layer in &nested.layers {
        assert!(client.blob_exists(&copied, layer).await.unwrap());
    }

    // And into a layout: every level is written, skopeo reads each image.
    let dir = TempDir::new("nested-all");
    let layout = dir.path().join("layout");
    client
        .pull(
            &reference(nested.registry.host(), "nested/img:v1"),
            &layout,
            &all,
        )
        .await
        .expect("pull of a nested index");
    for layer in &nested.layers {
        assert!(layout.join("blobs/sha256").join(layer.hex()).exists());
    }
    let out = Command::new("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:v1", layout.display()))
        .output()
        .expect("skopeo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A registry serving a chain of `depth` indexes, each naming the next (for
/// linux/arm64), down to one image manifest; the top is tag `deep`.
fn index_chain(depth: usize) -> support::server::Server {
    let image = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": ocireg::Digest::sha256_of(b"{}").as_str(), "size": 2},
        "layers": [],
    }))
    .unwrap();
    let mut served = vec![(media_type::OCI_MANIFEST, image)];
    for _ in 0..depth {
        let (child_type, child) = served.last().unwrap();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_INDEX,
            "manifests": [{"mediaType": child_type, "digest": ocireg::Digest::sha256_of(child).as_str(),
                           "size": child.len(), "platform": {"os": "linux", "architecture": "arm64"}}],
        }))
        .unwrap();
        served.push((media_type::OCI_INDEX, index));
    }
    let top = served.last().unwrap().1.clone();
    scripted(Arc::new(move |_method: &str, path: &str| {
        let wanted = path.rsplit('/').next().unwrap_or_default();
        let found = served
            .iter()
            .find(|(_, bytes)| ocireg::Digest::sha256_of(bytes).as_str() == wanted)
            .map(|(ct, bytes)| (*ct, bytes.clone()))
            .or_else(|| (wanted == "deep").then(|| (media_type::OCI_INDEX, top.clone())));
        match found {
            Some((ct, bytes)) => (200, content_type(ct), bytes),
            None => (404, vec![], Vec::new()),
        }
    }))
}

#[tokio::test]
async fn indexes_nested_too_deep_are_refused_not_followed_forever() {
    let platform = Platform::parse("linux/arm64").unwrap();
    // Within the bound: resolved to the image.
    let shallow = index_chain(3);
    let client = plain_client(shallow.addr());
    let image = reference(shallow.addr(), "r:deep");
    let manifest = client.image_manifest(&image, &platform).await.unwrap();
    assert_eq!(manifest.media_type, media_type::OCI_MANIFEST);

    let deep = index_chain(8);
    let client = plain_client(deep.addr());
    let image = reference(deep.addr(), "r:deep");
    let err = client.image_manifest(&image, &platform).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(err.message().contains("nested"), "{err}");
    let dir = TempDir::new("deep-index");
    let all = ImageOptions {
        all_platforms: true,
        ..Default::default()
    };
    let err = client
        .pull(&image, &dir.path().join("layout"), &all)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}
