//! The client against real registries that authenticate: HTTPS with basic
//! auth, and HTTPS with bearer tokens from the test support's token server.

mod fixtures;
mod support;

use std::path::PathBuf;

use base64::Engine as _;
use bytes::Bytes;
use fixtures::{bytes, push_image, reference};
use ocireg::{Client, ClientOptions, Credential, Digest, ErrorKind, media_type};
use support::{Mode, Registry};

fn options(reg: &Registry) -> ClientOptions {
    ClientOptions {
        ca_files: reg.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        ..Default::default()
    }
}

fn with_credentials(reg: &Registry, user: &str, password: &str) -> Client {
    let mut o = options(reg);
    o.credentials = vec![(
        reg.host().to_string(),
        Credential::Basic {
            username: user.into(),
            password: password.into(),
        },
    )];
    Client::new(o).expect("client")
}

fn logged_in(reg: &Registry) -> Client {
    let (user, password) = reg.credentials().expect("credentials");
    with_credentials(reg, user, password)
}

#[tokio::test]
async fn tls_is_verified_against_the_configured_ca() {
    let reg = Registry::start(Mode::BasicTls);
    let client = Client::new(options(&reg)).unwrap();
    client
        .ping(reg.host())
        .await
        .expect("ping with the test CA");

    let untrusting = Client::new(ClientOptions::default()).unwrap();
    let err = untrusting.ping(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");

    let insecure = Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    insecure
        .ping(reg.host())
        .await
        .expect("insecure registries skip verification");

    let err = Client::new(ClientOptions {
        ca_files: vec!["/nonexistent/ca.pem".into()],
        ..Default::default()
    })
    .err()
    .expect("unreadable CA file");
    assert_eq!(err.kind(), ErrorKind::Tls);
}

#[tokio::test]
async fn basic_auth_login_push_pull() {
    let reg = Registry::start(Mode::BasicTls);
    let client = logged_in(&reg);
    client
        .check_credentials(reg.host())
        .await
        .expect("valid login");

    let wrong = with_credentials(&reg, "testuser", "not-the-password");
    let err = wrong.check_credentials(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(
        !format!("{err:?}").contains("not-the-password"),
        "no credential in errors"
    );

    let anonymous = Client::new(options(&reg)).unwrap();
    let err = anonymous.check_credentials(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    let r = reference(reg.host(), "private/app");
    let err = anonymous.tags(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);

    let img = push_image(&client, &r, media_type::OCI_MANIFEST, &[(1, 5000)], &["v1"]).await;
    let got = client
        .get_manifest(&r.with_tag("v1").unwrap())
        .await
        .unwrap();
    assert_eq!(got.digest, img.digest);
    assert_eq!(client.tags(&r).await.unwrap(), vec!["v1"]);
}

#[tokio::test]
async fn credentials_from_an_auth_file() {
    let reg = Registry::start(Mode::BasicTls);
    let (user, password) = reg.credentials().unwrap();
    let dir = std::env::temp_dir().join(format!("ocireg-authfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    std::fs::write(
        &file,
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let mut o = options(&reg);
    o.auth_file = Some(file);
    let client = Client::new(o).unwrap();
    client
        .check_credentials(reg.host())
        .await
        .expect("login from the auth file");
    let r = reference(reg.host(), "fromfile/app");
    let digest = client
        .push_blob(&r, Bytes::from(bytes(2, 1000)))
        .await
        .unwrap();
    assert!(client.blob_exists(&r, &digest).await.unwrap());
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn token_auth_push_pull_and_one_fetch_per_scope() {
    let reg = Registry::start(Mode::Token);
    let tokens = reg.token_server().expect("token server");
    let client = logged_in(&reg);
    client
        .check_credentials(reg.host())
        .await
        .expect("token login");

    let r = reference(reg.host(), "tok/app");
    let img = push_image(
        &client,
        &r,
        media_type::DOCKER_MANIFEST,
        &[(3, 4000), (4, 100)],
        &["v1"],
    )
    .await;
    let got = client
        .get_manifest(&r.with_tag("v1").unwrap())
        .await
        .unwrap();
    assert_eq!(got.bytes, img.manifest);

    // Many concurrent requests for one scope share one token.
    let reader_scope_before = tokens.requests();
    let mut tasks = Vec::new();
    let pull_only = reference(reg.host(), "tok/app");
    let fresh = logged_in(&reg);
    for (digest, _) in img.layers.iter().cycle().take(20) {
        let client = fresh.clone();
        let r = pull_only.clone();
        let digest = digest.clone();
        tasks.push(tokio::spawn(
            async move { client.head_blob(&r, &digest).await },
        ));
    }
    for t in tasks {
        t.await.unwrap().expect("head with token");
    }
    let fetched = tokens.requests() - reader_scope_before;
    assert_eq!(
        fetched, 1,
        "20 concurrent requests of one scope fetch one token"
    );

    let wrong = with_credentials(&reg, "testuser", "wrong");
    let err = wrong.check_credentials(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!err.to_string().contains("wrong\""), "{err}");
}

#[tokio::test]
async fn token_auth_anonymous_and_catalog() {
    let reg = Registry::start(Mode::Token);
    let client = logged_in(&reg);
    let public = reference(reg.host(), "public/app");
    push_image(
        &client,
        &public,
        media_type::OCI_MANIFEST,
        &[(5, 10)],
        &["latest"],
    )
    .await;
    push_image(
        &client,
        &reference(reg.host(), "private/x"),
        media_type::OCI_MANIFEST,
        &[(6, 10)],
        &["latest"],
    )
    .await;

    let mut repos = client
        .catalog(reg.host())
        .await
        .expect("catalog with registry:catalog:*");
    repos.sort();
    assert_eq!(repos, vec!["private/x", "public/app"]);

    let anonymous = Client::new(options(&reg)).unwrap();
    anonymous
        .get_manifest(&public)
        .await
        .expect("anonymous pull of public/");
    let err = anonymous
        .push_blob(&public, Bytes::from_static(b"nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unauthorized | ErrorKind::Denied),
        "{err}"
    );
    let err = anonymous
        .get_manifest(&reference(reg.host(), "private/x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unauthorized | ErrorKind::Denied),
        "{err}"
    );
}

#[tokio::test]
async fn token_auth_with_an_identity_token() {
    let reg = Registry::start(Mode::Token);
    let refresh = reg.token_server().unwrap().issue_refresh_token("testuser");
    let mut o = options(&reg);
    o.credentials = vec![(
        reg.host().to_string(),
        Credential::IdentityToken { token: refresh },
    )];
    let client = Client::new(o).unwrap();
    client
        .check_credentials(reg.host())
        .await
        .expect("login with an identity token");
    let r = reference(reg.host(), "idtoken/app");
    let data = bytes(7, 3000);
    let digest = client
        .push_blob(&r, Bytes::from(data.clone()))
        .await
        .expect("push with identity token");
    assert_eq!(digest, Digest::sha256_of(&data));

    let mut o = options(&reg);
    o.credentials = vec![(
        reg.host().to_string(),
        Credential::IdentityToken {
            token: "bogus".into(),
        },
    )];
    let bad = Client::new(o).unwrap();
    let err = bad.check_credentials(reg.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
}

#[tokio::test]
async fn token_server_down_is_a_clear_error() {
    let reg = Registry::start(Mode::Token);
    let tokens = reg.token_server().unwrap();
    let client = Client::new(ClientOptions {
        max_retries: 1,
        ..options(&reg)
    })
    .unwrap();
    let r = reference(reg.host(), "down/app");
    tokens.set_down(true);
    let err = client.tags(&r).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Server | ErrorKind::Protocol),
        "{err}"
    );
    tokens.set_down(false);
    let err = client.tags(&r).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unauthorized | ErrorKind::NotFound),
        "recovers once the server is back: {err}"
    );
}

#[tokio::test]
async fn a_token_request_answered_503_is_retried() {
    let reg = Registry::start(Mode::Token);
    let tokens = reg.token_server().unwrap();
    let identity = Credential::IdentityToken {
        token: tokens.issue_refresh_token("testuser"),
    };
    let basic = Credential::Basic {
        username: "testuser".into(),
        password: "testpass".into(),
    };
    // The GET with basic credentials, then the OAuth2 POST.
    for credential in [basic, identity] {
        let mut o = options(&reg);
        o.credentials = vec![(reg.host().to_string(), credential)];
        o.max_retries = 1;
        let client = Client::new(o).unwrap();
        tokens.fail_next(1);
        let before = tokens.requests();
        client
            .check_credentials(reg.host())
            .await
            .expect("the token request is retried after its 503");
        assert_eq!(tokens.requests() - before, 2, "one 503, one token");
    }
}

#[tokio::test]
async fn a_missing_permission_is_denied_not_unauthorized() {
    let reg = Registry::start(Mode::Token);
    let owner = logged_in(&reg);
    let r = reference(reg.host(), "perm/app");
    let digest = owner
        .push_blob(&r, Bytes::from(bytes(9, 100)))
        .await
        .unwrap();
    let reader = with_credentials(&reg, "reader", "readerpass");
    reader
        .check_credentials(reg.host())
        .await
        .expect("a valid login");
    assert!(
        reader
            .blob_exists(&r, &digest)
            .await
            .expect("reader may pull")
    );
    let err = reader
        .push_blob(&r, Bytes::from_static(b"no"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Denied, "{err}");
    assert_eq!(err.http_status(), Some(401));
}

#[tokio::test]
async fn mutual_tls_with_a_client_certificate() {
    let reg = Registry::start(Mode::MutualTls);
    let pki = support::certs::pki();
    let without = Client::new(options(&reg)).unwrap();
    let err = without.ping(reg.host()).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Tls | ErrorKind::Network),
        "{err}"
    );

    let mut o = options(&reg);
    o.client_cert = Some((pki.client_cert.clone(), pki.client_key.clone()));
    o.user_agent = "ocireg-mtls-test/1".into();
    o.extra_headers = vec![("X-Ocireg-Test".into(), "yes".into())];
    let client = Client::new(o).unwrap();
    client
        .ping(reg.host())
        .await
        .expect("ping with the client certificate");
    let r = reference(reg.host(), "mtls/app");
    let digest = client
        .push_blob(&r, Bytes::from(bytes(11, 2000)))
        .await
        .unwrap();
    assert!(client.blob_exists(&r, &digest).await.unwrap());
    assert!(
        reg.log_text().contains("ocireg-mtls-test/1"),
        "the user agent is sent"
    );

    let mut bad = options(&reg);
    bad.client_cert = Some((pki.client_cert.clone(), "/nonexistent/key.pem".into()));
    let err = Client::new(bad).err().expect("unreadable key");
    assert_eq!(err.kind(), ErrorKind::Tls);
}
