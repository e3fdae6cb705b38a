"""Platforms as data, the registry's whole error body, and the log
callback, against the real test registries."""

import json
import pickle
import threading

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def push_multi(client, repo):
    """Pushes linux/amd64, linux/arm64/v8 and a windows image (os.version,
    os.features) under an index tagged "multi"; returns (index digest, the
    three (manifest, digest) pairs)."""
    images = []
    for arch, variant in [("amd64", None), ("arm64", "v8"), ("amd64", None)]:
        config = {"os": "linux", "architecture": arch}
        if variant:
            config["variant"] = variant
        data, digest = make_image(client, repo, config=json.dumps(config).encode())
        client.put_manifest(f"{repo}@{digest}", data, OCI_MANIFEST)
        images.append((data, digest))
    platforms = [
        {"os": "linux", "architecture": "amd64"},
        {"os": "linux", "architecture": "arm64", "variant": "v8", "features": ["f1"]},
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.1757", "os.features": ["win32k"]},
    ]
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": d, "size": len(m), "platform": p}
            for (m, d), p in zip(images, platforms)
        ],
    }
    digest = client.put_manifest(f"{repo}:multi", json.dumps(index).encode(), OCI_INDEX)
    return digest, images


def test_platforms_of_an_index_and_of_an_image(plain, repo):
    index, images = push_multi(plain, repo)
    for ref in (f"{repo}:multi", f"{repo}@{index}"):
        got = plain.platforms(ref)
        assert [str(p) for p in got] == ["linux/amd64", "linux/arm64/v8", "windows/amd64"]
        assert [p.digest for p in got] == [d for _, d in images]
        assert [p.size for p in got] == [len(m) for m, _ in images]
        assert {p.media_type for p in got} == {OCI_MANIFEST}
        assert got[0] == ocireg.Platform("linux", "amd64", None, None, [], [], images[0][1], len(images[0][0]), OCI_MANIFEST)
        assert got[1].features == ["f1"]
        assert got[2].os_version == "10.0.17763.1757" and got[2].os_features == ["win32k"]

    # A single image: its platform from the config.
    data, digest = images[1]
    plain.put_manifest(f"{repo}:single", data, OCI_MANIFEST)
    (only,) = plain.platforms(f"{repo}:single")
    assert (only.os, only.architecture, only.variant, only.digest) == ("linux", "arm64", "v8", digest)
    assert only.size == len(data) and only.features == []


def test_manifest_for_a_platform(plain, repo):
    _, images = push_multi(plain, repo)
    m = plain.get_manifest_for_platform(f"{repo}:multi", "linux/arm64/v8")
    assert (m.data, m.digest, m.media_type) == (images[1][0], images[1][1], OCI_MANIFEST)
    assert plain.get_manifest_for_platform(f"{repo}:multi", "windows/amd64").digest == images[2][1]
    with pytest.raises(ocireg.NotFoundError):
        plain.get_manifest_for_platform(f"{repo}:multi", "linux/s390x")
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.get_manifest_for_platform(f"{repo}:multi", "linux")
    with pytest.raises(TypeError):
        plain.get_manifest_for_platform(f"{repo}:multi", 7)


@pytest.mark.parametrize("which", ["plain", "tls", "token"])
def test_the_whole_registry_error(request, env, which):
    client = request.getfixturevalue(which)
    host = {"plain": env.plain, "tls": env.tls, "token": env.token}[which]
    with pytest.raises(ocireg.NotFoundError) as info:
        client.platforms(f"{host}/py/no-such-repo:no-such-tag")
    e = info.value
    assert len(e.errors) == 1, e.errors
    (entry,) = e.errors
    assert isinstance(entry, ocireg.RegistryError)
    assert entry.code == e.registry_code and entry.code in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN")
    assert entry.message
    assert json.loads(entry.detail) is not None
    # Pickled (multiprocessing does that), the entries come along.
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is type(e) and again.errors == e.errors
    # A failure without a response has none.
    with pytest.raises(ocireg.InvalidReferenceError) as info:
        client.platforms("Not A Reference")
    assert info.value.errors == []


def test_log_callback(env, plain, token, repo):
    lines = []
    lock = threading.Lock()

    def collect(level, message):
        with lock:
            lines.append((level, message))

    ocireg.set_log_callback(collect)
    try:
        for client, host in ((plain, env.plain), (token, env.token)):
            r = f"{host}/py/log"
            data, digest = make_image(client, r)
            client.put_manifest(f"{r}:v1", data, OCI_MANIFEST)
            client.get_manifest(f"{r}:v1")
        # Only errors: no request lines.
        ocireg.set_log_callback(collect, ocireg.LOG_ERROR)
        with lock:
            count = len(lines)
        plain.get_manifest(f"{env.plain}/py/log:v1")
        with lock:
            assert len(lines) == count
        with pytest.raises(ValueError):
            ocireg.set_log_callback(collect, 5)
    finally:
        ocireg.set_log_callback(None)
    plain.get_manifest(f"{env.plain}/py/log:v1")
    with lock:
        assert len(lines) == count, "lines after set_log_callback(None)"
        text = "\n".join(m for _, m in lines)
    assert {lvl for lvl, _ in lines} == {"debug"}
    assert f"GET http://{env.plain}/v2/py/log/manifests/v1 -> 200 in " in text
    assert f"PUT https://{env.token}/v2/py/log/manifests/v1 -> 201 in " in text
    # The token request is logged too, with its query (no secret there).
    assert "scope=repository" in text
    for secret in (env.password, "Bearer", "Basic", "eyJ", "uthorization"):
        assert secret not in text
