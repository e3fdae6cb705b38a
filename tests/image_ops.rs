//! The image-source operations on every transport (`docker://`, `oci:`,
//! `oci-archive:`, `docker-archive:`, `dir:`) against skopeo 1.9.3: the raw
//! manifest (`skopeo inspect --raw`), inspect field by field (`skopeo
//! inspect`), layers (the blobs `skopeo copy ... dir:` writes), the intended
//! docker reference (inspect's `Name`) and tags (`skopeo list-tags`); and
//! hostile sources refused with nothing written.

mod fixtures;
mod support;

use std::path::Path;
use std::process::Command;

use fixtures::plain_client;
use ocireg::image::{ImageName, ImageOptions, Platform};
use ocireg::{Client, Digest, ErrorKind, media_type};
use serde_json::{Value, json};
use support::layout::write_layout;
use support::skopeo::{reading, skopeo};
use support::tar::{file, header, layer, tar_of};
use support::tempdir::TempDir;
use support::{Mode, Registry};

fn name(text: &str) -> ImageName {
    ImageName::parse(text).expect("image name")
}

/// The same image on every transport, written by skopeo from one layout:
/// the names, each with the platform skopeo read (amd64 unless a single
/// platform was copied).
struct Everywhere {
    _work: TempDir,
    _reg: Registry,
    client: Client,
    work: std::path::PathBuf,
    names: Vec<String>,
    host: String,
}

fn everywhere() -> Everywhere {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let work = TempDir::new("image-ops");
    let layout = work.path().join("layout");
    write_layout(&layout, "v1", &[("amd64", 1), ("arm64", 2)]);
    let from = format!("oci:{}:v1", layout.display());
    let registry = format!("docker://{}/ops/app:v1", reg.host());
    let archive = format!("oci-archive:{}", work.path().join("a.tar").display());
    let dir = format!("dir:{}", work.path().join("d").display());
    let docker_archive = format!(
        "docker-archive:{}:example.com/ops/app:v1",
        work.path().join("d.tar").display()
    );
    skopeo(&["copy", "--all", "--dest-tls-verify=false", &from, &registry]);
    skopeo(&["copy", "--all", &from, &archive]);
    skopeo(&["copy", "--all", &from, &dir]);
    skopeo(&["copy", "--override-arch", "amd64", &from, &docker_archive]);
    // skopeo tags the registry repository twice, for the tag listing.
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &from,
        &format!("docker://{}/ops/app:v2", reg.host()),
    ]);
    Everywhere {
        names: vec![from, registry, archive, dir, docker_archive],
        host: reg.host().to_string(),
        work: work.path().to_path_buf(),
        _work: work,
        _reg: reg,
        client,
    }
}

fn amd64() -> ImageOptions {
    ImageOptions {
        platforms: vec![Platform::parse("linux/amd64").unwrap()],
        ..Default::default()
    }
}

#[tokio::test]
async fn inspect_matches_skopeo_field_by_field_on_every_transport() {
    let e = everywhere();
    for location in &e.names {
        let mut args = vec![
            "inspect",
            "--override-arch",
            "amd64",
            "--override-os",
            "linux",
        ];
        args.extend(reading(location));
        let theirs: Value = serde_json::from_str(&skopeo(&args)).unwrap();
        let ours = e
            .client
            .inspect_image(&name(location), &amd64(), true)
            .await
            .unwrap_or_else(|err| panic!("{location}: {err}"));
        let ours = serde_json::to_value(&ours).unwrap();
        for field in [
            "Name",
            "Digest",
            "Created",
            "DockerVersion",
            "Labels",
            "Architecture",
            "Os",
            "Layers",
            "Env",
        ] {
            assert_eq!(ours.get(field), theirs.get(field), "{location}: {field}");
        }
        let mut their_tags: Vec<Value> = theirs["RepoTags"].as_array().unwrap().clone();
        let mut our_tags: Vec<Value> = ours["RepoTags"].as_array().unwrap().clone();
        their_tags.sort_by_key(|t| t.to_string());
        our_tags.sort_by_key(|t| t.to_string());
        assert_eq!(our_tags, their_tags, "{location}: RepoTags");
        // LayersData (newer skopeo's field) agrees with the raw manifest.
        let layers = ours["LayersData"].as_array().unwrap();
        assert_eq!(layers.len(), ours["Layers"].as_array().unwrap().len());
        for (data, digest) in layers.iter().zip(ours["Layers"].as_array().unwrap()) {
            assert_eq!(&data["Digest"], digest, "{location}");
        }
    }
    // docker:// lists both tags; the others none.
    let registry = serde_json::to_value(
        e.client
            .inspect_image(&name(&e.names[1]), &amd64(), true)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(registry["RepoTags"], json!(["v1", "v2"]));
    assert_eq!(registry["Name"], json!(format!("{}/ops/app", e.host)));

    // Another platform: the arm64 image's facts, the index's digest.
    let arm = ImageOptions {
        platforms: vec![Platform::parse("linux/arm64").unwrap()],
        ..Default::default()
    };
    let theirs: Value = serde_json::from_str(&skopeo(&[
        "inspect",
        "--override-arch",
        "arm64",
        &e.names[0],
    ]))
    .unwrap();
    let ours = serde_json::to_value(
        e.client
            .inspect_image(&name(&e.names[0]), &arm, false)
            .await
            .unwrap(),
    )
    .unwrap();
    for field in ["Digest", "Architecture", "Layers", "Env", "Labels"] {
        assert_eq!(ours.get(field), theirs.get(field), "arm64: {field}");
    }
}

#[tokio::test]
async fn the_raw_manifest_is_skopeos_byte_for_byte_and_a_platform_picks_its_instance() {
    let e = everywhere();
    for location in &e.names {
        let mut args = vec!["inspect", "--raw"];
        args.extend(reading(location));
        let theirs = skopeo(&args).into_bytes();
        let ours = e
            .client
            .source_manifest(&name(location), &ImageOptions::default())
            .await
            .unwrap_or_else(|err| panic!("{location}: {err}"));
        assert_eq!(ours.bytes.as_ref(), theirs.as_slice(), "{location}");
        assert_eq!(ours.digest, Digest::sha256_of(&theirs), "{location}");
        // With a platform: the instance the index names for it.
        let instance = e
            .client
            .source_manifest(&name(location), &amd64())
            .await
            .unwrap();
        instance.digest.verify(&instance.bytes).unwrap();
        let top: Value = serde_json::from_slice(&theirs).unwrap();
        match top["manifests"].as_array() {
            Some(entries) => {
                let amd = entries
                    .iter()
                    .find(|m| m["platform"]["architecture"] == "amd64")
                    .unwrap();
                assert_eq!(instance.digest.as_str(), amd["digest"], "{location}");
                assert_eq!(instance.media_type, media_type::OCI_MANIFEST);
            }
            None => assert_eq!(instance.bytes, ours.bytes, "{location}"),
        }
    }
    // A docker-archive's manifest is the one skopeo generates.
    let generated = e
        .client
        .source_manifest(&name(&e.names[4]), &ImageOptions::default())
        .await
        .unwrap();
    assert_eq!(generated.media_type, media_type::DOCKER_MANIFEST);
}

#[tokio::test]
async fn layers_are_the_blobs_skopeo_writes_to_dir_and_are_never_overwritten_unasked() {
    let e = everywhere();
    for (i, location) in e.names.iter().enumerate() {
        let theirs = e.work.join(format!("skopeo-dir-{i}"));
        let mut args = vec!["copy", "--override-arch", "amd64"];
        if location.starts_with("docker://") {
            args.push("--src-tls-verify=false");
        }
        let to = format!("dir:{}", theirs.display());
        args.extend([location.as_str(), to.as_str()]);
        skopeo(&args);
        let ours = e.work.join(format!("layers-{i}"));
        let files = e
            .client
            .fetch_layers(&name(location), &ours, &amd64(), false)
            .await
            .unwrap_or_else(|err| panic!("{location}: {err}"));
        assert_eq!(files.len(), 3, "{location}: config and two layers");
        let manifest = e
            .client
            .source_manifest(&name(location), &amd64())
            .await
            .unwrap();
        let fields: Value = serde_json::from_slice(&manifest.bytes).unwrap();
        assert_eq!(
            files[0].digest.as_str(),
            fields["config"]["digest"],
            "{location}: config first"
        );
        for f in &files {
            assert_eq!(f.file, f.digest.hex());
            let bytes = std::fs::read(ours.join(&f.file)).unwrap();
            assert_eq!(bytes.len() as u64, f.size);
            f.digest.verify(&bytes).unwrap();
            assert_eq!(
                bytes,
                std::fs::read(theirs.join(&f.file)).unwrap(),
                "{location}: {} is skopeo's blob",
                f.file
            );
        }
        let mut listed: Vec<String> = std::fs::read_dir(&ours)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        listed.sort();
        let mut expected: Vec<String> = files.iter().map(|f| f.file.clone()).collect();
        expected.sort();
        assert_eq!(listed, expected, "{location}: nothing else written");

        // Again: refused before anything is written, unless asked.
        let victim = ours.join(&files[1].file);
        std::fs::write(&victim, b"mine").unwrap();
        let err = e
            .client
            .fetch_layers(&name(location), &ours, &amd64(), false)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"mine");
        e.client
            .fetch_layers(&name(location), &ours, &amd64(), true)
            .await
            .unwrap();
        files[1]
            .digest
            .verify(&std::fs::read(&victim).unwrap())
            .unwrap();
        // A symlink is never written through, even with overwrite.
        let outside = e.work.join(format!("outside-{i}"));
        std::fs::write(&outside, b"keep").unwrap();
        std::fs::remove_file(&victim).unwrap();
        std::os::unix::fs::symlink(&outside, &victim).unwrap();
        let err = e
            .client
            .fetch_layers(&name(location), &ours, &amd64(), true)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
    }
}

#[tokio::test]
async fn intended_references_and_tags_are_skopeos() {
    let e = everywhere();
    let intended = |text: &str| {
        name(text)
            .intended_docker_reference()
            .unwrap()
            .map(|r| r.to_string())
    };
    assert_eq!(
        intended(&e.names[1]),
        Some(format!("{}/ops/app:v1", e.host))
    );
    assert_eq!(
        intended("docker-archive:/x.tar:busybox:1"),
        Some("docker.io/library/busybox:1".into())
    );
    for none in [
        "docker-archive:/x.tar",
        "docker-archive:/x.tar:@0",
        "oci:/l:v1",
        "oci-archive:/a.tar:v1",
        "dir:/d",
    ] {
        assert_eq!(intended(none), None, "{none}");
    }

    // docker://: the repository's tags, as skopeo list-tags.
    let repository = format!("docker://{}/ops/app", e.host);
    let theirs: Value =
        serde_json::from_str(&skopeo(&["list-tags", "--tls-verify=false", &repository])).unwrap();
    let mut ours = e.client.repository_tags(&name(&e.names[1])).await.unwrap();
    ours.sort();
    assert_eq!(json!(ours), theirs["Tags"]);

    // A docker-archive of three images (one untagged): every RepoTags entry
    // as written, @N for the untagged one, as skopeo list-tags lists them.
    let single = e.work.join("d.tar");
    let listing = ocireg_listing(&single);
    let mut three: Vec<Value> = Vec::new();
    for tags in [
        json!(["busybox:latest", "example.com/a:1"]),
        json!([]),
        json!(["quay.io/x/y:z"]),
    ] {
        let mut entry = listing[0].clone();
        entry["RepoTags"] = tags;
        three.push(entry);
    }
    let multi = e.work.join("multi.tar");
    rewrite_listing(&single, &multi, &json!(three));
    let location = format!("docker-archive:{}", multi.display());
    let theirs: Value = serde_json::from_str(&skopeo(&["list-tags", &location])).unwrap();
    let ours = e.client.repository_tags(&name(&location)).await.unwrap();
    assert_eq!(json!(ours), theirs["Tags"]);
    assert_eq!(
        ours,
        ["busybox:latest", "example.com/a:1", "@1", "quay.io/x/y:z"]
    );
    // Selected by a tag, inspect names its repository, as skopeo.
    let chosen = format!("{location}:busybox:latest");
    let theirs: Value = serde_json::from_str(&skopeo(&["inspect", &chosen])).unwrap();
    let info = e
        .client
        .inspect_image(&name(&chosen), &ImageOptions::default(), false)
        .await
        .unwrap();
    assert_eq!(json!(info.name), theirs["Name"]);
    assert_eq!(info.name, "docker.io/library/busybox");

    // Transports without tags: refused.
    for other in [&e.names[0], &e.names[2], &e.names[3]] {
        let err = e.client.repository_tags(&name(other)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{other}: {err}");
    }
}

/// The `manifest.json` of the docker-archive at `file`.
fn ocireg_listing(file: &Path) -> Value {
    let out = Command::new("tar")
        .arg("xOf")
        .arg(file)
        .arg("manifest.json")
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Copies the docker-archive `from` to `to` with `listing` as its
/// `manifest.json`.
fn rewrite_listing(from: &Path, to: &Path, listing: &Value) {
    let unpacked = to.with_extension("d");
    std::fs::create_dir_all(&unpacked).unwrap();
    let status = Command::new("tar")
        .arg("xf")
        .arg(from)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        unpacked.join("manifest.json"),
        serde_json::to_vec(listing).unwrap(),
    )
    .unwrap();
    let status = Command::new("tar")
        .arg("cf")
        .arg(to)
        .arg("-C")
        .arg(&unpacked)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn hostile_sources_are_refused_with_nothing_written() {
    let client = Client::new(Default::default()).unwrap();
    let work = TempDir::new("image-ops-hostile");
    let layer = layer(5, 30_005);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [Digest::sha256_of(&layer).to_string()]},
    }))
    .unwrap();
    let config_name = format!("{}.json", Digest::sha256_of(&config).hex());
    let layer_name = "layer.tar";
    let listing = serde_json::to_vec(&json!([{
        "Config": config_name, "RepoTags": ["example.com/h:1"], "Layers": [layer_name],
    }]))
    .unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // manifest.json names a layer that is not in the archive.
    cases.push((
        "missing",
        tar_of(&[file(&config_name, &config), file("manifest.json", &listing)]),
    ));
    // A member climbing out of the archive.
    cases.push((
        "dotdot",
        tar_of(&[
            file(&config_name, &config),
            file(layer_name, &layer),
            file("../escape", b"x"),
            file("manifest.json", &listing),
        ]),
    ));
    // The layer as a symlink to a file outside.
    let mut symlink = tar_of(&[file(&config_name, &config), file("manifest.json", &listing)]);
    symlink.truncate(symlink.len() - 1024);
    symlink.extend_from_slice(&header(layer_name, b'2', 0, "/etc/passwd"));
    symlink.extend_from_slice(&[0u8; 1024]);
    cases.push(("symlink", symlink));
    // A member claiming more bytes than the file holds.
    let mut truncated = tar_of(&[
        file(&config_name, &config),
        file("manifest.json", &listing),
        file(layer_name, &layer),
    ]);
    truncated.truncate(truncated.len() - 1024 - 512 * 20);
    cases.push(("truncated", truncated));
    for (label, bytes) in cases {
        let archive = work.path().join(format!("{label}.tar"));
        std::fs::write(&archive, bytes).unwrap();
        let location = name(&format!("docker-archive:{}", archive.display()));
        let out = work.path().join(format!("out-{label}"));
        let err = client
            .fetch_layers(&location, &out, &ImageOptions::default(), false)
            .await
            .expect_err(label);
        assert!(
            matches!(
                err.kind(),
                ErrorKind::InvalidArgument | ErrorKind::NotFound | ErrorKind::SizeExceeded
            ),
            "{label}: {err}"
        );
        assert!(!out.exists(), "{label}: {} was created", out.display());
        client
            .inspect_image(&location, &ImageOptions::default(), false)
            .await
            .expect_err(label);
        assert!(!work.path().parent().unwrap().join("escape").exists());
    }

    // A layout whose layer blob is a symlink to a file outside it.
    let layout = work.path().join("layout");
    write_layout(&layout, "v1", &[("amd64", 1), ("arm64", 2)]);
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let top = Digest::parse(index["manifests"][0]["digest"].as_str().unwrap()).unwrap();
    let idx: Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs/sha256").join(top.hex())).unwrap(),
    )
    .unwrap();
    let amd = Digest::parse(idx["manifests"][0]["digest"].as_str().unwrap()).unwrap();
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs/sha256").join(amd.hex())).unwrap(),
    )
    .unwrap();
    let layer = Digest::parse(manifest["layers"][0]["digest"].as_str().unwrap()).unwrap();
    let blob = layout.join("blobs/sha256").join(layer.hex());
    let outside = work.path().join("outside");
    std::fs::rename(&blob, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &blob).unwrap();
    let out = work.path().join("out-layout");
    let err = client
        .fetch_layers(
            &name(&format!("oci:{}:v1", layout.display())),
            &out,
            &amd64(),
            false,
        )
        .await
        .unwrap_err();
    assert!(err.message().contains("symlink"), "{err}");
    assert!(
        !out.exists()
            || std::fs::read_dir(&out).unwrap().all(|e| {
                let n = e.unwrap().file_name().to_string_lossy().into_owned();
                n != layer.hex() && !n.starts_with(".tmp-")
            }),
        "the refused layer or a temporary file was left"
    );
}

#[test]
fn the_blocking_facade_reads_any_transport_with_progress() {
    let client = ocireg::blocking::Client::new(Default::default()).unwrap();
    let work = TempDir::new("image-ops-blocking");
    let layout = work.path().join("layout");
    let index = write_layout(&layout, "v1", &[("amd64", 1), ("arm64", 2)]);
    let location = name(&format!("oci:{}:v1", layout.display()));
    let top = client
        .source_manifest(&location, &ImageOptions::default())
        .unwrap();
    assert_eq!(top.digest.as_str(), index);
    let info = client.inspect_image(&location, &amd64(), true).unwrap();
    assert_eq!(info.digest, index);
    assert_eq!(info.architecture, "amd64");
    assert!(info.repo_tags.is_empty() && info.name.is_empty());
    let mut reports = 0u32;
    let mut last_done = 0u64;
    let out = work.path().join("out");
    let files = client
        .fetch_layers(&location, &out, &amd64(), false, &mut |p| {
            reports += 1;
            last_done = p.done;
            true
        })
        .unwrap();
    assert_eq!(files.len(), 3);
    assert!(reports > 0);
    assert_eq!(last_done, files.iter().map(|f| f.size).sum::<u64>());
    // A progress callback that says stop cancels, leaving no temporary file.
    let stopped = work.path().join("stopped");
    let err = client
        .fetch_layers(&location, &stopped, &amd64(), false, &mut |_| false)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
    if stopped.exists() {
        for entry in std::fs::read_dir(&stopped).unwrap() {
            let n = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!n.starts_with(".tmp-"), "{n} left");
        }
    }
    let err = client.repository_tags(&location).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
