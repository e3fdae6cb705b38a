"""Raw requests from Python (Client.request, Client.request_to) against the
three registries and scripted local servers, the cross-origin `Link`
refusal, and the auth-file check at the setter."""

import http.server
import io
import re
import threading
import uuid

import pytest

import ocireg
from conftest import sha256


def _path_of(location):
    return re.sub(r"^[a-z]+://[^/]+", "", location)


def _round_trip(client, host, repo, scopes=None, stream=False):
    data = bytes(range(256)) * 800
    digest = sha256(data)
    started = client.request("POST", host, f"/v2/{repo}/blobs/uploads/", scopes=scopes)
    assert started.status == 202 and started.ok
    location = _path_of(started.header("Location"))
    sep = "&" if "?" in location else "?"
    body = io.BytesIO(data) if stream else data
    put = client.request("PUT", host, f"{location}{sep}digest={digest}", scopes=scopes, data=body,
                         headers={"Content-Type": "application/octet-stream"})
    assert put.status == 201, put
    got = client.request("GET", host, f"/v2/{repo}/blobs/{digest}", scopes=scopes)
    assert got.status == 200 and got.body == data
    assert got.header("docker-content-digest") == digest
    out = io.BytesIO()
    streamed = client.request_to("GET", host, f"/v2/{repo}/blobs/{digest}", out, scopes=scopes)
    assert streamed.body is None and out.getvalue() == data
    missing = client.request("GET", host, f"/v2/{repo}/manifests/nope", scopes=scopes)
    assert missing.status == 404 and not missing.ok
    assert b"MANIFEST_UNKNOWN" in missing.body


@pytest.mark.parametrize("stream", [False, True])
def test_raw_requests_on_the_plain_registry(plain, env, stream):
    _round_trip(plain, env.plain, f"py/raw-{uuid.uuid4().hex[:8]}", stream=stream)


def test_raw_requests_with_basic_auth(tls, env):
    _round_trip(tls, env.tls, f"py/raw-{uuid.uuid4().hex[:8]}")
    with ocireg.Client(ca_files=[env.ca]) as anonymous:
        assert anonymous.request("GET", env.tls, "/v2/_catalog").status == 401


def test_raw_requests_with_token_auth(token, env):
    repo = f"py/raw-{uuid.uuid4().hex[:8]}"
    _round_trip(token, env.token, repo, scopes=[f"repository:{repo}:pull,push"])
    # Without a scope the registry's challenge names the one it needs.
    assert token.request("GET", env.token, "/v2/_catalog").status == 200


def test_raw_request_arguments(plain, env):
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.request("TRACE", env.plain, "/v2/")
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.request("GET", env.plain, "/v2/../admin")
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.request("GET", env.plain, "//evil.test/")
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.request("GET", env.plain, "/v2/", headers={"Authorization": "Bearer x"})
    with pytest.raises(ocireg.InvalidArgumentError) as e:
        plain.request("GET", env.plain, "/v2/", headers=[("X-Secret", "s3cr3t\nx")])
    assert "s3cr3t" not in str(e.value)
    with pytest.raises(ValueError):
        plain.request("GET", env.plain, "/v2/", max_body=-1)
    with pytest.raises(ocireg.SizeExceededError):
        plain.request("GET", env.plain, "/v2/", max_body=1)
    r = plain.request("get", env.plain, "/v2/", headers=[("Accept", "application/json")])
    assert r.status == 200 and r.body == b"{}" and isinstance(r, ocireg.Response)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _serve(handler):
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"


def _quiet(cls):
    cls.log_message = lambda *a: None
    cls.protocol_version = "HTTP/1.1"
    return cls


def _reply(h, status, headers=(), body=b"{}"):
    h.send_response(status)
    for k, v in headers:
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


def test_endless_body_and_cross_origin_redirect():
    seen = []

    @_quiet
    class Other(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(dict(self.headers))
            _reply(self, 200, body=b"elsewhere")

    other, other_host = _serve(Other)

    @_quiet
    class Registry(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("Authorization") is None:
                return _reply(self, 401, [("WWW-Authenticate", 'Basic realm="r"')])
            if self.path == "/v2/":
                return _reply(self, 200)
            if self.path == "/endless":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"10000\r\n" + b"e" * 0x10000 + b"\r\n"
                try:
                    while True:
                        self.wfile.write(chunk)
                except OSError:
                    return
            _reply(self, 302, [("Location", f"http://{other_host}/elsewhere")])

    registry, host = _serve(Registry)
    try:
        with ocireg.Client(insecure=[host], credentials={host: ("u", "secret")}, max_retries=0) as c:
            r = c.request("GET", host, "/api/projects")
            assert r.status == 200 and r.body == b"elsewhere"
            assert len(seen) == 1 and "Authorization" not in seen[0], seen
            with pytest.raises(ocireg.SizeExceededError):
                c.request("GET", host, "/endless", max_body=1 << 20)
    finally:
        registry.shutdown()
        other.shutdown()


def test_a_next_link_to_another_origin_is_refused():
    hits = []

    @_quiet
    class Other(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            _reply(self, 200, body=b'{"name":"r","tags":["b"]}')

    other, other_host = _serve(Other)

    @_quiet
    class Registry(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/v2/":
                return _reply(self, 200)
            link = f'<http://{other_host}/v2/r/tags/list?last=a>; rel="next"'
            _reply(self, 200, [("Link", link), ("Content-Type", "application/json")],
                   b'{"name":"r","tags":["a"]}')

    registry, host = _serve(Registry)
    try:
        with ocireg.Client(insecure=[host], max_retries=0) as c:
            with pytest.raises(ocireg.ProtocolError, match="another origin"):
                c.tags(f"{host}/r")
        assert hits == []
    finally:
        registry.shutdown()
        other.shutdown()


def test_a_missing_auth_file_fails_at_once(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(ocireg.InvalidArgumentError, match=re.escape(str(missing))):
        ocireg.Client(auth_file=missing)
    with pytest.raises(ocireg.InvalidArgumentError, match="not a regular file"):
        ocireg.Client(auth_file=tmp_path)
