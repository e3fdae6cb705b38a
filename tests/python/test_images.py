"""Whole-image operations: pull into an OCI layout, push from it, copy,
save as a docker archive, inspect."""

import hashlib
import io
import json
import os
import tarfile

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image

CONFIG = json.dumps(
    {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": []},
    }
).encode()


def layer_tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = os.urandom(1000)
        info = tarfile.TarInfo("hello.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def image(plain, repo):
    layer = layer_tar()
    config = json.loads(CONFIG)
    import hashlib

    config["rootfs"]["diff_ids"] = ["sha256:" + hashlib.sha256(layer).hexdigest()]
    data, digest = make_image(plain, repo, layer=layer, config=json.dumps(config).encode())
    plain.put_manifest(repo + ":v1", data, OCI_MANIFEST)
    return repo + ":v1", digest


def test_pull_push_copy(plain, repo, image, tmp_path):
    ref, digest = image
    reports = []
    layout = tmp_path / "layout"
    assert plain.pull_image(ref, layout, platform="linux/amd64", layout_name="v1", progress=reports.append) == digest
    assert (layout / "index.json").exists() and (layout / "oci-layout").exists()
    assert reports and all(isinstance(r, ocireg.ImageProgress) for r in reports)
    assert reports[-1].done == reports[-1].total

    pushed = repo + "-pushed:v2"
    assert plain.push_image(layout, pushed, layout_name="v1", mount_from=[repo.split("/", 1)[1]]) == digest
    assert plain.head_manifest(pushed).digest == digest

    copied = repo + "-copied:v3"
    assert plain.copy_image(ref, copied) == digest
    assert plain.get_manifest(copied).digest == digest


def test_save_and_inspect(plain, image, tmp_path):
    ref, digest = image
    path = tmp_path / "image.tar"
    assert plain.save_image(ref, path) == digest
    with tarfile.open(path) as tar:
        assert "manifest.json" in tar.getnames()

    facts = plain.inspect_image(ref, with_tags=True)
    assert facts["Digest"] == digest
    assert facts["Architecture"] == "amd64" and facts["Os"] == "linux"
    assert facts["RepoTags"] == ["v1"]


def test_image_progress_exception_propagates(plain, image, tmp_path):
    ref, _ = image

    def progress(report):
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        plain.pull_image(ref, tmp_path / "layout", progress=progress)


def test_image_errors(plain, repo, tmp_path):
    with pytest.raises(ocireg.NotFoundError):
        plain.pull_image(repo + ":missing", tmp_path / "x")
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.pull_image(repo + ":missing", tmp_path / "x", platform="not a platform")
    with pytest.raises(ocireg.OciregError):
        plain.push_image(tmp_path / "no-such-layout", repo + ":x")


def test_copy_between_transports(plain, repo, image, tmp_path):
    ref, digest = image
    archive = tmp_path / "image.tar"
    assert plain.copy_image(ref, f"oci-archive:{archive}:v1") == digest
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[0] == "oci-layout" and names[-1] == "index.json", names
    assert plain.copy_image(f"oci-archive:{archive}:v1", f"docker://{repo}-from-oa:v1") == digest

    saved = tmp_path / "docker.tar"
    assert plain.copy_image(ref, f"docker-archive:{saved}:example.com/py:v1") == digest
    directory = tmp_path / "dir"
    generated = plain.copy_image(f"docker-archive:{saved}:example.com/py:v1", f"dir:{directory}")
    raw = (directory / "manifest.json").read_bytes()
    assert generated == "sha256:" + hashlib.sha256(raw).hexdigest() != digest
    source = json.loads(plain.get_manifest(ref).data)
    generated_manifest = json.loads(raw)
    assert generated_manifest["config"]["digest"] == source["config"]["digest"]
    assert [l["digest"] for l in generated_manifest["layers"]] == [l["digest"] for l in source["layers"]]
    assert plain.copy_image(f"dir:{directory}", repo + "-from-da:v1") == generated

    with pytest.raises(ocireg.InvalidArgumentError):
        plain.copy_image(f"docker-archive:{saved}:@1", f"dir:{tmp_path / 'none'}")
    assert not (tmp_path / "none").exists()
