//! Raw requests: a caller's own request to a registry path with the
//! client's auth, against real registries (plain, basic over TLS, token)
//! and scripted servers for the hostile cases (huge headers, an endless
//! body against the caller's bound, a redirect to another origin).

mod fixtures;
mod support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use fixtures::bytes;
use ocireg::{Client, ClientOptions, Credential, Digest, ErrorKind, RawBody, RawRequest};
use support::http1::{read_head, write_response};
use support::server::Server;
use support::{Mode, Registry};

fn client(reg: &Registry, with_credentials: bool) -> Client {
    let mut o = ClientOptions {
        ca_files: reg.ca_pem_path().map(PathBuf::from).into_iter().collect(),
        insecure_registries: if reg.mode() == Mode::Plain {
            vec![reg.host().to_string()]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    if let (true, Some((username, password))) = (with_credentials, reg.credentials()) {
        o.credentials = vec![(
            reg.host().to_string(),
            Credential::Basic {
                username: username.into(),
                password: password.into(),
            },
        )];
    }
    Client::new(o).unwrap()
}

/// A raw request the test knows to be valid.
fn req(method: &str, path: &str) -> RawRequest {
    RawRequest::new(method, path).unwrap()
}

/// The path and query of an upload `Location` (absolute or not).
fn path_of(location: &str) -> String {
    match location.find("://") {
        Some(i) => {
            let rest = &location[i + 3..];
            rest[rest.find('/').unwrap_or(rest.len())..].to_string()
        }
        None => location.to_string(),
    }
}

/// Pushes `data` as a blob of `repo` with raw POST and PUT requests, asking
/// for `scope` when given, and reads it back with a raw GET.
async fn raw_round_trip(client: &Client, host: &str, repo: &str, scope: Option<&str>) {
    let data = bytes(7, 100_000);
    let digest = Digest::sha256_of(&data);
    let with_scope = |method: &str, path: &str| {
        let mut r = req(method, path);
        if let Some(s) = scope {
            r.scope(s).unwrap();
        }
        r
    };
    let send =
        async |r: &RawRequest, body: RawBody| client.raw_request(host, r, body).await.unwrap();
    let start = with_scope("POST", &format!("/v2/{repo}/blobs/uploads/"));
    let started = send(&start, RawBody::empty()).await;
    assert_eq!(started.status(), 202);
    let location = path_of(started.header("location").expect("Location"));
    let sep = if location.contains('?') { '&' } else { '?' };
    let mut put = with_scope("PUT", &format!("{location}{sep}digest={digest}"));
    put.header("Content-Type", "application/octet-stream")
        .unwrap();
    let put = send(&put, RawBody::bytes(Bytes::from(data.clone()))).await;
    assert_eq!(put.status(), 201, "{:?}", put.headers());

    let got = send(
        &with_scope("GET", &format!("/v2/{repo}/blobs/{digest}")),
        RawBody::empty(),
    )
    .await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes(1 << 20).await.unwrap(), data);
    let head = send(
        &with_scope("head", &format!("/v2/{repo}/blobs/{digest}")),
        RawBody::empty(),
    )
    .await;
    assert_eq!(head.header("content-length"), Some("100000"));

    // An error status is the caller's to read, not an error.
    let missing = send(
        &with_scope("GET", &format!("/v2/{repo}/manifests/nope")),
        RawBody::empty(),
    )
    .await;
    assert_eq!(missing.status(), 404);
    let body = missing.bytes(64 * 1024).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("MANIFEST_UNKNOWN"));
}

#[tokio::test]
async fn raw_requests_on_a_plain_registry() {
    let reg = Registry::start(Mode::Plain);
    let c = client(&reg, false);
    raw_round_trip(&c, reg.host(), "raw/plain", None).await;
    let v2 = c
        .raw_request(reg.host(), &req("GET", "/v2/"), RawBody::empty())
        .await
        .unwrap();
    assert_eq!(v2.status(), 200);
}

#[tokio::test]
async fn raw_requests_with_basic_auth_over_tls() {
    let reg = Registry::start(Mode::BasicTls);
    raw_round_trip(&client(&reg, true), reg.host(), "raw/basic", None).await;
    let anonymous = client(&reg, false)
        .raw_request(reg.host(), &req("GET", "/v2/_catalog"), RawBody::empty())
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401, "no credential, no entry");
}

#[tokio::test]
async fn raw_requests_with_token_auth_use_the_scope_asked_for() {
    let reg = Registry::start(Mode::Token);
    let c = client(&reg, true);
    let scope = "repository:raw/token:pull,push";
    raw_round_trip(&c, reg.host(), "raw/token", Some(scope)).await;
    let tokens = reg.token_server().unwrap();
    assert!(
        tokens.last_scopes().iter().any(|s| s == scope),
        "{:?}",
        tokens.last_scopes()
    );
    // Without a scope, the registry's challenge names the one it needs.
    let tags = c
        .raw_request(
            reg.host(),
            &req("GET", "/v2/raw/token/tags/list"),
            RawBody::empty(),
        )
        .await
        .unwrap();
    assert_eq!(
        tags.status(),
        404,
        "a repository with no tags (NAME_UNKNOWN)"
    );
    let catalog = c
        .raw_request(reg.host(), &req("GET", "/v2/_catalog"), RawBody::empty())
        .await
        .unwrap();
    assert_eq!(catalog.status(), 200);
}

#[test]
fn a_blocking_raw_request_streams_its_body_from_a_reader() {
    let reg = Registry::start(Mode::Plain);
    let c = ocireg::blocking::Client::new(ClientOptions {
        insecure_registries: vec![reg.host().to_string()],
        ..Default::default()
    })
    .unwrap();
    let data = bytes(9, 3_000_000);
    let digest = Digest::sha256_of(&data);
    let started = c
        .raw_request(
            reg.host(),
            &req("POST", "/v2/raw/blocking/blobs/uploads/"),
            RawBody::empty(),
        )
        .unwrap();
    let location = path_of(started.header("location").unwrap());
    let mut patch = req("PATCH", &location);
    patch
        .header("Content-Type", "application/octet-stream")
        .unwrap();
    let patched = c
        .raw_request_from_reader(reg.host(), &patch, &mut &data[..], None)
        .unwrap();
    assert_eq!(patched.status(), 202);
    let location = path_of(patched.header("location").unwrap());
    let sep = if location.contains('?') { '&' } else { '?' };
    let put = RawRequest::new("PUT", &format!("{location}{sep}digest={digest}")).unwrap();
    let done = c.raw_request(reg.host(), &put, RawBody::empty()).unwrap();
    assert_eq!(done.status(), 201);

    let mut got = c
        .raw_request(
            reg.host(),
            &req("GET", &format!("/v2/raw/blocking/blobs/{digest}")),
            RawBody::empty(),
        )
        .unwrap();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut got, &mut body).unwrap();
    assert_eq!(body, data);

    // A failing reader fails the call with its own error.
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("the source broke"))
        }
    }
    let post = RawRequest::new("POST", "/v2/raw/blocking/blobs/uploads/").unwrap();
    let err = c
        .raw_request_from_reader(reg.host(), &post, &mut Failing, Some(10))
        .err()
        .expect("a failing reader");
    assert!(err.to_string().contains("the source broke"), "{err}");
}

/// A server answering every request (after `GET /v2/`) with `respond`,
/// which writes the whole response itself.
fn hostile(respond: fn(&mut TcpStream)) -> Server {
    Server::start(
        "hostile-raw",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                if path == "/v2/" {
                    if write_response(&mut write, &method, 200, &[], b"{}", false).is_err() {
                        return;
                    }
                } else {
                    respond(&mut write);
                    return;
                }
            }
        }),
    )
}

fn plain_client(host: &str) -> Client {
    Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        max_retries: 0,
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn huge_response_headers_are_refused() {
    let server = hostile(|w| {
        let mut head = String::from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
        for i in 0..90 {
            head.push_str(&format!("X-Pad-{i}: {}\r\n", "p".repeat(1000)));
        }
        head.push_str("\r\n");
        let _ = w.write_all(head.as_bytes());
    });
    let host = server.addr().to_string();
    let err = plain_client(&host)
        .raw_request(&host, &req("GET", "/api/x"), RawBody::empty())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
}

#[tokio::test]
async fn an_endless_body_stops_at_the_callers_bound() {
    let server = hostile(|w| {
        if w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .is_err()
        {
            return;
        }
        let chunk = format!("10000\r\n{}\r\n", "e".repeat(0x10000));
        while w.write_all(chunk.as_bytes()).is_ok() {}
    });
    let host = server.addr().to_string();
    let response = plain_client(&host)
        .raw_request(&host, &req("GET", "/api/endless"), RawBody::empty())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let err = response.bytes(1 << 20).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
}

/// One request as a recording server saw it: path and headers.
type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// A server that records every request and answers `answer(path, seen
/// authorization)`.
fn recording(
    answer: impl Fn(&str, bool) -> (u16, Vec<(String, String)>) + Send + Sync + 'static,
) -> (Server, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let answer = Arc::new(answer);
    let server = Server::start(
        "recording",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                log.lock()
                    .unwrap()
                    .push((path.clone(), head.headers.clone()));
                let (status, headers) = answer(&path, head.header("authorization").is_some());
                if write_response(&mut write, &method, status, &headers, b"{}", false).is_err() {
                    return;
                }
            }
        }),
    );
    (server, seen)
}

#[tokio::test]
async fn a_redirect_to_another_origin_carries_no_authorization() {
    let (other, other_seen) = recording(|_, _| (200, Vec::new()));
    let other_host = other.addr().to_string();
    let (registry, registry_seen) = recording(move |path, authorized| {
        if !authorized {
            let challenge = (
                "WWW-Authenticate".to_string(),
                "Basic realm=\"r\"".to_string(),
            );
            return (401, vec![challenge]);
        }
        if path == "/v2/" {
            return (200, Vec::new());
        }
        let location = format!("http://{other_host}/elsewhere");
        (302, vec![("Location".to_string(), location)])
    });
    let host = registry.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        credentials: vec![(
            host.clone(),
            Credential::Basic {
                username: "u".into(),
                password: "secret".into(),
            },
        )],
        ..Default::default()
    })
    .unwrap();
    let mut request = req("GET", "/api/v2.0/projects");
    request.header("X-Caller", "kept").unwrap();
    let response = client
        .raw_request(&host, &request, RawBody::empty())
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the redirect was followed");
    let registry_seen = registry_seen.lock().unwrap();
    assert!(
        registry_seen.iter().any(|(p, h)| p == "/api/v2.0/projects"
            && h.iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))),
        "the registry got the credential: {registry_seen:?}"
    );
    let other_seen = other_seen.lock().unwrap();
    assert_eq!(other_seen.len(), 1, "{other_seen:?}");
    let (path, headers) = &other_seen[0];
    assert_eq!(path, "/elsewhere");
    assert!(
        !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization")),
        "no Authorization to another origin: {headers:?}"
    );
}
