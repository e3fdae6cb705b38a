"""Login that persists, logout, search, rate limits and the HEAD-only
digest, through the binding."""

import http.server
import json
import os
import subprocess
import threading

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image


def test_login_stores_and_logout_erases(env, tmp_path):
    auth = tmp_path / "auth.json"
    auth.write_text('{"auths": {"keep.example": {"auth": "a2VlcDptZQ=="}}, "x-custom": 1}')
    with ocireg.Client(ca_files=[env.ca]) as client:
        with pytest.raises(ocireg.UnauthorizedError) as e:
            client.login(env.tls, env.user, "WRONG-SECRET", auth_file=auth)
        assert "WRONG-SECRET" not in str(e.value)
        assert client.login(env.tls, env.user, env.password, auth_file=auth) == str(auth)
    written = json.loads(auth.read_text())
    assert written["x-custom"] == 1
    assert written["auths"]["keep.example"] == {"auth": "a2VlcDptZQ=="}
    assert env.tls in written["auths"]
    assert oct(auth.stat().st_mode & 0o777) == "0o600"
    # skopeo sees it, and a client reading the file uses it.
    got = subprocess.run(
        ["skopeo", "login", "--get-login", "--authfile", str(auth), env.tls],
        capture_output=True, text=True, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert got.stdout.strip() == env.user, got.stderr
    with ocireg.Client(ca_files=[env.ca], auth_file=str(auth)) as reader:
        reader.check_credentials(env.tls)
        assert reader.logout(env.tls, auth_file=auth) == str(auth)
        with pytest.raises(ocireg.NotFoundError):
            reader.logout(env.tls, auth_file=auth)
    assert env.tls not in json.loads(auth.read_text())["auths"]
    with ocireg.Client() as client:
        with pytest.raises(ValueError):
            client.logout()
        with pytest.raises(ValueError):
            client.login(env.tls, "u", "p", auth_file=auth, docker=True)


def test_search_falls_back_to_the_catalog(plain, env):
    tag = os.urandom(4).hex()
    for name in ("one", "two", "three"):
        repo = f"{env.plain}/pysearch-{tag}/{name}"
        manifest, _ = make_image(plain, repo)
        plain.put_manifest(repo + ":v1", manifest, OCI_MANIFEST)
    found = plain.search(env.plain, f"pysearch-{tag}", limit=2)
    assert [r.name for r in found] == [f"pysearch-{tag}/one", f"pysearch-{tag}/three"]
    assert all(r.description == "" and r.star_count == 0 and not r.is_official for r in found)
    with pytest.raises(ValueError):
        plain.search(env.plain, "x", limit=0)


class _Hub(http.server.BaseHTTPRequestHandler):
    """Docker Hub's documented shapes: v1 search and rate-limit headers."""

    def _reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/v2/":
            return self._reply(200, b"{}")
        if self.path.startswith("/v1/search?q=alpine&n=1"):
            results = [
                {"name": "library/alpine", "description": "A minimal image", "star_count": 11000,
                 "is_official": True, "is_automated": False, "is_trusted": False},
                {"name": "x/alpine", "description": "", "star_count": 1,
                 "is_official": False, "is_automated": True, "is_trusted": True},
            ]
            body = json.dumps({"num_results": 2, "query": "alpine", "results": results}).encode()
            return self._reply(200, body, [("Content-Type", "application/json")])
        self._reply(404)

    def do_HEAD(self):
        h = [("ratelimit-limit", "100;w=21600"), ("docker-ratelimit-source", "192.0.2.9")]
        if self.path.endswith("/limited"):
            return self._reply(429, b"", h + [("ratelimit-remaining", "0;w=21600"), ("Retry-After", "3600")])
        self._reply(200, b"{}", h + [
            ("ratelimit-remaining", "42;w=21600"),
            ("Content-Type", OCI_MANIFEST),
            ("Docker-Content-Digest", "sha256:" + "ab" * 32),
        ])

    def log_message(self, *args):
        pass


@pytest.fixture
def hub():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_v1_search_rate_limits_and_digest(hub):
    with ocireg.Client(insecure=[hub], max_retries=0) as client:
        found = client.search(hub, "alpine", limit=1)
        assert found == [ocireg.SearchResult("library/alpine", "A minimal image", 11000, True, False, False)]
        assert client.last_rate_limit(hub) == ocireg.RateLimit(None, None, None, None, None)
        limit = client.rate_limit(f"{hub}/library/alpine:latest")
        assert limit == ocireg.RateLimit(100, 21600, 42, 21600, "192.0.2.9")
        assert client.last_rate_limit(hub) == limit
        assert client.digest(f"{hub}/library/alpine:latest") == "sha256:" + "ab" * 32
        with pytest.raises(ocireg.TooManyRequestsError) as e:
            client.rate_limit(f"{hub}/library/alpine:limited")
        assert e.value.retry_after == 3600.0
        # The exception carries the 429's rate limit.
        assert e.value.rate_limit == ocireg.RateLimit(100, 21600, 0, 21600, "192.0.2.9")
        assert e.value.http_status == 429
        assert client.last_rate_limit(hub).remaining == 0


def test_a_registry_without_headers_is_unknown(plain, repo):
    manifest, digest = make_image(plain, repo)
    plain.put_manifest(repo + ":v1", manifest, OCI_MANIFEST)
    assert plain.rate_limit(repo + ":v1") == ocireg.RateLimit(None, None, None, None, None)
    assert plain.digest(repo + ":v1") == digest
