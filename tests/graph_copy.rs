//! Graph-aware copy, pull and push with the real peers: an image signed by
//! cosign, with an SBOM attached by oras, the SBOM signed by cosign and by
//! an oras-attached signature, and a second artifact of another type.
//! Copied with its referrers to another registry (distribution 2.8.2 with
//! the fallback tag, go-containerregistry with the referrers API, both
//! ways), `cosign verify` succeeds at the destination and `oras discover`
//! and `regctl artifact tree` show the source's tree; through an OCI layout
//! too. A filter by artifact type carries only that subtree, and a source
//! whose fallback index is broken fails before the destination sees
//! anything. The graph also travels registry → oci-archive → registry
//! and between layouts; a docker-archive or `dir:` refuses it.

mod fixtures;
mod support;

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use fixtures::{push_image, reference};
use ocireg::image::{ImageName, ImageOptions, ReferrersMode};
use ocireg::{Client, ClientOptions, Digest, ErrorKind, Reference, ReferrerKind, media_type};
use serde_json::{Value, json};
use support::http1::read_head;
use support::peers::tool;
use support::tempdir::TempDir;
use support::{Implementation, Mode, Registry};

const SPDX: &str = "application/spdx+json";
const SCAN: &str = "application/vnd.example.scan";
const SIGNATURE: &str = "application/vnd.example.signature";

/// Runs a peer tool with `HOME` in `home` (cosign and regctl keep state
/// there), expecting success; returns its stdout.
fn run(home: &Path, cmd: &mut Command) -> String {
    let out = cmd
        .env("HOME", home)
        .env("COSIGN_PASSWORD", "")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The source's graph, and the key pair that signed it.
struct Source {
    keys: TempDir,
    image: Digest,
    sbom: String,
    sbom_signature: String,
    scan: String,
}

/// A client that speaks plain HTTP to every host given.
fn client_for(hosts: &[&str]) -> Client {
    Client::new(ClientOptions {
        insecure_registries: hosts.iter().map(|h| h.to_string()).collect(),
        ..Default::default()
    })
    .expect("client")
}

/// `oras attach` of a small file to `subject` with `artifact_type`; the
/// digest oras printed.
fn oras_attach(home: &Path, subject: &str, artifact_type: &str, content: &str) -> String {
    let name = format!("{}.json", artifact_type.replace(['/', '+', '.'], "-"));
    std::fs::write(home.join(&name), content).unwrap();
    let digest = run(
        home,
        Command::new(tool("oras"))
            .current_dir(home)
            .args(["attach", "--plain-http", "--artifact-type", artifact_type])
            .args(["--format", "go-template", "--template", "{{.digest}}"])
            .arg(subject)
            .arg(&name),
    );
    let digest = digest.trim().to_string();
    assert!(digest.starts_with("sha256:"), "oras printed {digest:?}");
    digest
}

fn cosign_sign(keys: &Path, subject: &str) {
    run(
        keys,
        Command::new(tool("cosign"))
            .args(["sign", "--key", "cosign.key", "--tlog-upload=false"])
            .args(["--allow-http-registry", "-y"])
            .arg(subject)
            .current_dir(keys),
    );
}

/// Whether `cosign verify` with the key pair accepts `subject`. The empty
/// trusted root keeps cosign from fetching sigstore's TUF root off this
/// machine; the key is what is checked.
fn cosign_verifies(keys: &Path, subject: &str) -> bool {
    std::fs::write(
        keys.join("trusted_root.json"),
        r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
    )
    .unwrap();
    Command::new(tool("cosign"))
        .args(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog"])
        .args([
            "--trusted-root",
            "trusted_root.json",
            "--allow-http-registry",
        ])
        .arg(subject)
        .current_dir(keys)
        .env("HOME", keys)
        .output()
        .expect("run cosign verify")
        .status
        .success()
}

/// Builds the graph in `host/repo:v1`.
async fn signed_source(host: &str, repo: &str) -> Source {
    let client = client_for(&[host]);
    let r = reference(host, &format!("{repo}:v1"));
    let image = push_image(&client, &r, media_type::OCI_MANIFEST, &[(41, 500)], &["v1"])
        .await
        .digest;
    let keys = TempDir::new("graph-keys");
    run(
        keys.path(),
        Command::new(tool("cosign"))
            .arg("generate-key-pair")
            .current_dir(keys.path()),
    );
    let at = |d: &str| format!("{host}/{repo}@{d}");
    cosign_sign(keys.path(), &at(image.as_str()));
    let sbom = oras_attach(
        keys.path(),
        &at(image.as_str()),
        SPDX,
        r#"{"spdxVersion":"SPDX-2.3"}"#,
    );
    cosign_sign(keys.path(), &at(&sbom));
    let sbom_signature = oras_attach(keys.path(), &at(&sbom), SIGNATURE, r#"{"signed":"sbom"}"#);
    let scan = oras_attach(keys.path(), &at(image.as_str()), SCAN, r#"{"findings":[]}"#);
    assert!(cosign_verifies(keys.path(), &at(image.as_str())));
    Source {
        keys,
        image,
        sbom,
        sbom_signature,
        scan,
    }
}

/// A referrer tree as digests: each node's referrers, by digest.
#[derive(Debug, PartialEq, Eq)]
struct Tree(BTreeMap<String, Tree>);

/// The tree `oras discover --format json` prints.
fn oras_tree(home: &Path, target: &[&str]) -> Tree {
    let out = run(
        home,
        Command::new(tool("oras"))
            .args(["discover", "--format", "json"])
            .args(target),
    );
    let json: Value = serde_json::from_str(&out).expect("oras discover json");
    fn walk(node: &Value) -> Tree {
        Tree(
            node["referrers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| (r["digest"].as_str().unwrap_or("").to_string(), walk(r)))
                .collect(),
        )
    }
    walk(&json)
}

/// The tree `regctl artifact tree` prints (as JSON).
fn regctl_tree(home: &Path, target: &str) -> Tree {
    let out = run(
        home,
        Command::new(tool("regctl"))
            .args(["artifact", "tree", "--format", "{{json .}}"])
            .arg(target),
    );
    let json: Value = serde_json::from_str(&out).expect("regctl artifact tree json");
    fn walk(node: &Value) -> Tree {
        Tree(
            node["referrer"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    (
                        r["reference"]["Digest"].as_str().unwrap_or("").to_string(),
                        walk(r),
                    )
                })
                .collect(),
        )
    }
    walk(&json)
}

fn regctl_plain_http(home: &Path, host: &str) {
    run(
        home,
        Command::new(tool("regctl")).args(["registry", "set", "--tls", "disabled", host]),
    );
}

/// The tree the source was built with.
fn expected_tree(source: &Source) -> Tree {
    let leaf = || Tree(BTreeMap::new());
    Tree(BTreeMap::from([
        (
            source.sbom.clone(),
            Tree(BTreeMap::from([(source.sbom_signature.clone(), leaf())])),
        ),
        (source.scan.clone(), leaf()),
    ]))
}

fn options(referrers: ReferrersMode) -> ImageOptions {
    ImageOptions {
        referrers,
        ..Default::default()
    }
}

/// Copies the whole graph from one registry to another and checks it with
/// cosign, oras and regctl.
async fn copy_carries_the_graph(from: Implementation, to: Implementation) {
    let src = Registry::start_implementation(from, Mode::Plain);
    let dst = Registry::start_implementation(to, Mode::Plain);
    let source = signed_source(src.host(), "graph/src").await;
    let client = client_for(&[src.host(), dst.host()]);
    let copied = client
        .copy(
            &reference(src.host(), "graph/src:v1"),
            &reference(dst.host(), "mirror/app:v1"),
            &options(ReferrersMode::All),
        )
        .await
        .expect("copy with referrers");
    assert_eq!(copied, source.image, "the image's digest is unchanged");

    let keys = source.keys.path();
    let at = |host: &str, repo: &str, d: &str| format!("{host}/{repo}@{d}");
    assert!(
        cosign_verifies(keys, &at(dst.host(), "mirror/app", source.image.as_str())),
        "cosign verifies the copied image"
    );
    assert!(
        cosign_verifies(keys, &at(dst.host(), "mirror/app", &source.sbom)),
        "cosign verifies the copied SBOM"
    );

    let want = expected_tree(&source);
    let src_ref = at(src.host(), "graph/src", source.image.as_str());
    let dst_ref = at(dst.host(), "mirror/app", source.image.as_str());
    assert_eq!(oras_tree(keys, &["--plain-http", &src_ref]), want);
    assert_eq!(
        oras_tree(keys, &["--plain-http", &dst_ref]),
        want,
        "oras discovers the same tree at the destination"
    );
    regctl_plain_http(keys, src.host());
    regctl_plain_http(keys, dst.host());
    assert_eq!(regctl_tree(keys, &src_ref), want);
    assert_eq!(
        regctl_tree(keys, &dst_ref),
        want,
        "regctl sees the same tree"
    );

    // ocireg's own listing: the cosign signature came as a tag.
    let listed = client
        .referrers(&reference(dst.host(), "mirror/app:v1"), None)
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .any(|r| r.kind == ReferrerKind::CosignSignature),
        "{listed:?}"
    );
}

#[tokio::test]
async fn copy_from_distribution2_to_the_native_referrers_registry() {
    copy_carries_the_graph(Implementation::Distribution2, Implementation::GgcrReferrers).await;
}

#[tokio::test]
async fn copy_from_the_native_referrers_registry_to_distribution2() {
    copy_carries_the_graph(Implementation::GgcrReferrers, Implementation::Distribution2).await;
}

/// The tags of a repository at a registry.
async fn tags(client: &Client, host: &str, repo: &str) -> Vec<String> {
    let mut tags = client.tags(&reference(host, repo)).await.unwrap();
    tags.sort();
    tags
}

async fn a_filter_carries_only_its_subtree(at: Implementation) {
    let reg = Registry::start_implementation(at, Mode::Plain);
    let host = reg.host();
    let source = signed_source(host, "graph/src").await;
    let client = client_for(&[host]);
    client
        .copy(
            &reference(host, "graph/src:v1"),
            &reference(host, "graph/spdx-only:v1"),
            &options(ReferrersMode::ArtifactTypes(vec![SPDX.to_string()])),
        )
        .await
        .expect("filtered copy");
    let keys = source.keys.path();
    let dst_ref = format!("{host}/graph/spdx-only@{}", source.image);
    let want = Tree(BTreeMap::from([(
        source.sbom.clone(),
        Tree(BTreeMap::from([(
            source.sbom_signature.clone(),
            Tree(BTreeMap::new()),
        )])),
    )]));
    assert_eq!(oras_tree(keys, &["--plain-http", &dst_ref]), want);
    assert!(
        cosign_verifies(keys, &format!("{host}/graph/spdx-only@{}", source.sbom)),
        "the SBOM's cosign signature came with it"
    );
    assert!(
        !cosign_verifies(keys, &dst_ref),
        "the image's cosign signature (another artifact type) stayed behind"
    );
    let sig = format!("sha256-{}.sig", source.image.hex());
    assert!(
        !tags(&client, host, "graph/spdx-only").await.contains(&sig),
        "no .sig tag for the image"
    );
}

#[tokio::test]
async fn a_filter_carries_only_its_subtree_on_distribution2() {
    a_filter_carries_only_its_subtree(Implementation::Distribution2).await;
}

#[tokio::test]
async fn a_filter_carries_only_its_subtree_on_the_native_referrers_registry() {
    a_filter_carries_only_its_subtree(Implementation::GgcrReferrers).await;
}

/// Pull into a layout, read it with oras and regctl, push it elsewhere.
async fn a_layout_carries_the_graph(from: Implementation, to: Implementation) {
    let src = Registry::start_implementation(from, Mode::Plain);
    let dst = Registry::start_implementation(to, Mode::Plain);
    let source = signed_source(src.host(), "graph/src").await;
    let client = client_for(&[src.host(), dst.host()]);
    let dir = TempDir::new("graph-layout");
    let layout = dir.path().join("oci");
    let pulled = client
        .pull(
            &reference(src.host(), "graph/src:v1"),
            &layout,
            &options(ReferrersMode::All),
        )
        .await
        .expect("pull with referrers");
    assert_eq!(pulled.digest, source.image.as_str());
    let keys = source.keys.path();
    let want = expected_tree(&source);
    let in_layout = format!("{}:v1", layout.display());
    assert_eq!(
        oras_tree(keys, &["--oci-layout", &in_layout]),
        want,
        "oras reads the referrers from the layout"
    );
    assert_eq!(
        regctl_tree(keys, &format!("ocidir://{in_layout}")),
        want,
        "regctl reads the referrers from the layout"
    );
    let sig = format!("sha256-{}.sig", source.image.hex());
    let names: Vec<String> = ocireg::image::OciLayout::open(&layout)
        .await
        .unwrap()
        .read_index()
        .await
        .unwrap()
        .manifests
        .iter()
        .filter_map(|d| {
            d.annotations
                .as_ref()?
                .get(ocireg::image::REF_NAME)
                .cloned()
        })
        .collect();
    assert!(names.contains(&sig), "the cosign tag is named: {names:?}");

    let opts = ImageOptions {
        layout_name: Some("v1".into()),
        ..options(ReferrersMode::All)
    };
    let pushed = client
        .push(&layout, &reference(dst.host(), "pushed/app:v1"), &opts)
        .await
        .expect("push with referrers");
    assert_eq!(pushed, source.image);
    let dst_ref = format!("{}/pushed/app@{}", dst.host(), source.image);
    assert_eq!(oras_tree(keys, &["--plain-http", &dst_ref]), want);
    assert!(
        cosign_verifies(keys, &dst_ref),
        "cosign verifies the pushed image"
    );
    assert!(
        cosign_verifies(keys, &format!("{}/pushed/app@{}", dst.host(), source.sbom)),
        "cosign verifies the pushed SBOM"
    );
}

#[tokio::test]
async fn a_layout_carries_the_graph_from_distribution2_to_the_native_registry() {
    a_layout_carries_the_graph(Implementation::Distribution2, Implementation::GgcrReferrers).await;
}

#[tokio::test]
async fn a_layout_carries_the_graph_from_the_native_registry_to_distribution2() {
    a_layout_carries_the_graph(Implementation::GgcrReferrers, Implementation::Distribution2).await;
}

// ---- a broken source graph fails before the destination sees anything ----

/// An SBOM-like referrer of `subject` pushed by digest.
async fn push_referrer(
    client: &Client,
    r: &Reference,
    subject: (&Digest, usize),
    seed: u8,
) -> Digest {
    let empty = client
        .push_blob(r, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let layer = client
        .push_blob(r, Bytes::from(vec![seed; 32]))
        .await
        .unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "artifactType": SPDX,
        "config": {"mediaType": media_type::OCI_EMPTY, "digest": empty.as_str(), "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": layer.as_str(), "size": 32}],
        "subject": {"mediaType": media_type::OCI_MANIFEST, "digest": subject.0.as_str(), "size": subject.1},
    }))
    .unwrap();
    client
        .put_manifest_tags(r, &[], Bytes::from(manifest), media_type::OCI_MANIFEST)
        .await
        .unwrap()
}

/// Copies `host/graph/bad:v1` with its referrers to a second registry and
/// expects `kind`; the destination must not have the image.
async fn copy_fails_cleanly(client: &Client, host: &str, kind: ErrorKind, says: &str) {
    let dst = Registry::start(Mode::Plain);
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.to_string(), dst.host().to_string()],
        max_list_entries: client.options().max_list_entries,
        ..Default::default()
    })
    .unwrap();
    let err = client
        .copy(
            &reference(host, "graph/bad:v1"),
            &reference(dst.host(), "graph/bad:v1"),
            &options(ReferrersMode::All),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.message().contains(says), "{err}");
    let there = client
        .head_manifest(&reference(dst.host(), "graph/bad:v1"))
        .await
        .unwrap_err();
    assert_eq!(
        there.kind(),
        ErrorKind::NotFound,
        "nothing was pushed: {there}"
    );
}

#[tokio::test]
async fn a_fallback_tag_that_is_not_an_index_fails_the_copy_before_any_push() {
    let reg = Registry::start(Mode::Plain);
    let client = client_for(&[reg.host()]);
    let r = reference(reg.host(), "graph/bad:v1");
    let image = push_image(&client, &r, media_type::OCI_MANIFEST, &[(51, 300)], &["v1"]).await;
    let squatter = push_image(&client, &r, media_type::OCI_MANIFEST, &[(52, 300)], &[]).await;
    client
        .put_manifest(
            &r.with_tag(&format!("sha256-{}", image.digest.hex()))
                .unwrap(),
            squatter.manifest,
            media_type::OCI_MANIFEST,
        )
        .await
        .unwrap();
    copy_fails_cleanly(
        &client,
        reg.host(),
        ErrorKind::Protocol,
        "not an image index",
    )
    .await;
}

/// Deletes a manifest behind ocireg's back, as another tool would.
fn delete_raw(host: &str, repo: &str, digest: &Digest) {
    let mut stream = TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "DELETE /v2/{repo}/manifests/{digest} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let head = read_head(&mut BufReader::new(stream))
        .unwrap()
        .expect("a response");
    assert_eq!(head.status().unwrap(), 202, "raw delete of {digest}");
}

#[tokio::test]
async fn a_fallback_index_naming_a_missing_manifest_fails_the_copy_before_any_push() {
    let reg = Registry::start(Mode::Plain);
    let client = client_for(&[reg.host()]);
    let r = reference(reg.host(), "graph/bad:v1");
    let image = push_image(&client, &r, media_type::OCI_MANIFEST, &[(53, 300)], &["v1"]).await;
    let gone = push_referrer(&client, &r, (&image.digest, image.manifest.len()), 1).await;
    // Deleted behind ocireg's back: the fallback index still names it.
    delete_raw(reg.host(), "graph/bad", &gone);
    copy_fails_cleanly(&client, reg.host(), ErrorKind::NotFound, gone.as_str()).await;
}

#[tokio::test]
async fn a_fallback_index_over_the_bound_fails_the_copy_before_any_push() {
    let reg = Registry::start(Mode::Plain);
    let roomy = client_for(&[reg.host()]);
    let r = reference(reg.host(), "graph/bad:v1");
    let image = push_image(&roomy, &r, media_type::OCI_MANIFEST, &[(54, 300)], &["v1"]).await;
    for seed in 0..4 {
        push_referrer(&roomy, &r, (&image.digest, image.manifest.len()), seed).await;
    }
    let tight = Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        max_list_entries: 3,
        ..Default::default()
    })
    .unwrap();
    copy_fails_cleanly(
        &tight,
        reg.host(),
        ErrorKind::SizeExceeded,
        "max_list_entries",
    )
    .await;
}

#[tokio::test]
async fn without_the_option_nothing_but_the_image_moves() {
    let reg = Registry::start(Mode::Plain);
    let client = client_for(&[reg.host()]);
    let r = reference(reg.host(), "graph/plain:v1");
    let image = push_image(&client, &r, media_type::OCI_MANIFEST, &[(55, 300)], &["v1"]).await;
    push_referrer(&client, &r, (&image.digest, image.manifest.len()), 9).await;
    client
        .copy(
            &r,
            &reference(reg.host(), "graph/plain-copy:v1"),
            &ImageOptions::default(),
        )
        .await
        .unwrap();
    let listed = client
        .referrers(&reference(reg.host(), "graph/plain-copy:v1"), None)
        .await
        .unwrap();
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(
        tags(&client, reg.host(), "graph/plain-copy").await,
        vec!["v1"]
    );
}

// ---- across transports ----

fn docker(host: &str, repo: &str) -> ImageName {
    ImageName::Registry(reference(host, repo))
}

/// The names of what a directory holds.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Registry → oci-archive → registry, with oci-archive → layout and
/// layout → layout on the way: the tree arrives whole at each step (oras
/// reads it from the layouts, cosign verifies and oras discovers it at the
/// final registry), and nothing but the outputs is left beside them.
async fn an_archive_carries_the_graph(from: Implementation, to: Implementation) {
    let src = Registry::start_implementation(from, Mode::Plain);
    let dst = Registry::start_implementation(to, Mode::Plain);
    let source = signed_source(src.host(), "graph/src").await;
    let client = client_for(&[src.host(), dst.host()]);
    let all = options(ReferrersMode::All);
    let dir = TempDir::new("graph-archive");
    let archive = ImageName::OciArchive {
        file: dir.path().join("graph.tar"),
        name: Some("v1".into()),
    };
    let into_archive = client
        .copy_image(&docker(src.host(), "graph/src:v1"), &archive, &all)
        .await
        .expect("registry to oci-archive with referrers");
    assert_eq!(into_archive, source.image);
    assert_eq!(entries(dir.path()), ["graph.tar"], "no staging left behind");

    let keys = source.keys.path();
    let want = expected_tree(&source);
    let layout = ImageName::Layout {
        dir: dir.path().join("oci"),
        name: Some("v1".into()),
    };
    client
        .copy_image(&archive, &layout, &all)
        .await
        .expect("oci-archive to layout with referrers");
    let in_layout = format!("{}:v1", dir.path().join("oci").display());
    assert_eq!(
        oras_tree(keys, &["--oci-layout", &in_layout]),
        want,
        "oras reads the tree from the layout the archive was copied to"
    );
    let second = ImageName::Layout {
        dir: dir.path().join("oci2"),
        name: Some("v1".into()),
    };
    client
        .copy_image(&layout, &second, &all)
        .await
        .expect("layout to layout with referrers");
    let in_second = format!("{}:v1", dir.path().join("oci2").display());
    assert_eq!(
        oras_tree(keys, &["--oci-layout", &in_second]),
        want,
        "oras reads the tree from a layout copied from a layout"
    );

    let pushed = client
        .copy_image(&archive, &docker(dst.host(), "from-archive/app:v1"), &all)
        .await
        .expect("oci-archive to registry with referrers");
    assert_eq!(pushed, source.image);
    let dst_ref = format!("{}/from-archive/app@{}", dst.host(), source.image);
    assert!(
        cosign_verifies(keys, &dst_ref),
        "cosign verifies the image after registry → oci-archive → registry"
    );
    assert!(
        cosign_verifies(
            keys,
            &format!("{}/from-archive/app@{}", dst.host(), source.sbom)
        ),
        "cosign verifies the SBOM's signature too"
    );
    assert_eq!(
        oras_tree(keys, &["--plain-http", &dst_ref]),
        want,
        "oras discovers the source's tree at the end"
    );
    assert_eq!(entries(dir.path()), ["graph.tar", "oci", "oci2"]);
}

#[tokio::test]
async fn an_archive_carries_the_graph_from_distribution2_to_the_native_registry() {
    an_archive_carries_the_graph(Implementation::Distribution2, Implementation::GgcrReferrers)
        .await;
}

#[tokio::test]
async fn an_archive_carries_the_graph_from_the_native_registry_to_distribution2() {
    an_archive_carries_the_graph(Implementation::GgcrReferrers, Implementation::Distribution2)
        .await;
}

/// A docker-archive or a `dir:` holds one image and nothing attached to
/// it: asking to carry attachments there fails, naming the transport,
/// before anything is written; without the option the copy works.
#[tokio::test]
async fn transports_that_cannot_hold_attachments_refuse_them() {
    let reg = Registry::start(Mode::Plain);
    let client = client_for(&[reg.host()]);
    let r = reference(reg.host(), "graph/plain:v1");
    push_image(&client, &r, media_type::OCI_MANIFEST, &[(43, 300)], &["v1"]).await;
    let dir = TempDir::new("graph-refused");
    let targets = [
        (
            ImageName::DockerArchive {
                file: dir.path().join("saved.tar"),
                name: None,
            },
            "docker-archive",
        ),
        (
            ImageName::Dir {
                dir: dir.path().join("plain"),
            },
            "\"dir\"",
        ),
    ];
    for (target, says) in &targets {
        let err = client
            .copy_image(
                &ImageName::Registry(r.clone()),
                target,
                &options(ReferrersMode::All),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.to_string().contains(says), "{err}");
        assert!(entries(dir.path()).is_empty(), "nothing written: {err}");
        let err = client
            .copy_image(
                target,
                &ImageName::Registry(r.clone()),
                &options(ReferrersMode::All),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
    for (target, _) in &targets {
        client
            .copy_image(
                &ImageName::Registry(r.clone()),
                target,
                &options(ReferrersMode::None),
            )
            .await
            .expect("without referrers the copy works");
    }
}
