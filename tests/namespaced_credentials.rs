//! Namespace-scoped keys in auth.json (`host/ns`, `host/ns/repo`; the
//! longest prefix wins, as containers-auth.json(5) says) against a real
//! registry with token auth: `testuser` may push, `reader` only pull, so
//! which credential a request used shows in whether its push is allowed.

mod fixtures;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use bytes::Bytes;
use fixtures::reference;
use ocireg::{Client, ClientOptions, ErrorKind};
use support::registry::{PASSWORD, USER};
use support::tempdir::TempDir;
use support::{Mode, Registry};

fn client(reg: &Registry, auth_file: &Path) -> Client {
    Client::new(ClientOptions {
        ca_files: reg.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        auth_file: Some(auth_file.to_path_buf()),
        max_retries: 0,
        ..Default::default()
    })
    .unwrap()
}

fn auth(user: &str, password: &str) -> serde_json::Value {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    serde_json::json!({ "auth": encoded })
}

/// Whether a blob push to `repo` is allowed (the pushing credential was
/// used), refused as `Denied`/`Unauthorized` (the read-only one), or else
/// fails the test.
async fn may_push(client: &Client, reg: &Registry, repo: &str) -> bool {
    let r = reference(reg.host(), repo);
    match client.push_blob(&r, Bytes::from_static(b"ns")).await {
        Ok(_) => true,
        Err(e) if matches!(e.kind(), ErrorKind::Denied | ErrorKind::Unauthorized) => false,
        Err(e) => panic!("push to {repo}: {e}"),
    }
}

#[tokio::test]
async fn the_longest_namespace_key_wins_then_the_host_key() {
    let reg = Registry::start(Mode::Token);
    let dir = TempDir::new("ns-creds");
    let file = dir.path().join("auth.json");
    let host = reg.host();
    let auths = serde_json::json!({ "auths": {
        host: auth("reader", "readerpass"),
        format!("{host}/team"): auth(USER, PASSWORD),
        format!("{host}/team/locked"): auth("reader", "readerpass"),
        format!("{host}/other"): auth("nobody", "WRONG-SECRET"),
    }});
    std::fs::write(&file, auths.to_string()).unwrap();
    let client = client(&reg, &file);

    assert!(may_push(&client, &reg, "team/app").await, "team/ key");
    assert!(
        may_push(&client, &reg, "team/deep/er/app").await,
        "team/ key"
    );
    assert!(
        !may_push(&client, &reg, "team/locked").await,
        "team/locked key"
    );
    assert!(
        !may_push(&client, &reg, "team/locked/app").await,
        "team/locked key"
    );
    assert!(!may_push(&client, &reg, "teamwork/app").await, "host key");
    assert!(!may_push(&client, &reg, "app").await, "host key");
    // A wrong namespaced credential is used (not the host's), and never shown.
    let r = reference(host, "other/app");
    let err = client
        .push_blob(&r, Bytes::from_static(b"x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!err.to_string().contains("WRONG-SECRET"), "{err}");
}

#[tokio::test]
async fn skopeo_login_to_a_namespace_is_read_by_ocireg() {
    let reg = Registry::start(Mode::Token);
    let dir = TempDir::new("ns-skopeo");
    let file = dir.path().join("auth.json");
    let file_arg = file.to_str().unwrap();
    let login = |user: &str, password: &str, target: &str| {
        let out = Command::new("/usr/bin/skopeo")
            .args(["login", "--tls-verify=false", "--authfile", file_arg])
            .args(["-u", user, "-p", password, target])
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .env_remove("REGISTRY_AUTH_FILE")
            .output()
            .expect("skopeo is installed at /usr/bin/skopeo");
        assert!(
            out.status.success(),
            "skopeo login {target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    login("reader", "readerpass", reg.host());
    login(USER, PASSWORD, &format!("{}/team", reg.host()));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let keys: Vec<&String> = written["auths"].as_object().unwrap().keys().collect();
    assert!(
        keys.iter().any(|k| **k == format!("{}/team", reg.host())),
        "skopeo wrote a namespaced key: {keys:?}"
    );

    let client = client(&reg, &file);
    assert!(may_push(&client, &reg, "team/app").await);
    assert!(!may_push(&client, &reg, "elsewhere/app").await);
}
