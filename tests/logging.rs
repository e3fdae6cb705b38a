//! The log sink against real registries: one debug line per HTTP request
//! (method, URL, status, time, retry), nothing below the sink's level, and
//! no credential in any line at any level. One test: the sink is
//! process-wide.

mod fixtures;
mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use fixtures::{push_image, reference};
use ocireg::log::{LogLevel, set_log_sink};
use ocireg::{Client, ClientOptions, Credential, ErrorKind, media_type};
use support::{Mode, Registry};

fn logged_in(reg: &Registry) -> Client {
    let (user, password) = reg.credentials().expect("credentials");
    Client::new(ClientOptions {
        ca_files: reg.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        credentials: vec![(
            reg.host().to_string(),
            Credential::Basic {
                username: user.into(),
                password: password.into(),
            },
        )],
        ..Default::default()
    })
    .expect("client")
}

type Lines = Arc<Mutex<Vec<(LogLevel, String)>>>;

fn capture(level: LogLevel) -> Lines {
    let lines: Lines = Arc::default();
    let sink = Arc::clone(&lines);
    set_log_sink(
        level,
        Some(Arc::new(move |level, message: &str| {
            sink.lock().unwrap().push((level, message.to_string()));
        })),
    );
    lines
}

#[tokio::test]
async fn debug_lines_name_each_request_and_never_a_credential() {
    let basic = Registry::start(Mode::BasicTls);
    let token = Registry::start(Mode::Token);
    let (user, password) = basic.credentials().expect("credentials");

    // Nothing reaches a sink set for errors only.
    let quiet = capture(LogLevel::Error);
    let client = logged_in(&basic);
    client.ping(basic.host()).await.expect("ping");
    assert!(
        quiet.lock().unwrap().is_empty(),
        "{:?}",
        quiet.lock().unwrap()
    );

    let lines = capture(LogLevel::Debug);
    for reg in [&basic, &token] {
        let client = logged_in(reg);
        let r = reference(reg.host(), "log/app");
        push_image(&client, &r, media_type::OCI_MANIFEST, &[(1, 1000)], &["v1"]).await;
        client
            .get_manifest(&r.with_tag("v1").unwrap())
            .await
            .expect("get");
        let err = client
            .get_manifest(&r.with_tag("nope").unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        client.tags(&r).await.expect("tags");
    }
    set_log_sink(LogLevel::Debug, None);
    let lines = lines.lock().unwrap().clone();

    let has = |needle: &str| lines.iter().any(|(_, l)| l.contains(needle));
    for reg in [&basic, &token] {
        let host = reg.host();
        // The challenge: the first contact's 401 (here the first upload's).
        assert!(
            lines
                .iter()
                .any(|(_, l)| l.contains(&format!(" https://{host}/v2/"))
                    && l.contains(" -> 401 in ")),
            "no challenge line for {host}: {lines:#?}"
        );
        assert!(has(&format!(
            "GET https://{host}/v2/log/app/manifests/v1 -> 200 in "
        )));
        assert!(has(&format!(
            "GET https://{host}/v2/log/app/manifests/nope -> 404 in "
        )));
        assert!(has(&format!(
            "PUT https://{host}/v2/log/app/manifests/v1 -> 201 in "
        )));
        assert!(has(&format!(
            "GET https://{host}/v2/log/app/tags/list -> 200 in "
        )));
    }
    // The token server's requests are logged too, with their query.
    let realm = token.token_server().expect("token server").realm();
    assert!(
        lines
            .iter()
            .any(|(_, l)| l.starts_with(&format!("GET {realm}?")) && l.contains("scope=")),
        "no token request line: {lines:#?}"
    );
    for (level, line) in &lines {
        assert_eq!(*level, LogLevel::Debug);
        assert!(line.ends_with(" (retry 0)"), "{line}");
    }

    // No credential anywhere: not the password, not basic auth, not a
    // bearer token (a JWT starts with "eyJ"), no header at all.
    let basic_auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    for (_, line) in &lines {
        for secret in [
            password,
            basic_auth.as_str(),
            "eyJ",
            "Bearer",
            "Basic",
            "uthorization",
        ] {
            assert!(!line.contains(secret), "{secret:?} in log line {line:?}");
        }
    }
}
