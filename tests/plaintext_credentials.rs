//! Credentials never travel over plain HTTP to a host the caller did not
//! mark insecure: a registry that names a plain-http token realm gets a
//! `DENIED` error, and the realm hears nothing.

mod fixtures;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use fixtures::reference;
use ocireg::{Client, ClientOptions, Credential, ErrorKind};
use support::scripted::{content_type, scripted};

/// A token realm on plain HTTP that counts the requests reaching it.
fn counting_realm() -> (support::server::Server, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let server = scripted(Arc::new(move |_method: &str, _path: &str| {
        counter.fetch_add(1, Ordering::SeqCst);
        (
            200,
            content_type("application/json"),
            br#"{"token":"t","expires_in":300}"#.to_vec(),
        )
    }));
    (server, hits)
}

/// A plain-HTTP registry whose listings demand a token from `realm`.
fn registry_with_realm(realm: &str) -> support::server::Server {
    let challenge = format!(r#"Bearer realm="http://{realm}/token",service="test""#);
    scripted(Arc::new(move |_method: &str, path: &str| {
        if path.contains("/tags/list") {
            (
                401,
                vec![("WWW-Authenticate".into(), challenge.clone())],
                Vec::new(),
            )
        } else {
            (404, vec![], Vec::new())
        }
    }))
}

fn client(insecure: &[&str], registry: &str) -> Client {
    Client::new(ClientOptions {
        insecure_registries: insecure.iter().map(|h| h.to_string()).collect(),
        credentials: vec![(
            registry.to_string(),
            Credential::Basic {
                username: "user".into(),
                password: "s3cret-password".into(),
            },
        )],
        max_retries: 0,
        ..Default::default()
    })
    .expect("client")
}

#[tokio::test]
async fn credentials_are_refused_to_a_plain_http_realm_not_marked_insecure() {
    let (realm, hits) = counting_realm();
    let registry = registry_with_realm(realm.addr());
    let client = client(&[registry.addr()], registry.addr());
    let err = client
        .tags(&reference(registry.addr(), "secret/repo"))
        .await
        .expect_err("a plain-http realm must not get the credential");
    assert_eq!(err.kind(), ErrorKind::Denied, "{err}");
    assert!(!err.to_string().contains("s3cret-password"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the realm heard nothing");
}

#[tokio::test]
async fn a_plain_http_realm_marked_insecure_is_used() {
    let (realm, hits) = counting_realm();
    let registry = registry_with_realm(realm.addr());
    let client = client(&[registry.addr(), realm.addr()], registry.addr());
    // The scripted registry refuses the token too, so the call fails; what
    // matters is that the realm was asked, once the caller allowed it.
    let _ = client
        .tags(&reference(registry.addr(), "secret/repo"))
        .await;
    assert!(hits.load(Ordering::SeqCst) >= 1, "the realm was asked");
}
