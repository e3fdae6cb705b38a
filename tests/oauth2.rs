//! The `OAuth2` options (containers/image's `TokenOptions`, distribution's
//! `TokenHandlerOptions`) against a real token-auth registry and the test
//! token server: the password grant when forced, refresh tokens asked for
//! (`offline_token`), kept in memory and used instead of the password for
//! later scopes, a settable client id, and the GET fallback when the token
//! server has no `POST` endpoint.

mod fixtures;
mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fixtures::{push_image, reference};
use ocireg::log::{LogLevel, set_log_sink};
use ocireg::{Client, ClientOptions, Credential, media_type};
use support::registry::{PASSWORD, USER};
use support::token_server::TokenRequest;
use support::{Mode, Registry};

fn client(reg: &Registry, change: impl FnOnce(&mut ClientOptions)) -> Client {
    let mut options = ClientOptions {
        ca_files: reg.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        credentials: vec![(
            reg.host().to_string(),
            Credential::Basic {
                username: USER.into(),
                password: PASSWORD.into(),
            },
        )],
        ..Default::default()
    };
    change(&mut options);
    Client::new(options).unwrap()
}

/// Whether `request` carries the password anywhere: its URL, its
/// `Authorization` header (basic credentials) or its body.
fn carries_password(request: &TokenRequest) -> bool {
    request.target.contains(PASSWORD)
        || request.body.contains(PASSWORD)
        || request
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
}

/// Pushes an image to `repo` and pulls its manifest back.
async fn push_and_read(client: &Client, reg: &Registry, repo: &str) {
    let r = reference(reg.host(), repo);
    let image = push_image(client, &r, media_type::OCI_MANIFEST, &[(3, 100)], &["v1"]).await;
    assert_eq!(client.digest(&r).await.unwrap(), image.digest);
}

#[tokio::test]
async fn forced_oauth2_sends_the_password_only_in_the_post_body() {
    let reg = Registry::start(Mode::Token);
    let tokens = reg.token_server().unwrap();
    let client = client(&reg, |o| {
        o.force_oauth2 = true;
        o.oauth2_client_id = "containers/image".into();
    });
    push_and_read(&client, &reg, "oauth/forced:v1").await;
    let requests = tokens.recorded();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.method, "POST", "{request:?}");
        assert_eq!(request.authorization, None, "{request:?}");
        assert!(!request.target.contains(PASSWORD), "{request:?}");
        assert_eq!(request.param("grant_type").as_deref(), Some("password"));
        assert_eq!(request.param("username").as_deref(), Some(USER));
        assert_eq!(request.param("password").as_deref(), Some(PASSWORD));
        assert_eq!(
            request.param("client_id").as_deref(),
            Some("containers/image")
        );
        // Not asked for a refresh token, none is used.
        assert_eq!(request.param("access_type"), None);
    }
    assert!(!reg.log_text().contains(PASSWORD));
}

#[tokio::test]
async fn a_refresh_token_replaces_the_password_for_later_scopes() {
    for force in [false, true] {
        let reg = Registry::start(Mode::Token);
        let tokens = reg.token_server().unwrap();
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&lines);
        set_log_sink(
            LogLevel::Debug,
            Some(Arc::new(move |_, line: &str| {
                sink.lock().unwrap().push(line.to_string())
            })),
        );
        let client = client(&reg, |o| {
            o.offline_token = true;
            o.force_oauth2 = force;
        });
        push_and_read(&client, &reg, "oauth/one:v1").await;
        push_and_read(&client, &reg, "oauth/two:v1").await;
        set_log_sink(LogLevel::Debug, None);

        let requests = tokens.recorded();
        assert!(requests.len() >= 2, "{requests:?}");
        // The first asks with the password, and for a refresh token.
        let first = &requests[0];
        assert!(carries_password(first), "{first:?}");
        if force {
            assert_eq!(first.method, "POST");
            assert_eq!(first.param("access_type").as_deref(), Some("offline"));
        } else {
            assert_eq!(first.method, "GET");
            assert_eq!(first.param("offline_token").as_deref(), Some("true"));
            assert_eq!(first.param("client_id").as_deref(), Some("ocireg"));
        }
        // Every later scope: the refresh-token grant, the password nowhere.
        for later in &requests[1..] {
            assert_eq!(later.method, "POST", "{later:?}");
            assert!(!carries_password(later), "{later:?}");
            assert_eq!(later.param("grant_type").as_deref(), Some("refresh_token"));
            assert!(
                later
                    .param("refresh_token")
                    .is_some_and(|t| t.starts_with("rt-"))
            );
        }
        // The refresh token never reaches a log line.
        let lines = lines.lock().unwrap();
        assert!(!lines.is_empty(), "debug logging was on");
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("rt-") && !l.contains(PASSWORD)),
            "{lines:?}"
        );
    }
}

#[tokio::test]
async fn a_token_server_without_the_post_endpoint_gets_the_get() {
    for status in [404, 405] {
        let reg = Registry::start(Mode::Token);
        let tokens = reg.token_server().unwrap();
        tokens.set_post_status(status);
        let client = client(&reg, |o| o.force_oauth2 = true);
        push_and_read(&client, &reg, "oauth/fallback:v1").await;
        let requests = tokens.recorded();
        assert_eq!(requests[0].method, "POST", "{status}");
        assert_eq!(requests[1].method, "GET", "{status}");
        assert!(
            requests[1]
                .authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Basic ")),
            "{status}: the GET carries basic credentials"
        );
    }
}
