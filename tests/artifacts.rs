//! Artifacts as oras makes them, against distribution 2.8.2 with oras
//! v1.3.6 as the peer: what we push oras pulls, what oras pushes we pull,
//! the same inputs give the same digest, and hostile titles are refused
//! with nothing written outside the directory or left half-written.

mod fixtures;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use fixtures::{plain_client, push_image, reference};
use ocireg::image::{ArtifactFile, ArtifactOptions};
use ocireg::{Client, Digest, ErrorKind, Reference, media_type};
use serde_json::json;
use support::tempdir::TempDir;
use support::{Implementation, Mode, Registry};

fn run_oras(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(support::peers::tool("oras"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("running oras");
    assert!(
        out.status.success(),
        "oras {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes the test files into `dir`: (name, bytes).
fn write_files(dir: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let files = vec![
        ("hello.txt", b"hello, artifact\n".to_vec()),
        ("big.bin", fixtures::bytes(7, 3 * 1024 * 1024 + 17)),
        ("empty", Vec::new()),
    ];
    for (name, data) in &files {
        std::fs::write(dir.join(name), data).unwrap();
    }
    files
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn oras_pulls_what_we_push_and_the_digest_is_what_oras_makes() {
    oras_round_trip(&Registry::start(Mode::Plain)).await;
}

#[tokio::test]
async fn oras_round_trip_on_distribution_3() {
    oras_round_trip(&Registry::start_implementation(
        Implementation::Distribution3,
        Mode::Plain,
    ))
    .await;
}

#[tokio::test]
async fn an_attached_artifact_is_listed_by_the_referrers_api() {
    let reg = Registry::start_implementation(Implementation::GgcrReferrers, Mode::Plain);
    let client = plain_client(reg.host());
    let image = reference(reg.host(), "art/ggcr:img");
    push_image(
        &client,
        &image,
        media_type::OCI_MANIFEST,
        &[(4, 100)],
        &["img"],
    )
    .await;
    let src = TempDir::new("artifact-ggcr-src");
    std::fs::write(src.path().join("sbom.json"), b"{}").unwrap();
    let options = ArtifactOptions {
        artifact_type: Some("application/x-sbom".into()),
        subject: Some(image.clone()),
        ..Default::default()
    };
    let file = ArtifactFile {
        path: src.path().join("sbom.json"),
        media_type: None,
    };
    let art = reference(reg.host(), "art/ggcr:sbom");
    let digest = client.push_artifact(&art, &[file], &options).await.unwrap();
    let referrers = client.referrers(&image, None).await.unwrap();
    assert!(
        referrers
            .iter()
            .any(|d| d.descriptor.digest == digest.to_string()),
        "{referrers:?}"
    );
}

async fn oras_round_trip(reg: &Registry) {
    let client = plain_client(reg.host());
    let src = TempDir::new("artifact-src");
    let files = write_files(src.path());
    let artifact_files: Vec<ArtifactFile> = files
        .iter()
        .map(|(name, _)| ArtifactFile {
            path: src.path().join(name),
            media_type: (*name == "big.bin").then(|| "application/x-big".to_string()),
        })
        .collect();
    let created = "2024-05-06T07:08:09Z";
    let options = ArtifactOptions {
        artifact_type: Some("application/vnd.example.sbom+json".into()),
        annotations: BTreeMap::from([
            ("org.opencontainers.image.created".into(), created.into()),
            ("tricky".into(), "a<b>&c \"quoted\"".into()),
        ]),
        subject: None,
    };
    let ours = reference(reg.host(), "art/files:ours");
    let digest = client
        .push_artifact(&ours, &artifact_files, &options)
        .await
        .unwrap();

    // oras pulls the same files.
    let out = TempDir::new("artifact-oras-out");
    let target = format!("{}/art/files:ours", reg.host());
    run_oras(
        out.path(),
        &["pull", "--plain-http", "-o", ".", target.as_str()],
    );
    assert_eq!(listing(out.path()), ["big.bin", "empty", "hello.txt"]);
    for (name, data) in &files {
        assert_eq!(
            &std::fs::read(out.path().join(name)).unwrap(),
            data,
            "{name}"
        );
    }

    // oras pushing the same files with the same options makes the same manifest.
    let theirs = format!("{}/art/files:theirs", reg.host());
    run_oras(
        src.path(),
        &[
            "push",
            "--plain-http",
            "--artifact-type",
            "application/vnd.example.sbom+json",
            "--annotation",
            &format!("org.opencontainers.image.created={created}"),
            "--annotation",
            "tricky=a<b>&c \"quoted\"",
            theirs.as_str(),
            "hello.txt",
            "big.bin:application/x-big",
            "empty",
        ],
    );
    let theirs_manifest = client
        .get_manifest(&reference(reg.host(), "art/files:theirs"))
        .await
        .unwrap();
    let ours_manifest = client.get_manifest(&ours).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ours_manifest.bytes),
        String::from_utf8_lossy(&theirs_manifest.bytes)
    );
    assert_eq!(theirs_manifest.digest, digest);
}

#[tokio::test]
async fn we_pull_what_oras_pushes_and_refuse_to_overwrite() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let src = TempDir::new("artifact-oras-src");
    let files = write_files(src.path());
    let target = format!("{}/art/by-oras:v1", reg.host());
    run_oras(
        src.path(),
        &[
            "push",
            "--plain-http",
            target.as_str(),
            "hello.txt",
            "big.bin",
            "empty",
        ],
    );
    let out = TempDir::new("artifact-out");
    let dir = out.path().join("new/sub");
    let art = reference(reg.host(), "art/by-oras:v1");
    let pulled = client.pull_artifact(&art, &dir, false).await.unwrap();
    assert_eq!(pulled.len(), 3);
    assert_eq!(listing(&dir), ["big.bin", "empty", "hello.txt"]);
    for (name, data) in &files {
        assert_eq!(&std::fs::read(dir.join(name)).unwrap(), data, "{name}");
        let p = pulled.iter().find(|p| p.name == *name).unwrap();
        assert_eq!(p.digest, Digest::sha256_of(data));
        assert_eq!(p.size, data.len() as u64);
    }

    // A second pull refuses to overwrite and changes nothing.
    std::fs::write(dir.join("hello.txt"), b"mine").unwrap();
    let e = client.pull_artifact(&art, &dir, false).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().contains("exists"), "{e}");
    assert_eq!(std::fs::read(dir.join("hello.txt")).unwrap(), b"mine");
    assert_eq!(listing(&dir), ["big.bin", "empty", "hello.txt"]);

    // Asked to, it overwrites.
    client.pull_artifact(&art, &dir, true).await.unwrap();
    assert_eq!(
        std::fs::read(dir.join("hello.txt")).unwrap(),
        b"hello, artifact\n"
    );
    assert_eq!(listing(&dir), ["big.bin", "empty", "hello.txt"]);
}

/// Pushes a manifest whose one layer is titled `title`.
async fn push_titled(client: &Client, art: &Reference, title: &str) {
    let data = Bytes::from_static(b"payload");
    let layer = client.push_blob(art, data.clone()).await.unwrap();
    let config = client
        .push_blob(art, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "artifactType": "application/x-test",
        "config": {"mediaType": media_type::OCI_EMPTY, "digest": config.to_string(), "size": 2},
        "layers": [
            {"mediaType": "application/octet-stream", "digest": layer.to_string(), "size": data.len(),
             "annotations": {"org.opencontainers.image.title": "fine.txt"}},
            {"mediaType": "application/octet-stream", "digest": layer.to_string(), "size": data.len(),
             "annotations": {"org.opencontainers.image.title": title}},
        ],
    });
    client
        .put_manifest(
            art,
            Bytes::from(serde_json::to_vec(&manifest).unwrap()),
            media_type::OCI_MANIFEST,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn hostile_titles_are_refused_and_nothing_is_written() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let root = TempDir::new("artifact-hostile");
    let dir = root.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let outside = root.path().join("outside");
    std::fs::write(&outside, b"precious").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();
    std::fs::create_dir(dir.join("adir")).unwrap();
    let hostile = [
        "../escape",
        "..",
        ".",
        "",
        "/tmp/absolute",
        "a/b",
        "a\\b",
        "..\\escape",
        "nul\0byte",
        "new\nline",
    ];
    for (i, title) in hostile.iter().enumerate() {
        let art = reference(reg.host(), &format!("art/hostile:t{i}"));
        push_titled(&client, &art, title).await;
        let e = client.pull_artifact(&art, &dir, false).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{title:?}: {e}");
        assert!(e.message().contains("refusing"), "{title:?}: {e}");
        assert_eq!(listing(&dir), ["adir", "link"], "{title:?}");
        assert_eq!(listing(root.path()), ["out", "outside"], "{title:?}");
    }
    // A symlink of that name is refused, with overwrite too, and its
    // target is untouched; a directory too.
    for (i, title) in ["link", "adir"].iter().enumerate() {
        let art = reference(reg.host(), &format!("art/hostile:existing{i}"));
        push_titled(&client, &art, title).await;
        for overwrite in [false, true] {
            let e = client
                .pull_artifact(&art, &dir, overwrite)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{title}: {e}");
            assert_eq!(std::fs::read(&outside).unwrap(), b"precious");
            assert!(
                std::fs::symlink_metadata(dir.join("link"))
                    .unwrap()
                    .is_symlink()
            );
            assert_eq!(listing(&dir), ["adir", "link"]);
        }
    }
    // Two layers with one title are refused.
    let art = reference(reg.host(), "art/hostile:twice");
    push_titled(&client, &art, "fine.txt").await;
    let e = client.pull_artifact(&art, &dir, false).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert_eq!(listing(&dir), ["adir", "link"]);
}

#[tokio::test]
async fn a_corrupted_blob_leaves_nothing_half_written() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let src = TempDir::new("artifact-corrupt-src");
    let data = fixtures::bytes(3, 200_000);
    std::fs::write(src.path().join("data.bin"), &data).unwrap();
    let art = reference(reg.host(), "art/corrupt:v1");
    let file = ArtifactFile {
        path: src.path().join("data.bin"),
        media_type: None,
    };
    client
        .push_artifact(&art, &[file], &ArtifactOptions::default())
        .await
        .unwrap();
    let digest = Digest::sha256_of(&data);
    let mut corrupt = data.clone();
    corrupt[100_000] ^= 1;
    std::fs::write(reg.blob_path(digest.hex()), &corrupt).unwrap();
    let out = TempDir::new("artifact-corrupt-out");
    let e = client
        .pull_artifact(&art, out.path(), false)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DigestMismatch, "{e}");
    assert!(listing(out.path()).is_empty(), "{:?}", listing(out.path()));
}

#[tokio::test]
async fn bad_push_inputs_are_refused() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let src = TempDir::new("artifact-bad-src");
    std::fs::create_dir(src.path().join("a")).unwrap();
    std::fs::create_dir(src.path().join("b")).unwrap();
    std::fs::write(src.path().join("a/same"), b"1").unwrap();
    std::fs::write(src.path().join("b/same"), b"2").unwrap();
    let art = reference(reg.host(), "art/bad:v1");
    let file = |p: &str| ArtifactFile {
        path: src.path().join(p),
        media_type: None,
    };
    let options = ArtifactOptions::default();
    for files in [
        vec![],
        vec![file("a/same"), file("b/same")],
        vec![file("a")],
        vec![file("missing")],
    ] {
        let e = client
            .push_artifact(&art, &files, &options)
            .await
            .unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::InvalidArgument | ErrorKind::Io),
            "{files:?}: {e}"
        );
    }
    assert_eq!(
        client.get_manifest(&art).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn an_attached_artifact_is_a_referrer_of_its_subject() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let image = reference(reg.host(), "art/with-subject:img");
    let pushed = push_image(
        &client,
        &image,
        media_type::OCI_MANIFEST,
        &[(1, 1000)],
        &["img"],
    )
    .await;
    let src = TempDir::new("artifact-subject-src");
    std::fs::write(src.path().join("sig.txt"), b"signed").unwrap();
    let options = ArtifactOptions {
        artifact_type: Some("application/x-signature".into()),
        subject: Some(image.clone()),
        ..Default::default()
    };
    let file = ArtifactFile {
        path: src.path().join("sig.txt"),
        media_type: None,
    };
    let art = reference(reg.host(), "art/with-subject:sig");
    let digest = client.push_artifact(&art, &[file], &options).await.unwrap();
    let manifest = client.get_manifest(&art).await.unwrap();
    let subject = manifest.fields().unwrap().subject.unwrap();
    assert_eq!(subject.digest, pushed.digest.to_string());
    assert_eq!(subject.size, pushed.manifest.len() as u64);
    let referrers = client
        .referrers(&image, Some("application/x-signature"))
        .await
        .unwrap();
    assert_eq!(referrers.len(), 1);
    assert_eq!(referrers[0].descriptor.digest, digest.to_string());

    // A subject in another repository is refused.
    let elsewhere = ArtifactOptions {
        subject: Some(reference(reg.host(), "art/other:img")),
        ..Default::default()
    };
    let file = ArtifactFile {
        path: src.path().join("sig.txt"),
        media_type: None,
    };
    let e = client
        .push_artifact(&art, &[file], &elsewhere)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn the_blocking_facade_pushes_and_pulls_artifacts() {
    let reg = Registry::start(Mode::Plain);
    let client = ocireg::blocking::Client::new(ocireg::ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    let src = TempDir::new("artifact-blocking-src");
    std::fs::write(src.path().join("a.txt"), b"alpha").unwrap();
    let art = reference(reg.host(), "art/blocking:v1");
    let file = ArtifactFile {
        path: src.path().join("a.txt"),
        media_type: None,
    };
    let digest = client
        .push_artifact(&art, &[file], &ArtifactOptions::default())
        .unwrap();
    let manifest = client.get_manifest(&art).unwrap();
    assert_eq!(manifest.digest, digest);
    let fields = manifest.fields().unwrap();
    assert_eq!(
        fields.artifact_type.as_deref(),
        Some(ocireg::image::artifact::DEFAULT_ARTIFACT_TYPE)
    );
    assert!(
        fields
            .annotations
            .unwrap()
            .contains_key(ocireg::image::artifact::CREATED)
    );
    let out = TempDir::new("artifact-blocking-out");
    let pulled = client.pull_artifact(&art, out.path(), false).unwrap();
    assert_eq!(pulled.len(), 1);
    assert_eq!(std::fs::read(out.path().join("a.txt")).unwrap(), b"alpha");
}
