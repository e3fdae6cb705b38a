"""Mutual TLS through the binding (issue 14): the harness's mutual-TLS
registry wants a client certificate signed by the test CA; the pair is
given only in a certs.d directory."""

import os
import shutil
import uuid

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image


def test_pull_with_the_pair_only_in_certs_d(env, tmp_path):
    mtls = os.environ.get("OCIREG_TEST_MTLS")
    assert mtls, "OCIREG_TEST_MTLS is not set: run me through the harness"
    root = tmp_path / "certs.d"
    pair = root / mtls
    pair.mkdir(parents=True)
    shutil.copy(env.ca, pair / "ca.crt")
    shutil.copy(os.environ["OCIREG_TEST_CLIENT_CERT"], pair / "client.cert")
    shutil.copy(os.environ["OCIREG_TEST_CLIENT_KEY"], pair / "client.key")
    ca_only = tmp_path / "ca-only"
    ca_only.mkdir()
    shutil.copy(env.ca, ca_only / "ca.crt")

    repo = f"{mtls}/py/mtls-{uuid.uuid4().hex[:12]}"
    with ocireg.Client(certs_d_roots=[root], max_retries=0) as client:
        data, digest = make_image(client, repo)
        client.put_manifest(f"{repo}:v1", data, OCI_MANIFEST)
        assert client.digest(f"{repo}:v1") == digest
        assert client.get_manifest(f"{repo}:v1").data == data
    with ocireg.Client(cert_dir=ca_only, max_retries=0) as client:
        with pytest.raises((ocireg.TlsError, ocireg.NetworkError)) as e:
            client.digest(f"{repo}:v1")
        assert str(e.value)
