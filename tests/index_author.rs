//! Indexes authored from images of one repository: the same index as
//! `oras manifest index create` (v1.3.6) from the same images, updated by
//! adding and removing entries and setting annotations.

mod fixtures;
mod support;

use std::collections::BTreeMap;
use std::process::Command;

use bytes::Bytes;
use fixtures::{plain_client, reference};
use ocireg::image::{IndexOptions, IndexUpdate};
use ocireg::{Client, Digest, ErrorKind, Reference, media_type};
use serde_json::{Value, json};
use support::{Mode, Registry};

/// Pushes an image whose config names `platform` (os, arch, variant) under `tag`.
async fn push_platform_image(
    client: &Client,
    repo: &Reference,
    tag: &str,
    config: Value,
) -> Digest {
    let config = Bytes::from(serde_json::to_vec(&config).unwrap());
    let config_digest = client.push_blob(repo, config.clone()).await.unwrap();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "config": {"mediaType": media_type::OCI_CONFIG, "digest": config_digest.to_string(), "size": config.len()},
        "layers": [],
    });
    client
        .put_manifest(
            &repo.with_tag(tag).unwrap(),
            Bytes::from(serde_json::to_vec(&manifest).unwrap()),
            media_type::OCI_MANIFEST,
        )
        .await
        .unwrap()
}

fn oras(args: &[&str]) -> String {
    let out = Command::new(support::peers::tool("oras"))
        .args(args)
        .output()
        .expect("running oras");
    assert!(
        out.status.success(),
        "oras {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn our_index_is_the_one_oras_makes_and_updates_work() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let repo = reference(reg.host(), "idx/app:x");
    let amd = push_platform_image(
        &client,
        &repo,
        "amd64",
        json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}),
    )
    .await;
    let arm = push_platform_image(
        &client,
        &repo,
        "arm64",
        json!({"architecture": "arm64", "os": "linux", "variant": "v8", "rootfs": {"type": "layers", "diff_ids": []}}),
    )
    .await;
    let win = push_platform_image(
        &client,
        &repo,
        "windows",
        json!({"architecture": "amd64", "os": "windows", "os.version": "10.0.20348.1", "rootfs": {"type": "layers", "diff_ids": []}}),
    )
    .await;
    let sources: Vec<Reference> = ["amd64", "arm64", "windows"]
        .iter()
        .map(|t| repo.with_tag(t).unwrap())
        .collect();
    let options = IndexOptions {
        annotations: BTreeMap::from([("k".to_string(), "v<&>".to_string())]),
        ..Default::default()
    };
    let ours = client
        .create_index(&repo.with_tag("ours").unwrap(), &sources, &options)
        .await
        .unwrap();
    let target = format!("{}/idx/app:theirs", reg.host());
    oras(&[
        "manifest",
        "index",
        "create",
        "--plain-http",
        "--annotation",
        "k=v<&>",
        &target,
        "amd64",
        "arm64",
        "windows",
    ]);
    let theirs = client
        .get_manifest(&repo.with_tag("theirs").unwrap())
        .await
        .unwrap();
    let ours_bytes = client
        .get_manifest(&repo.with_tag("ours").unwrap())
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ours_bytes.bytes),
        String::from_utf8_lossy(&theirs.bytes)
    );
    assert_eq!(theirs.digest, ours);

    // Remove a platform, add it back, annotate.
    let ours_ref = repo.with_tag("ours").unwrap();
    let update = IndexUpdate {
        remove: vec![win.clone()],
        annotations: BTreeMap::from([("added".to_string(), "yes".to_string())]),
        ..Default::default()
    };
    client.update_index(&ours_ref, &update).await.unwrap();
    let index: Value =
        serde_json::from_slice(&client.get_manifest(&ours_ref).await.unwrap().bytes).unwrap();
    let digests: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [amd.as_str(), arm.as_str()]);
    assert_eq!(index["annotations"]["added"], "yes");
    assert_eq!(index["annotations"]["k"], "v<&>");
    assert_eq!(index["manifests"][1]["platform"]["variant"], "v8");
    let add = IndexUpdate {
        add: vec![
            repo.with_tag("windows").unwrap(),
            repo.with_tag("amd64").unwrap(),
        ],
        ..Default::default()
    };
    client.update_index(&ours_ref, &add).await.unwrap();
    let index: Value =
        serde_json::from_slice(&client.get_manifest(&ours_ref).await.unwrap().bytes).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 3);
    assert_eq!(
        index["manifests"][2]["platform"]["os.version"],
        "10.0.20348.1"
    );
    // Removing what is not there is NOT_FOUND, and changes nothing.
    let before = client.get_manifest(&ours_ref).await.unwrap().digest;
    let missing = IndexUpdate {
        remove: vec![Digest::sha256_of(b"nothing")],
        ..Default::default()
    };
    let e = client.update_index(&ours_ref, &missing).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(client.get_manifest(&ours_ref).await.unwrap().digest, before);
    // A source in another repository is refused.
    let e = client
        .create_index(
            &ours_ref,
            &[reference(reg.host(), "idx/other:amd64")],
            &IndexOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn the_blocking_facade_creates_and_updates_indexes() {
    let reg = Registry::start(Mode::Plain);
    let repo = reference(reg.host(), "idx/blocking:x");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let async_client = plain_client(reg.host());
    let amd = rt.block_on(push_platform_image(
        &async_client,
        &repo,
        "amd64",
        json!({"architecture": "amd64", "os": "linux"}),
    ));
    drop(rt);
    let client = ocireg::blocking::Client::new(ocireg::ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    let target = repo.with_tag("idx").unwrap();
    let digest = client
        .create_index(
            &target,
            &[repo.with_tag("amd64").unwrap()],
            &IndexOptions::default(),
        )
        .unwrap();
    let index = client.get_manifest(&target).unwrap();
    assert_eq!(index.digest, digest);
    assert_eq!(index.media_type, media_type::OCI_INDEX);
    let emptied = IndexUpdate {
        remove: vec![amd],
        ..Default::default()
    };
    client.update_index(&target, &emptied).unwrap();
    let index: Value =
        serde_json::from_slice(&client.get_manifest(&target).unwrap().bytes).unwrap();
    assert_eq!(index["manifests"], json!([]));
}

#[tokio::test]
async fn entries_go_by_platform_and_annotations_by_key() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let repo = reference(reg.host(), "idx/platforms:x");
    let amd = push_platform_image(
        &client,
        &repo,
        "amd64",
        json!({"architecture": "amd64", "os": "linux"}),
    )
    .await;
    push_platform_image(
        &client,
        &repo,
        "arm64",
        json!({"architecture": "arm64", "os": "linux", "variant": "v8"}),
    )
    .await;
    push_platform_image(
        &client,
        &repo,
        "armv7",
        json!({"architecture": "arm", "os": "linux", "variant": "v7"}),
    )
    .await;
    let target = repo.with_tag("idx").unwrap();
    let sources: Vec<Reference> = ["amd64", "arm64", "armv7"]
        .iter()
        .map(|t| repo.with_tag(t).unwrap())
        .collect();
    let options = IndexOptions {
        annotations: BTreeMap::from([("k".to_string(), "v".to_string())]),
        ..Default::default()
    };
    client
        .create_index(&target, &sources, &options)
        .await
        .unwrap();
    // `linux/arm64` names arm64/v8; `linux/arm/v6` names no entry.
    let update = IndexUpdate {
        remove_platforms: vec![ocireg::image::Platform::parse("linux/arm/v6").unwrap()],
        ..Default::default()
    };
    let e = client.update_index(&target, &update).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let update = IndexUpdate {
        remove_platforms: vec![
            ocireg::image::Platform::parse("linux/arm64/v8").unwrap(),
            ocireg::image::Platform::parse("linux/arm").unwrap(),
        ],
        annotations: BTreeMap::from([("new".to_string(), "1".to_string())]),
        remove_annotations: vec!["k".to_string(), "absent".to_string()],
        ..Default::default()
    };
    let digest = client.update_index(&target, &update).await.unwrap();
    let got = client.get_manifest(&target).await.unwrap();
    assert_eq!(got.digest, digest);
    let index: Value = serde_json::from_slice(&got.bytes).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(index["manifests"][0]["digest"], amd.as_str());
    assert_eq!(index["annotations"], json!({"new": "1"}));
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_pushed() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let repo = reference(reg.host(), "idx/bad:x");
    push_platform_image(
        &client,
        &repo,
        "amd64",
        json!({"architecture": "amd64", "os": "linux"}),
    )
    .await;
    let amd = repo.with_tag("amd64").unwrap();
    let idx = repo.with_tag("idx").unwrap();
    client
        .create_index(&idx, std::slice::from_ref(&amd), &IndexOptions::default())
        .await
        .unwrap();
    let bad = repo.with_tag("bad").unwrap();
    let empty_key = IndexOptions {
        annotations: BTreeMap::from([(String::new(), "v".to_string())]),
        ..Default::default()
    };
    let cases: Vec<(Vec<Reference>, IndexOptions, ErrorKind, &str)> = vec![
        (
            vec![idx.clone()],
            IndexOptions::default(),
            ErrorKind::InvalidArgument,
            "is an index",
        ),
        (
            vec![repo.with_tag("missing").unwrap()],
            IndexOptions::default(),
            ErrorKind::NotFound,
            "",
        ),
        (
            vec![amd.clone(), amd.clone()],
            IndexOptions::default(),
            ErrorKind::InvalidArgument,
            "twice",
        ),
        (
            vec![amd.clone(); 1001],
            IndexOptions::default(),
            ErrorKind::InvalidArgument,
            "at most 1000",
        ),
        (
            vec![amd.clone()],
            empty_key,
            ErrorKind::InvalidArgument,
            "empty annotation key",
        ),
    ];
    for (sources, options, kind, message) in cases {
        let e = client
            .create_index(&bad, &sources, &options)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert!(e.to_string().contains(message), "{e}");
        let e = client.get_manifest(&bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    }
    let before = client.get_manifest(&idx).await.unwrap().digest;
    let add_index = IndexUpdate {
        add: vec![idx.clone()],
        ..Default::default()
    };
    let e = client.update_index(&idx, &add_index).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert_eq!(client.get_manifest(&idx).await.unwrap().digest, before);
}
