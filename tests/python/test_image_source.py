"""The image-source operations on any transport: source_manifest,
inspect_image of an archive, fetch_layers, repository_tags and
intended_docker_reference."""

import hashlib

import pytest

import ocireg
from test_images import image  # noqa: F401  (the fixture: an image pushed as REPO:v1)


def test_source_operations_on_archives(plain, repo, image, tmp_path):  # noqa: F811
    ref, digest = image
    oa = f"oci-archive:{tmp_path / 'image.tar'}:v1"
    da = f"docker-archive:{tmp_path / 'docker.tar'}:example.com/py/app:v1"
    assert plain.copy_image(ref, oa) == digest
    assert plain.copy_image(ref, da) == digest

    raw = plain.source_manifest(oa)
    assert raw.digest == digest and raw.data == plain.get_manifest(ref).data
    generated = plain.source_manifest(da)
    assert generated.media_type == "application/vnd.docker.distribution.manifest.v2+json"
    assert plain.source_manifest(f"docker://{ref}", platform="linux/amd64").digest == digest

    info = plain.inspect_image(da)
    assert info["Name"] == "example.com/py/app" and info["Digest"] == generated.digest
    assert info["Env"] == ["PATH=/usr/bin"] and info["RepoTags"] == []
    info = plain.inspect_image(oa, with_tags=True)
    assert "Name" not in info and info["Digest"] == digest and info["RepoTags"] == []

    out = tmp_path / "layers"
    reports = []
    files = plain.fetch_layers(oa, out, progress=reports.append)
    assert len(files) == 2 and reports
    for f in files:
        data = (out / f["file"]).read_bytes()
        assert f["digest"] == "sha256:" + hashlib.sha256(data).hexdigest() == "sha256:" + f["file"]
        assert f["size"] == len(data) and f["mediaType"]
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.fetch_layers(da, out)
    again = plain.fetch_layers(da, out, overwrite=True)
    assert [f["digest"] for f in again] == [f["digest"] for f in files]

    assert ocireg.intended_docker_reference(da) == "example.com/py/app:v1"
    assert ocireg.intended_docker_reference(oa) is None
    assert ocireg.intended_docker_reference(f"docker://{ref}") == ref
    with pytest.raises(ocireg.InvalidArgumentError):
        ocireg.intended_docker_reference("oci:")

    assert plain.repository_tags(f"docker-archive:{tmp_path / 'docker.tar'}") == ["example.com/py/app:v1"]
    assert plain.repository_tags(f"docker://{repo}") == ["v1"]
    with pytest.raises(ocireg.UnsupportedError):
        plain.repository_tags(oa)
