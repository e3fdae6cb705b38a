//! A scripted registry on loopback that answers what a test tells it to:
//! V1-only registries, endless `Link` loops, lying digests, huge and broken
//! manifests. Each gives a clear error.

mod support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;

use ocireg::{Client, ClientOptions, Digest, ErrorKind, Reference, media_type};
use support::http1::{read_head, write_response};
use support::server::Server;

/// What the scripted registry answers: (status, headers, body) for a method and path.
type Script = dyn Fn(&str, &str) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + Sync;

fn scripted(script: Arc<Script>) -> Server {
    Server::start(
        "scripted-registry",
        Arc::new(move |stream: TcpStream| {
            let Ok(write) = stream.try_clone() else {
                return;
            };
            let mut write = write;
            let mut read = BufReader::new(stream);
            while let Ok(Some(head)) = read_head(&mut read) {
                let Ok((method, path)) = head.request_line() else {
                    return;
                };
                let (status, headers, body) = if path == "/v2/" {
                    (200, vec![], b"{}".to_vec())
                } else {
                    script(&method, &path)
                };
                if write_response(&mut write, &method, status, &headers, &body, false).is_err() {
                    return;
                }
            }
        }),
    )
}

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

fn json(ct: &str) -> Vec<(String, String)> {
    vec![("Content-Type".to_string(), ct.to_string())]
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
        let mut headers = json("application/json");
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
        let mut headers = json(media_type::OCI_INDEX);
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
            (200, json(media_type::OCI_MANIFEST), body)
        } else if path.ends_with("/schema1") {
            (
                200,
                json(media_type::DOCKER_SCHEMA1_SIGNED),
                br#"{"schemaVersion":1,"name":"r","tag":"x"}"#.to_vec(),
            )
        } else if path.ends_with("/truncated") {
            (
                200,
                json(media_type::OCI_MANIFEST),
                br#"{"schemaVersion":2,"config":{"#.to_vec(),
            )
        } else {
            (
                404,
                json("application/json"),
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
                        json("application/json"),
                        format!(r#"{{"token":"{token}"}}"#).into_bytes(),
                    )
                } else if path == "/v2/" {
                    (401, challenge(""), Vec::new())
                } else if auth == "Bearer wide" {
                    (
                        200,
                        json("application/json"),
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
    let started = std::time::Instant::now();
    let mut reader = client.get_blob(&r, &digest).await.expect("headers arrive");
    let mut got = 0;
    let err = loop {
        match reader.chunk().await {
            Ok(Some(c)) => got += c.len(),
            Ok(None) => panic!("a stalled body cannot end well"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(got, 100);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "no hang"
    );
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
