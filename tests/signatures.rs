//! Signatures on a real registry (distribution 2.8.2): lookaside storage
//! read over file:// and http:// and written to file:// staging, sigstore
//! `.sig` attachments read and appended, bad input refused with nothing
//! written, and interop both ways with skopeo 1.9.3 (simple signing with a
//! throwaway GPG key, sigstore with a cosign key) and cosign v2.6.5;
//! signatures carried by copy to another registry's staging lookaside,
//! and concurrent sigstore appends that lose nothing.

mod fixtures;
mod support;

use std::collections::BTreeMap;
use std::io::BufReader;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use fixtures::{plain_client, push_image, reference};
use ocireg::image::{ImageName, ImageOptions};
use ocireg::signatures::{SIGSTORE_PAYLOAD_MEDIA_TYPE, SIGSTORE_SIGNATURE_ANNOTATION};
use ocireg::{Client, ErrorKind, Reference, Signature, SignatureOptions, media_type};
use serde_json::json;
use support::http1::{read_head, write_response};
use support::peers::tool;
use support::server::Server;
use support::tempdir::TempDir;
use support::{Mode, Registry};

/// A registries.d directory holding `yaml` as `test.yaml`.
fn registries_d(yaml: &str) -> (TempDir, SignatureOptions) {
    let dir = TempDir::new("registries-d");
    std::fs::write(dir.path().join("test.yaml"), yaml).expect("write registries.d");
    let options = SignatureOptions {
        registries_d: Some(dir.path().to_path_buf()),
    };
    (dir, options)
}

/// A simple-signing-looking signature (an OpenPGP compressed-data packet
/// header followed by `seed`'s bytes).
fn simple(seed: &str) -> Signature {
    let mut bytes = vec![0xA3, 0x01];
    bytes.extend_from_slice(seed.as_bytes());
    Signature::SimpleSigning(bytes)
}

fn sigstore(seed: &str) -> Signature {
    Signature::Sigstore {
        mime_type: SIGSTORE_PAYLOAD_MEDIA_TYPE.to_string(),
        payload: format!("{{\"critical\":{{\"seed\":\"{seed}\"}}}}").into_bytes(),
        annotations: BTreeMap::from([(
            SIGSTORE_SIGNATURE_ANNOTATION.to_string(),
            format!("sig-{seed}"),
        )]),
    }
}

/// Pushes a one-layer image to `repo:tag` and returns its reference.
async fn image(
    client: &Client,
    reg: &Registry,
    repo: &str,
    seed: u64,
) -> (Reference, ocireg::Digest) {
    let r = reference(reg.host(), &format!("{repo}:v1"));
    let pushed = push_image(
        client,
        &r,
        media_type::OCI_MANIFEST,
        &[(seed, 300)],
        &["v1"],
    )
    .await;
    (r, pushed.digest)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn lookaside_file_staging_round_trip_appends_without_duplicates() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (r, digest) = image(&client, &reg, "team/app", 1).await;
    let staging = TempDir::new("staging");
    let (_d, options) = registries_d(&format!(
        "docker:\n  {}/team:\n    lookaside: file://{}\n",
        reg.host(),
        staging.path().display()
    ));

    assert_eq!(client.signatures(&r, &options).await.unwrap(), vec![]);
    let added = client
        .put_signatures(&r, &[simple("a"), simple("b")], &options)
        .await
        .unwrap();
    assert_eq!(added, 2);
    let dir = staging
        .path()
        .join(format!("team/app@sha256={}", digest.hex()));
    assert_eq!(
        std::fs::read(dir.join("signature-1")).unwrap(),
        simple("a").bytes()
    );
    assert_eq!(
        std::fs::read(dir.join("signature-2")).unwrap(),
        simple("b").bytes()
    );
    // Again, plus one new: only the new one is written.
    let added = client
        .put_signatures(&r, &[simple("b"), simple("c")], &options)
        .await
        .unwrap();
    assert_eq!(added, 1);
    let got = client.signatures(&r, &options).await.unwrap();
    assert_eq!(got, vec![simple("a"), simple("b"), simple("c")]);
    // By digest, the same.
    let by_digest = r.with_digest(digest.clone());
    assert_eq!(client.signatures(&by_digest, &options).await.unwrap(), got);
    // No temporaries left.
    assert_eq!(
        files_under(staging.path()).len(),
        3,
        "{:?}",
        files_under(staging.path())
    );
    // The blocking facade says the same.
    let host = reg.host().to_string();
    let r2 = r.clone();
    let o2 = options.clone();
    let got_blocking = std::thread::spawn(move || {
        let blocking = ocireg::blocking::Client::new(ocireg::ClientOptions {
            insecure_registries: vec![host],
            ..Default::default()
        })?;
        blocking.signatures(&r2, &o2)
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(got_blocking, got);
}

/// A static HTTP server over `root` that logs each request line and its
/// `Authorization` header, and answers `/redirect/...` with a redirect to
/// `redirect_to` (another origin).
fn lookaside_server(root: PathBuf, redirect_to: String) -> (Server, Arc<Mutex<Vec<String>>>) {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = log.clone();
    let server = Server::start(
        "lookaside",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                seen.lock().unwrap().push(format!(
                    "{method} {path} auth={}",
                    head.header("authorization").unwrap_or("-")
                ));
                let (status, headers, body) = if let Some(rest) = path.strip_prefix("/redirect") {
                    (
                        302,
                        vec![("Location".to_string(), format!("{redirect_to}{rest}"))],
                        Vec::new(),
                    )
                } else {
                    let file = root.join(path.trim_start_matches('/'));
                    match std::fs::read(&file) {
                        Ok(bytes) => (200, vec![], bytes),
                        Err(_) => (404, vec![], b"not found".to_vec()),
                    }
                };
                if write_response(&mut write, &method, status, &headers, &body, false).is_err() {
                    return;
                }
            }
        }),
    );
    (server, log)
}

#[tokio::test]
async fn lookaside_http_reads_until_404_sends_no_credentials_and_refuses_redirects() {
    let reg = Registry::start(Mode::Plain);
    let client = Client::new(ocireg::ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        credentials: vec![(
            reg.host().to_string(),
            ocireg::Credential::Basic {
                username: "user".into(),
                password: "s3cret-password".into(),
            },
        )],
        ..Default::default()
    })
    .unwrap();
    let (r, digest) = image(&client, &reg, "app", 2).await;
    let root = TempDir::new("lookaside-root");
    let dir = root.path().join(format!("app@sha256={}", digest.hex()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("signature-1"), simple("one").bytes()).unwrap();
    std::fs::write(dir.join("signature-2"), simple("two").bytes()).unwrap();
    let other = TempDir::new("lookaside-other");
    let (other_server, other_log) = lookaside_server(other.path().to_path_buf(), String::new());
    let (server, log) = lookaside_server(
        root.path().to_path_buf(),
        format!("http://{}", other_server.addr()),
    );

    let (_d, options) = registries_d(&format!(
        "default-docker:\n  lookaside: http://{}\n",
        server.addr()
    ));
    let got = client.signatures(&r, &options).await.unwrap();
    assert_eq!(got, vec![simple("one"), simple("two")]);
    let requests = log.lock().unwrap().clone();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(requests[2].contains("/signature-3"), "{requests:?}");
    assert!(
        requests.iter().all(|l| l.ends_with("auth=-")),
        "{requests:?}"
    );

    // A lookaside that redirects to another origin: an error, and the
    // other origin never asked.
    let (_d, options) = registries_d(&format!(
        "default-docker:\n  lookaside: http://{}/redirect\n",
        server.addr()
    ));
    let e = client.signatures(&r, &options).await.unwrap_err();
    assert!(e.message().contains("another origin"), "{}", e.detail());
    assert!(other_log.lock().unwrap().is_empty());

    // A signature over 4 MiB.
    std::fs::write(dir.join("signature-3"), vec![0xA3; 5 * 1024 * 1024]).unwrap();
    let (_d, options) = registries_d(&format!(
        "default-docker:\n  lookaside: http://{}\n",
        server.addr()
    ));
    let e = client.signatures(&r, &options).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeExceeded, "{}", e.detail());
    // And an HTML page where a signature should be.
    std::fs::write(dir.join("signature-3"), b"<html>oops</html>").unwrap();
    let e = client.signatures(&r, &options).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{}", e.detail());
    assert!(e.message().contains("signature-3"), "{}", e.detail());
}

#[tokio::test]
async fn bad_configuration_and_bad_signatures_write_nothing() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (r, _digest) = image(&client, &reg, "app", 3).await;
    let staging = TempDir::new("staging");

    // ftp:// lookaside.
    let (_d, options) = registries_d("default-docker:\n  lookaside: ftp://example.com/sigs\n");
    let e = client.signatures(&r, &options).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("ftp"), "{}", e.message());
    let e = client
        .put_signatures(&r, &[simple("x")], &options)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);

    // An http lookaside cannot be written.
    let (_d, options) = registries_d("default-docker:\n  lookaside: https://example.com/sigs\n");
    let e = client
        .put_signatures(&r, &[simple("x")], &options)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("lookaside-staging"), "{}", e.message());

    // Malformed YAML: the file and the line.
    let (_d, options) = registries_d("docker:\n  x:\n    lookaside: [oops\n");
    let e = client.signatures(&r, &options).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("test.yaml"), "{}", e.message());
    assert!(e.message().contains("line 3"), "{}", e.message());

    // A 5 MiB signature among good ones: nothing written.
    let (_d, options) = registries_d(&format!(
        "default-docker:\n  lookaside-staging: file://{}\n  use-sigstore-attachments: true\n",
        staging.path().display()
    ));
    let huge = Signature::SimpleSigning(vec![0xA3; 5 * 1024 * 1024]);
    let e = client
        .put_signatures(&r, &[simple("ok"), sigstore("ok"), huge], &options)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SizeExceeded);
    assert!(files_under(staging.path()).is_empty());
    let tags = client.tags(&r).await.unwrap();
    assert_eq!(tags, vec!["v1".to_string()], "no .sig tag was written");

    // Sigstore signatures without use-sigstore-attachments.
    let (_d, options) = registries_d(&format!(
        "default-docker:\n  lookaside-staging: file://{}\n",
        staging.path().display()
    ));
    let e = client
        .put_signatures(&r, &[simple("ok"), sigstore("ok")], &options)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(
        e.message().contains("use-sigstore-attachments"),
        "{}",
        e.message()
    );
    assert!(files_under(staging.path()).is_empty());

    // A symlink in the staging tree is not followed.
    let elsewhere = TempDir::new("elsewhere");
    let digest = client.digest(&r).await.unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path(),
        staging.path().join(format!("app@sha256={}", digest.hex())),
    )
    .unwrap();
    let e = client
        .put_signatures(&r, &[simple("ok")], &options)
        .await
        .unwrap_err();
    assert!(e.message().contains("symlink"), "{}", e.message());
    assert!(files_under(elsewhere.path()).is_empty());
}

#[tokio::test]
async fn sigstore_attachments_round_trip_and_append() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (r, digest) = image(&client, &reg, "app", 4).await;
    let (_d, options) = registries_d("default-docker:\n  use-sigstore-attachments: true\n");

    assert_eq!(client.signatures(&r, &options).await.unwrap(), vec![]);
    let added = client
        .put_signatures(&r, &[sigstore("a")], &options)
        .await
        .unwrap();
    assert_eq!(added, 1);
    let added = client
        .put_signatures(&r, &[sigstore("a"), sigstore("b")], &options)
        .await
        .unwrap();
    assert_eq!(added, 1);
    let got = client.signatures(&r, &options).await.unwrap();
    assert_eq!(got, vec![sigstore("a"), sigstore("b")]);

    // The .sig manifest as cosign and containers/image lay it out.
    let sig = r.with_tag(&format!("sha256-{}.sig", digest.hex())).unwrap();
    let manifest = client.get_manifest(&sig).await.unwrap();
    assert_eq!(manifest.media_type, media_type::OCI_MANIFEST);
    let m: serde_json::Value = serde_json::from_slice(&manifest.bytes).unwrap();
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0]["mediaType"], SIGSTORE_PAYLOAD_MEDIA_TYPE);
    assert_eq!(
        layers[1]["annotations"][SIGSTORE_SIGNATURE_ANNOTATION],
        "sig-b"
    );
    assert_eq!(m["config"]["mediaType"], media_type::OCI_CONFIG);
    let config_digest = ocireg::Digest::parse(m["config"]["digest"].as_str().unwrap()).unwrap();
    let mut reader = client.get_blob(&r, &config_digest).await.unwrap();
    let mut config = Vec::new();
    while let Some(chunk) = reader.chunk().await.unwrap() {
        config.extend_from_slice(&chunk);
    }
    let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
    assert_eq!(config["rootfs"]["type"], "layers");
    assert_eq!(
        config["rootfs"]["diff_ids"],
        json!([layers[0]["digest"], layers[1]["digest"]])
    );
}

#[tokio::test]
async fn a_sig_tag_that_is_not_an_image_manifest_is_a_clear_error() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (r, digest) = image(&client, &reg, "app", 5).await;
    let index = json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": [
        {"mediaType": media_type::OCI_MANIFEST, "digest": digest.as_str(), "size": 1}]});
    let sig = r.with_tag(&format!("sha256-{}.sig", digest.hex())).unwrap();
    client
        .put_manifest(
            &sig,
            Bytes::from(serde_json::to_vec(&index).unwrap()),
            media_type::OCI_INDEX,
        )
        .await
        .unwrap();
    let (_d, options) = registries_d("default-docker:\n  use-sigstore-attachments: true\n");
    let e = client.signatures(&r, &options).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{}", e.detail());
    assert!(
        e.message().contains("not an image manifest"),
        "{}",
        e.message()
    );
    let e = client
        .put_signatures(&r, &[sigstore("a")], &options)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{}", e.detail());
    // The index is still what the tag names.
    let still = client.get_manifest(&sig).await.unwrap();
    assert_eq!(still.media_type, media_type::OCI_INDEX);
}

// ---- interop ----

/// A throwaway GPG home with one key without passphrase; its fingerprint.
fn gpg_key(home: &Path) -> String {
    let status = Command::new("gpg")
        .env("GNUPGHOME", home)
        .args([
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "ocireg test <ocireg-test@example.com>",
            "default",
            "default",
            "never",
        ])
        .output()
        .expect("run gpg (is gnupg installed?)");
    assert!(
        status.status.success(),
        "gpg --quick-gen-key: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let out = Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--with-colons", "--list-secret-keys"])
        .output()
        .expect("gpg --list-secret-keys");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|rest| rest.trim_matches(':').to_string())
        .expect("a fingerprint")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn skopeo_lookaside_signatures_both_ways() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let (source, _) = image(&client, &reg, "src", 6).await;
    let gnupg = TempDir::new("gnupg");
    let fingerprint = gpg_key(gnupg.path());
    let staging = TempDir::new("staging");
    let (d, options) = registries_d(&format!(
        "docker:\n  {}:\n    lookaside: file://{}\n",
        reg.host(),
        staging.path().display()
    ));

    // skopeo signs while copying; ocireg reads what it wrote, byte for byte.
    let signed = reference(reg.host(), "signed-by-skopeo:v1");
    run(Command::new("skopeo")
        .env("GNUPGHOME", gnupg.path())
        .args(["--registries.d"])
        .arg(d.path())
        .args([
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .args(["--sign-by", &fingerprint])
        .arg(format!("docker://{source}"))
        .arg(format!("docker://{signed}")));
    let digest = client.digest(&signed).await.unwrap();
    let written = std::fs::read(staging.path().join(format!(
        "signed-by-skopeo@sha256={}/signature-1",
        digest.hex()
    )))
    .expect("skopeo wrote signature-1");
    let got = client.signatures(&signed, &options).await.unwrap();
    assert_eq!(got, vec![Signature::SimpleSigning(written.clone())]);

    // ocireg writes a signature skopeo made standalone; skopeo verifies it
    // against a signedBy policy while copying, and stores the same bytes.
    let target = reference(reg.host(), "signed-by-ocireg:v1");
    let pushed = push_image(
        &client,
        &target,
        media_type::OCI_MANIFEST,
        &[(7, 200)],
        &["v1"],
    )
    .await;
    let work = TempDir::new("skopeo-work");
    let manifest_file = work.path().join("manifest.json");
    std::fs::write(&manifest_file, &pushed.manifest).unwrap();
    let sig_file = work.path().join("sig");
    run(Command::new("skopeo")
        .env("GNUPGHOME", gnupg.path())
        .arg("standalone-sign")
        .arg(&manifest_file)
        .arg(target.to_string())
        .arg(&fingerprint)
        .arg("-o")
        .arg(&sig_file));
    let sig = std::fs::read(&sig_file).unwrap();
    let added = client
        .put_signatures(&target, &[Signature::SimpleSigning(sig.clone())], &options)
        .await
        .unwrap();
    assert_eq!(added, 1);
    let key_file = work.path().join("key.gpg");
    run(Command::new("gpg")
        .env("GNUPGHOME", gnupg.path())
        .args(["--batch", "--export", "--output"])
        .arg(&key_file)
        .arg(&fingerprint));
    let policy = work.path().join("policy.json");
    std::fs::write(
        &policy,
        serde_json::to_vec(&json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {format!("{}/signed-by-ocireg", reg.host()): [
                {"type": "signedBy", "keyType": "GPGKeys", "keyPath": key_file}
            ]}}
        }))
        .unwrap(),
    )
    .unwrap();
    let out_dir = work.path().join("out");
    run(Command::new("skopeo")
        .env("GNUPGHOME", gnupg.path())
        .arg("--registries.d")
        .arg(d.path())
        .arg("--policy")
        .arg(&policy)
        .args(["copy", "--src-tls-verify=false"])
        .arg(format!("docker://{target}"))
        .arg(format!("dir:{}", out_dir.display())));
    assert_eq!(std::fs::read(out_dir.join("signature-1")).unwrap(), sig);

    // And an unsigned image is refused by the same policy (the check is real).
    let unsigned = reference(reg.host(), "signed-by-ocireg:unsigned");
    push_image(
        &client,
        &unsigned,
        media_type::OCI_MANIFEST,
        &[(8, 200)],
        &["unsigned"],
    )
    .await;
    let out = Command::new("skopeo")
        .arg("--registries.d")
        .arg(d.path())
        .arg("--policy")
        .arg(&policy)
        .args(["copy", "--src-tls-verify=false"])
        .arg(format!("docker://{unsigned}"))
        .arg(format!("dir:{}", work.path().join("out2").display()))
        .output()
        .unwrap();
    assert!(!out.status.success(), "skopeo accepted an unsigned image");
}

/// A cosign key pair without password in `dir`: (key, pub).
fn cosign_keys(dir: &Path) -> (PathBuf, PathBuf) {
    run(Command::new(tool("cosign"))
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "")
        .arg("generate-key-pair"));
    (dir.join("cosign.key"), dir.join("cosign.pub"))
}

#[tokio::test]
async fn cosign_and_skopeo_sigstore_attachments_both_ways() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let keys = TempDir::new("cosign-keys");
    let (key, public) = cosign_keys(keys.path());
    let (_d, options) = registries_d("default-docker:\n  use-sigstore-attachments: true\n");

    // cosign signs; ocireg reads the .sig layer.
    let (r, digest) = image(&client, &reg, "cosigned", 9).await;
    let by_digest = r.with_digest(digest.clone());
    run(Command::new(tool("cosign"))
        .env("COSIGN_PASSWORD", "")
        .args(["sign", "--key"])
        .arg(&key)
        .args(["--tlog-upload=false", "--allow-http-registry", "--yes"])
        .arg(by_digest.to_string()));
    let got = client.signatures(&r, &options).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    let Signature::Sigstore {
        mime_type,
        payload,
        annotations,
    } = &got[0]
    else {
        panic!("not sigstore: {got:?}")
    };
    assert_eq!(mime_type, SIGSTORE_PAYLOAD_MEDIA_TYPE);
    let claims: serde_json::Value = serde_json::from_slice(payload).unwrap();
    assert_eq!(
        claims["critical"]["image"]["docker-manifest-digest"],
        digest.as_str()
    );
    assert!(annotations.contains_key(SIGSTORE_SIGNATURE_ANNOTATION));

    // ocireg puts cosign's signature on a copy of the image elsewhere;
    // cosign verifies it there.
    let (copy, copy_digest) = image(&client, &reg, "copied", 9).await;
    assert_eq!(copy_digest, digest);
    let added = client.put_signatures(&copy, &got, &options).await.unwrap();
    assert_eq!(added, 1);
    run(Command::new(tool("cosign"))
        .args(["verify", "--key"])
        .arg(&public)
        .args(["--insecure-ignore-tlog", "--allow-http-registry"])
        .arg(copy.with_digest(copy_digest.clone()).to_string()));
    assert_eq!(client.signatures(&copy, &options).await.unwrap(), got);

    // skopeo reads the .sig attachment ocireg wrote (Debian's skopeo
    // 1.9.3 cannot sign with sigstore: "Debian-local change: sigstore
    // disabled"; it still copies sigstore signatures) and stores it in a
    // dir: as containers/image's blob format, which ocireg parses back.
    let (d, _) = registries_d("default-docker:\n  use-sigstore-attachments: true\n");
    let out = keys.path().join("out");
    run(Command::new("skopeo")
        .arg("--registries.d")
        .arg(d.path())
        .args(["--insecure-policy", "copy", "--src-tls-verify=false"])
        .arg(format!("docker://{copy}"))
        .arg(format!("dir:{}", out.display())));
    let blob = std::fs::read(out.join("signature-1")).expect("skopeo stored the signature");
    assert!(blob.starts_with(b"\0sigstore-json\n"));
    assert_eq!(Signature::from_lookaside_blob(&blob).unwrap(), got[0]);
    assert!(!out.join("signature-2").exists());
}

// ---- carried by copy ----

/// skopeo signs an image into registry A's lookaside; `copy` with
/// `signatures` carries it to registry B's lookaside-staging byte for
/// byte; skopeo with a signedBy policy accepts the image from B. A copy
/// whose destination cannot store the signatures fails before B holds
/// anything, and a layout at either end refuses the option.
#[tokio::test]
async fn copy_carries_skopeo_lookaside_signatures() {
    let a = Registry::start(Mode::Plain);
    let b = Registry::start(Mode::Plain);
    let client = Client::new(ocireg::ClientOptions {
        insecure_registries: vec![a.host().to_string(), b.host().to_string()],
        ..Default::default()
    })
    .expect("client");
    let (source, _) = image(&client, &a, "unsigned", 10).await;
    let gnupg = TempDir::new("gnupg");
    let fingerprint = gpg_key(gnupg.path());
    let (a_lookaside, b_staging) = (TempDir::new("a-lookaside"), TempDir::new("b-staging"));
    let (d, options) = registries_d(&format!(
        "docker:\n  {}:\n    lookaside: file://{}\n  {}:\n    lookaside-staging: file://{}\n",
        a.host(),
        a_lookaside.path().display(),
        b.host(),
        b_staging.path().display()
    ));
    let signed = reference(a.host(), "app:v1");
    run(Command::new("skopeo")
        .env("GNUPGHOME", gnupg.path())
        .arg("--registries.d")
        .arg(d.path())
        .args(["--insecure-policy", "copy", "--src-tls-verify=false"])
        .args(["--dest-tls-verify=false", "--sign-by", &fingerprint])
        .arg(format!("docker://{source}"))
        .arg(format!("docker://{signed}")));
    let digest = client.digest(&signed).await.unwrap();
    let file = format!("app@sha256={}/signature-1", digest.hex());
    let by_skopeo = std::fs::read(a_lookaside.path().join(&file)).expect("skopeo signed");

    // Nothing to carry to: B has no staging in this registries.d.
    let (_d2, no_staging) = registries_d(&format!(
        "docker:\n  {}:\n    lookaside: file://{}\n",
        a.host(),
        a_lookaside.path().display()
    ));
    let mirror = reference(b.host(), "app:v1");
    let err = client
        .copy(
            &signed,
            &mirror,
            &ImageOptions {
                signatures: Some(no_staging),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("lookaside"), "{err}");
    let missing = client.digest(&mirror).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "B holds nothing");

    let copied = client
        .copy(
            &signed,
            &mirror,
            &ImageOptions {
                signatures: Some(options.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("copy with signatures");
    assert_eq!(copied, digest);
    assert_eq!(
        std::fs::read(b_staging.path().join(&file)).expect("carried to B's staging"),
        by_skopeo,
        "the signature is byte-equal"
    );
    assert!(
        !b_staging
            .path()
            .join(format!("app@sha256={}/signature-2", digest.hex()))
            .exists()
    );
    // Copying again adds nothing.
    client
        .copy(
            &signed,
            &mirror,
            &ImageOptions {
                signatures: Some(options.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        !b_staging
            .path()
            .join(format!("app@sha256={}/signature-2", digest.hex()))
            .exists()
    );

    // skopeo, reading B's signatures where they were published, accepts
    // the mirror under a signedBy policy (the identity remapped from A).
    let work = TempDir::new("skopeo-verify");
    let (b_read, _) = registries_d(&format!(
        "docker:\n  {}:\n    lookaside: file://{}\n",
        b.host(),
        b_staging.path().display()
    ));
    let key_file = work.path().join("key.gpg");
    run(Command::new("gpg")
        .env("GNUPGHOME", gnupg.path())
        .args(["--batch", "--export", "--output"])
        .arg(&key_file)
        .arg(&fingerprint));
    let policy = work.path().join("policy.json");
    std::fs::write(
        &policy,
        serde_json::to_vec(&json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {format!("{}/app", b.host()): [{
                "type": "signedBy", "keyType": "GPGKeys", "keyPath": key_file,
                "signedIdentity": {"type": "remapIdentity",
                    "prefix": format!("{}/app", b.host()),
                    "signedPrefix": format!("{}/app", a.host())}
            }]}}
        }))
        .unwrap(),
    )
    .unwrap();
    let out = work.path().join("out");
    run(Command::new("skopeo")
        .env("GNUPGHOME", gnupg.path())
        .arg("--registries.d")
        .arg(b_read.path())
        .arg("--policy")
        .arg(&policy)
        .args(["copy", "--src-tls-verify=false"])
        .arg(format!("docker://{mirror}"))
        .arg(format!("dir:{}", out.display())));
    assert_eq!(std::fs::read(out.join("signature-1")).unwrap(), by_skopeo);

    // A layout holds no lookaside signatures: refused, nothing written.
    let dir = TempDir::new("no-layout-signatures");
    let layout = dir.path().join("oci");
    let with = ImageOptions {
        signatures: Some(options.clone()),
        ..Default::default()
    };
    let err = client
        .copy_image(
            &ImageName::Registry(signed.clone()),
            &ImageName::Layout {
                dir: layout.clone(),
                name: None,
            },
            &with,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let err = client.pull(&signed, &layout, &with).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!layout.exists(), "nothing written");
}

/// Eight sigstore signatures put at once through one client, then eight
/// more through two clients at once: none is lost.
#[tokio::test]
async fn concurrent_sigstore_appends_keep_every_signature() {
    let reg = Registry::start(Mode::Plain);
    let client = plain_client(reg.host());
    let other = plain_client(reg.host());
    let (r, _) = image(&client, &reg, "busy", 11).await;
    let (_d, options) = registries_d("default-docker:\n  use-sigstore-attachments: true\n");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (client, r, options) = (client.clone(), r.clone(), options.clone());
        tasks.push(tokio::spawn(async move {
            client
                .put_signatures(&r, &[sigstore(&format!("one-{i}"))], &options)
                .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().expect("put through one client"), 1);
    }
    let mut tasks = Vec::new();
    for i in 0..8 {
        let c = if i % 2 == 0 { &client } else { &other };
        let (c, r, options) = (c.clone(), r.clone(), options.clone());
        tasks.push(tokio::spawn(async move {
            c.put_signatures(&r, &[sigstore(&format!("two-{i}"))], &options)
                .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().expect("put through two clients"), 1);
    }
    let got = client.signatures(&r, &options).await.unwrap();
    for seed in (0..8).flat_map(|i| [format!("one-{i}"), format!("two-{i}")]) {
        assert!(got.contains(&sigstore(&seed)), "{seed} is missing: {got:?}");
    }
    assert_eq!(got.len(), 16);
}
