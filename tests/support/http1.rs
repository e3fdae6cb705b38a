//! A minimal blocking HTTP/1.1 toolkit for the support servers: message
//! heads, body framing (Content-Length, chunked, until close), and a tiny
//! client for readiness probes.

use std::io::{self, BufRead, Read, Write};

/// Largest message head accepted (start line plus headers).
const MAX_HEAD: usize = 64 * 1024;

/// A parsed message head: the start line and the headers in order.
#[derive(Debug, Clone)]
pub struct Head {
    /// Request line (`GET /v2/ HTTP/1.1`) or status line (`HTTP/1.1 200 OK`).
    pub start: String,
    /// Header fields as received (names keep their case).
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// For a request: (method, target).
    pub fn request_line(&self) -> io::Result<(String, String)> {
        let mut parts = self.start.split(' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(m), Some(t), Some(v)) if !m.is_empty() && v.starts_with("HTTP/1.") => {
                Ok((m.to_string(), t.to_string()))
            }
            _ => Err(invalid(format!("bad request line {:?}", self.start))),
        }
    }

    /// For a response: the status code.
    pub fn status(&self) -> io::Result<u16> {
        self.start
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line {:?}", self.start)))
    }

    /// Whether the message asks to close the connection after it.
    pub fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
            || self.start.ends_with("HTTP/1.0")
    }
}

/// The first value of header `name` (case-insensitive) in `headers`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// An `InvalidData` error.
pub fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads one message head. Returns `Ok(None)` on a clean end of stream
/// before the first byte (an idle keep-alive connection closing).
pub fn read_head<R: BufRead>(r: &mut R) -> io::Result<Option<Head>> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let mut line = Vec::new();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 {
            if lines.is_empty() && total == 0 {
                return Ok(None);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        total += n;
        if total > MAX_HEAD {
            return Err(invalid("message head too large"));
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        if line.is_empty() {
            if lines.is_empty() {
                continue; // tolerate stray CRLF between messages
            }
            break;
        }
        lines.push(String::from_utf8(line).map_err(|_| invalid("non-UTF-8 head"))?);
    }
    let mut it = lines.into_iter();
    let start = it.next().unwrap_or_default();
    let mut headers = Vec::new();
    for line in it {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(Some(Head { start, headers }))
}

/// How a message body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the connection closes (responses only).
    UntilClose,
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    header(headers, "transfer-encoding").is_some_and(|v| {
        v.rsplit(',')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked"))
    })
}

fn content_length(headers: &[(String, String)]) -> io::Result<Option<u64>> {
    header(headers, "content-length")
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| invalid(format!("bad Content-Length {v:?}")))
        })
        .transpose()
}

/// The body framing of a request.
pub fn request_framing(head: &Head) -> io::Result<Framing> {
    if is_chunked(&head.headers) {
        return Ok(Framing::Chunked);
    }
    Ok(match content_length(&head.headers)? {
        Some(0) | None => Framing::Empty,
        Some(n) => Framing::Length(n),
    })
}

/// The body framing of a response to a request with `method`.
pub fn response_framing(method: &str, head: &Head) -> io::Result<Framing> {
    let status = head.status()?;
    if method.eq_ignore_ascii_case("HEAD") || status < 200 || status == 204 || status == 304 {
        return Ok(Framing::Empty);
    }
    if is_chunked(&head.headers) {
        return Ok(Framing::Chunked);
    }
    Ok(match content_length(&head.headers)? {
        Some(0) => Framing::Empty,
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    })
}

/// Reads a body with the given framing, yielding the decoded bytes.
pub struct BodyReader<'a, R> {
    inner: &'a mut R,
    framing: Framing,
    /// Bytes left in the current chunk or in the fixed-length body.
    left: u64,
    done: bool,
}

impl<'a, R: BufRead> BodyReader<'a, R> {
    /// Starts reading a body framed as `framing` from `inner`.
    pub fn new(inner: &'a mut R, framing: Framing) -> Self {
        let (left, done) = match framing {
            Framing::Empty => (0, true),
            Framing::Length(n) => (n, n == 0),
            Framing::Chunked | Framing::UntilClose => (0, false),
        };
        BodyReader {
            inner,
            framing,
            left,
            done,
        }
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        let mut line = String::new();
        if self.inner.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let size = line.trim().split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut t = String::new();
                if self.inner.read_line(&mut t)? == 0 || t.trim().is_empty() {
                    break;
                }
            }
            self.done = true;
        }
        self.left = size;
        Ok(())
    }

    fn end_chunk(&mut self) -> io::Result<()> {
        let mut crlf = String::new();
        self.inner.read_line(&mut crlf)?;
        if !crlf.trim().is_empty() {
            return Err(invalid("missing CRLF after chunk"));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for BodyReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        match self.framing {
            Framing::Empty => Ok(0),
            Framing::UntilClose => {
                let n = self.inner.read(buf)?;
                if n == 0 {
                    self.done = true;
                }
                Ok(n)
            }
            Framing::Length(_) => {
                let max = buf
                    .len()
                    .min(usize::try_from(self.left).unwrap_or(usize::MAX));
                let n = self.inner.read(&mut buf[..max])?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                self.left -= n as u64;
                self.done = self.left == 0;
                Ok(n)
            }
            Framing::Chunked => {
                if self.left == 0 {
                    self.next_chunk()?;
                    if self.done {
                        return Ok(0);
                    }
                }
                let max = buf
                    .len()
                    .min(usize::try_from(self.left).unwrap_or(usize::MAX));
                let n = self.inner.read(&mut buf[..max])?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                self.left -= n as u64;
                if self.left == 0 {
                    self.end_chunk()?;
                }
                Ok(n)
            }
        }
    }
}

/// Reads a whole body (at most `limit` bytes) into memory.
pub fn read_body<R: BufRead>(r: &mut R, framing: Framing, limit: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    BodyReader::new(r, framing)
        .take(limit + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(invalid("body too large"));
    }
    Ok(out)
}

/// Writes body bytes framed as `Length` (raw) or `Chunked` (chunk per call).
pub fn write_body_part<W: Write>(w: &mut W, framing: Framing, data: &[u8]) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    match framing {
        Framing::Chunked => {
            write!(w, "{:x}\r\n", data.len())?;
            w.write_all(data)?;
            w.write_all(b"\r\n")
        }
        _ => w.write_all(data),
    }
}

/// Ends a body written with [`write_body_part`].
pub fn finish_body<W: Write>(w: &mut W, framing: Framing) -> io::Result<()> {
    if framing == Framing::Chunked {
        w.write_all(b"0\r\n\r\n")?;
    }
    Ok(())
}

/// Serializes a head (start line, headers, blank line).
pub fn head_bytes(start: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(start.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The standard reason phrase of a status code (enough for tests).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes a complete response with a fixed body (`Content-Length` framing;
/// no body bytes for `HEAD`).
pub fn write_response<W: Write>(
    w: &mut W,
    method: &str,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    close: bool,
) -> io::Result<()> {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("connection")
        })
        .cloned()
        .collect();
    all.push(("Content-Length".into(), body.len().to_string()));
    if close {
        all.push(("Connection".into(), "close".into()));
    }
    let mut out = head_bytes(&format!("HTTP/1.1 {status} {}", reason(status)), &all);
    if !method.eq_ignore_ascii_case("HEAD") {
        out.extend_from_slice(body);
    }
    w.write_all(&out)?;
    w.flush()
}

/// Decodes `application/x-www-form-urlencoded` / query strings.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Percent-decodes `s`, with `+` as space.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}
