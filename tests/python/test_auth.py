"""The HTTPS registries: basic auth, token auth, CAs, auth files."""

import base64
import json
import os

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image, sha256


def roundtrip(client, host, name):
    repo = f"{host}/py/{name}-{os.getpid()}"
    data = os.urandom(10_000)
    digest = client.push_blob(repo, data)
    assert client.get_blob(repo, digest) == data
    manifest, mdigest = make_image(client, repo)
    assert client.put_manifest(repo + ":v1", manifest, OCI_MANIFEST) == mdigest
    assert client.tags(repo) == ["v1"]
    assert client.get_manifest(repo + ":v1").digest == mdigest
    return repo


@pytest.mark.parametrize("kind", ["tls", "token"])
def test_authenticated_roundtrip(kind, tls, token, env):
    client, host = (tls, env.tls) if kind == "tls" else (token, env.token)
    client.ping(host)
    client.check_credentials(host)
    repo = roundtrip(client, host, kind)
    assert repo.split("/", 1)[1] in client.catalog(host)


@pytest.mark.parametrize("kind", ["tls", "token"])
def test_wrong_password_is_unauthorized(kind, env):
    host = env.tls if kind == "tls" else env.token
    with ocireg.Client(ca_files=env.ca, credentials={host: (env.user, "wrong")}) as client:
        with pytest.raises(ocireg.UnauthorizedError) as e:
            client.check_credentials(host)
        assert e.value.status_name == "UNAUTHORIZED"
        assert e.value.http_status == 401
        with pytest.raises(ocireg.UnauthorizedError):
            client.get_blob(f"{host}/py/any", sha256(b"x"))


@pytest.mark.parametrize("kind", ["tls", "token"])
def test_no_credentials_is_unauthorized(kind, env):
    host = env.tls if kind == "tls" else env.token
    with ocireg.Client(ca_files=[env.ca]) as client:
        with pytest.raises(ocireg.UnauthorizedError) as e:
            client.tags(f"{host}/py/any")
        assert e.value.http_status == 401


def test_an_unknown_ca_is_a_tls_error(env):
    with ocireg.Client(credentials={env.tls: (env.user, env.password)}, max_retries=0) as client:
        with pytest.raises(ocireg.TlsError):
            client.ping(env.tls)


def test_insecure_skips_certificate_checks(env):
    with ocireg.Client(insecure=[env.tls], credentials={env.tls: (env.user, env.password)}) as client:
        client.check_credentials(env.tls)


def test_credentials_from_an_auth_file(env, tmp_path):
    auth = tmp_path / "config.json"
    token = base64.b64encode(f"{env.user}:{env.password}".encode()).decode()
    auth.write_text(json.dumps({"auths": {env.tls: {"auth": token}, env.token: {"auth": token}}}))
    with ocireg.Client(ca_files=[env.ca], auth_file=str(auth)) as client:
        client.check_credentials(env.tls)
        client.check_credentials(env.token)
        roundtrip(client, env.token, "authfile")


def test_headers_and_user_agent_are_accepted_by_registries(env):
    with ocireg.Client(
        ca_files=[env.ca],
        credentials={env.tls: (env.user, env.password)},
        user_agent="ocireg-python-tests/1",
        headers={"X-Ocireg-Test": "yes"},
    ) as client:
        client.check_credentials(env.tls)


def test_a_read_only_account_cannot_push(env):
    # `reader`/`readerpass` of tests/support/token_server.rs: pull only.
    with ocireg.Client(ca_files=[env.ca], credentials={env.token: ("reader", "readerpass")}, max_retries=0) as client:
        client.check_credentials(env.token)
        with pytest.raises((ocireg.DeniedError, ocireg.UnauthorizedError)) as e:
            client.push_blob(f"{env.token}/py/read-only", b"x")
        assert e.value.http_status in (401, 403)


def test_a_hanging_credential_helper_times_out(env, tmp_path, monkeypatch):
    """credential_helper_timeout reaches the library: a helper that never
    answers is killed and the lookup fails with a TimeoutError, soon."""
    import time

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-hang"
    helper.write_text("#!/bin/sh\nexec sleep 30\n")
    helper.chmod(0o755)
    auth = tmp_path / "config.json"
    auth.write_text(json.dumps({"credsStore": "hang"}))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with ocireg.Client(ca_files=[env.ca], auth_file=str(auth), credential_helper_timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(ocireg.TimeoutError):
            client.check_credentials(env.tls)
        assert time.monotonic() - started < 60  # a bound for a hang, not a speed test


# A second process: fetches a blob from the token registry and prints how
# many token requests it made (from the debug log, one line per request).
SECOND_PROCESS = r"""
import sys
import ocireg
host, ca, user, password, cache, repo, digest = sys.argv[1:]
lines = []
ocireg.set_log_callback(lambda level, message: lines.append(message))
options = {"token_cache": cache} if cache else {}
with ocireg.Client(ca_files=[ca], credentials={host: (user, password)}, **options) as client:
    client.get_blob(repo, digest)
ocireg.set_log_callback(None)
print(sum("/token?" in line for line in lines))
"""


def test_a_token_cache_file_serves_the_next_process(env, tmp_path):
    import stat
    import subprocess
    import sys

    cache = tmp_path / "cache" / "tokens.json"
    repo = f"{env.token}/py/tokencache-{os.getpid()}"
    with ocireg.Client(
        ca_files=[env.ca], credentials={env.token: (env.user, env.password)}, token_cache=str(cache)
    ) as first:
        digest = first.push_blob(repo, b"token cache")
        assert first.get_blob(repo, digest) == b"token cache"

    def second(cache_path):
        out = subprocess.run(
            [sys.executable, "-c", SECOND_PROCESS, env.token, env.ca, env.user, env.password,
             cache_path, repo, digest],
            check=True, capture_output=True, text=True,
        )
        return int(out.stdout.strip())

    assert second(str(cache)) == 0, "the second process reuses the first one's token"
    assert second("") == 1, "without the file it asks the token server"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    text = cache.read_text()
    assert env.password not in text
    assert f"repository:py/tokencache-{os.getpid()}:pull" in text
