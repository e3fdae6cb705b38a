"""A platform subset of a three-platform index (issue 13): copy, pull and
push with several platforms write an index naming only them."""

import hashlib
import json

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ARCHS = ["amd64", "arm64", "s390x"]


def push_three(client, repo):
    """An index over linux/amd64, linux/arm64 and linux/s390x images,
    tagged "tri"; returns (index digest, {arch: manifest digest})."""
    entries, digests = [], {}
    for arch in ARCHS:
        config = json.dumps({"os": "linux", "architecture": arch}).encode()
        data, digest = make_image(client, repo, config=config)
        client.put_manifest(f"{repo}@{digest}", data, OCI_MANIFEST)
        digests[arch] = digest
        entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(data),
                        "platform": {"os": "linux", "architecture": arch}})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    return client.put_manifest(f"{repo}:tri", json.dumps(index).encode(), OCI_INDEX), digests


def entry_digests(index_bytes):
    return [m["digest"] for m in json.loads(index_bytes)["manifests"]]


def test_a_subset_copies_as_a_new_index(plain, repo, tmp_path):
    index, digests = push_three(plain, repo)
    target = repo + "-two:v1"
    # A list or a comma-separated string: the same subset.
    got = plain.copy_image(f"{repo}:tri", target, platform=["linux/s390x", "linux/amd64"])
    assert got != index
    fetched = plain.get_manifest(target)
    assert fetched.digest == got
    assert "sha256:" + hashlib.sha256(fetched.data).hexdigest() == got
    assert entry_digests(fetched.data) == [digests["amd64"], digests["s390x"]]
    assert plain.head_manifest(f"{repo}-two@{digests['s390x']}").digest == digests["s390x"]

    layout = tmp_path / "layout"
    assert plain.pull_image(f"{repo}:tri", layout, platform="linux/amd64,linux/s390x", layout_name="two") == got
    assert plain.push_image(layout, repo + "-pushed:v1", layout_name="two", all_platforms=True) == got

    archive = tmp_path / "two.tar"
    assert plain.copy_image(f"oci:{layout}:two", f"oci-archive:{archive}:two", all_platforms=True) == got
    # Every platform: the source index, unchanged.
    assert plain.copy_image(f"{repo}:tri", repo + "-all:v1", platform="linux/arm64,linux/amd64,linux/s390x") == index


def test_an_unknown_platform_raises_and_writes_nothing(plain, repo, tmp_path):
    push_three(plain, repo)
    archive = tmp_path / "none.tar"
    with pytest.raises(ocireg.NotFoundError, match="linux/riscv64"):
        plain.copy_image(f"{repo}:tri", f"oci-archive:{archive}", platform=["linux/amd64", "linux/riscv64"])
    assert not archive.exists()
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.copy_image(f"{repo}:tri", f"oci:{tmp_path / 'x'}", platform="linux/amd64,linux/amd64")
    assert not (tmp_path / "x").exists()
