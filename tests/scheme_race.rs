//! The first read from an insecure registry goes over https and plain HTTP
//! at once (issue 16: trying TLS first cost a plain-HTTP registry one round
//! trip, half of a `tags` call over a 75 ms link); https wins whenever it
//! works.

mod fixtures;
mod support;

use std::io::{BufReader, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use fixtures::{push_image, reference};
use ocireg::{Client, ClientOptions, Credential, media_type};
use support::http1::{read_head, write_response};
use support::server::Server;
use support::tempdir::TempDir;
use support::{Mode, Registry};

/// What the plain-HTTP registry below saw.
#[derive(Default)]
struct Seen {
    /// The plain-HTTP requests, as `METHOD path`.
    plain: Vec<String>,
    /// TLS handshakes that were answered only after a plain-HTTP request
    /// had arrived on another connection.
    tls_released_by_plain: usize,
    /// TLS handshakes answered without one (the wait ran out).
    tls_timed_out: usize,
}

/// The longest a TLS handshake is held: a client that waits for TLS to fail
/// before it tries plain HTTP gets its answer after this, and the test
/// fails on the count, not on the time.
const HOLD: Duration = Duration::from_secs(10);

/// A registry speaking plain HTTP that lists `tags`. A TLS `ClientHello`
/// is answered (with the `400` a Go server sends) only once a plain-HTTP
/// request has arrived on another connection, so a client gets through
/// quickly only if it sent both at once.
fn plain_registry(tags: &'static [&'static str]) -> (Server, Arc<(Mutex<Seen>, Condvar)>) {
    let seen: Arc<(Mutex<Seen>, Condvar)> = Arc::default();
    let state = seen.clone();
    let server = Server::start(
        "scheme-race-registry",
        Arc::new(move |stream: TcpStream| {
            let mut first = [0u8; 1];
            if !matches!(stream.peek(&mut first), Ok(1)) {
                return;
            }
            let (lock, arrived) = &*state;
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            if first[0] == 0x16 {
                let guard = lock.lock().unwrap();
                let (mut guard, wait) = arrived
                    .wait_timeout_while(guard, HOLD, |s| s.plain.is_empty())
                    .unwrap();
                if wait.timed_out() {
                    guard.tls_timed_out += 1;
                } else {
                    guard.tls_released_by_plain += 1;
                }
                drop(guard);
                let _ = write.write_all(
                    b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return;
            }
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                lock.lock().unwrap().plain.push(format!("{method} {path}"));
                arrived.notify_all();
                let body = serde_json::json!({"name": "r", "tags": tags}).to_string();
                let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
                if write_response(&mut write, &method, 200, &headers, body.as_bytes(), false)
                    .is_err()
                {
                    return;
                }
            }
        }),
    );
    (server, seen)
}

#[tokio::test]
async fn a_plain_http_registry_costs_no_probe_round_trip() {
    let (server, seen) = plain_registry(&["a", "b"]);
    let host = server.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        max_retries: 0,
        ..Default::default()
    })
    .unwrap();
    let tags = client.tags(&reference(&host, "r")).await.unwrap();
    assert_eq!(tags, ["a", "b"]);
    let seen = seen.0.lock().unwrap();
    assert_eq!(
        seen.plain,
        ["GET /v2/r/tags/list"],
        "one request over plain HTTP, no separate ping"
    );
    assert_eq!(
        (seen.tls_released_by_plain, seen.tls_timed_out),
        (1, 0),
        "the TLS attempt was still waiting when the plain-HTTP request arrived"
    );
}

/// An insecure registry that speaks TLS is used over TLS: its answer to
/// the plain-HTTP copy (a 400) loses, the credentials go over https only,
/// and the token cache file remembers https.
#[tokio::test]
async fn https_wins_where_the_insecure_registry_speaks_tls() {
    let reg = Registry::start(Mode::BasicTls);
    let (user, password) = reg.credentials().unwrap();
    let dir = TempDir::new("scheme-race");
    let cache = dir.path().join("tokens.json");
    let client = || {
        Client::new(ClientOptions {
            insecure_registries: vec![reg.host().to_string()],
            token_cache: Some(cache.clone()),
            credentials: vec![(
                reg.host().to_string(),
                Credential::Basic {
                    username: user.into(),
                    password: password.into(),
                },
            )],
            ..Default::default()
        })
        .unwrap()
    };
    let r = reference(reg.host(), "race/tls:v1");
    push_image(&client(), &r, media_type::OCI_MANIFEST, &[(7, 10)], &["v1"]).await;
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(file["registries"][reg.host()]["scheme"], "https");
    std::fs::remove_file(&cache).unwrap();
    assert_eq!(client().tags(&r).await.unwrap(), ["v1"]);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(file["registries"][reg.host()]["scheme"], "https");
    assert_eq!(file["registries"][reg.host()]["auth"], "basic");
}
