//! A scripted registry on loopback that answers what a test tells it to:
//! V1-only registries, endless `Link` loops, lying digests, huge and broken
//! manifests. Each gives a clear error.

mod support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;

use ocireg::{Client, ClientOptions, Digest, ErrorKind, Reference, media_type};
use support::http1::{read_head, write_response};
use support::scripted::{content_type, scripted};
use support::server::Server;

fn client_for(server: &Server) -> (Client, String) {
    let host = server.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        max_retries: 0,
        ..Default::default()
    })
    .unwrap();
    (client, host)
}

#[tokio::test]
async fn a_v1_only_registry_is_unsupported() {
    let server = Server::start(
        "v1-only",
        Arc::new(|stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            if let Ok(Some(head)) = read_head(&mut read)
                && let Ok((method, _)) = head.request_line()
            {
                let _ = write_response(&mut write, &method, 404, &[], b"404 page not found", true);
            }
        }),
    );
    let (client, host) = client_for(&server);
    let err = client.ping(&host).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}

#[tokio::test]
async fn an_endless_link_loop_stops_with_an_error() {
    let server = scripted(Arc::new(|_, path| {
        // Two pages that point at each other.
        let next = if path.contains("last=a") {
            "/v2/r/tags/list?last=b"
        } else {
            "/v2/r/tags/list?last=a"
        };
        let mut headers = content_type("application/json");
        headers.push(("Link".into(), format!("<{next}>; rel=\"next\"")));
        (200, headers, br#"{"name":"r","tags":["x"]}"#.to_vec())
    }));
    let (client, host) = client_for(&server);
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    let err = client.tags(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("repeats"), "{err}");
}

#[tokio::test]
async fn a_wrong_docker_content_digest_is_a_mismatch() {
    let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    let lie = Digest::sha256_of(b"something else");
    let lie_text = lie.to_string();
    let server = scripted(Arc::new(move |_, _| {
        let mut headers = content_type(media_type::OCI_INDEX);
        headers.push(("Docker-Content-Digest".into(), lie_text.clone()));
        (200, headers, body.to_vec())
    }));
    let (client, host) = client_for(&server);
    let r = Reference::parse(&format!("{host}/r:t")).unwrap();
    let err = client.get_manifest(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");

    // Asking by digest: the body must hash to it, whatever the headers say.
    let asked = Reference::parse(&format!("{host}/r@{lie}")).unwrap();
    let err = client.get_manifest(&asked).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
}

#[tokio::test]
async fn hostile_manifest_bodies_are_refused() {
    let server = scripted(Arc::new(|_, path| {
        if path.ends_with("/huge") {
            let mut body = br#"{"schemaVersion":2,"x":""#.to_vec();
            body.extend(std::iter::repeat_n(b'a', 4 * 1024 * 1024));
            body.extend_from_slice(b"\"}");
            (200, content_type(media_type::OCI_MANIFEST), body)
        } else if path.ends_with("/schema1") {
            (
                200,
                content_type(media_type::DOCKER_SCHEMA1_SIGNED),
                br#"{"schemaVersion":1,"name":"r","tag":"x"}"#.to_vec(),
            )
        } else if path.ends_with("/truncated") {
            (
                200,
                content_type(media_type::OCI_MANIFEST),
                br#"{"schemaVersion":2,"config":{"#.to_vec(),
            )
        } else {
            (
                404,
                content_type("application/json"),
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}"#.to_vec(),
            )
        }
    }));
    let (client, host) = client_for(&server);
    let get = |tag: &str| Reference::parse(&format!("{host}/r:{tag}")).unwrap();
    let err = client.get_manifest(&get("huge")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
    let err = client.get_manifest(&get("schema1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let err = client.get_manifest(&get("truncated")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    let err = client.get_manifest(&get("other")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.registry_code(), Some("MANIFEST_UNKNOWN"));
}

#[tokio::test]
async fn insufficient_scope_is_retried_once_with_the_wider_scope() {
    use std::sync::Mutex;
    let token_requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = token_requests.clone();
    let server = Server::start(
        "scoped-registry",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let host = stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let auth = head.header("authorization").unwrap_or("").to_string();
                let challenge = |extra: &str| {
                    vec![(
                        "WWW-Authenticate".to_string(),
                        format!("Bearer realm=\"http://{host}/token\",service=\"svc\"{extra}"),
                    )]
                };
                let (status, headers, body) = if path.starts_with("/token") {
                    seen.lock().unwrap().push(path.clone());
                    let wide = path.contains("other");
                    let token = if wide { "wide" } else { "narrow" };
                    (
                        200,
                        content_type("application/json"),
                        format!(r#"{{"token":"{token}"}}"#).into_bytes(),
                    )
                } else if path == "/v2/" {
                    (401, challenge(""), Vec::new())
                } else if auth == "Bearer wide" {
                    (
                        200,
                        content_type("application/json"),
                        br#"{"name":"r","tags":["ok"]}"#.to_vec(),
                    )
                } else {
                    let extra = ",error=\"insufficient_scope\",scope=\"repository:r:pull repository:other:pull\"";
                    (401, challenge(extra), Vec::new())
                };
                if write_response(&mut write, &method, status, &headers, &body, false).is_err() {
                    return;
                }
            }
        }),
    );
    let (client, host) = client_for(&server);
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    // Pinged first, the client knows the realm but not the wider scope.
    client.ping(&host).await.expect("ping");
    assert_eq!(
        client.tags(&r).await.expect("retried with the wider scope"),
        vec!["ok"]
    );
    let requests = token_requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        !requests[0].contains("other"),
        "first token for the scope we computed: {requests:?}"
    );
    assert!(
        requests[1].contains("repository%3Aother%3Apull"),
        "then the wider one: {requests:?}"
    );

    // Without the ping, the first contact's challenge names the wider scope
    // at once: one token request.
    let (client, _) = client_for(&server);
    assert_eq!(client.tags(&r).await.expect("wider scope"), vec!["ok"]);
    let requests = token_requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(
        requests[2].contains("repository%3Aother%3Apull")
            && requests[2].contains("repository%3Ar%3Apull"),
        "{requests:?}"
    );
}

#[tokio::test]
async fn a_body_that_stalls_midway_times_out() {
    let digest = Digest::sha256_of(&[7u8; 1000]);
    let server = Server::start(
        "stalling-registry",
        Arc::new(|stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                if path == "/v2/" {
                    let _ = write_response(&mut write, &method, 200, &[], b"{}", false);
                    continue;
                }
                // 100 of the 1000 bytes promised, then silence.
                let _ = write.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
                let _ = write.write_all(&[7u8; 100]);
                std::thread::sleep(std::time::Duration::from_secs(30));
                return;
            }
        }),
    );
    let host = server.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        read_timeout: std::time::Duration::from_millis(500),
        ..Default::default()
    })
    .unwrap();
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    let mut reader = client.get_blob(&r, &digest).await.expect("headers arrive");
    let mut got = 0;
    let err = loop {
        match reader.chunk().await {
            Ok(Some(c)) => got += c.len(),
            Ok(None) => panic!("a stalled body cannot end well"),
            Err(e) => break e,
        }
    };
    // The read timeout ended it (a hang would not get here).
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(got, 100);
}

#[tokio::test]
async fn an_upload_location_on_another_host_gets_no_credentials() {
    use std::sync::Mutex;
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let record = seen.clone();
    let storage = Server::start(
        "other-host",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, _)) = head.request_line() else {
                    return;
                };
                record
                    .lock()
                    .unwrap()
                    .push(head.header("authorization").map(str::to_string));
                let len: usize = head
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                let _ = std::io::Read::read_exact(&mut read, &mut body);
                let _ = write_response(&mut write, &method, 201, &[], b"", false);
            }
        }),
    );
    let other = storage.addr().to_string();
    let registry = Server::start(
        "auth-registry",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let authed = head.header("authorization").is_some();
                let (status, headers) = if !authed {
                    (
                        401,
                        vec![(
                            "WWW-Authenticate".to_string(),
                            "Basic realm=\"r\"".to_string(),
                        )],
                    )
                } else if path == "/v2/" {
                    (200, vec![])
                } else {
                    (
                        202,
                        vec![(
                            "Location".to_string(),
                            format!("http://{other}/upload/1?state=x"),
                        )],
                    )
                };
                let _ = write_response(&mut write, &method, status, &headers, b"", false);
            }
        }),
    );
    let host = registry.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        credentials: vec![(
            host.clone(),
            ocireg::Credential::Basic {
                username: "u".into(),
                password: "p".into(),
            },
        )],
        ..Default::default()
    })
    .unwrap();
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    client
        .push_blob(&r, bytes::Bytes::from_static(b"data"))
        .await
        .expect("upload through the other host");
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(Option::is_none),
        "credentials went to another host: {seen:?}"
    );
}

#[tokio::test]
async fn a_redirect_from_https_to_plain_http_is_refused() {
    use std::sync::Mutex;
    // The plain-http target counts what reaches it (nothing should).
    let reached: Arc<Mutex<usize>> = Arc::default();
    let count = reached.clone();
    let plain = Server::start(
        "downgrade-target",
        Arc::new(move |stream: TcpStream| {
            *count.lock().unwrap() += 1;
            drop(stream);
        }),
    );
    let target = plain.addr().to_string();
    let tls = support::certs::server_config();
    let server = Server::start(
        "tls-registry",
        Arc::new(move |tcp: TcpStream| {
            let Ok(conn) = rustls::ServerConnection::new(tls.clone()) else {
                return;
            };
            let mut stream = BufReader::new(rustls::StreamOwned::new(conn, tcp));
            while let Ok(Some(head)) = read_head(&mut stream) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let (status, headers) = if path == "/v2/" {
                    (200, vec![])
                } else {
                    (
                        307,
                        vec![("Location".to_string(), format!("http://{target}{path}"))],
                    )
                };
                if write_response(stream.get_mut(), &method, status, &headers, b"", false).is_err()
                {
                    return;
                }
            }
        }),
    );
    let host = server.addr().to_string();
    let client = Client::new(ClientOptions {
        ca_files: vec![support::certs::pki().ca_pem.clone()],
        max_retries: 0,
        ..Default::default()
    })
    .unwrap();
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    let digest = Digest::sha256_of(b"x");
    let err = client.get_blob(&r, &digest).await.err().expect("refused");
    assert!(err.message().contains("https to plain http"), "{err}");
    assert_eq!(
        *reached.lock().unwrap(),
        0,
        "nothing went to the plain-http host"
    );
}

#[tokio::test]
async fn a_cut_chunk_resumes_from_the_offset_the_registry_reports() {
    use std::io::Read as _;
    use std::sync::Mutex;
    // A registry that keeps upload sessions across a cut request (as the
    // spec allows): it stores what arrived of a PATCH before the cut.
    let stored: Arc<Mutex<Vec<u8>>> = Arc::default();
    let patches: Arc<Mutex<usize>> = Arc::default();
    let (store, count) = (stored.clone(), patches.clone());
    let server = Server::start(
        "resuming-registry",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let len: usize = head
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let range = |n: usize| {
                    vec![
                        ("Location".to_string(), "/v2/r/blobs/uploads/1".to_string()),
                        ("Range".to_string(), format!("0-{}", n.saturating_sub(1))),
                    ]
                };
                let (status, headers) = match method.as_str() {
                    "GET" if path == "/v2/" => (200, vec![]),
                    "POST" => (202, range(0)),
                    "GET" => (204, range(store.lock().unwrap().len())),
                    "PATCH" => {
                        let nth = {
                            let mut c = count.lock().unwrap();
                            *c += 1;
                            *c
                        };
                        let keep = if nth == 2 { len / 3 } else { len };
                        let mut body = vec![0u8; keep];
                        if read.read_exact(&mut body).is_err() {
                            return;
                        }
                        store.lock().unwrap().extend_from_slice(&body);
                        if keep < len {
                            return; // the connection drops in the middle of the chunk
                        }
                        (202, range(store.lock().unwrap().len()))
                    }
                    "PUT" => {
                        let digest = Digest::sha256_of(&store.lock().unwrap());
                        let ok = path.contains(digest.hex());
                        (if ok { 201 } else { 400 }, vec![])
                    }
                    _ => (404, vec![]),
                };
                if write_response(&mut write, &method, status, &headers, b"", false).is_err() {
                    return;
                }
            }
        }),
    );
    let host = server.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        upload_chunk_size: 64 * 1024,
        ..Default::default()
    })
    .unwrap();
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let digest = client
        .push_blob_chunked(&r, &mut std::io::Cursor::new(data.clone()))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{e}: registry holds {} of {} bytes after {} PATCHes",
                stored.lock().unwrap().len(),
                data.len(),
                patches.lock().unwrap()
            )
        });
    assert_eq!(digest, Digest::sha256_of(&data));
    assert!(
        *stored.lock().unwrap() == data,
        "the registry holds exactly the blob"
    );
    assert_eq!(
        *patches.lock().unwrap(),
        5,
        "4 chunks, one of them sent again in part"
    );
}

/// One request as a [`full_server`] received it.
#[derive(Debug, Clone)]
struct Seen {
    /// The server's own `127.0.0.1:PORT`.
    host: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        support::http1::header(&self.headers, name)
    }
}

type Reply = (u16, Vec<(String, String)>, Vec<u8>);

/// A scripted server that reads whole requests (bodies included), records
/// them, and answers what `script` says.
fn full_server(
    name: &str,
    script: Arc<dyn Fn(&Seen) -> Reply + Send + Sync>,
) -> (Server, Arc<std::sync::Mutex<Vec<Seen>>>) {
    let seen: Arc<std::sync::Mutex<Vec<Seen>>> = Arc::default();
    let record = seen.clone();
    let server = Server::start(
        name,
        Arc::new(move |stream: TcpStream| {
            let host = stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let Ok(body) = support::http1::request_framing(&head)
                    .and_then(|f| support::http1::read_body(&mut read, f, 1 << 24))
                else {
                    return;
                };
                let request = Seen {
                    host: host.clone(),
                    method: method.clone(),
                    path,
                    headers: head.headers.clone(),
                    body,
                };
                record.lock().unwrap().push(request.clone());
                let (status, headers, body) = script(&request);
                if write_response(&mut write, &method, status, &headers, &body, false).is_err() {
                    return;
                }
            }
        }),
    );
    (server, seen)
}

/// A listener on another port that records whatever reaches it and
/// answers like a willing token server.
fn catcher() -> (Server, Arc<std::sync::Mutex<Vec<Seen>>>) {
    full_server(
        "catcher",
        Arc::new(|_| {
            (
                200,
                content_type("application/json"),
                br#"{"token":"stolen","access_token":"stolen"}"#.to_vec(),
            )
        }),
    )
}

/// A registry with bearer auth whose token endpoint (`/token`, on the same
/// host) answers GET with a 307 and POST with a 308 to `redirect_to` (the
/// path and query kept), or hands out the token `good` when `redirect_to`
/// is `None`.
fn bearer_registry(redirect_to: Option<String>) -> (Server, Arc<std::sync::Mutex<Vec<Seen>>>) {
    full_server(
        "bearer-registry",
        Arc::new(move |req: &Seen| {
            let challenge = vec![(
                "WWW-Authenticate".to_string(),
                format!("Bearer realm=\"http://{}/token\",service=\"svc\"", req.host),
            )];
            if req.path.starts_with("/token") {
                if let Some(base) = &redirect_to
                    && !req.path.starts_with("/token-here")
                {
                    let status = if req.method == "POST" { 308 } else { 307 };
                    let location = format!("{base}{}", req.path.replacen("/token", "", 1));
                    return (status, vec![("Location".to_string(), location)], Vec::new());
                }
                let form = String::from_utf8_lossy(&req.body).to_string();
                let fine = match req.method.as_str() {
                    "POST" => form.contains("refresh_token=the-identity-token"),
                    _ => req.header("authorization").is_some(),
                };
                return if fine {
                    (
                        200,
                        content_type("application/json"),
                        br#"{"token":"good"}"#.to_vec(),
                    )
                } else {
                    (401, Vec::new(), Vec::new())
                };
            }
            if req.header("authorization") == Some("Bearer good") && req.path != "/v2/" {
                (
                    200,
                    content_type("application/json"),
                    br#"{"name":"r","tags":["ok"]}"#.to_vec(),
                )
            } else if req.header("authorization") == Some("Bearer good") {
                (200, Vec::new(), b"{}".to_vec())
            } else {
                (401, challenge, Vec::new())
            }
        }),
    )
}

fn bearer_client(host: &str, credential: ocireg::Credential) -> Client {
    Client::new(ClientOptions {
        insecure_registries: vec![host.to_string()],
        credentials: vec![(host.to_string(), credential)],
        max_retries: 0,
        ..Default::default()
    })
    .unwrap()
}

fn basic_credential() -> ocireg::Credential {
    ocireg::Credential::Basic {
        username: "alice".into(),
        password: "s3cret-password".into(),
    }
}

fn identity_credential() -> ocireg::Credential {
    ocireg::Credential::IdentityToken {
        token: "the-identity-token".into(),
    }
}

#[tokio::test]
async fn a_token_request_is_not_redirected_to_another_origin() {
    for (credential, method) in [(basic_credential(), "GET"), (identity_credential(), "POST")] {
        let (other, caught) = catcher();
        let (registry, seen) = bearer_registry(Some(format!("http://{}/token", other.addr())));
        let host = registry.addr().to_string();
        let client = bearer_client(&host, credential);
        let r = Reference::parse(&format!("{host}/r")).unwrap();
        let result = client.tags(&r).await;
        let caught: Vec<String> = caught
            .lock()
            .unwrap()
            .iter()
            .map(|s| {
                let body = String::from_utf8_lossy(&s.body);
                format!("{} {} {:?} body {body:?}", s.method, s.path, s.headers)
            })
            .collect();
        assert!(
            caught.is_empty(),
            "{method}: the token request reached the other origin: {caught:?}"
        );
        let err = result.expect_err("the redirect is refused");
        assert_eq!(err.kind(), ErrorKind::Protocol, "{method}: {err}");
        assert!(err.message().contains("another origin"), "{method}: {err}");
        assert!(
            !err.message().contains("s3cret") && !err.message().contains("the-identity-token"),
            "{err}"
        );
        let redirected = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.starts_with("/token") && s.method == method)
            .count();
        assert_eq!(
            redirected, 1,
            "{method}: the realm answered with a redirect"
        );
    }
}

#[tokio::test]
async fn a_token_request_follows_a_redirect_within_the_realm_origin() {
    for (credential, method) in [(basic_credential(), "GET"), (identity_credential(), "POST")] {
        // The realm sends /token to /token-here on the same host and port;
        // the POST keeps its form body (308), the GET its basic credentials.
        let (registry, seen) = bearer_registry(Some("/token-here".to_string()));
        let host = registry.addr().to_string();
        let client = bearer_client(&host, credential);
        let r = Reference::parse(&format!("{host}/r")).unwrap();
        let tags = client
            .tags(&r)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        assert_eq!(tags, vec!["ok"]);
        let seen = seen.lock().unwrap().clone();
        assert!(
            seen.iter()
                .any(|s| s.path.starts_with("/token-here") && s.method == method),
            "{method}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused_without_credentials() {
    let (other, caught) = catcher();
    let other_host = other.addr().to_string();
    let (registry, _) = full_server(
        "basic-registry",
        Arc::new(move |req: &Seen| {
            if req.header("authorization").is_none() {
                return (
                    401,
                    vec![(
                        "WWW-Authenticate".to_string(),
                        "Basic realm=\"r\"".to_string(),
                    )],
                    Vec::new(),
                );
            }
            if req.path == "/v2/" {
                return (200, Vec::new(), b"{}".to_vec());
            }
            let mut headers = content_type("application/json");
            headers.push((
                "Link".to_string(),
                format!("<http://{other_host}/v2/r/tags/list?last=a>; rel=\"next\""),
            ));
            (200, headers, br#"{"name":"r","tags":["a"]}"#.to_vec())
        }),
    );
    let host = registry.addr().to_string();
    let client = bearer_client(&host, basic_credential());
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    let err = client.tags(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(err.message().contains("another origin"), "{err}");
    assert!(
        caught.lock().unwrap().is_empty(),
        "nothing went to the other host"
    );
}

/// A registry whose tag listing never ends: page `n` holds `per_page`
/// distinct tags of `tag_len` characters (the first naming the page) and
/// links to page `n + 1`.
fn endless_tags(per_page: usize, tag_len: usize) -> Server {
    let tag = move |name: String| {
        let pad = tag_len.saturating_sub(name.len());
        format!("\"{name}{}\"", "x".repeat(pad))
    };
    // The same tail on every page, built once.
    let tail: Arc<String> = Arc::new(
        (1..per_page)
            .map(|i| format!(",{}", tag(format!("t{i}-"))))
            .collect(),
    );
    scripted(Arc::new(move |_, path| {
        let n: u64 = path
            .split("last=")
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let body = format!(
            r#"{{"name":"r","tags":[{}{}]}}"#,
            tag(format!("page{n}-")),
            tail
        );
        let mut headers = content_type("application/json");
        headers.push((
            "Link".into(),
            format!("</v2/r/tags/list?last={}>; rel=\"next\"", n + 1),
        ));
        (200, headers, body.into_bytes())
    }))
}

#[tokio::test]
async fn an_endless_listing_stops_at_the_entry_and_byte_bounds() {
    let server = endless_tags(1000, 20);
    let host = server.addr().to_string();
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        max_list_entries: 10_500,
        ..Default::default()
    })
    .unwrap();
    let err = client.tags(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
    assert!(err.message().contains("max_list_entries"), "{err}");
    assert!(err.message().contains("10500"), "{err}");

    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        max_list_bytes: 200_000,
        ..Default::default()
    })
    .unwrap();
    let err = client.tags(&r).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
    assert!(err.message().contains("max_list_bytes"), "{err}");

    // The defaults are large, but they hold.
    assert_eq!(ClientOptions::default().max_list_entries, 1_000_000);
    assert_eq!(ClientOptions::default().max_list_bytes, 64 << 20);
}

/// Set in the child process of the test below: the registry to list.
const CAPPED_LISTING: &str = "OCIREG_TEST_CAPPED_LISTING";

/// An endless listing with the default bounds, in a child process whose
/// address space is capped at 1 GiB (`prlimit --as`): it ends with
/// `SIZE_EXCEEDED`, and the process neither aborts nor runs out of memory.
#[tokio::test]
async fn an_endless_listing_in_a_memory_capped_process_ends_cleanly() {
    if let Ok(host) = std::env::var(CAPPED_LISTING) {
        // The child: list with the default options.
        let client = Client::new(ClientOptions {
            insecure_registries: vec![host.clone()],
            ..Default::default()
        })
        .unwrap();
        let r = Reference::parse(&format!("{host}/r")).unwrap();
        let err = client.tags(&r).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SizeExceeded, "{err}");
        assert!(err.message().contains("max_list_bytes"), "{err}");
        println!("capped child: {err}");
        return;
    }
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("prlimit (util-linux) is needed for this test");
    }
    // Pages of ~3.6 MB (below the 4 MiB page bound): 120-character tags.
    let server = endless_tags(28_000, 120);
    let host = server.addr().to_string();
    let exe = std::env::current_exe().unwrap();
    let output = tokio::process::Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .arg(&exe)
        .args([
            "--exact",
            "an_endless_listing_in_a_memory_capped_process_ends_cleanly",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CAPPED_LISTING, &host)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the capped child failed ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("capped child:") && stdout.contains("1 passed"),
        "{stdout}"
    );
}

/// Closes `stream` with a TCP reset (SO_LINGER 0) rather than a FIN.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd as _;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

#[tokio::test]
async fn a_ping_whose_connection_is_reset_is_retried() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pings = Arc::new(AtomicUsize::new(0));
    let count = pings.clone();
    let server = Server::start(
        "resetting-registry",
        Arc::new(move |stream: TcpStream| {
            let Ok(mut write) = stream.try_clone() else {
                return;
            };
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                if path == "/v2/" && count.fetch_add(1, Ordering::SeqCst) < 2 {
                    // The first two pings: the connection is reset unanswered.
                    reset(read.into_inner());
                    return;
                }
                if write_response(&mut write, &method, 200, &[], b"{}", false).is_err() {
                    return;
                }
            }
        }),
    );
    let host = server.addr().to_string();
    let client = Client::new(ClientOptions {
        insecure_registries: vec![host.clone()],
        max_retries: 2,
        ..Default::default()
    })
    .unwrap();
    client.ping(&host).await.expect("the third ping answers");
    assert_eq!(pings.load(Ordering::SeqCst), 3);

    // Reset for good: bounded, and a NETWORK error.
    let resets = Arc::new(AtomicUsize::new(0));
    let count = resets.clone();
    let always = Server::start(
        "always-resetting",
        Arc::new(move |stream: TcpStream| {
            let mut read = BufReader::new(stream);
            if let Ok(Some(head)) = read_head(&mut read)
                && head.request_line().is_ok_and(|(_, p)| p == "/v2/")
            {
                count.fetch_add(1, Ordering::SeqCst);
                reset(read.into_inner());
            }
        }),
    );
    let client = Client::new(ClientOptions {
        insecure_registries: vec![always.addr().to_string()],
        max_retries: 1,
        ..Default::default()
    })
    .unwrap();
    let err = client.ping(always.addr()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_eq!(resets.load(Ordering::SeqCst), 2, "one ping and one retry");
}

/// A registry demanding chunks of at least 2^64-1 bytes cannot make the
/// writer allocate them: its chunks stay within `MAX_CHUNK_SIZE`, and what
/// is written is buffered as it arrives.
#[tokio::test]
async fn a_huge_minimum_chunk_length_is_bounded() {
    let server = scripted(Arc::new(|method: &str, _path: &str| match method {
        "POST" => (
            202,
            vec![
                ("Location".to_string(), "/v2/r/blobs/uploads/1".to_string()),
                ("OCI-Chunk-Min-Length".to_string(), u64::MAX.to_string()),
            ],
            vec![],
        ),
        "DELETE" => (204, vec![], vec![]),
        _ => (404, vec![], vec![]),
    }));
    let (client, host) = client_for(&server);
    let r = Reference::parse(&format!("{host}/r")).unwrap();
    let mut writer = client.start_upload(&r).await.expect("start");
    assert_eq!(writer.min_chunk_size(), Some(u64::MAX));
    assert_eq!(writer.chunk_size(), ocireg::client::MAX_CHUNK_SIZE);
    writer.write(&[7u8; 100_000]).await.expect("buffered");
    assert_eq!(writer.offset(), 0, "nothing sent before a chunk fills");
    writer.cancel().await.expect("cancel");
}
