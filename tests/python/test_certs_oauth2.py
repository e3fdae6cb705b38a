"""certs.d directories and the OAuth2 token options (issue 14)."""

import os
import shutil

import pytest

import ocireg


def cert_dir_with_ca(env, path):
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(env.ca, path / "ca.crt")
    return path


def tls_client(env, **options):
    creds = {env.tls: (env.user, env.password)}
    return ocireg.Client(credentials=creds, max_retries=0, **options)


def test_a_ca_only_in_certs_d(env, tmp_path):
    with tls_client(env) as client:
        with pytest.raises(ocireg.TlsError):
            client.ping(env.tls)
    certs = cert_dir_with_ca(env, tmp_path / "certs")
    with tls_client(env, cert_dir=certs) as client:
        client.ping(env.tls)
    root = tmp_path / "root"
    cert_dir_with_ca(env, root / env.tls)
    with tls_client(env, certs_d_roots=[tmp_path / "none", root], system_certs_d=True) as client:
        client.ping(env.tls)


def test_bad_cert_dirs_are_clear_errors(env, tmp_path):
    with pytest.raises(ocireg.InvalidArgumentError) as e:
        tls_client(env, cert_dir=tmp_path / "missing")
    assert "missing" in str(e.value)
    certs = cert_dir_with_ca(env, tmp_path / "half")
    (certs / "client.cert").write_bytes(b"x")
    with pytest.raises(ocireg.TlsError) as e:
        tls_client(env, cert_dir=certs)
    assert "client.cert" in str(e.value) and "client.key" in str(e.value)


def test_oauth2_password_grant_and_offline_token(env):
    creds = {env.token: (env.user, env.password)}
    with ocireg.Client(
        ca_files=env.ca,
        credentials=creds,
        force_oauth2=True,
        offline_token=True,
        oauth2_client_id="ocireg-python-test",
    ) as client:
        repo = f"{env.token}/py/oauth2-{os.getpid()}"
        data = os.urandom(1000)
        digest = client.push_blob(repo, data)
        assert client.get_blob(repo, digest) == data
        # A second repository: another scope, asked with the refresh token.
        other = f"{env.token}/py/oauth2-other-{os.getpid()}"
        assert client.push_blob(other, data) == digest
    with pytest.raises(ocireg.InvalidArgumentError):
        ocireg.Client(oauth2_client_id="")
    with ocireg.Client(ca_files=env.ca, credentials={env.token: (env.user, "wrong")}, force_oauth2=True) as client:
        with pytest.raises(ocireg.UnauthorizedError) as e:
            client.check_credentials(env.token)
        assert "wrong" not in str(e.value)
