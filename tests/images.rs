//! Whole images against a real registry, with skopeo and umoci as the peers.

mod fixtures;
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use fixtures::plain_client;
use ocireg::image::{ImageOptions, OciLayout, Platform};
use ocireg::{CancelToken, Client, Digest, ErrorKind, Reference, media_type};
use serde_json::{Value, json};
use support::skopeo::{run, skopeo};
use support::tar::layer as tar_layer;
use support::tempdir::TempDir;
use support::{Mode, Registry};

fn put_blob(dir: &Path, data: &[u8]) -> (String, usize) {
    let digest = Digest::sha256_of(data);
    let path = dir.join("blobs/sha256").join(digest.hex());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
    (digest.to_string(), data.len())
}

/// Writes an OCI layout with one image per platform (an index when more
/// than one), named `name`. Returns the digest of the top manifest.
fn write_layout(dir: &Path, name: &str, platforms: &[(&str, u64)]) -> String {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut entries = Vec::new();
    for (platform, seed) in platforms {
        let p = Platform::parse(platform).unwrap();
        let layers: Vec<Vec<u8>> = (0..2)
            .map(|i| tar_layer(seed * 10 + i, 50_000 + i as usize * 7))
            .collect();
        let layer_descs: Vec<Value> = layers
            .iter()
            .map(|l| {
                let (d, s) = put_blob(dir, l);
                json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": s})
            })
            .collect();
        let diff_ids: Vec<String> = layers
            .iter()
            .map(|l| Digest::sha256_of(l).to_string())
            .collect();
        let config = serde_json::to_vec(&json!({
            "created": "2026-11-28T00:00:00Z",
            "architecture": p.architecture, "os": p.os,
            "config": {"Env": ["PATH=/usr/bin", format!("SEED={seed}")], "Labels": {"seed": seed.to_string()}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .unwrap();
        let (cd, cs) = put_blob(dir, &config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST,
            "config": {"mediaType": media_type::OCI_CONFIG, "digest": cd, "size": cs},
            "layers": layer_descs,
        }))
        .unwrap();
        let (md, ms) = put_blob(dir, &manifest);
        let mut platform_json = json!({"architecture": p.architecture, "os": p.os});
        if let Some(v) = &p.variant {
            platform_json["variant"] = json!(v);
        }
        entries.push(json!({"mediaType": media_type::OCI_MANIFEST, "digest": md, "size": ms, "platform": platform_json}));
    }
    let top = if entries.len() == 1 {
        let mut e = entries.remove(0);
        e.as_object_mut().unwrap().remove("platform");
        e
    } else {
        let index = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": entries}),
        )
        .unwrap();
        let (d, s) = put_blob(dir, &index);
        json!({"mediaType": media_type::OCI_INDEX, "digest": d, "size": s})
    };
    let mut named = top.clone();
    named["annotations"] = json!({"org.opencontainers.image.ref.name": name});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [named]})).unwrap(),
    )
    .unwrap();
    top["digest"].as_str().unwrap().to_string()
}

fn reference(host: &str, repo: &str) -> Reference {
    Reference::parse(&format!("{host}/{repo}")).unwrap()
}

fn skopeo_digest(location: &str, extra: &[&str]) -> String {
    let mut args = vec!["inspect", "--raw"];
    args.extend_from_slice(extra);
    args.push(location);
    let raw = skopeo(&args);
    Digest::sha256_of(raw.as_bytes()).to_string()
}

fn all() -> ImageOptions {
    ImageOptions {
        all_platforms: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn pulls_what_skopeo_pushed_and_umoci_unpacks_it() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let src = TempDir::new("src");
    write_layout(src.path(), "v1", &[("linux/amd64", 1)]);
    let dest = format!("docker://{}/pull/single:v1", reg.host());
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", src.path().display()),
        &dest,
    ]);
    // skopeo compresses the layers on the way in: the registry's digest is the truth.
    let top = skopeo_digest(&dest, &["--tls-verify=false"]);

    let out = TempDir::new("out");
    let r = reference(reg.host(), "pull/single:v1");
    let desc = client
        .pull(&r, out.path(), &ImageOptions::default())
        .await
        .expect("pull");
    assert_eq!(desc.digest, top);
    let inspected: Value = serde_json::from_str(&skopeo(&[
        "inspect",
        &format!("oci:{}:v1", out.path().display()),
    ]))
    .unwrap();
    assert_eq!(inspected["Digest"], json!(top));
    let bundle = out.path().join("bundle");
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:v1", out.path().display()))
        .arg(&bundle));
    let unpacked =
        std::fs::read(bundle.join("rootfs/file-10.bin")).expect("a file of the first layer");
    assert_eq!(unpacked, fixtures::bytes(10, 50_000));
}

#[tokio::test]
async fn pulls_docker_v2s2_and_multi_platform_indexes() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let src = TempDir::new("multi");
    write_layout(
        src.path(),
        "v1",
        &[("linux/amd64", 2), ("linux/arm64/v8", 3)],
    );
    let multi = format!("docker://{}/pull/multi:v1", reg.host());
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", src.path().display()),
        &multi,
    ]);
    let index = skopeo_digest(&multi, &["--tls-verify=false"]);
    let docker = format!("docker://{}/pull/docker:v1", reg.host());
    let one = TempDir::new("one");
    write_layout(one.path(), "v1", &[("linux/amd64", 4)]);
    skopeo(&[
        "copy",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", one.path().display()),
        &docker,
    ]);

    // --all keeps the index and its digest.
    let out = TempDir::new("out-all");
    let desc = client
        .pull(&reference(reg.host(), "pull/multi:v1"), out.path(), &all())
        .await
        .expect("pull --all");
    assert_eq!(desc.digest, index);
    assert_eq!(desc.media_type, media_type::OCI_INDEX);
    assert_eq!(
        skopeo_digest(&format!("oci:{}:v1", out.path().display()), &[]),
        index
    );

    // One platform: the chosen child.
    let arm = TempDir::new("out-arm");
    let options = ImageOptions {
        platforms: vec![Platform::parse("linux/arm64/v8").unwrap()],
        ..Default::default()
    };
    let desc = client
        .pull(
            &reference(reg.host(), "pull/multi:v1"),
            arm.path(),
            &options,
        )
        .await
        .expect("pull arm64");
    assert_eq!(desc.media_type, media_type::OCI_MANIFEST);
    let inspected: Value = serde_json::from_str(&skopeo(&[
        "inspect",
        &format!("oci:{}:v1", arm.path().display()),
    ]))
    .unwrap();
    assert_eq!(inspected["Architecture"], json!("arm64"));

    // Docker schema 2 keeps its media type and digest.
    let registry_digest = skopeo_digest(&docker, &["--tls-verify=false"]);
    let d = TempDir::new("out-docker");
    let desc = client
        .pull(
            &reference(reg.host(), "pull/docker:v1"),
            d.path(),
            &ImageOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(desc.media_type, media_type::DOCKER_MANIFEST);
    assert_eq!(desc.digest, registry_digest);

    let info = client
        .inspect(
            &reference(reg.host(), "pull/multi:v1"),
            &ImageOptions::default(),
            true,
        )
        .await
        .expect("inspect");
    assert_eq!(info.digest, index);
    assert_eq!(info.architecture, "amd64");
    assert_eq!(info.labels.get("seed").map(String::as_str), Some("2"));
    assert_eq!(info.repo_tags, vec!["v1".to_string()]);
    assert!(info.env.contains(&"SEED=2".to_string()));
    assert_eq!(info.layers.len(), 2);
    let skopeo_view: Value = serde_json::from_str(&skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--override-arch",
        "amd64",
        &multi,
    ]))
    .unwrap();
    let ours = serde_json::to_value(&info).unwrap();
    for key in [
        "Name",
        "Digest",
        "Architecture",
        "Os",
        "Layers",
        "Env",
        "Labels",
        "Created",
    ] {
        assert_eq!(ours[key], skopeo_view[key], "{key}");
    }
}

#[tokio::test]
async fn pushes_a_skopeo_layout_that_skopeo_reads_back_identically() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let src = TempDir::new("push-src");
    write_layout(src.path(), "v1", &[("linux/amd64", 5), ("linux/arm/v7", 6)]);
    // A layout written by skopeo itself.
    let staging = format!("docker://{}/stage/x:v1", reg.host());
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", src.path().display()),
        &staging,
    ]);
    let index = skopeo_digest(&staging, &["--tls-verify=false"]);
    let by_skopeo = TempDir::new("by-skopeo");
    skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        &staging,
        &format!("oci:{}:v1", by_skopeo.path().display()),
    ]);

    let target = reference(reg.host(), "pushed/app:v2");
    let digest = client
        .push(by_skopeo.path(), &target, &all())
        .await
        .expect("push");
    assert_eq!(digest.as_str(), index);
    let location = format!("docker://{}/pushed/app:v2", reg.host());
    assert_eq!(skopeo_digest(&location, &["--tls-verify=false"]), index);

    let back = TempDir::new("back");
    skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        &location,
        &format!("oci:{}:v1", back.path().display()),
    ]);
    for entry in std::fs::read_dir(by_skopeo.path().join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        let theirs = std::fs::read(back.path().join("blobs/sha256").join(entry.file_name()))
            .expect("same blob back");
        assert_eq!(theirs, std::fs::read(entry.path()).unwrap());
    }

    // A second push uploads nothing: every blob is already there.
    let before = reg.count_requests("PUT", "/blobs/uploads/");
    client
        .push(by_skopeo.path(), &target, &all())
        .await
        .unwrap();
    assert_eq!(reg.count_requests("PUT", "/blobs/uploads/"), before);
}

#[tokio::test]
async fn copy_keeps_digests_and_mounts_within_a_registry() {
    let reg = Registry::start(Mode::Plain);
    let other = Registry::start(Mode::Plain);
    let client = Client::new(ocireg::ClientOptions {
        insecure_registries: vec![reg.host().to_string(), other.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    let src = TempDir::new("copy-src");
    write_layout(
        src.path(),
        "v1",
        &[("linux/amd64", 7), ("linux/arm64/v8", 8)],
    );
    let pushed = format!("docker://{}/copy/src:v1", reg.host());
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", src.path().display()),
        &pushed,
    ]);
    let index = skopeo_digest(&pushed, &["--tls-verify=false"]);
    let source = reference(reg.host(), "copy/src:v1");

    // Across registries: streamed, same index digest.
    let digest = client
        .copy(&source, &reference(other.host(), "copy/dst:v1"), &all())
        .await
        .expect("copy --all");
    assert_eq!(digest.as_str(), index);
    assert_eq!(
        skopeo_digest(
            &format!("docker://{}/copy/dst:v1", other.host()),
            &["--tls-verify=false"]
        ),
        index
    );

    // Within one registry: mounted, nothing uploaded.
    let uploads_before = reg.count_requests("PUT", "/blobs/uploads/");
    let digest = client
        .copy(&source, &reference(reg.host(), "copy/mounted:v1"), &all())
        .await
        .expect("copy within");
    assert_eq!(digest.as_str(), index);
    assert_eq!(
        reg.count_requests("PUT", "/blobs/uploads/"),
        uploads_before,
        "no blob uploaded"
    );
    assert!(
        reg.count_requests("POST", "mount=") >= 5,
        "4 layers and 2 configs mounted"
    );
}

#[tokio::test]
async fn an_interrupted_pull_finishes_on_the_next_run_fetching_only_the_rest() {
    let reg = Registry::start(Mode::Plain);
    let client = Client::new(ocireg::ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        concurrency: 1,
        ..Default::default()
    })
    .unwrap();
    let r = reference(reg.host(), "pull/interrupted:v1");
    let layers: Vec<(u64, usize)> = (0..6).map(|i| (100 + i, 400_000)).collect();
    let image = fixtures::push_image(&client, &r, media_type::OCI_MANIFEST, &layers, &["v1"]).await;

    let out = TempDir::new("interrupted");
    let cancel = CancelToken::new();
    let trigger = cancel.clone();
    let options = ImageOptions {
        cancel: Some(cancel),
        progress: Some(Arc::new(move |p| {
            if p.done >= 1_000_000 {
                trigger.cancel();
            }
        })),
        ..Default::default()
    };
    let err = client.pull(&r, out.path(), &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let blob_dir = out.path().join("blobs/sha256");
    let names: Vec<String> = std::fs::read_dir(&blob_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".tmp")),
        "no temporary file left: {names:?}"
    );
    let fetched_first = names.len();
    assert!(
        (1..6).contains(&fetched_first),
        "some but not all layers: {names:?}"
    );

    let gets_before = reg.count_requests("GET", "/blobs/sha256:");
    let desc = client
        .pull(&r, out.path(), &ImageOptions::default())
        .await
        .expect("second pull");
    assert_eq!(desc.digest, image.digest.as_str());
    let fetched_again = reg.count_requests("GET", "/blobs/sha256:") - gets_before;
    assert_eq!(
        fetched_again,
        7 - fetched_first,
        "only what was missing (6 layers + config)"
    );
    let layout = OciLayout::open(out.path()).await.unwrap();
    for (digest, data) in &image.layers {
        assert!(
            layout
                .has_verified_blob(digest, data.len() as u64)
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn save_writes_a_docker_archive_skopeo_reads() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "save/app:v1");
    let image = fixtures::push_image(
        &client,
        &r,
        media_type::DOCKER_MANIFEST,
        &[(200, 3000), (201, 5000)],
        &["v1"],
    )
    .await;
    let out = TempDir::new("save");
    let file = out.path().join("app.tar");
    client
        .save(&r, &file, &ImageOptions::default())
        .await
        .expect("save");

    // Structure: manifest.json names a config and layers that are in the tar.
    let listing = run(Command::new("tar").arg("-tf").arg(&file));
    let names: Vec<&str> = listing.lines().collect();
    assert!(names.contains(&"manifest.json"), "{names:?}");
    let extracted = out.path().join("x");
    std::fs::create_dir_all(&extracted).unwrap();
    run(Command::new("tar")
        .arg("-xf")
        .arg(&file)
        .arg("-C")
        .arg(&extracted));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(extracted.join("manifest.json")).unwrap()).unwrap();
    let entry = &manifest[0];
    assert_eq!(
        entry["Config"],
        json!(format!("{}.json", image.config.hex()))
    );
    assert_eq!(
        entry["RepoTags"],
        json!([format!("{}/save/app:v1", reg.host())])
    );
    for ((digest, data), name) in image.layers.iter().zip(entry["Layers"].as_array().unwrap()) {
        let bytes = std::fs::read(extracted.join(name.as_str().unwrap())).unwrap();
        assert_eq!(&bytes, data, "{digest}");
    }
    // And a peer reads it.
    let inspected: Value = serde_json::from_str(&skopeo(&[
        "inspect",
        &format!("docker-archive:{}", file.display()),
    ]))
    .unwrap();
    assert_eq!(inspected["Layers"].as_array().map(|l| l.len()), Some(2));
    assert!(!out.path().join("app.tar.partial").exists());
}

/// The last progress report of an operation, after checking that the blob
/// counts never went back nor past the number of blobs.
fn counting() -> (
    ImageOptions,
    Arc<std::sync::Mutex<Vec<ocireg::image::Progress>>>,
) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let options = ImageOptions {
        progress: Some(Arc::new(move |p: &ocireg::image::Progress| {
            record.lock().unwrap().push(p.clone());
        })),
        ..Default::default()
    };
    (options, seen)
}

fn last_counts(seen: &std::sync::Mutex<Vec<ocireg::image::Progress>>) -> (u64, u64, u64, u64) {
    let mut seen = seen.lock().unwrap();
    for w in seen.windows(2) {
        assert!(
            w[1].blobs_skipped >= w[0].blobs_skipped
                && w[1].blobs_mounted >= w[0].blobs_mounted
                && w[1].blobs_sent >= w[0].blobs_sent,
            "a count went back: {w:?}"
        );
    }
    let last = seen.last().expect("progress was reported").clone();
    seen.clear();
    assert_eq!(last.done, last.total, "{last:?}");
    (
        last.blobs,
        last.blobs_skipped,
        last.blobs_mounted,
        last.blobs_sent,
    )
}

#[tokio::test]
async fn progress_counts_blobs_skipped_mounted_and_sent() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "counts/app:v1");
    fixtures::push_image(
        &client,
        &r,
        media_type::OCI_MANIFEST,
        &[(1, 3000), (2, 5000)],
        &["v1"],
    )
    .await;
    let (options, seen) = counting();
    let out = TempDir::new("counts");

    // The config and two layers: downloaded, then already in the layout.
    client.pull(&r, out.path(), &options).await.expect("pull");
    assert_eq!(last_counts(&seen), (3, 0, 0, 3));
    client
        .pull(&r, out.path(), &options)
        .await
        .expect("pull again");
    assert_eq!(last_counts(&seen), (3, 3, 0, 0));

    // Pushed back where they are: skipped; to a new repository: sent.
    client
        .push(
            out.path(),
            &reference(reg.host(), "counts/app:again"),
            &options,
        )
        .await
        .expect("push back");
    assert_eq!(last_counts(&seen), (3, 3, 0, 0));
    let uploads = reg.count_requests("PUT", "/blobs/uploads/");
    client
        .push(
            out.path(),
            &reference(reg.host(), "counts/new:v1"),
            &options,
        )
        .await
        .expect("push to a new repository");
    assert_eq!(last_counts(&seen), (3, 0, 0, 3));
    assert_eq!(reg.count_requests("PUT", "/blobs/uploads/"), uploads + 3);

    // Copied within the registry: mounted, as the registry's log says.
    let mounts = reg.count_requests("POST", "mount=");
    client
        .copy(&r, &reference(reg.host(), "counts/copied:v1"), &options)
        .await
        .expect("copy");
    assert_eq!(last_counts(&seen), (3, 0, 3, 0));
    assert_eq!(reg.count_requests("POST", "mount="), mounts + 3);

    // Saved: each blob written once.
    let saved = TempDir::new("counts-saved");
    client
        .save(&r, &saved.path().join("saved.tar"), &options)
        .await
        .expect("save");
    assert_eq!(last_counts(&seen), (3, 0, 0, 3));
}
