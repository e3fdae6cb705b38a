//! A platform subset (`--platform linux/amd64,linux/arm64`) of a
//! three-platform index, copied registry → registry, registry → `oci:` and
//! `oci:` → `oci-archive:`: an index naming only the chosen platforms,
//! whose children the destination holds, read back by skopeo; an unknown
//! platform is a clear error that writes nothing.

mod fixtures;
mod support;

use std::path::Path;
use std::process::Command;

use fixtures::plain_client;
use ocireg::image::{ImageName, ImageOptions, Platform};
use ocireg::{Client, Digest, ErrorKind, media_type};
use serde_json::{Value, json};
use support::tempdir::TempDir;
use support::{Mode, Registry};

fn skopeo(args: &[&str]) -> std::process::Output {
    Command::new("skopeo")
        .arg("--insecure-policy")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running skopeo {args:?}: {e}"))
}

fn skopeo_ok(args: &[&str]) -> Vec<u8> {
    let out = skopeo(args);
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The raw manifest skopeo reads at `location` (plain HTTP for registries).
fn raw(location: &str) -> Vec<u8> {
    skopeo_ok(&["inspect", "--raw", "--tls-verify=false", location])
}

fn blob(dir: &Path, data: &[u8], media_type: &str) -> Value {
    let digest = Digest::sha256_of(data);
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("blobs/sha256").join(digest.hex()), data).unwrap();
    json!({"mediaType": media_type, "digest": digest.to_string(), "size": data.len()})
}

/// An OCI layout holding, as `v1`, an index of one small image per
/// architecture.
fn three_platform_layout(dir: &Path, architectures: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut entries = Vec::new();
    for (seed, arch) in (1u64..).zip(architectures) {
        let layer = support::content::bytes(seed, 20_000);
        let layer_d = blob(dir, &layer, "application/vnd.oci.image.layer.v1.tar");
        let config = serde_json::to_vec(&json!({
            "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer_d["digest"]]},
        }))
        .unwrap();
        let config_d = blob(dir, &config, media_type::OCI_CONFIG);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST,
            "config": config_d, "layers": [layer_d],
        }))
        .unwrap();
        let mut d = blob(dir, &manifest, media_type::OCI_MANIFEST);
        d["platform"] = json!({"architecture": arch, "os": "linux"});
        entries.push(d);
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": entries,
        "annotations": {"org.example.kept": "yes"},
    }))
    .unwrap();
    let mut top = blob(dir, &index, media_type::OCI_INDEX);
    top["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [top]})).unwrap(),
    )
    .unwrap();
}

fn subset(list: &str) -> ImageOptions {
    ImageOptions {
        platforms: Platform::parse_list(list).expect("platform list"),
        ..Default::default()
    }
}

async fn copy(
    client: &Client,
    from: &str,
    to: &str,
    options: &ImageOptions,
) -> ocireg::Result<Digest> {
    let (from, to) = (ImageName::parse(from)?, ImageName::parse(to)?);
    client.copy_image(&from, &to, options).await
}

/// The architectures an index names, in order.
fn architectures(index: &[u8]) -> Vec<String> {
    let value: Value = serde_json::from_slice(index).expect("index JSON");
    value["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|e| e["platform"]["architecture"].as_str().unwrap().to_string())
        .collect()
}

/// skopeo reads the image of every architecture at `location`: the
/// destination holds each child the index names, and its config.
fn assert_children_readable(location: &str, archs: &[&str]) {
    for arch in archs {
        let config: Value = serde_json::from_slice(&skopeo_ok(&[
            "--override-arch",
            arch,
            "inspect",
            "--config",
            "--tls-verify=false",
            location,
        ]))
        .unwrap();
        assert_eq!(config["architecture"], *arch, "{location}");
    }
}

#[tokio::test]
async fn two_of_three_platforms_move_under_a_new_index_everywhere() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let work = TempDir::new("platform-subset");
    let layout = work.path().join("three");
    three_platform_layout(&layout, &["amd64", "arm64", "s390x"]);
    let three = format!("oci:{}:v1", layout.display());
    let src = format!("docker://{}/subset/src:v1", reg.host());
    // Pushed whole and byte for byte (skopeo would gzip the layers, making
    // other manifests than the layout's), so every source below holds the
    // same index.
    let all = ImageOptions {
        all_platforms: true,
        ..Default::default()
    };
    let source_digest = copy(&client, &three, &src, &all).await.expect("seed");
    assert_eq!(Digest::sha256_of(&raw(&src)), source_digest);
    let two = subset("linux/s390x,linux/amd64");

    // registry -> registry: distribution accepts the new index because its
    // children were pushed first.
    let dst = format!("docker://{}/subset/dst:v1", reg.host());
    let digest = copy(&client, &src, &dst, &two)
        .await
        .expect("registry to registry");
    assert_ne!(digest, source_digest, "a subset is a new index");
    let index = raw(&dst);
    assert_eq!(Digest::sha256_of(&index), digest);
    assert_eq!(
        architectures(&index),
        ["amd64", "s390x"],
        "source order kept"
    );
    let value: Value = serde_json::from_slice(&index).unwrap();
    assert_eq!(value["annotations"]["org.example.kept"], "yes");
    assert_eq!(value["mediaType"], media_type::OCI_INDEX);
    assert_children_readable(&dst, &["amd64", "s390x"]);
    let missing = skopeo(&[
        "--override-arch",
        "arm64",
        "inspect",
        "--tls-verify=false",
        &dst,
    ]);
    assert!(!missing.status.success(), "arm64 was not selected");

    // registry -> oci: the same index bytes, so the same digest.
    let out = work.path().join("out");
    let to_layout = format!("oci:{}:two", out.display());
    let in_layout = copy(&client, &src, &to_layout, &two)
        .await
        .expect("registry to oci:");
    assert_eq!(in_layout, digest);
    assert_eq!(Digest::sha256_of(&raw(&to_layout)), digest);
    assert_children_readable(&to_layout, &["amd64", "s390x"]);

    // oci: -> oci-archive: from the three-platform layout.
    let archive = format!("oci-archive:{}:two", work.path().join("two.tar").display());
    let in_archive = copy(&client, &three, &archive, &two)
        .await
        .expect("oci: to oci-archive:");
    assert_eq!(in_archive, digest);
    assert_eq!(Digest::sha256_of(&raw(&archive)), digest);
    assert_children_readable(&archive, &["amd64", "s390x"]);

    // Every platform of the index, in any order: the index moves unchanged.
    let whole = format!("oci:{}:whole", out.display());
    let every = subset("linux/arm64,linux/s390x,linux/amd64");
    let same = copy(&client, &src, &whole, &every)
        .await
        .expect("every platform");
    assert_eq!(same, source_digest);
}

#[tokio::test]
async fn an_unknown_platform_fails_clearly_and_writes_nothing() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let work = TempDir::new("platform-subset-unknown");
    let layout = work.path().join("three");
    three_platform_layout(&layout, &["amd64", "arm64", "s390x"]);
    let three = format!("oci:{}:v1", layout.display());
    let bad = subset("linux/amd64,linux/riscv64");

    let dst = format!("docker://{}/subset/none:v1", reg.host());
    let err = copy(&client, &three, &dst, &bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("linux/riscv64"), "{err}");
    assert!(
        !skopeo(&["inspect", "--raw", "--tls-verify=false", &dst])
            .status
            .success()
    );
    assert!(
        reg.access_log()
            .iter()
            .all(|e| e.method == "GET" || e.method == "HEAD"),
        "nothing was sent to the registry"
    );

    let out = work.path().join("out");
    let err = copy(&client, &three, &format!("oci:{}:x", out.display()), &bad)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!out.exists(), "no layout was created");

    let tar = work.path().join("x.tar");
    let err = copy(
        &client,
        &three,
        &format!("oci-archive:{}:x", tar.display()),
        &bad,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let left: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["three"], "nothing but the source");

    // A docker-archive holds one image: a subset is refused before writing.
    let err = copy(
        &client,
        &three,
        &format!("docker-archive:{}", tar.display()),
        &subset("linux/amd64,linux/arm64"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(!tar.exists());
}
