//! Self-test of the integration-test support code (tests/support/) against
//! the real registry, using reqwest directly.

mod support;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use support::{FaultProxy, Mode, Registry, content, http1};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(support::certs::client_config())
        .build()
        .expect("reqwest client")
}

fn digest(data: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(data))
}

/// Resolves a Location header against `base` (the registry may send either
/// absolute URLs or paths).
fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        format!("{base}{location}")
    }
}

/// Monolithic blob push (POST then PUT) with an optional Authorization value.
async fn push_blob(c: &reqwest::Client, base: &str, repo: &str, data: &[u8], auth: Option<&str>) {
    let mut post = c.post(format!("{base}/v2/{repo}/blobs/uploads/"));
    if let Some(a) = auth {
        post = post.header("Authorization", a);
    }
    let resp = post.send().await.expect("POST upload");
    assert_eq!(resp.status(), 202, "POST upload: {:?}", resp.text().await);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let url = resolve(base, &location);
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut put = c
        .put(format!("{url}{sep}digest={}", digest(data)))
        .header("Content-Type", "application/octet-stream")
        .body(data.to_vec());
    if let Some(a) = auth {
        put = put.header("Authorization", a);
    }
    let resp = put.send().await.expect("PUT upload");
    assert_eq!(resp.status(), 201, "PUT upload: {:?}", resp.text().await);
}

async fn get_blob(
    c: &reqwest::Client,
    base: &str,
    repo: &str,
    data: &[u8],
    auth: Option<&str>,
) -> reqwest::Response {
    let mut get = c.get(format!("{base}/v2/{repo}/blobs/{}", digest(data)));
    if let Some(a) = auth {
        get = get.header("Authorization", a);
    }
    get.send().await.expect("GET blob")
}

async fn json(resp: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&resp.bytes().await.expect("body")).expect("JSON body")
}

fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params(url, pairs)
        .expect("URL")
        .to_string()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut u = reqwest::Url::parse("http://x/").unwrap();
    u.query_pairs_mut().extend_pairs(pairs);
    u.query().unwrap_or("").to_string()
}

fn basic(user: &str, pass: &str) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {enc}")
}

#[test]
fn content_is_deterministic() {
    assert_eq!(content::bytes(7, 1000), content::bytes(7, 1000));
    assert_eq!(content::bytes(7, 10)[..], content::bytes(7, 1000)[..10]);
    assert_ne!(content::bytes(7, 64), content::bytes(8, 64));
    assert_eq!(content::bytes(0, 0).len(), 0);
    assert_eq!(content::bytes(0, 13).len(), 13);
}

#[test]
fn rfc3339_formats_utc() {
    assert_eq!(support::token_server::rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(
        support::token_server::rfc3339(1_709_251_199),
        "2024-02-29T23:59:59Z"
    );
}

#[tokio::test]
async fn plain_push_and_pull() {
    let t = Instant::now();
    let reg = Registry::start(Mode::Plain);
    eprintln!("plain registry started in {:?}", t.elapsed());
    assert!(reg.host().starts_with("127.0.0.1:"));
    assert!(reg.ca_pem_path().is_none() && reg.credentials().is_none());
    let c = client();
    let base = reg.base_url();
    let data = content::bytes(1, 300_000);
    push_blob(&c, &base, "a/b", &data, None).await;
    let resp = get_blob(&c, &base, "a/b", &data, None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), data);
    let hex = &digest(&data)[7..];
    assert_eq!(std::fs::read(reg.blob_path(hex)).unwrap(), data);
    assert!(reg.blob_path(hex).starts_with(reg.storage_dir()));
    assert!(
        reg.log_text().contains("/v2/a/b/blobs/"),
        "{}",
        reg.log_text()
    );
    // The access log, without the readiness probe (the registry writes a line
    // as its handler returns: poll, for long on a loaded machine).
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while reg.count_requests("GET", "/blobs/sha256:") < 1 && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let log = reg.access_log();
    assert_eq!(reg.count_requests("GET", "/v2/"), 1, "{log:?}");
    assert_eq!(reg.count_requests("*", "/v2/a/b/blobs/"), 3, "{log:?}");
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].status, 202);
    assert_eq!(log[2].status, 200);
}

#[test]
fn registries_run_in_parallel_and_clean_up() {
    let regs: Vec<Registry> = (0..3).map(|_| Registry::start(Mode::Plain)).collect();
    let dirs: Vec<_> = regs.iter().map(|r| r.dir().to_path_buf()).collect();
    let mut hosts: Vec<&str> = regs.iter().map(|r| r.host()).collect();
    hosts.dedup();
    assert_eq!(hosts.len(), 3);
    drop(regs);
    for d in dirs {
        assert!(!d.exists(), "{} left behind", d.display());
    }
}

#[tokio::test]
async fn basic_tls_auth() {
    let t = Instant::now();
    let reg = Registry::start(Mode::BasicTls);
    eprintln!("basic-tls registry started in {:?}", t.elapsed());
    assert!(reg.ca_pem_path().unwrap().exists());
    let (user, pass) = reg.credentials().unwrap();
    let c = client();
    let base = reg.base_url();
    assert!(base.starts_with("https://127.0.0.1:"));

    let resp = c.get(format!("{base}/v2/")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic realm="), "{challenge}");

    let ok = c
        .get(format!("{base}/v2/"))
        .basic_auth(user, Some(pass))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let reader = c
        .get(format!("{base}/v2/"))
        .basic_auth("reader", Some("readerpass"))
        .send()
        .await
        .unwrap();
    assert_eq!(reader.status(), 200);
    let wrong = c
        .get(format!("{base}/v2/"))
        .basic_auth(user, Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let data = content::bytes(2, 1000);
    let auth = basic(user, pass);
    push_blob(&c, &base, "x/y", &data, Some(&auth)).await;
    let resp = get_blob(&c, &base, "x/y", &data, Some(&auth)).await;
    assert_eq!(resp.bytes().await.unwrap(), data);

    // The "localhost" DNS SAN works too.
    let port = reg.host().rsplit(':').next().unwrap();
    let resp = c
        .get(format!("https://localhost:{port}/v2/"))
        .basic_auth(user, Some(pass))
        .send()
        .await;
    // localhost may resolve to ::1 first; only a TLS error would be a failure.
    if let Err(e) = &resp {
        assert!(e.is_connect(), "{e:?}");
    }
}

async fn fetch_token(
    c: &reqwest::Client,
    realm: &str,
    scope: &str,
    auth: Option<(&str, &str)>,
) -> String {
    let mut req = c.get(with_query(
        realm,
        &[("service", "ocireg-test"), ("scope", scope)],
    ));
    if let Some((u, p)) = auth {
        req = req.basic_auth(u, Some(p));
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = json(resp).await;
    assert_eq!(v["token"], v["access_token"]);
    assert!(v["expires_in"].as_u64().unwrap() > 0);
    assert!(v["issued_at"].as_str().unwrap().ends_with('Z'));
    v["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn token_auth_push_and_pull() {
    let t = Instant::now();
    let reg = Registry::start(Mode::Token);
    eprintln!("token registry started in {:?}", t.elapsed());
    let ts = reg.token_server().unwrap();
    let c = client();
    let base = reg.base_url();

    let resp = c.get(format!("{base}/v2/")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains(&ts.realm()), "{challenge}");
    assert!(challenge.contains("service=\"ocireg-test\""), "{challenge}");

    let token = fetch_token(
        &c,
        &ts.realm(),
        "repository:x/y:pull,push",
        reg.credentials(),
    )
    .await;
    assert_eq!(ts.requests(), 1);
    assert_eq!(
        ts.last_scopes(),
        vec!["repository:x/y:pull,push".to_string()]
    );
    // The JWT's shape.
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: serde_json::Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(b64.decode(parts[2]).unwrap().len(), 64);
    let claims: serde_json::Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["aud"], "ocireg-test");
    assert_eq!(
        claims["access"][0]["actions"],
        serde_json::json!(["pull", "push"])
    );

    let bearer = format!("Bearer {token}");
    let data = content::bytes(3, 70_000);
    push_blob(&c, &base, "x/y", &data, Some(&bearer)).await;
    let resp = get_blob(&c, &base, "x/y", &data, Some(&bearer)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), data);

    // The token does not cover another repository.
    let other = get_blob(&c, &base, "x/z", &data, Some(&bearer)).await;
    assert_eq!(other.status(), 401);

    // Catalog needs registry:catalog:*.
    let cat = fetch_token(&c, &ts.realm(), "registry:catalog:*", reg.credentials()).await;
    let resp = c
        .get(format!("{base}/v2/_catalog"))
        .bearer_auth(&cat)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = json(resp).await;
    assert_eq!(v["repositories"], serde_json::json!(["x/y"]));

    // Anonymous: pull on public/ only.
    push_blob(
        &c,
        &base,
        "public/p",
        &data,
        Some(&format!(
            "Bearer {}",
            fetch_token(
                &c,
                &ts.realm(),
                "repository:public/p:push,pull",
                reg.credentials()
            )
            .await
        )),
    )
    .await;
    let anon = fetch_token(&c, &ts.realm(), "repository:public/p:pull,push", None).await;
    let resp = get_blob(
        &c,
        &base,
        "public/p",
        &data,
        Some(&format!("Bearer {anon}")),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), data);
    let resp = c
        .post(format!("{base}/v2/public/p/blobs/uploads/"))
        .bearer_auth(&anon)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "anonymous must not push");
    let anon_private = fetch_token(&c, &ts.realm(), "repository:x/y:pull", None).await;
    let resp = get_blob(
        &c,
        &base,
        "x/y",
        &data,
        Some(&format!("Bearer {anon_private}")),
    )
    .await;
    assert_eq!(resp.status(), 401);

    // A directly issued token works as well.
    let direct = ts.issue(Some("testuser"), &["repository:x/y:pull"]);
    let resp = get_blob(&c, &base, "x/y", &data, Some(&format!("Bearer {direct}"))).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn token_server_grants_and_knobs() {
    let ts = support::TokenServer::start();
    let c = client();
    let realm = ts.realm();

    // Wrong password.
    let resp = c
        .get(with_query(
            &realm,
            &[("service", "ocireg-test"), ("scope", "repository:a/b:pull")],
        ))
        .basic_auth("testuser", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // POST password grant with a refresh token, then a refresh grant.
    ts.set_expires_in(42);
    let resp = c
        .post(&realm)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "password"),
            ("username", "testuser"),
            ("password", "testpass"),
            ("service", "ocireg-test"),
            ("client_id", "ocireg"),
            ("access_type", "offline"),
            ("scope", "repository:a/b:pull repository:c/d:push"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = json(resp).await;
    assert_eq!(v["expires_in"], 42);
    assert_eq!(
        ts.last_scopes(),
        vec![
            "repository:a/b:pull".to_string(),
            "repository:c/d:push".to_string()
        ]
    );
    let rt = v["refresh_token"].as_str().unwrap().to_string();
    let resp = c
        .post(&realm)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
            ("service", "ocireg-test"),
            ("client_id", "ocireg"),
            ("scope", "repository:a/b:pull"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = json(resp).await;
    assert!(v["access_token"].is_string() && v.get("refresh_token").is_none());
    let identity = ts.issue_refresh_token("testuser");
    let resp = c
        .post(&realm)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", identity.as_str()),
            ("service", "ocireg-test"),
            ("scope", "repository:a/b:push"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .post(&realm)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "bogus"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = c
        .post(&realm)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "password"),
            ("username", "testuser"),
            ("password", "x"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    ts.set_down(true);
    let resp = c.get(&realm).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    ts.set_down(false);
    assert_eq!(ts.requests(), 7);
}

/// Sends raw HTTP/1.1 requests on one connection: keep-alive through the proxy.
#[test]
fn fault_proxy_keep_alive_and_recording() {
    let reg = Registry::start(Mode::Plain);
    let proxy = FaultProxy::start(reg.host());
    let mut conn = TcpStream::connect(proxy.host()).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    for i in 0..3 {
        write!(
            conn,
            "GET /v2/?i={i} HTTP/1.1\r\nHost: {}\r\nX-Test: {i}\r\n\r\n",
            proxy.host()
        )
        .unwrap();
        let head = http1::read_head(&mut reader).unwrap().unwrap();
        assert_eq!(head.status().unwrap(), 200);
        let framing = http1::response_framing("GET", &head).unwrap();
        let body = http1::read_body(&mut reader, framing, 1 << 20).unwrap();
        assert_eq!(body, b"{}");
    }
    // Upload with a Location pointing back at the proxy.
    write!(
        conn,
        "POST /v2/k/l/blobs/uploads/ HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
        proxy.host()
    )
    .unwrap();
    let head = http1::read_head(&mut reader).unwrap().unwrap();
    assert_eq!(head.status().unwrap(), 202);
    let location = head.header("location").unwrap();
    assert!(
        location.starts_with(&format!("http://{}/", proxy.host())) || location.starts_with('/'),
        "{location}"
    );
    assert!(!location.contains(reg.host()), "{location}");
    let framing = http1::response_framing("POST", &head).unwrap();
    http1::read_body(&mut reader, framing, 1 << 20).unwrap();

    assert_eq!(proxy.count("GET", "/v2/"), 3);
    assert_eq!(proxy.count("post", "/blobs/uploads/"), 1);
    assert_eq!(proxy.count("*", ""), 4);
    let reqs = proxy.requests();
    assert_eq!(reqs[1].path_and_query, "/v2/?i=1");
    assert_eq!(reqs[1].header("x-test"), Some("1"));
}

#[tokio::test]
async fn fault_proxy_faults() {
    let reg = Registry::start(Mode::Plain);
    let proxy = FaultProxy::start(reg.host());
    let c = client();
    let base = format!("http://{}", proxy.host());
    let data = content::bytes(5, 200_000);
    // Push through the proxy (Location rewritten to the proxy).
    push_blob(&c, &base, "f/g", &data, None).await;
    assert_eq!(proxy.count("PUT", "/blobs/uploads/"), 1);
    let d = digest(&data);

    // Cut after 1000 bytes: the client sees an error before the end.
    proxy.cut_body_after("GET", &d, 1000, 1);
    let resp = get_blob(&c, &base, "f/g", &data, None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(data.len() as u64));
    let mut got = Vec::new();
    let mut resp = resp;
    let err = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => panic!("body completed despite the cut"),
            Err(e) => break e,
        }
    };
    assert_eq!(got.len(), 1000, "{err:?}");
    assert_eq!(got[..], data[..1000]);
    // Only once: the next GET is whole.
    let resp = get_blob(&c, &base, "f/g", &data, None).await;
    assert_eq!(resp.bytes().await.unwrap(), data);

    // One flipped byte.
    proxy.corrupt_body_byte("GET", &d, 12_345, 1);
    let got = get_blob(&c, &base, "f/g", &data, None)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.len(), data.len());
    assert_eq!(got[12_345], data[12_345] ^ 0xFF);
    assert_eq!(got[..12_345], data[..12_345]);
    assert_eq!(got[12_346..], data[12_346..]);

    // 429 with Retry-After, twice, then through.
    proxy.respond_status(
        "GET",
        "/v2/",
        429,
        vec![("Retry-After".into(), "1".into())],
        2,
    );
    for _ in 0..2 {
        let resp = c.get(format!("{base}/v2/")).send().await.unwrap();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "1");
        let v: serde_json::Value = json(resp).await;
        assert_eq!(v["errors"][0]["code"], "TOOMANYREQUESTS");
    }
    assert_eq!(
        c.get(format!("{base}/v2/")).send().await.unwrap().status(),
        200
    );
    // A direct answer to a request with a body keeps the connection usable.
    proxy.respond_status("PUT", "/nowhere", 503, vec![], 1);
    let resp = c
        .put(format!("{base}/nowhere"))
        .body(vec![7u8; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);

    // Redirect to the registry itself; reqwest follows it.
    proxy.redirect("GET", "/blobs/", &reg.base_url(), 1);
    let before = proxy.count("GET", "/blobs/");
    let resp = get_blob(&c, &base, "f/g", &data, None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().host_str(), Some("127.0.0.1"));
    assert_eq!(
        resp.url().port(),
        reg.host().rsplit(':').next().unwrap().parse().ok()
    );
    assert_eq!(resp.bytes().await.unwrap(), data);
    assert_eq!(proxy.count("GET", "/blobs/"), before + 1);
    let no_follow = reqwest::Client::builder()
        .tls_backend_preconfigured(support::certs::client_config())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    proxy.redirect("GET", "/blobs/", "http://127.0.0.1:9", 1);
    let resp = get_blob(&no_follow, &base, "f/g", &data, None).await;
    assert_eq!(resp.status(), 307);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("http://127.0.0.1:9/v2/f/g/blobs/{d}")
    );

    // A chunked (streamed) request body through the proxy.
    let resp = c
        .post(format!("{base}/v2/f/h/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    let url = resolve(&base, resp.headers()["location"].to_str().unwrap());
    assert!(url.starts_with(&base), "{url}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        data.chunks(30_000).map(|c| Ok(c.to_vec())).collect();
    let resp = c
        .patch(&url)
        .header("Content-Type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let url = resolve(&base, resp.headers()["location"].to_str().unwrap());
    let resp = c.put(format!("{url}&digest={d}")).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{:?}", resp.text().await);

    // Basic auth in front of everything.
    proxy.require_basic("pu", "pp");
    let resp = c.get(format!("{base}/v2/")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Basic realm=\"fault-proxy\""
    );
    let resp = c
        .get(format!("{base}/v2/"))
        .basic_auth("pu", Some("pp"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .get(format!("{base}/v2/"))
        .basic_auth("pu", Some("no"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[test]
fn fault_proxy_upstream_down_is_502() {
    let proxy = FaultProxy::start("127.0.0.1:9");
    let mut conn = TcpStream::connect(proxy.host()).unwrap();
    write!(
        conn,
        "GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 502 "), "{text}");
}
