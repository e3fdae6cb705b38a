//! certs.d directories (containers-certs.d(5)): a TLS registry whose CA is
//! only in such a directory, and a mutual-TLS registry whose client pair is
//! only there, read per host or as skopeo's `--cert-dir`, with skopeo given
//! the same directory agreeing on what it reads.

mod fixtures;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use fixtures::{push_image, reference};
use ocireg::{Client, ClientOptions, Credential, ErrorKind, media_type};
use sha2::{Digest as _, Sha256};
use support::tempdir::TempDir;
use support::{Mode, Registry};

/// A certs.d directory at `dir` holding the test CA as `ca.crt` and, with
/// `client`, the test client pair as `client.cert` + `client.key`.
fn fill_cert_dir(dir: &Path, client: bool) -> PathBuf {
    let pki = support::certs::pki();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(&pki.ca_pem, dir.join("ca.crt")).unwrap();
    if client {
        std::fs::copy(&pki.client_cert, dir.join("client.cert")).unwrap();
        std::fs::copy(&pki.client_key, dir.join("client.key")).unwrap();
    }
    dir.to_path_buf()
}

/// Options with the registry's test credentials (if any) and no CA: the
/// test CA is trusted only through a certs.d directory.
fn options(reg: &Registry) -> ClientOptions {
    ClientOptions {
        credentials: reg
            .credentials()
            .map(|(u, p)| {
                (
                    reg.host().to_string(),
                    Credential::Basic {
                        username: u.into(),
                        password: p.into(),
                    },
                )
            })
            .into_iter()
            .collect(),
        max_retries: 0,
        ..Default::default()
    }
}

/// `skopeo inspect --raw` of `location` with `--cert-dir dir`: the
/// manifest bytes, or the failure's stderr.
fn skopeo_raw(reg: &Registry, location: &str, dir: &Path) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--raw", "--cert-dir"]).arg(dir);
    if let Some((u, p)) = reg.credentials() {
        cmd.arg(format!("--creds={u}:{p}"));
    }
    let out = cmd
        .arg(format!("docker://{location}"))
        .output()
        .expect("run skopeo");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

#[tokio::test]
async fn a_ca_only_in_certs_d_is_trusted_for_its_host_only() {
    let reg = Registry::start(Mode::BasicTls);
    let tmp = TempDir::new("certs-d-ca");

    let without = Client::new(options(&reg)).unwrap();
    let err = without.ping(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");

    // Per host: ROOT/127.0.0.1:PORT; the first root lacks it, the second has it.
    let empty_root = tmp.path().join("empty");
    std::fs::create_dir_all(&empty_root).unwrap();
    let root = tmp.path().join("certs.d");
    fill_cert_dir(&root.join(reg.host()), false);
    let mut o = options(&reg);
    o.certs_d_roots = vec![empty_root.clone(), root.clone()];
    let client = Client::new(o).unwrap();
    let r = reference(reg.host(), "certsd/app:v1");
    let image = push_image(&client, &r, media_type::OCI_MANIFEST, &[(1, 300)], &["v1"]).await;
    assert_eq!(client.digest(&r).await.unwrap(), image.digest);

    // Another host's directory does not help this one.
    let other_root = tmp.path().join("other");
    fill_cert_dir(&other_root.join("127.0.0.1:1"), false);
    let mut o = options(&reg);
    o.certs_d_roots = vec![other_root];
    let err = Client::new(o).unwrap().ping(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");

    // The same directory as skopeo's --cert-dir: both succeed, and agree.
    let cert_dir = root.join(reg.host());
    let mut o = options(&reg);
    o.cert_dir = Some(cert_dir.clone());
    let with_dir = Client::new(o).unwrap();
    assert_eq!(with_dir.digest(&r).await.unwrap(), image.digest);
    let raw = skopeo_raw(&reg, &r.to_string(), &cert_dir).expect("skopeo with --cert-dir");
    assert_eq!(sha256_digest(&raw), image.digest.to_string());
    assert_eq!(raw, image.manifest.to_vec());
    // And both fail without it.
    let err = skopeo_raw(&reg, &r.to_string(), &empty_root).unwrap_err();
    assert!(err.contains("certificate"), "{err}");
}

#[tokio::test]
async fn a_mutual_tls_client_pair_only_in_certs_d() {
    let reg = Registry::start(Mode::MutualTls);
    let tmp = TempDir::new("certs-d-mtls");
    let ca_only = fill_cert_dir(&tmp.path().join("ca-only"), false);
    let mut o = options(&reg);
    o.cert_dir = Some(ca_only.clone());
    let err = Client::new(o).unwrap().ping(reg.host()).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Tls | ErrorKind::Network),
        "{err}"
    );

    let root = tmp.path().join("certs.d");
    let pair_dir = fill_cert_dir(&root.join(reg.host()), true);
    let mut o = options(&reg);
    o.certs_d_roots = vec![root];
    let client = Client::new(o).unwrap();
    let r = reference(reg.host(), "mtls/app:v1");
    let image = push_image(&client, &r, media_type::OCI_MANIFEST, &[(2, 200)], &["v1"]).await;

    let raw = skopeo_raw(&reg, &r.to_string(), &pair_dir).expect("skopeo with the pair");
    assert_eq!(sha256_digest(&raw), image.digest.to_string());
    assert!(skopeo_raw(&reg, &r.to_string(), &ca_only).is_err());

    let mut o = options(&reg);
    o.cert_dir = Some(pair_dir);
    let client = Client::new(o).unwrap();
    assert_eq!(client.digest(&r).await.unwrap(), image.digest);
}

#[tokio::test]
async fn bad_certs_d_files_are_errors_naming_the_file() {
    let reg = Registry::start(Mode::BasicTls);
    let tmp = TempDir::new("certs-d-bad");

    // Malformed CA in an explicit directory: the client is refused.
    let dir = tmp.path().join("bad-ca");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.crt"), b"not a certificate").unwrap();
    let o = ClientOptions {
        cert_dir: Some(dir.clone()),
        ..Default::default()
    };
    let err = Client::new(o).err().expect("refused");
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.message().contains("ca.crt"), "{err}");

    // A client certificate without its key, per host: the first request fails.
    let root = tmp.path().join("root");
    let host_dir = fill_cert_dir(&root.join(reg.host()), false);
    std::fs::copy(
        &support::certs::pki().client_cert,
        host_dir.join("client.cert"),
    )
    .unwrap();
    let mut o = options(&reg);
    o.certs_d_roots = vec![root];
    let err = Client::new(o).unwrap().ping(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.message().contains("client.cert"), "{err}");
    assert!(err.message().contains("client.key"), "{err}");

    // An unreadable key (a directory in its place).
    let dir = fill_cert_dir(&tmp.path().join("dir-key"), false);
    std::fs::copy(&support::certs::pki().client_cert, dir.join("c.cert")).unwrap();
    std::fs::create_dir_all(dir.join("c.key")).unwrap();
    let o = ClientOptions {
        cert_dir: Some(dir),
        ..Default::default()
    };
    let err = Client::new(o).err().expect("refused");
    assert!(err.message().contains("c.key"), "{err}");

    // A missing explicit directory.
    let o = ClientOptions {
        cert_dir: Some(tmp.path().join("nope")),
        ..Default::default()
    };
    let err = Client::new(o).err().expect("refused");
    assert!(err.message().contains("nope"), "{err}");
}

#[test]
fn the_blocking_client_reads_certs_d_and_forces_oauth2() {
    let reg = Registry::start(Mode::BasicTls);
    let tmp = TempDir::new("certs-d-blocking");
    let mut o = options(&reg);
    o.cert_dir = Some(fill_cert_dir(&tmp.path().join("certs"), false));
    let client = ocireg::blocking::Client::new(o).unwrap();
    client
        .ping(reg.host())
        .expect("ping with the CA from cert_dir");

    let token = Registry::start(Mode::Token);
    let mut o = ClientOptions {
        ca_files: token.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        force_oauth2: true,
        offline_token: true,
        ..options(&token)
    };
    o.credentials = vec![(
        token.host().to_string(),
        Credential::Basic {
            username: "testuser".into(),
            password: "testpass".into(),
        },
    )];
    let client = ocireg::blocking::Client::new(o).unwrap();
    let r = reference(token.host(), "blocking/oauth2");
    let digest = client
        .push_blob(&r, bytes::Bytes::from_static(b"blocking oauth2"))
        .unwrap();
    let methods: Vec<String> = token
        .token_server()
        .unwrap()
        .recorded()
        .iter()
        .map(|r| r.method.clone())
        .collect();
    assert!(!methods.is_empty());
    assert!(methods.iter().all(|m| m == "POST"), "{methods:?}");
    assert_eq!(digest.to_string(), sha256_digest(b"blocking oauth2"));
}
