"""Untag and artifacts (issue 13): distribution 2.8.2 refuses DELETE by tag
(the throwaway-manifest fallback works there); artifacts round-trip with
oras v1.3.6 and hostile titles are refused with nothing written."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image, sha256


def oras():
    gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True, check=True)
    path = Path(gopath.stdout.strip()) / "bin" / "oras"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make peers`", pytrace=False)
    return str(path)


def test_untag_on_distribution_2(plain, repo):
    data, digest = make_image(plain, repo)
    plain.put_manifest_tags(repo, ["a", "b"], data, OCI_MANIFEST)
    with pytest.raises(ocireg.UnsupportedError) as e:
        plain.untag(f"{repo}:a")
    assert "does not delete tags" in str(e.value)
    assert e.value.http_status == 400
    assert sorted(plain.tags(repo)) == ["a", "b"]
    assert plain.untag(f"{repo}:a", via_throwaway_manifest=True) is True
    assert plain.tags(repo) == ["b"]
    assert plain.get_manifest(f"{repo}@{digest}").data == data
    with pytest.raises(ocireg.NotFoundError):
        plain.untag(f"{repo}:a", via_throwaway_manifest=True)
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.untag(f"{repo}@{digest}")


def test_untag_on_distribution_3(tmp_path):
    host = os.environ.get("OCIREG_TEST_DIST3")
    if not host:
        pytest.fail("OCIREG_TEST_DIST3 is not set: run the tests through the harness", pytrace=False)
    repo = f"{host}/py/untag-{os.getpid()}"
    with ocireg.Client(insecure=[host]) as v3:
        data, digest = make_image(v3, repo)
        v3.put_manifest_tags(repo, ["a", "b"], data, OCI_MANIFEST)
        assert v3.untag(f"{repo}:a") is False
        assert v3.tags(repo) == ["b"]
        assert v3.get_manifest(f"{repo}@{digest}").data == data
        with pytest.raises(ocireg.NotFoundError):
            v3.untag(f"{repo}:a")


def test_artifacts_round_trip_with_oras(plain, repo, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    files = {"a.txt": b"alpha\n", "b.bin": os.urandom(300_000)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    created = "2023-03-04T05:06:07Z"
    digest = plain.push_artifact(
        f"{repo}:ours",
        [src / "a.txt", src / "b.bin"],
        artifact_type="application/x-py",
        annotations={"org.opencontainers.image.created": created, "k": "v"},
        media_types=[None, "application/x-bin"],
    )
    out = tmp_path / "oras-out"
    out.mkdir()
    subprocess.run([oras(), "pull", "--plain-http", "-o", ".", f"{repo}:ours"], cwd=out, check=True, capture_output=True)
    for name, data in files.items():
        assert (out / name).read_bytes() == data
    subprocess.run(
        [oras(), "push", "--plain-http", "--artifact-type", "application/x-py",
         "--annotation", f"org.opencontainers.image.created={created}", "--annotation", "k=v",
         f"{repo}:theirs", "a.txt", "b.bin:application/x-bin"],
        cwd=src, check=True, capture_output=True,
    )
    assert plain.get_manifest(f"{repo}:theirs").digest == digest
    ours = tmp_path / "ours"
    assert sorted(plain.pull_artifact(f"{repo}:theirs", ours)) == ["a.txt", "b.bin"]
    for name, data in files.items():
        assert (ours / name).read_bytes() == data
    (ours / "a.txt").write_bytes(b"mine")
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.pull_artifact(f"{repo}:theirs", ours)
    assert (ours / "a.txt").read_bytes() == b"mine"
    plain.pull_artifact(f"{repo}:theirs", ours, overwrite=True)
    assert (ours / "a.txt").read_bytes() == files["a.txt"]


@pytest.mark.parametrize("title", ["../escape", "..", "/abs/path", "a/b", "a\\b", ""])
def test_hostile_titles_are_refused(plain, repo, tmp_path, title):
    payload = b"payload"
    layer = plain.push_blob(repo, payload)
    config = plain.push_blob(repo, b"{}")
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/x-evil",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
        "layers": [
            {"mediaType": "application/octet-stream", "digest": layer, "size": len(payload),
             "annotations": {"org.opencontainers.image.title": "ok.txt"}},
            {"mediaType": "application/octet-stream", "digest": layer, "size": len(payload),
             "annotations": {"org.opencontainers.image.title": title}},
        ],
    }
    plain.put_manifest(f"{repo}:evil", json.dumps(manifest).encode(), OCI_MANIFEST)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ocireg.InvalidArgumentError):
        plain.pull_artifact(f"{repo}:evil", out)
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
