"""Fixtures for the Python binding tests.

Run them through the harness, which starts the registries and sets the
OCIREG_TEST_* variables, with the package installed:

    make test-python     # the wheel, in a fresh virtual environment
    # or, on the source tree (test_packaging.py then fails: it checks that
    # the installed package is the one under test):
    #   make lib && cargo run --quiet --example test_registry -- \
    #       env PYTHONPATH=bindings/python python3 -m pytest -q tests/python
"""

import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest

import ocireg

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "ocireg.h"

ENV_VARS = [
    "OCIREG_TEST_PLAIN",
    "OCIREG_TEST_PLAIN_STORAGE",
    "OCIREG_TEST_TLS",
    "OCIREG_TEST_TOKEN",
    "OCIREG_TEST_CA",
    "OCIREG_TEST_USER",
    "OCIREG_TEST_PASS",
    "OCIREG_TEST_STALL",
]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


class Env:
    def __init__(self):
        missing = [v for v in ENV_VARS if not os.environ.get(v)]
        if missing:
            pytest.fail(
                "the registry tests need " + ", ".join(missing) + ": run them through the harness, "
                "`make test-python` (or `cargo run --quiet --example test_registry -- "
                "python3 -m pytest -q tests/python` with the package installed)",
                pytrace=False,
            )
        self.plain = os.environ["OCIREG_TEST_PLAIN"]
        self.storage = Path(os.environ["OCIREG_TEST_PLAIN_STORAGE"])
        self.tls = os.environ["OCIREG_TEST_TLS"]
        self.token = os.environ["OCIREG_TEST_TOKEN"]
        self.ca = os.environ["OCIREG_TEST_CA"]
        self.user = os.environ["OCIREG_TEST_USER"]
        self.password = os.environ["OCIREG_TEST_PASS"]
        self.stall = os.environ["OCIREG_TEST_STALL"]

    def blob_path(self, digest):
        hexpart = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hexpart[:2] / hexpart / "data"


@pytest.fixture(scope="session")
def env():
    return Env()


@pytest.fixture(scope="session")
def plain(env):
    """A client for the plain-HTTP registry."""
    with ocireg.Client(insecure=[env.plain], max_retries=1) as client:
        yield client


@pytest.fixture(scope="session")
def tls(env):
    """A client for the HTTPS + basic-auth registry."""
    with ocireg.Client(ca_files=[env.ca], credentials={env.tls: (env.user, env.password)}) as client:
        yield client


@pytest.fixture(scope="session")
def token(env):
    """A client for the HTTPS + token-auth registry."""
    with ocireg.Client(ca_files=[env.ca], credentials={env.token: (env.user, env.password)}) as client:
        yield client


@pytest.fixture
def repo(env):
    """A fresh repository on the plain registry."""
    return f"{env.plain}/py/{uuid.uuid4().hex[:12]}"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_image(client, repo, layer=None, subject=None, artifact_type=None, config=b"{}"):
    """Pushes a config and a layer (random unless given, so that tests
    corrupting storage never share a blob) and returns (manifest bytes,
    its digest)."""
    if layer is None:
        layer = os.urandom(64)
    config_digest = client.push_blob(repo, config)
    layer_digest = client.push_blob(repo, layer)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest, "size": len(layer)}],
    }
    if artifact_type:
        manifest["artifactType"] = artifact_type
    if subject:
        manifest["subject"] = subject
    data = json.dumps(manifest, separators=(",", ":")).encode()
    return data, sha256(data)
