"""Indexes authored (issue 13): an index made from images with the
platforms their configs name, changed (added, removed by platform and by
digest, annotated), checked byte for byte; bad input refused with nothing
pushed."""

import json
import os

import pytest

import ocireg
from conftest import OCI_CONFIG, OCI_MANIFEST, sha256

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def push_platform_image(client, repo, tag, platform):
    """Pushes an image whose config names `platform` (a dict); returns
    (digest, size, platform)."""
    config = json.dumps(dict(platform, rootfs={"type": "layers", "diff_ids": []}, salt=os.urandom(8).hex())).encode()
    config_digest = client.push_blob(repo, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [],
    }
    data = json.dumps(manifest, separators=(",", ":")).encode()
    assert client.put_manifest(f"{repo}:{tag}", data, OCI_MANIFEST) == sha256(data)
    return sha256(data), len(data), platform


def entry(image):
    digest, size, platform = image
    ordered = {"architecture": platform["architecture"], "os": platform["os"]}
    if "variant" in platform:
        ordered["variant"] = platform["variant"]
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "platform": ordered}


def index_bytes(entries, annotations=None):
    """The index as Go's encoding/json (oras) writes it."""
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    if annotations:
        index["annotations"] = dict(sorted(annotations.items()))
    return json.dumps(index, separators=(",", ":")).encode()


def test_create_add_remove_annotate(plain, repo):
    amd = push_platform_image(plain, repo, "amd64", {"architecture": "amd64", "os": "linux"})
    arm = push_platform_image(plain, repo, "arm64", {"architecture": "arm64", "os": "linux", "variant": "v8"})
    s390 = push_platform_image(plain, repo, "s390x", {"architecture": "s390x", "os": "linux"})
    target = f"{repo}:multi"

    digest = plain.create_index(target, [f"{repo}:amd64", f"{repo}:arm64"], annotations={"k": "v"})
    got = plain.get_manifest(target)
    assert got.data == index_bytes([entry(amd), entry(arm)], {"k": "v"})
    assert got.digest == digest == sha256(got.data)
    assert got.media_type == OCI_INDEX

    digest = plain.update_index(target, add=[f"{repo}@{s390[0]}"])
    assert plain.get_manifest(target).data == index_bytes([entry(amd), entry(arm), entry(s390)], {"k": "v"})

    digest = plain.update_index(target, remove_platforms=["linux/arm64"], remove_digests=[amd[0]])
    got = plain.get_manifest(target)
    assert got.data == index_bytes([entry(s390)], {"k": "v"})
    assert got.digest == digest

    plain.update_index(target, annotations={"added": "yes"}, remove_annotations=["k"])
    assert plain.get_manifest(target).data == index_bytes([entry(s390)], {"added": "yes"})


def test_bad_input_pushes_nothing(plain, repo):
    push_platform_image(plain, repo, "amd64", {"architecture": "amd64", "os": "linux"})
    plain.create_index(f"{repo}:idx", [f"{repo}:amd64"])
    target = f"{repo}:bad"

    def refused(error, sources, **kwargs):
        with pytest.raises(error) as e:
            plain.create_index(target, sources, **kwargs)
        assert "bad" not in plain.tags(repo)
        return str(e.value)

    assert "is an index" in refused(ocireg.InvalidArgumentError, [f"{repo}:idx"])
    refused(ocireg.NotFoundError, [f"{repo}:missing"])
    assert "twice" in refused(ocireg.InvalidArgumentError, [f"{repo}:amd64", f"{repo}:amd64"])
    assert "at most 1000" in refused(ocireg.InvalidArgumentError, [f"{repo}:amd64"] * 1001)
    refused(ocireg.InvalidArgumentError, [f"{repo}:amd64"], annotations={"": "v"})
    refused(ocireg.InvalidArgumentError, [f"{repo.replace('/py/', '/other/')}:amd64"])

    before = plain.get_manifest(f"{repo}:idx").digest
    for kwargs, error in [
        ({"remove_platforms": ["linux/arm64"]}, ocireg.NotFoundError),
        ({"remove_digests": [sha256(b"nothing")]}, ocireg.NotFoundError),
        ({"remove_platforms": ["linux"]}, ocireg.InvalidArgumentError),
        ({"add": [f"{repo}:idx"]}, ocireg.InvalidArgumentError),
    ]:
        with pytest.raises(error):
            plain.update_index(f"{repo}:idx", **kwargs)
        assert plain.get_manifest(f"{repo}:idx").digest == before
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.update_index(f"{repo}:amd64", annotations={"k": "v"})
