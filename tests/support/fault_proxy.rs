//! An HTTP/1.1 reverse proxy in front of a plain-HTTP upstream, which records
//! requests and injects faults.
//!
//! Every rule applies to requests whose method matches (case-insensitive;
//! `"*"` matches any) and whose path-and-query contains a substring, for the
//! first `times` matching requests (`usize::MAX` for always). Rules are
//! checked in the order they were added; `require_basic` comes before all.

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::http1::{self, Framing, Head};
use super::server::{Server, lock};

/// One request as the proxy received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The request target, e.g. `/v2/a/b/blobs/sha256:...?x=y`.
    pub path_and_query: String,
    /// Header fields as received.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        http1::header(&self.headers, name)
    }
}

#[derive(Debug, Clone)]
enum Action {
    CutBodyAfter(u64),
    CutRequestAfter(u64),
    Respond(u16, Vec<(String, String)>),
    Redirect(String),
    CorruptByte(u64),
    RewriteRange(Option<String>),
}

#[derive(Debug)]
struct Rule {
    method: String,
    path_contains: String,
    remaining: usize,
    action: Action,
}

#[derive(Default)]
struct State {
    upstream: String,
    proxy_host: String,
    requests: Mutex<Vec<RecordedRequest>>,
    rules: Mutex<Vec<Rule>>,
    basic: Mutex<Option<String>>,
    /// Requests with a `Range` header being served now, and the most ever.
    ranged: Mutex<(usize, usize)>,
}

/// A running fault-injecting proxy. Stops on drop.
pub struct FaultProxy {
    state: Arc<State>,
    server: Server,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 (free port) forwarding to
    /// `upstream_host` (`127.0.0.1:PORT`, plain HTTP).
    pub fn start(upstream_host: &str) -> FaultProxy {
        let upstream = upstream_host
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        // The handler needs the proxy's own address, known only after bind:
        // share the state through a slot filled right after start.
        let slot: Arc<Mutex<Option<Arc<State>>>> = Arc::default();
        let handler_slot = slot.clone();
        let server = Server::start(
            "fault-proxy",
            Arc::new(move |tcp| {
                let state = lock(&handler_slot).clone();
                if let Some(state) = state {
                    serve_connection(&state, tcp);
                }
            }),
        );
        let state = Arc::new(State {
            upstream,
            proxy_host: server.addr().to_string(),
            ..State::default()
        });
        *lock(&slot) = Some(state.clone());
        FaultProxy { state, server }
    }

    /// `127.0.0.1:PORT` of the proxy.
    pub fn host(&self) -> &str {
        self.server.addr()
    }

    /// Every request received so far, in order (faulted ones included).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// How many requests had `method` (`"*"` = any) and a path-and-query
    /// containing `path_contains`.
    pub fn count(&self, method: &str, path_contains: &str) -> usize {
        lock(&self.state.requests)
            .iter()
            .filter(|r| {
                method_matches(method, &r.method) && r.path_and_query.contains(path_contains)
            })
            .count()
    }

    /// The most requests with a `Range` header served at once so far (from
    /// their head's arrival until their response was sent).
    pub fn max_ranged_in_flight(&self) -> usize {
        lock(&self.state.ranged).1
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// Removes every fault rule and the basic-auth requirement.
    pub fn clear_faults(&self) {
        lock(&self.state.rules).clear();
        *lock(&self.state.basic) = None;
    }

    fn add(&self, method: &str, path_contains: &str, times: usize, action: Action) {
        lock(&self.state.rules).push(Rule {
            method: method.to_string(),
            path_contains: path_contains.to_string(),
            remaining: times,
            action,
        });
    }

    /// Forwards the response head and only `bytes` bytes of the body, then
    /// closes the connection (the client sees a truncated body).
    pub fn cut_body_after(&self, method: &str, path_contains: &str, bytes: u64, times: usize) {
        self.add(method, path_contains, times, Action::CutBodyAfter(bytes));
    }

    /// Forwards only `bytes` bytes of the request body to the upstream,
    /// then closes both connections (an upload cut in the middle).
    pub fn cut_request_after(&self, method: &str, path_contains: &str, bytes: u64, times: usize) {
        self.add(method, path_contains, times, Action::CutRequestAfter(bytes));
    }

    /// Answers `status` with `headers` without contacting the upstream. The
    /// body is a small registry-style JSON error (`TOOMANYREQUESTS` for 429).
    pub fn respond_status(
        &self,
        method: &str,
        path_contains: &str,
        status: u16,
        headers: Vec<(String, String)>,
        times: usize,
    ) {
        self.add(
            method,
            path_contains,
            times,
            Action::Respond(status, headers),
        );
    }

    /// Answers 307 with `Location: {location_base}{path_and_query}`.
    pub fn redirect(&self, method: &str, path_contains: &str, location_base: &str, times: usize) {
        let base = location_base.trim_end_matches('/').to_string();
        self.add(method, path_contains, times, Action::Redirect(base));
    }

    /// Flips (XOR 0xFF) the response body byte at `offset`.
    pub fn corrupt_body_byte(&self, method: &str, path_contains: &str, offset: u64, times: usize) {
        self.add(method, path_contains, times, Action::CorruptByte(offset));
    }

    /// Forwards a request that has a `Range` header with `Range: {range}`
    /// instead, or without one for `None` (a registry that ignores
    /// `Range`, or answers another range than asked).
    pub fn rewrite_range(
        &self,
        method: &str,
        path_contains: &str,
        range: Option<&str>,
        times: usize,
    ) {
        let action = Action::RewriteRange(range.map(str::to_string));
        self.add(method, path_contains, times, action);
    }

    /// From now on, every request without exactly this `Authorization: Basic`
    /// gets 401 with `WWW-Authenticate: Basic realm="fault-proxy"`.
    pub fn require_basic(&self, user: &str, pass: &str) {
        *lock(&self.state.basic) = Some(format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{pass}"))
        ));
    }
}

fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*" || pattern.eq_ignore_ascii_case(method)
}

impl State {
    /// The action for this request, consuming one use of the matching rule.
    fn take_action(&self, method: &str, target: &str) -> Option<Action> {
        let mut rules = lock(&self.rules);
        let rule = rules.iter_mut().find(|r| {
            r.remaining > 0
                && method_matches(&r.method, method)
                && target.contains(&r.path_contains)
        })?;
        rule.remaining -= 1;
        Some(rule.action.clone())
    }

    fn rewrite_location(&self, v: &str) -> String {
        let from = format!("http://{}", self.upstream);
        match v.strip_prefix(&from) {
            Some(rest) => format!("http://{}{rest}", self.proxy_host),
            None => v.replace(&format!("<{from}"), &format!("<http://{}", self.proxy_host)),
        }
    }
}

/// What to do with the client connection after a response.
enum After {
    KeepAlive,
    Close,
}

fn serve_connection(state: &State, tcp: TcpStream) {
    let Ok(write_half) = tcp.try_clone() else {
        return;
    };
    let mut client = BufReader::with_capacity(64 * 1024, tcp);
    let mut out = write_half;
    loop {
        let head = match http1::read_head(&mut client) {
            Ok(Some(h)) => h,
            _ => return,
        };
        let Ok((method, target)) = head.request_line() else {
            return;
        };
        lock(&state.requests).push(RecordedRequest {
            method: method.clone(),
            path_and_query: target.clone(),
            headers: head.headers.clone(),
        });
        let ranged = head.header("range").is_some();
        if ranged {
            let mut r = lock(&state.ranged);
            r.0 += 1;
            r.1 = r.1.max(r.0);
        }
        let handled = handle(state, &mut client, &mut out, &head, &method, &target);
        if ranged {
            lock(&state.ranged).0 -= 1;
        }
        let after = handled.unwrap_or(After::Close);
        if matches!(after, After::Close) || head.wants_close() {
            let _ = out.flush();
            let _ = out.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn fault_body(status: u16) -> Vec<u8> {
    let (code, message) = match status {
        429 => ("TOOMANYREQUESTS", "slow down"),
        401 => ("UNAUTHORIZED", "authentication required"),
        503 => ("UNAVAILABLE", "service unavailable"),
        _ => ("UNKNOWN", "injected fault"),
    };
    format!(r#"{{"errors":[{{"code":"{code}","message":"{message}"}}]}}"#).into_bytes()
}

/// Answers without the upstream: drains the request body first (keeping the
/// connection usable), unless the client waits for `100 Continue`.
fn respond_direct<R: io::BufRead>(
    client: &mut R,
    out: &mut TcpStream,
    head: &Head,
    method: &str,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<After> {
    let expects = head
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    let framing = http1::request_framing(head)?;
    if expects && framing != Framing::Empty {
        http1::write_response(out, method, status, headers, body, true)?;
        return Ok(After::Close);
    }
    io::copy(
        &mut http1::BodyReader::new(client, framing),
        &mut io::sink(),
    )?;
    http1::write_response(out, method, status, headers, body, false)?;
    Ok(After::KeepAlive)
}

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
];

fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
}

fn handle<R: io::BufRead>(
    state: &State,
    client: &mut R,
    out: &mut TcpStream,
    head: &Head,
    method: &str,
    target: &str,
) -> io::Result<After> {
    let json = vec![("Content-Type".to_string(), "application/json".to_string())];
    let required = lock(&state.basic).clone();
    if let Some(expected) = required
        && head.header("authorization") != Some(expected.as_str())
    {
        let mut h = json;
        h.push((
            "WWW-Authenticate".into(),
            "Basic realm=\"fault-proxy\"".into(),
        ));
        return respond_direct(client, out, head, method, 401, &h, &fault_body(401));
    }
    let action = state.take_action(method, target);
    match &action {
        Some(Action::Respond(status, extra)) => {
            let mut h = json;
            h.extend(extra.iter().cloned());
            return respond_direct(client, out, head, method, *status, &h, &fault_body(*status));
        }
        Some(Action::Redirect(base)) => {
            let h = vec![("Location".to_string(), format!("{base}{target}"))];
            return respond_direct(client, out, head, method, 307, &h, b"");
        }
        _ => {}
    }
    forward(state, client, out, head, method, target, action)
}

fn forward<R: io::BufRead>(
    state: &State,
    client: &mut R,
    out: &mut TcpStream,
    head: &Head,
    method: &str,
    target: &str,
    action: Option<Action>,
) -> io::Result<After> {
    let req_framing = http1::request_framing(head)?;
    if head
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let upstream = match TcpStream::connect(&state.upstream) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("fault proxy: upstream {} unreachable: {e}", state.upstream);
            return respond_direct(client, out, head, method, 502, &[], msg.as_bytes());
        }
    };
    upstream.set_nodelay(true)?;
    upstream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut up_write = upstream.try_clone()?;

    // Request head.
    let mut headers: Vec<(String, String)> = head
        .headers
        .iter()
        .filter(|(n, _)| {
            !is_hop_by_hop(n)
                && !n.eq_ignore_ascii_case("host")
                && !n.eq_ignore_ascii_case("content-length")
        })
        .cloned()
        .collect();
    headers.insert(0, ("Host".into(), state.upstream.clone()));
    if let Some(Action::RewriteRange(range)) = &action {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("range"));
        if let Some(range) = range {
            headers.push(("Range".into(), range.clone()));
        }
    }
    match req_framing {
        Framing::Length(n) => headers.push(("Content-Length".into(), n.to_string())),
        Framing::Chunked => headers.push(("Transfer-Encoding".into(), "chunked".into())),
        _ if head.header("content-length").is_some() => {
            headers.push(("Content-Length".into(), "0".into()));
        }
        _ => {}
    }
    headers.push(("Connection".into(), "close".into()));
    let mut w = io::BufWriter::with_capacity(64 * 1024, &mut up_write);
    w.write_all(&http1::head_bytes(
        &format!("{method} {target} HTTP/1.1"),
        &headers,
    ))?;

    // Request body, streamed. If the upstream stops reading (it answered
    // early), still try to read its answer, then close the client side.
    let mut body = http1::BodyReader::new(client, req_framing);
    let mut buf = vec![0u8; 64 * 1024];
    let mut upstream_failed = false;
    let cut_at = match action {
        Some(Action::CutRequestAfter(limit)) => Some(limit),
        _ => None,
    };
    let mut forwarded = 0u64;
    loop {
        let n = body.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(limit) = cut_at
            && forwarded + n as u64 >= limit
        {
            let keep = (limit - forwarded) as usize;
            let _ = http1::write_body_part(&mut w, req_framing, &buf[..keep]);
            let _ = w.flush();
            drop(w);
            // Let the upstream take in what it got before the cut.
            std::thread::sleep(Duration::from_millis(50));
            let _ = up_write.shutdown(Shutdown::Both);
            let _ = out.shutdown(Shutdown::Both);
            return Ok(After::Close);
        }
        forwarded += n as u64;
        if http1::write_body_part(&mut w, req_framing, &buf[..n]).is_err() {
            upstream_failed = true;
            break;
        }
    }
    let request_done = body.is_done();
    if !upstream_failed {
        upstream_failed = http1::finish_body(&mut w, req_framing)
            .and_then(|()| w.flush())
            .is_err();
    }
    drop(w);

    // Response head.
    let mut up_read = BufReader::with_capacity(64 * 1024, upstream);
    let resp = loop {
        let resp = match http1::read_head(&mut up_read) {
            Ok(Some(h)) => h,
            _ if upstream_failed => return Ok(After::Close),
            Ok(None) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Err(e) => return Err(e),
        };
        if resp.status()? >= 200 {
            break resp;
        }
    };
    let status = resp.status()?;
    let resp_framing = http1::response_framing(method, &resp)?;
    let out_framing = match resp_framing {
        Framing::UntilClose => Framing::Chunked,
        f => f,
    };
    let mut out_headers: Vec<(String, String)> = resp
        .headers
        .iter()
        .filter(|(n, _)| !is_hop_by_hop(n))
        .map(|(n, v)| {
            if n.eq_ignore_ascii_case("location") || n.eq_ignore_ascii_case("link") {
                (n.clone(), state.rewrite_location(v))
            } else {
                (n.clone(), v.clone())
            }
        })
        .collect();
    if out_framing == Framing::Chunked {
        out_headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-length"));
        out_headers.push(("Transfer-Encoding".into(), "chunked".into()));
    }
    let close = !request_done || upstream_failed;
    if close {
        out_headers.push(("Connection".into(), "close".into()));
    }
    let start = format!("HTTP/1.1 {status} {}", http1::reason(status));
    let mut w = io::BufWriter::with_capacity(64 * 1024, &mut *out);
    w.write_all(&http1::head_bytes(&start, &out_headers))?;

    // Response body, streamed, with the faults applied.
    let (cut, corrupt) = match action {
        Some(Action::CutBodyAfter(n)) => (Some(n), None),
        Some(Action::CorruptByte(o)) => (None, Some(o)),
        _ => (None, None),
    };
    let mut body = http1::BodyReader::new(&mut up_read, resp_framing);
    let mut pos: u64 = 0;
    loop {
        let mut n = body.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(o) = corrupt
            && o >= pos
            && o < pos + n as u64
        {
            buf[(o - pos) as usize] ^= 0xFF;
        }
        if let Some(limit) = cut {
            let left = limit.saturating_sub(pos);
            if (n as u64) >= left {
                n = left as usize;
                http1::write_body_part(&mut w, out_framing, &buf[..n])?;
                w.flush()?;
                return Ok(After::Close);
            }
        }
        http1::write_body_part(&mut w, out_framing, &buf[..n])?;
        pos += n as u64;
    }
    if let Some(limit) = cut
        && pos <= limit
    {
        // The body was no longer than the cut: cut the connection anyway
        // before the end of the message.
        w.flush()?;
        return Ok(After::Close);
    }
    http1::finish_body(&mut w, out_framing)?;
    w.flush()?;
    Ok(if close {
        After::Close
    } else {
        After::KeepAlive
    })
}
