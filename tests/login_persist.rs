//! `login` and `logout` that persist, against a real registry with basic
//! auth, and side by side with skopeo on the same `auth.json`: each tool
//! sees what the other wrote and erased.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ocireg::{Client, ClientOptions, ErrorKind, LoginDestination, LoginLocation};
use support::registry::{PASSWORD, USER};
use support::tempdir::TempDir;
use support::{Mode, Registry};

const SKOPEO: &str = "/usr/bin/skopeo";

fn options(reg: &Registry, auth_file: Option<&Path>) -> ClientOptions {
    ClientOptions {
        ca_files: reg.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        auth_file: auth_file.map(Path::to_path_buf),
        ..Default::default()
    }
}

/// Runs skopeo with a private home and runtime directory; returns
/// (success, stdout, stderr).
fn skopeo(home: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(SKOPEO)
        .args(args)
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env_remove("REGISTRY_AUTH_FILE")
        .output()
        .expect("skopeo is installed at /usr/bin/skopeo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn auth_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("auth file")).expect("auth file JSON")
}

#[tokio::test]
async fn login_checks_then_stores_and_skopeo_agrees() {
    let reg = Registry::start(Mode::BasicTls);
    let dir = TempDir::new("login-persist");
    let file = dir.path().join("auth.json");
    let to_file = LoginDestination::AuthFile(file.clone());
    let client = Client::new(options(&reg, None)).unwrap();

    // A refused credential stores nothing and the message holds no secret.
    let err = client
        .login(reg.host(), USER, "WRONG-SECRET", &to_file)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!err.to_string().contains("WRONG-SECRET"), "{err}");
    assert!(!file.exists());

    // An entry skopeo does not know about stays.
    std::fs::write(
        &file,
        r#"{"auths":{"keep.example":{"auth":"a2VlcDptZQ=="}},"x-custom":"kept"}"#,
    )
    .unwrap();
    let at = client
        .login(reg.host(), USER, PASSWORD, &to_file)
        .await
        .unwrap();
    assert_eq!(at, LoginLocation::File(file.clone()));
    let written = auth_json(&file);
    assert_eq!(written["x-custom"], "kept");
    assert_eq!(written["auths"]["keep.example"]["auth"], "a2VlcDptZQ==");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // skopeo reads ocireg's entry ...
    let file_arg = file.to_str().unwrap();
    let (ok, stdout, stderr) = skopeo(
        dir.path(),
        &["login", "--get-login", "--authfile", file_arg, reg.host()],
    );
    assert!(ok, "skopeo login --get-login: {stderr}");
    assert_eq!(stdout.trim(), USER);
    // ... and a fresh ocireg client uses it.
    Client::new(options(&reg, Some(&file)))
        .unwrap()
        .check_credentials(reg.host())
        .await
        .expect("the stored credential works");

    // skopeo logout erases it for ocireg too.
    let (ok, _, stderr) = skopeo(dir.path(), &["logout", "--authfile", file_arg, reg.host()]);
    assert!(ok, "skopeo logout: {stderr}");
    let err = Client::new(options(&reg, Some(&file)))
        .unwrap()
        .check_credentials(reg.host())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");

    // skopeo login writes an entry ocireg reads, and ocireg's logout
    // erases it for skopeo.
    let (ok, _, stderr) = skopeo(
        dir.path(),
        &[
            "login",
            "--tls-verify=false",
            "--authfile",
            file_arg,
            "-u",
            "reader",
            "-p",
            "readerpass",
            reg.host(),
        ],
    );
    assert!(ok, "skopeo login: {stderr}");
    Client::new(options(&reg, Some(&file)))
        .unwrap()
        .check_credentials(reg.host())
        .await
        .expect("skopeo's credential works");
    client.logout(reg.host(), &to_file, false).await.unwrap();
    let (ok, _, stderr) = skopeo(
        dir.path(),
        &["login", "--get-login", "--authfile", file_arg, reg.host()],
    );
    assert!(!ok, "skopeo still sees a login");
    assert!(stderr.contains("not logged in"), "{stderr}");
    assert_eq!(
        auth_json(&file)["auths"]["keep.example"]["auth"],
        "a2VlcDptZQ=="
    );

    let err = client
        .logout(reg.host(), &to_file, false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[test]
fn blocking_login_and_logout() {
    let reg = Registry::start(Mode::BasicTls);
    let dir = TempDir::new("login-blocking");
    let file = dir.path().join("nested/auth.json");
    let to_file = LoginDestination::AuthFile(file.clone());
    let client = ocireg::blocking::Client::new(options(&reg, None)).unwrap();
    client.login(reg.host(), USER, PASSWORD, &to_file).unwrap();
    assert!(auth_json(&file)["auths"][reg.host()]["auth"].is_string());
    client.logout(reg.host(), &to_file, false).unwrap();
    assert_eq!(auth_json(&file)["auths"], serde_json::json!({}));
}
