"""Whole-image operations: pull into an OCI layout, push from it, copy,
save as a docker archive, inspect."""

import gzip
import hashlib
import io
import json
import os
import tarfile

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image, sha256

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


def _counts(reports):
    """The last report's blob counts, after checking they never went back."""
    assert reports, "no progress report"
    for before, after in zip(reports, reports[1:]):
        assert after.blobs_skipped >= before.blobs_skipped
        assert after.blobs_mounted >= before.blobs_mounted
        assert after.blobs_sent >= before.blobs_sent
    last = reports[-1]
    assert last.done == last.total
    return last.blobs, last.blobs_skipped, last.blobs_mounted, last.blobs_sent


def test_progress_counts_skipped_mounted_sent(plain, repo, image, tmp_path):
    ref, _ = image
    layout = tmp_path / "layout"
    reports = []
    plain.pull_image(ref, layout, progress=reports.append)
    # The config and the layer: both downloaded, then both already there.
    assert _counts(reports) == (2, 0, 0, 2)
    reports.clear()
    plain.pull_image(ref, layout, progress=reports.append)
    assert _counts(reports) == (2, 2, 0, 0)
    reports.clear()
    plain.push_image(layout, repo + ":again", progress=reports.append)
    assert _counts(reports) == (2, 2, 0, 0)
    reports.clear()
    plain.copy_image(ref, repo + "-mounted:v1", progress=reports.append)
    assert _counts(reports) == (2, 0, 2, 0)
    reports.clear()
    plain.push_image(layout, repo + "-uploaded:v1", progress=reports.append)
    assert _counts(reports) == (2, 0, 0, 2)


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
    # Into a registry the layers are gzipped as skopeo gzips them: a new,
    # stable digest, gzip blobs that unpack to the archive's layers.
    gzipped = plain.copy_image(f"docker-archive:{saved}", repo + "-gz:v1")
    assert gzipped != generated
    assert plain.copy_image(f"docker-archive:{saved}", repo + "-gz2:v1") == gzipped
    pushed = json.loads(plain.get_manifest(repo + "-gz:v1").data)
    assert [l["mediaType"] for l in pushed["layers"]] == [l["mediaType"] for l in generated_manifest["layers"]]
    for layer, plain_layer in zip(pushed["layers"], generated_manifest["layers"]):
        blob = plain.get_blob(repo + "-gz", layer["digest"])
        assert blob[:2] == b"\x1f\x8b"
        assert "sha256:" + hashlib.sha256(gzip.decompress(blob)).hexdigest() == plain_layer["digest"]

    with pytest.raises(ocireg.InvalidArgumentError):
        plain.copy_image(f"docker-archive:{saved}:@1", f"dir:{tmp_path / 'none'}")
    assert not (tmp_path / "none").exists()


def test_ranged_download_modes_are_checked():
    for bad in ("sometimes", "", "ALWAYS"):
        with pytest.raises(ocireg.InvalidArgumentError, match="ranged download"):
            ocireg.Client(ranged_download=bad)
    for mode in ("auto", "off", "always"):
        with ocireg.Client(ranged_download=mode):
            pass


def test_ranged_pull_continues_a_killed_runs_partial_blob(env, plain, repo, tmp_path):
    # A 5 MiB layer: with ranged_download="always" it comes as parallel ranges.
    layer = os.urandom(5 * 1024 * 1024 + 11)
    data, digest = make_image(plain, repo, layer=layer)
    plain.put_manifest(repo + ":big", data, OCI_MANIFEST)
    hexdigest = sha256(layer)[len("sha256:") :]
    blobs = tmp_path / "layout" / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    # What a pull killed after 2 MiB leaves (its writer, pid 999999, is gone).
    (blobs / f".tmp-{hexdigest}-999999-0").write_bytes(layer[: 2 * 1024 * 1024])
    with ocireg.Client(insecure=[env.plain], ranged_download="always") as client:
        assert client.pull_image(repo + ":big", tmp_path / "layout") == digest
    assert (blobs / hexdigest).read_bytes() == layer
    assert [p.name for p in blobs.iterdir() if p.name.startswith(".tmp-")] == []


def test_copy_with_a_resume_dir_records_sessions_only_while_they_are_open(plain, image, tmp_path):
    ref, digest = image
    state = tmp_path / "copy-state"
    target = ref.rsplit(":", 1)[0] + "-copied-resumable:v1"
    assert plain.copy_image(ref, target, resume_dir=state) == digest
    assert plain.head_manifest(target).digest == digest
    assert state.is_dir() and list(state.iterdir()) == []
    assert (state.stat().st_mode & 0o777) == 0o700


def test_push_with_a_resume_dir_records_sessions_only_while_they_are_open(plain, image, tmp_path):
    ref, digest = image
    layout = tmp_path / "layout"
    assert plain.pull_image(ref, layout) == digest
    state = tmp_path / "state"
    target = ref.rsplit(":", 1)[0] + "-resumable:v1"
    assert plain.push_image(layout, target, resume_dir=state) == digest
    assert plain.head_manifest(target).digest == digest
    assert state.is_dir() and list(state.iterdir()) == []
    assert (state.stat().st_mode & 0o777) == 0o700
