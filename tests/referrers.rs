//! The referrer graph on real registries: deletes keep the fallback index
//! consistent, concurrent pushes lose nothing, bad fallback indexes give
//! clear errors or are repaired, listings merge the API or fallback with
//! cosign's tag attachments, and a registry that sends `OCI-Subject` gets
//! no fallback index.

mod fixtures;
mod support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use fixtures::{bytes, plain_client, push_image, reference};
use ocireg::{
    Client, ClientOptions, Digest, ErrorKind, Reference, Referrer, ReferrerKind, media_type,
};
use serde_json::json;
use support::http1::{read_body, read_head, request_framing, write_response};
use support::peers::tool;
use support::permissive_registry::sha256_digest;
use support::server::Server;
use support::{Implementation, Mode, Registry};

const SBOM: &str = "application/vnd.example.sbom";
const SIG: &str = "application/vnd.example.sig";

/// An artifact manifest whose subject is `subject` (digest, size), with one
/// layer from `seed`.
fn referrer_manifest(
    empty: &Digest,
    layer: (&Digest, usize),
    subject: (&Digest, usize),
    artifact_type: &str,
    seed: u64,
) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": media_type::OCI_EMPTY, "digest": empty.as_str(), "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": layer.0.as_str(), "size": layer.1}],
            "subject": {"mediaType": media_type::OCI_MANIFEST, "digest": subject.0.as_str(), "size": subject.1},
            "annotations": {"seed": seed.to_string()},
        }))
        .expect("referrer json"),
    )
}

/// Pushes a referrer of `subject` by digest and returns its digest.
async fn push_referrer(
    client: &Client,
    r: &Reference,
    subject: &fixtures::PushedImage,
    artifact_type: &str,
    seed: u64,
) -> ocireg::Result<Digest> {
    let empty = Digest::sha256_of(b"{}");
    if !client.blob_exists(r, &empty).await? {
        client.push_blob(r, Bytes::from_static(b"{}")).await?;
    }
    let data = bytes(seed, 64);
    let layer = client.push_blob(r, Bytes::from(data)).await?;
    let manifest = referrer_manifest(
        &empty,
        (&layer, 64),
        (&subject.digest, subject.manifest.len()),
        artifact_type,
        seed,
    );
    client
        .put_manifest_tags(r, &[], manifest, media_type::OCI_MANIFEST)
        .await
}

fn digests(listed: &[Referrer]) -> Vec<String> {
    let mut d: Vec<String> = listed.iter().map(|r| r.descriptor.digest.clone()).collect();
    d.sort();
    d
}

fn sorted(ds: &[Digest]) -> Vec<String> {
    let mut d: Vec<String> = ds.iter().map(|d| d.to_string()).collect();
    d.sort();
    d
}

fn fallback_tag(subject: &Digest) -> String {
    format!("sha256-{}", subject.hex())
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

// ---- delete keeps the graph consistent ----

async fn delete_keeps_the_graph_consistent(host: &str, expected_kind: ReferrerKind) {
    let client = plain_client(host);
    let r = reference(host, "graph/delete");
    let subject = push_image(&client, &r, media_type::OCI_MANIFEST, &[(1, 300)], &["v1"]).await;
    let at = r.with_digest(subject.digest.clone());
    let a = push_referrer(&client, &r, &subject, SBOM, 11)
        .await
        .expect("push a");
    let b = push_referrer(&client, &r, &subject, SIG, 12)
        .await
        .expect("push b");
    let listed = client.referrers(&at, None).await.expect("list");
    assert_eq!(digests(&listed), sorted(&[a.clone(), b.clone()]));
    assert!(listed.iter().all(|l| l.kind == expected_kind), "{listed:?}");

    client
        .delete_manifest(&r.with_digest(a.clone()))
        .await
        .expect("delete a referrer");
    let listed = client
        .referrers(&at, None)
        .await
        .expect("list after delete");
    assert_eq!(
        digests(&listed),
        sorted(std::slice::from_ref(&b)),
        "only live referrers"
    );

    // A later push to the same subject works (it failed with
    // MANIFEST_BLOB_UNKNOWN on 2.8.2 while the index named the deleted one).
    let c = push_referrer(&client, &r, &subject, SBOM, 13)
        .await
        .expect("push after delete");
    let listed = client.referrers(&at, None).await.expect("list");
    assert_eq!(digests(&listed), sorted(&[b.clone(), c.clone()]));

    // Deleting the last referrers deletes the fallback index too.
    client.delete_manifest(&r.with_digest(b)).await.unwrap();
    client.delete_manifest(&r.with_digest(c)).await.unwrap();
    assert!(client.referrers(&at, None).await.unwrap().is_empty());
    let tag = r.with_tag(&fallback_tag(&subject.digest)).unwrap();
    let err = client.get_manifest(&tag).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::NotFound,
        "the empty fallback index is gone: {err}"
    );
    // The subject itself is untouched.
    assert_eq!(
        client.head_manifest(&at).await.unwrap().digest,
        subject.digest
    );
    push_referrer(&client, &r, &subject, SBOM, 14)
        .await
        .expect("push after the index was deleted");
}

#[tokio::test]
async fn delete_keeps_the_graph_consistent_on_distribution2() {
    let reg = Registry::start(Mode::Plain);
    delete_keeps_the_graph_consistent(reg.host(), ReferrerKind::Fallback).await;
}

#[tokio::test]
async fn delete_keeps_the_graph_consistent_on_distribution3() {
    let reg = Registry::start_implementation(Implementation::Distribution3, Mode::Plain);
    delete_keeps_the_graph_consistent(reg.host(), ReferrerKind::Fallback).await;
}

#[tokio::test]
async fn delete_keeps_the_graph_consistent_on_the_native_referrers_registry() {
    let reg = Registry::start_implementation(Implementation::GgcrReferrers, Mode::Plain);
    delete_keeps_the_graph_consistent(reg.host(), ReferrerKind::ReferrersApi).await;
}

// ---- concurrent pushes ----

async fn concurrent_pushes_through_one_client_are_all_listed(host: &str) {
    const N: u64 = 8;
    let client = plain_client(host);
    let r = reference(host, "graph/concurrent");
    let subject = push_image(&client, &r, media_type::OCI_MANIFEST, &[(2, 300)], &["v1"]).await;
    let subject = Arc::new(subject);
    // The shared empty blob first: distribution 2.8.2 races when one blob
    // is uploaded by many at once (not what this test is about).
    client
        .push_blob(&r, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..N {
        let (client, r, subject) = (client.clone(), r.clone(), subject.clone());
        tasks.push(tokio::spawn(async move {
            push_referrer(&client, &r, &subject, SBOM, 100 + i).await
        }));
    }
    let mut pushed = Vec::new();
    for t in tasks {
        pushed.push(t.await.unwrap().expect("concurrent push"));
    }
    let listed = client
        .referrers(&r.with_digest(subject.digest.clone()), None)
        .await
        .unwrap();
    assert_eq!(
        digests(&listed),
        sorted(&pushed),
        "all {N} referrers listed"
    );
}

#[tokio::test]
async fn concurrent_pushes_through_one_client_are_all_listed_on_distribution2() {
    let reg = Registry::start(Mode::Plain);
    concurrent_pushes_through_one_client_are_all_listed(reg.host()).await;
}

#[tokio::test]
async fn concurrent_pushes_through_one_client_are_all_listed_on_the_native_referrers_registry() {
    let reg = Registry::start_implementation(Implementation::GgcrReferrers, Mode::Plain);
    concurrent_pushes_through_one_client_are_all_listed(reg.host()).await;
}

#[tokio::test]
async fn two_clients_racing_lose_nothing_on_distribution2() {
    const PER_CLIENT: u64 = 4;
    let reg = Registry::start(Mode::Plain);
    let host = reg.host().to_string();
    let r = reference(&host, "graph/race");
    let first = plain_client(&host);
    let subject =
        Arc::new(push_image(&first, &r, media_type::OCI_MANIFEST, &[(3, 300)], &["v1"]).await);
    first
        .push_blob(&r, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    // Two clients: no shared lock, only the read-back merge keeps both.
    let clients = [first, plain_client(&host)];
    let mut tasks = Vec::new();
    for (c, client) in clients.iter().enumerate() {
        for i in 0..PER_CLIENT {
            let (client, r, subject) = (client.clone(), r.clone(), subject.clone());
            let seed = 200 + c as u64 * 10 + i;
            tasks.push(tokio::spawn(async move {
                push_referrer(&client, &r, &subject, SIG, seed).await
            }));
        }
    }
    let mut pushed = Vec::new();
    for t in tasks {
        pushed.push(t.await.unwrap().expect("racing push"));
    }
    let listed = clients[1]
        .referrers(&r.with_digest(subject.digest.clone()), None)
        .await
        .unwrap();
    assert_eq!(
        digests(&listed),
        sorted(&pushed),
        "both clients' referrers listed"
    );
}

// ---- bad fallback indexes ----

#[tokio::test]
async fn a_fallback_tag_that_is_not_an_index_is_an_error_and_left_alone() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "graph/notindex");
    let subject = push_image(&client, &r, media_type::OCI_MANIFEST, &[(4, 300)], &["v1"]).await;
    // Someone tagged an image manifest as the fallback tag.
    let squatter = push_image(&client, &r, media_type::OCI_MANIFEST, &[(5, 300)], &[]).await;
    let tag = fallback_tag(&subject.digest);
    client
        .put_manifest(
            &r.with_tag(&tag).unwrap(),
            squatter.manifest.clone(),
            media_type::OCI_MANIFEST,
        )
        .await
        .unwrap();
    let at = r.with_digest(subject.digest.clone());
    let err = client.referrers(&at, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("not an image index"), "{err}");
    let err = push_referrer(&client, &r, &subject, SBOM, 15)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    // Nothing was overwritten.
    let still = client
        .get_manifest(&r.with_tag(&tag).unwrap())
        .await
        .unwrap();
    assert_eq!(still.digest, squatter.digest);
}

#[tokio::test]
async fn a_push_repairs_a_fallback_index_naming_deleted_manifests() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "graph/repair");
    let subject = push_image(&client, &r, media_type::OCI_MANIFEST, &[(6, 300)], &["v1"]).await;
    let at = r.with_digest(subject.digest.clone());
    let a = push_referrer(&client, &r, &subject, SBOM, 16)
        .await
        .unwrap();
    let b = push_referrer(&client, &r, &subject, SBOM, 17)
        .await
        .unwrap();
    // Another tool deletes `a` and leaves the index as it was.
    delete_raw(reg.host(), "graph/repair", &a);
    let listed = client.referrers(&at, None).await.unwrap();
    assert_eq!(
        digests(&listed),
        sorted(&[a.clone(), b.clone()]),
        "the stale index as stored"
    );
    let c = push_referrer(&client, &r, &subject, SBOM, 18)
        .await
        .expect("a push repairs the index instead of failing");
    let listed = client.referrers(&at, None).await.unwrap();
    assert_eq!(
        digests(&listed),
        sorted(&[b, c]),
        "the dead entry was dropped, nothing else"
    );
}

#[tokio::test]
async fn a_fallback_index_over_the_entry_bound_is_refused_whole() {
    let reg = Registry::start(Mode::Plain);
    let host = reg.host().to_string();
    let r = reference(&host, "graph/huge");
    let roomy = plain_client(&host);
    let subject = push_image(&roomy, &r, media_type::OCI_MANIFEST, &[(7, 300)], &["v1"]).await;
    let mut pushed = Vec::new();
    for i in 0..4 {
        pushed.push(
            push_referrer(&roomy, &r, &subject, SBOM, 20 + i)
                .await
                .unwrap(),
        );
    }
    let tight = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        max_list_entries: 3,
        ..Default::default()
    })
    .unwrap();
    let at = r.with_digest(subject.digest.clone());
    let err = tight.referrers(&at, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
    assert!(err.message().contains("max_list_entries"), "{err}");
    let err = push_referrer(&tight, &r, &subject, SBOM, 30)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
    // The index is as it was: the four entries, nothing lost.
    let listed = roomy.referrers(&at, None).await.unwrap();
    assert_eq!(digests(&listed), sorted(&pushed));
}

// ---- cosign tag attachments ----

#[tokio::test]
async fn cosign_tag_attachments_are_listed_with_their_kinds() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let r = reference(reg.host(), "graph/cosign");
    let subject = push_image(&client, &r, media_type::OCI_MANIFEST, &[(8, 300)], &["v1"]).await;
    let referrer = push_referrer(&client, &r, &subject, SBOM, 40)
        .await
        .unwrap();
    let empty = client
        .push_blob(&r, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    let mut attached = Vec::new();
    for (i, (suffix, kind)) in [
        ("sig", ReferrerKind::CosignSignature),
        ("att", ReferrerKind::CosignAttestation),
        ("sbom", ReferrerKind::CosignSbom),
    ]
    .into_iter()
    .enumerate()
    {
        let data = bytes(50 + i as u64, 100);
        let layer = client.push_blob(&r, Bytes::from(data)).await.unwrap();
        // cosign's layout: no subject, no artifactType, config of its own.
        let manifest = Bytes::from(
            serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": media_type::OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": empty.as_str(), "size": 2},
                "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": layer.as_str(), "size": 100,
                            "annotations": {"dev.cosignproject.cosign/signature": "c2ln"}}],
                "annotations": {"which": suffix},
            }))
            .unwrap(),
        );
        let tag = format!("{}.{suffix}", fallback_tag(&subject.digest));
        let digest = client
            .put_manifest(
                &r.with_tag(&tag).unwrap(),
                manifest.clone(),
                media_type::OCI_MANIFEST,
            )
            .await
            .unwrap();
        attached.push((digest, kind, manifest.len() as u64, suffix));
    }
    let listed = client
        .referrers(&r.with_tag("v1").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert_eq!(listed[0].kind, ReferrerKind::Fallback);
    assert_eq!(listed[0].descriptor.digest, referrer.as_str());
    for (got, (digest, kind, size, suffix)) in listed[1..].iter().zip(&attached) {
        assert_eq!(got.kind, *kind);
        assert_eq!(got.descriptor.digest, digest.as_str());
        assert_eq!(got.descriptor.size, *size);
        assert_eq!(got.descriptor.media_type, media_type::OCI_MANIFEST);
        assert_eq!(
            got.descriptor.artifact_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
        let which = got
            .descriptor
            .annotations
            .as_ref()
            .and_then(|a| a.get("which"));
        assert_eq!(which.map(String::as_str), Some(*suffix));
    }
    // The filter applies to attachments too.
    let sboms = client
        .referrers(&r.with_tag("v1").unwrap(), Some(SBOM))
        .await
        .unwrap();
    assert_eq!(digests(&sboms), sorted(&[referrer]));
}

// ---- a registry with the API that sends OCI-Subject, and pagination ----

/// A registry with the referrers API: stores pushed manifests by digest,
/// answers their push with `OCI-Subject`, and lists the referrers of
/// `subject` in two pages linked by `Link`. Records every request line.
struct SubjectRegistry {
    server: Server,
    requests: Arc<Mutex<Vec<String>>>,
}

fn subject_registry(subject: Digest, pages: [serde_json::Value; 2]) -> SubjectRegistry {
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = requests.clone();
    let server = Server::start(
        "oci-subject-registry",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let Ok(framing) = request_framing(&head) else {
                    return;
                };
                let Ok(body) = read_body(&mut read, framing, 1 << 22) else {
                    return;
                };
                log.lock().unwrap().push(format!("{method} {path}"));
                let json = vec![(
                    "Content-Type".to_string(),
                    media_type::OCI_INDEX.to_string(),
                )];
                let referrers = format!("/v2/r/referrers/{subject}");
                let (status, headers, out) = if path == "/v2/" {
                    (200, vec![], b"{}".to_vec())
                } else if method == "PUT" && path.starts_with("/v2/r/manifests/") {
                    let digest = sha256_digest(&body);
                    let headers = vec![
                        ("Docker-Content-Digest".to_string(), digest.clone()),
                        ("OCI-Subject".to_string(), subject.to_string()),
                        ("Location".to_string(), format!("/v2/r/manifests/{digest}")),
                    ];
                    (201, headers, Vec::new())
                } else if path.starts_with(&referrers) && path.contains("page=2") {
                    (200, json, serde_json::to_vec(&pages[1]).unwrap())
                } else if path.starts_with(&referrers) {
                    let mut headers = json;
                    headers.push(("Link".into(), format!("<{referrers}?page=2>; rel=\"next\"")));
                    (200, headers, serde_json::to_vec(&pages[0]).unwrap())
                } else {
                    (
                        404,
                        vec![],
                        br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#.to_vec(),
                    )
                };
                if write_response(&mut write, &method, status, &headers, &out, false).is_err() {
                    return;
                }
            }
        }),
    );
    SubjectRegistry { server, requests }
}

#[tokio::test]
async fn oci_subject_means_no_fallback_and_the_api_is_paginated() {
    let subject = Digest::sha256_of(b"the subject");
    let entry = |seed: &str, at: &str| {
        json!({"mediaType": media_type::OCI_MANIFEST, "digest": Digest::sha256_of(seed.as_bytes()).as_str(),
               "size": 10, "artifactType": at, "annotations": {"seed": seed}})
    };
    let index = |entries: Vec<serde_json::Value>| json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": entries});
    let reg = subject_registry(
        subject.clone(),
        [
            index(vec![entry("a", SBOM), entry("b", SIG)]),
            index(vec![entry("c", SBOM)]),
        ],
    );
    let host = reg.server.addr().to_string();
    let client = plain_client(&host);
    let r = reference(&host, "r");
    let manifest = Bytes::from(
        serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST, "artifactType": SBOM,
            "config": {"mediaType": media_type::OCI_EMPTY, "digest": Digest::sha256_of(b"{}").as_str(), "size": 2},
            "layers": [],
            "subject": {"mediaType": media_type::OCI_MANIFEST, "digest": subject.as_str(), "size": 10},
        }))
        .unwrap(),
    );
    client
        .put_manifest_tags(&r, &[], manifest, media_type::OCI_MANIFEST)
        .await
        .expect("push with OCI-Subject");
    let tag = fallback_tag(&subject);
    let touched: Vec<String> = reg
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(&tag))
        .cloned()
        .collect();
    assert!(
        touched.is_empty(),
        "no fallback index when OCI-Subject came back: {touched:?}"
    );

    let listed = client
        .referrers(&r.with_digest(subject.clone()), None)
        .await
        .unwrap();
    let want: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|s| Digest::sha256_of(s.as_bytes()).to_string())
        .collect();
    let got: Vec<String> = listed.iter().map(|l| l.descriptor.digest.clone()).collect();
    assert_eq!(got, want, "both pages, in order");
    assert!(listed.iter().all(|l| l.kind == ReferrerKind::ReferrersApi));
    // The client filters itself (the registry is not asked to: some filter
    // by the wrong field).
    let sboms = client
        .referrers(&r.with_digest(subject.clone()), Some(SBOM))
        .await
        .unwrap();
    let got: Vec<String> = sboms.iter().map(|l| l.descriptor.digest.clone()).collect();
    assert_eq!(got, vec![want[0].clone(), want[2].clone()]);
}

// ---- interop with oras ----

fn run(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("run the peer tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn oras_attach_is_listed_and_ours_is_discovered(host: &str, kind: ReferrerKind) {
    let client = plain_client(host);
    let r = reference(host, "graph/oras");
    let subject = push_image(&client, &r, media_type::OCI_MANIFEST, &[(9, 300)], &["v1"]).await;
    let dir = support::tempdir::TempDir::new("oras-attach");
    let sbom = dir.path().join("sbom.json");
    std::fs::write(&sbom, br#"{"spdxVersion":"SPDX-2.3"}"#).unwrap();
    let attached = run(std::process::Command::new(tool("oras"))
        .current_dir(dir.path())
        .args([
            "attach",
            "--plain-http",
            "--artifact-type",
            SBOM,
            "--annotation",
            "made-by=oras",
        ])
        .arg(format!("{host}/graph/oras@{}", subject.digest))
        .arg("sbom.json:application/spdx+json")
        .args(["--format", "go-template", "--template", "{{.digest}}"]));
    let attached = attached.trim().to_string();
    assert!(attached.starts_with("sha256:"), "oras printed {attached:?}");

    let listed = client
        .referrers(&r.with_digest(subject.digest.clone()), None)
        .await
        .expect("list what oras attached");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].kind, kind);
    assert_eq!(listed[0].descriptor.digest, attached);
    assert_eq!(listed[0].descriptor.artifact_type.as_deref(), Some(SBOM));
    let made_by = listed[0]
        .descriptor
        .annotations
        .as_ref()
        .and_then(|a| a.get("made-by"));
    assert_eq!(made_by.map(String::as_str), Some("oras"));
    let sboms = client
        .referrers(&r.with_digest(subject.digest.clone()), Some(SBOM))
        .await
        .unwrap();
    assert_eq!(
        digests(&sboms),
        vec![attached.clone()],
        "filtered by artifact type"
    );

    let ours = push_referrer(&client, &r, &subject, SIG, 60)
        .await
        .expect("push ours");
    let discovered = run(std::process::Command::new(tool("oras"))
        .args(["discover", "--plain-http", "--format", "json"])
        .arg(format!("{host}/graph/oras@{}", subject.digest)));
    let tree: serde_json::Value = serde_json::from_str(&discovered).expect("oras discover json");
    let found: Vec<(String, String)> = tree["referrers"]
        .as_array()
        .expect("a referrers array")
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap_or_default().to_string(),
                d["artifactType"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let found_digests: Vec<&str> = found.iter().map(|(d, _)| d.as_str()).collect();
    assert!(found_digests.contains(&ours.as_str()), "{discovered}");
    assert!(found_digests.contains(&attached.as_str()), "{discovered}");
    // oras shows what the registry's listing says: our fallback index
    // carries the artifact types; go-containerregistry's API reports the
    // config's media type instead, so there only the digests are compared.
    if kind == ReferrerKind::Fallback {
        assert!(
            found.contains(&(ours.to_string(), SIG.to_string())),
            "{discovered}"
        );
        assert!(
            found.contains(&(attached.clone(), SBOM.to_string())),
            "{discovered}"
        );
    }
}

#[tokio::test]
async fn oras_interop_on_distribution2() {
    let reg = Registry::start(Mode::Plain);
    oras_attach_is_listed_and_ours_is_discovered(reg.host(), ReferrerKind::Fallback).await;
}

#[tokio::test]
async fn oras_interop_on_the_native_referrers_registry() {
    let reg = Registry::start_implementation(Implementation::GgcrReferrers, Mode::Plain);
    oras_attach_is_listed_and_ours_is_discovered(reg.host(), ReferrerKind::ReferrersApi).await;
}
