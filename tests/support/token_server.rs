//! A Docker-style token server (HTTPS) issuing ES256 JWTs that the test
//! registry accepts (`auth.token` with the signing cert as rootcertbundle).
//!
//! Accounts:
//! - `testuser`/`testpass`: every requested action on every repository, and
//!   `registry:catalog:*`;
//! - `reader`/`readerpass`: `pull` only, on every repository;
//! - anonymous: `pull` only, on repositories whose name starts with `public/`;
//! - a wrong password, or an unknown refresh token, is a 401.

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey as _;
use serde_json::{Value, json};

use super::certs;
use super::http1;
use super::server::{Server, lock};

/// The `service` the registry is configured with (the JWT `aud`).
pub const SERVICE: &str = "ocireg-test";
/// The JWT `iss` the registry is configured to accept.
pub const ISSUER: &str = "ocireg-test-issuer";
/// Default token lifetime, in seconds.
pub const DEFAULT_EXPIRES_IN: u64 = 300;

/// Users and passwords known to the token server (and to the htpasswd file).
pub const USERS: &[(&str, &str)] = &[("testuser", "testpass"), ("reader", "readerpass")];

/// One request the token server received, as it arrived.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The body (the `OAuth2` form of a `POST`).
    pub body: String,
}

impl TokenRequest {
    /// The `name=value` pairs of the query (GET) or form body (POST).
    pub fn params(&self) -> Vec<(String, String)> {
        let (_, query) = self.target.split_once('?').unwrap_or((&self.target, ""));
        let source = if self.method == "POST" {
            self.body.as_str()
        } else {
            query
        };
        http1::parse_query(source)
    }

    /// The value of parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// A running token server. Stops on drop.
pub struct TokenServer {
    state: Arc<State>,
    server: Server,
}

struct State {
    requests: AtomicUsize,
    expires_in: AtomicU64,
    down: AtomicBool,
    /// How many of the next requests get a 503.
    failures: AtomicUsize,
    last_scopes: Mutex<Vec<String>>,
    /// refresh token -> user name
    refresh_tokens: Mutex<HashMap<String, String>>,
    /// Every request, in order.
    recorded: Mutex<Vec<TokenRequest>>,
    /// When non-zero, the status every `POST` gets (a server without the
    /// `OAuth2` endpoint answers 404 or 405).
    post_status: AtomicU64,
    counter: AtomicU64,
    key: SigningKey,
    x5c: String,
}

impl TokenServer {
    /// Starts a token server on 127.0.0.1 (free port), HTTPS with the test
    /// CA's server certificate.
    pub fn start() -> TokenServer {
        let pki = certs::pki();
        let key = SigningKey::from_pkcs8_pem(&pki.signing_key_pem)
            .expect("parse the token signing key (PKCS#8 PEM)");
        let state = Arc::new(State {
            requests: AtomicUsize::new(0),
            expires_in: AtomicU64::new(DEFAULT_EXPIRES_IN),
            down: AtomicBool::new(false),
            failures: AtomicUsize::new(0),
            last_scopes: Mutex::new(Vec::new()),
            refresh_tokens: Mutex::new(HashMap::new()),
            recorded: Mutex::new(Vec::new()),
            post_status: AtomicU64::new(0),
            counter: AtomicU64::new(0),
            key,
            x5c: STANDARD.encode(&pki.signing_cert_der),
        });
        let tls = certs::server_config();
        let handler_state = state.clone();
        let server = Server::start(
            "token-server",
            Arc::new(move |tcp| serve_connection(&handler_state, tls.clone(), tcp)),
        );
        TokenServer { state, server }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> &str {
        self.server.addr()
    }

    /// The realm URL, `https://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("https://{}/token", self.host())
    }

    /// How many HTTP requests the server has received (whatever the answer).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Sets the lifetime (`expires_in`, and `exp` - `iat`) of tokens issued
    /// from now on. Note that the registry allows 60 s of clock leeway.
    pub fn set_expires_in(&self, secs: u64) {
        self.state.expires_in.store(secs, Ordering::SeqCst);
    }

    /// When `true`, every request gets a 503.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// The next `n` requests get a 503, those after them the usual answer.
    pub fn fail_next(&self, n: usize) {
        self.state.failures.store(n, Ordering::SeqCst);
    }

    /// The scopes of the last token request, one entry per scope.
    pub fn last_scopes(&self) -> Vec<String> {
        lock(&self.state.last_scopes).clone()
    }

    /// Every request received so far, in order.
    pub fn recorded(&self) -> Vec<TokenRequest> {
        lock(&self.state.recorded).clone()
    }

    /// Makes every `POST` answer `status` (0 restores the `OAuth2` endpoint).
    pub fn set_post_status(&self, status: u16) {
        self.state
            .post_status
            .store(u64::from(status), Ordering::SeqCst);
    }

    /// Creates a refresh token (an "identity token", as `docker login`
    /// stores it) for `user`, usable with `grant_type=refresh_token`.
    pub fn issue_refresh_token(&self, user: &str) -> String {
        let rt = self.state.unique("rt-");
        lock(&self.state.refresh_tokens).insert(rt.clone(), user.to_string());
        rt
    }

    /// Issues a token directly (no HTTP), as the server would for `user`
    /// (`None` = anonymous) and `scopes`. Handy for crafting test tokens.
    pub fn issue(&self, user: Option<&str>, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        self.state
            .sign(user, &scopes, self.state.expires_in.load(Ordering::SeqCst))
    }
}

fn serve_connection(state: &State, tls: Arc<rustls::ServerConfig>, tcp: TcpStream) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(120)));
    let Ok(conn) = rustls::ServerConnection::new(tls) else {
        return;
    };
    let mut stream = BufReader::new(rustls::StreamOwned::new(conn, tcp));
    loop {
        let head = match http1::read_head(&mut stream) {
            Ok(Some(h)) => h,
            _ => return,
        };
        let Ok((method, target)) = head.request_line() else {
            return;
        };
        let body = match http1::request_framing(&head)
            .and_then(|f| http1::read_body(&mut stream, f, 1 << 20))
        {
            Ok(b) => b,
            Err(_) => return,
        };
        let (status, headers, body) = state.handle(&method, &target, &head.headers, &body);
        let close = head.wants_close();
        let w = stream.get_mut();
        if http1::write_response(w, &method, status, &headers, &body, close).is_err() || close {
            let _ = w.flush();
            w.conn.send_close_notify();
            let _ = w.flush();
            return;
        }
    }
}

type Response = (u16, Vec<(String, String)>, Vec<u8>);

fn json_response(status: u16, v: &Value) -> Response {
    (
        status,
        vec![("Content-Type".into(), "application/json".into())],
        v.to_string().into_bytes(),
    )
}

fn error(status: u16, code: &str, message: &str) -> Response {
    let mut r = json_response(
        status,
        &json!({"errors": [{"code": code, "message": message}]}),
    );
    if status == 401 {
        r.1.push((
            "WWW-Authenticate".into(),
            "Basic realm=\"ocireg-test-token\"".into(),
        ));
    }
    r
}

fn check_password(user: &str, pass: &str) -> bool {
    USERS.iter().any(|(u, p)| *u == user && *p == pass)
}

fn basic_credentials(headers: &[(String, String)]) -> Option<(String, String)> {
    let v = http1::header(headers, "authorization")?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
    let (u, p) = decoded.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// Splits `type:name:actions` (the name may itself contain colons).
fn parse_scope(scope: &str) -> Option<(&str, &str, Vec<&str>)> {
    let (ty, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    Some((
        ty,
        name,
        actions.split(',').filter(|a| !a.is_empty()).collect(),
    ))
}

/// The actions `user` (`None` = anonymous) gets out of those requested.
fn allowed<'a>(user: Option<&str>, ty: &str, name: &str, asked: &[&'a str]) -> Vec<&'a str> {
    asked
        .iter()
        .copied()
        .filter(|a| match (user, ty) {
            (Some("testuser"), "repository" | "registry") => true,
            (Some("reader"), "repository") => *a == "pull",
            (None, "repository") => *a == "pull" && name.starts_with("public/"),
            _ => false,
        })
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Formats a UNIX time as RFC 3339 UTC (`2024-01-02T03:04:05Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

impl State {
    fn unique(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{prefix}{}-{n}-{nanos:08x}", std::process::id())
    }

    fn sign(&self, user: Option<&str>, scopes: &[String], expires_in: u64) -> String {
        // Merge the grants per (type, name), keeping the request order.
        let mut access: Vec<(String, String, Vec<String>)> = Vec::new();
        for scope in scopes {
            let Some((ty, name, asked)) = parse_scope(scope) else {
                continue;
            };
            for a in allowed(user, ty, name, &asked) {
                match access.iter_mut().find(|(t, n, _)| t == ty && n == name) {
                    Some((_, _, acts)) if acts.iter().any(|x| x == a) => {}
                    Some((_, _, acts)) => acts.push(a.to_string()),
                    None => access.push((ty.to_string(), name.to_string(), vec![a.to_string()])),
                }
            }
        }
        let access: Vec<Value> = access
            .into_iter()
            .map(|(t, n, a)| json!({"type": t, "name": n, "actions": a}))
            .collect();
        let iat = now();
        let header = json!({"alg": "ES256", "typ": "JWT", "x5c": [self.x5c]});
        let claims = json!({
            "iss": ISSUER,
            "sub": user.unwrap_or(""),
            "aud": SERVICE,
            "exp": iat + expires_in,
            "nbf": iat,
            "iat": iat,
            "jti": self.unique("jti-"),
            "access": access,
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    fn handle(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Response {
        self.requests.fetch_add(1, Ordering::SeqCst);
        lock(&self.recorded).push(TokenRequest {
            method: method.to_string(),
            target: target.to_string(),
            authorization: http1::header(headers, "authorization").map(str::to_string),
            body: String::from_utf8_lossy(body).into_owned(),
        });
        let post_status = self.post_status.load(Ordering::SeqCst);
        if method == "POST" && post_status != 0 {
            let status = u16::try_from(post_status).unwrap_or(500);
            return error(status, "UNSUPPORTED", "no OAuth2 endpoint here");
        }
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing || self.down.load(Ordering::SeqCst) {
            return error(503, "UNAVAILABLE", "token server is down");
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != "/token" {
            return error(404, "NOT_FOUND", "no such endpoint");
        }
        let params = match method {
            "GET" => http1::parse_query(query),
            "POST" => http1::parse_query(&String::from_utf8_lossy(body)),
            _ => return error(405, "UNSUPPORTED", "method not allowed"),
        };
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if let Some(service) = param("service")
            && service != SERVICE
        {
            return error(400, "INVALID_SERVICE", "unknown service");
        }
        // Several `scope` parameters, each possibly space-separated (OAuth2).
        let scopes: Vec<String> = params
            .iter()
            .filter(|(n, _)| n == "scope")
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_string))
            .collect();
        *lock(&self.last_scopes) = scopes.clone();

        let (user, offline): (Option<String>, bool) = if method == "GET" {
            let user = match basic_credentials(headers) {
                None => None,
                Some((u, p)) if check_password(&u, &p) => Some(u),
                Some(_) => return error(401, "UNAUTHORIZED", "invalid username or password"),
            };
            (user, param("offline_token") == Some("true"))
        } else {
            match param("grant_type") {
                Some("password") => {
                    let (u, p) = (param("username"), param("password"));
                    match (u, p) {
                        (Some(u), Some(p)) if check_password(u, p) => {
                            (Some(u.to_string()), param("access_type") == Some("offline"))
                        }
                        (Some(_), Some(_)) => {
                            return error(401, "UNAUTHORIZED", "invalid username or password");
                        }
                        _ => return json_response(400, &json!({"error": "invalid_request"})),
                    }
                }
                Some("refresh_token") => {
                    let rt = param("refresh_token").unwrap_or("");
                    match lock(&self.refresh_tokens).get(rt) {
                        Some(u) => (Some(u.clone()), false),
                        None => return error(401, "UNAUTHORIZED", "invalid refresh token"),
                    }
                }
                _ => return json_response(400, &json!({"error": "unsupported_grant_type"})),
            }
        };

        let expires_in = self.expires_in.load(Ordering::SeqCst);
        let token = self.sign(user.as_deref(), &scopes, expires_in);
        let mut resp = json!({
            "token": token,
            "access_token": token,
            "expires_in": expires_in,
            "issued_at": rfc3339(now()),
        });
        if let (true, Some(u)) = (offline, &user) {
            let rt = self.unique("rt-");
            lock(&self.refresh_tokens).insert(rt.clone(), u.clone());
            resp["refresh_token"] = json!(rt);
        }
        json_response(200, &resp)
    }
}
