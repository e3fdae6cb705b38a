"""Every Client method against the plain-HTTP registry of the harness."""

import io
import json
import os

import pytest

import ocireg
from conftest import OCI_CONFIG, OCI_MANIFEST, make_image, sha256


# --- registry-level calls ----------------------------------------------


def test_ping_and_check_credentials(plain, env):
    plain.ping(env.plain)
    plain.check_credentials(env.plain)


def test_catalog_and_tags(plain, repo, env):
    data, _ = make_image(plain, repo)
    plain.put_manifest_tags(repo, ["v1", "v2", "latest"], data, OCI_MANIFEST)
    assert sorted(plain.tags(repo)) == ["latest", "v1", "v2"]
    assert sorted(plain.tags(repo + ":ignored")) == ["latest", "v1", "v2"]
    assert repo.split("/", 1)[1] in plain.catalog(env.plain)


def test_catalog_pages_through_link_headers(env, repo):
    with ocireg.Client(insecure=[env.plain], page_size=1) as client:
        client.push_blob(repo, b"x")
        data, _ = make_image(client, repo)
        client.put_manifest(repo + ":t", data, OCI_MANIFEST)
        names = client.catalog(env.plain)
    assert repo.split("/", 1)[1] in names
    assert len(names) == len(set(names))


def test_tags_of_an_unknown_repository(plain, repo):
    with pytest.raises(ocireg.NotFoundError) as e:
        plain.tags(repo)
    assert e.value.http_status == 404
    assert e.value.registry_code == "NAME_UNKNOWN"


# --- manifests ----------------------------------------------------------


def test_manifest_put_get_head_delete(plain, repo):
    data, digest = make_image(plain, repo)
    assert plain.put_manifest(repo + ":v1", data, OCI_MANIFEST) == digest

    m = plain.get_manifest(repo + ":v1")
    assert isinstance(m, ocireg.Manifest)
    assert (m.data, m.bytes, bytes(m), m.media_type, m.digest) == (data, data, data, OCI_MANIFEST, digest)
    assert m.json()["config"]["mediaType"] == OCI_CONFIG
    assert plain.get_manifest(f"{repo}@{digest}") == m

    info = plain.head_manifest(repo + ":v1")
    assert info == ocireg.ManifestInfo(digest, len(data), OCI_MANIFEST)
    d, size, mt = info
    assert (d, size, mt) == (digest, len(data), OCI_MANIFEST)

    plain.delete_manifest(f"{repo}@{digest}")
    with pytest.raises(ocireg.NotFoundError) as e:
        plain.get_manifest(repo + ":v1")
    assert e.value.http_status == 404
    assert e.value.registry_code == "MANIFEST_UNKNOWN"
    assert e.value.status == 6 and e.value.status_name == "NOT_FOUND"
    assert "MANIFEST_UNKNOWN" in e.value.message
    with pytest.raises(ocireg.NotFoundError):
        plain.head_manifest(repo + ":v1")


def test_manifest_media_type_defaults_to_the_documents(plain, repo):
    data, digest = make_image(plain, repo)
    assert plain.put_manifest(repo + ":auto", data) == digest
    assert plain.head_manifest(repo + ":auto").media_type == OCI_MANIFEST
    with pytest.raises(ValueError, match="media_type"):
        plain.put_manifest(repo + ":x", b"{}")


def test_put_manifest_tags_and_delete_by_tag(plain, repo):
    data, digest = make_image(plain, repo)
    assert plain.put_manifest_tags(repo, ("a", "b"), bytearray(data), OCI_MANIFEST) == digest
    assert plain.head_manifest(repo + ":a").digest == digest
    assert plain.head_manifest(repo + ":b").digest == digest
    # Untagged push: by digest only.
    data2, digest2 = make_image(plain, repo, layer=b"other")
    assert plain.put_manifest_tags(repo, [], data2, OCI_MANIFEST) == digest2
    assert plain.get_manifest(f"{repo}@{digest2}").data == data2
    # A tag is resolved to its digest, which removes every tag of it.
    plain.delete_manifest(repo + ":a")
    with pytest.raises(ocireg.NotFoundError):
        plain.head_manifest(repo + ":b")


def test_get_config(plain, repo):
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    data, _ = make_image(plain, repo, config=config)
    plain.put_manifest(repo + ":img", data, OCI_MANIFEST)
    c = plain.get_config(repo + ":img", "linux/amd64")
    assert isinstance(c, ocireg.Content)
    assert (c.data, c.digest, c.media_type) == (config, sha256(config), OCI_CONFIG)


def test_bad_references_and_digests(plain, repo):
    with pytest.raises(ocireg.InvalidReferenceError) as e:
        plain.get_manifest("UPPER/Case:::bad")
    assert e.value.http_status is None and e.value.registry_code is None
    with pytest.raises(ocireg.InvalidDigestError):
        plain.head_blob(repo, "sha256:nothex")
    with pytest.raises(ocireg.InvalidDigestError):
        plain.get_blob(repo, "md5:abc")


# --- blobs --------------------------------------------------------------


def test_blob_push_head_get_delete(plain, repo):
    data = os.urandom(300_000)
    digest = plain.push_blob(repo, data)
    assert digest == sha256(data)
    assert plain.head_blob(repo, digest) == len(data)
    seen = []
    assert plain.get_blob(repo, digest, progress=lambda done, total: seen.append((done, total))) == data
    assert seen and seen[-1][0] == len(data)
    assert all(total in (None, len(data)) for _, total in seen)
    assert plain.get_blob(repo, digest) == data

    plain.delete_blob(repo, digest)
    with pytest.raises(ocireg.NotFoundError) as e:
        plain.head_blob(repo, digest)
    assert e.value.http_status == 404
    with pytest.raises(ocireg.NotFoundError) as e:
        plain.get_blob(repo, digest)
    assert e.value.registry_code == "BLOB_UNKNOWN"


def test_push_blob_takes_any_bytes_like(plain, repo):
    for data in (b"", bytearray(b"bytearray"), memoryview(b"memoryview"), memoryview(bytearray(b"rw view"))):
        digest = plain.push_blob(repo, data)
        assert digest == sha256(bytes(data))
        assert plain.get_blob(repo, digest) == bytes(data)


def test_blob_range(plain, repo):
    data = bytes(range(256)) * 100
    digest = plain.push_blob(repo, data)
    assert plain.get_blob_range(repo, digest, 10, 20) == data[10:30]
    assert plain.get_blob_range(repo, digest, 25_000) == data[25_000:]
    assert plain.get_blob_range(repo, digest, 0) == data
    assert plain.get_blob_range(repo, digest, 5, 0) == b""
    with pytest.raises(ValueError):
        plain.get_blob_range(repo, digest, -1)


def test_download_blob_into_a_file(plain, repo, tmp_path):
    data = os.urandom(1_500_000)
    digest = plain.push_blob(repo, data)
    path = tmp_path / "blob"
    with open(path, "wb") as f:
        assert plain.download_blob(repo, digest, f) == len(data)
    assert path.read_bytes() == data
    # An unbuffered file: short writes are finished.
    with open(path, "wb", buffering=0) as f:
        plain.download_blob(repo, digest, f, progress=lambda d, t: None)
    assert path.read_bytes() == data
    buf = io.BytesIO()
    plain.download_blob(repo, digest, buf)
    assert buf.getvalue() == data


def test_open_blob_reader(plain, repo):
    data = os.urandom(400_000)
    digest = plain.push_blob(repo, data)
    with plain.open_blob(repo, digest) as r:
        assert isinstance(r, io.RawIOBase)
        assert r.readable() and not r.writable()
        assert r.size == len(data)
        head = r.read(10)
        buf = bytearray(1000)
        n = r.readinto(buf)
        rest = r.read()
        assert head + bytes(buf[:n]) + rest == data
        assert r.read() == b""
    assert r.closed
    with pytest.raises(ValueError):
        r.read(1)
    # Wrapped in a BufferedReader, as Python's own files are.
    with io.BufferedReader(plain.open_blob(repo, digest), buffer_size=65536) as f:
        assert b"".join(iter(lambda: f.read(7777), b"")) == data
    with pytest.raises(ocireg.NotFoundError):
        plain.open_blob(repo, "sha256:" + "1" * 64).read()


def test_push_blob_from_file_objects(plain, repo, tmp_path):
    data = os.urandom(700_000)
    path = tmp_path / "src"
    path.write_bytes(data)
    done = []
    with open(path, "rb") as f:
        digest = plain.push_blob_from(repo, f, progress=lambda d, t: done.append(d))
    assert digest == sha256(data)
    assert done and done[-1] == len(data)
    assert plain.get_blob(repo, digest) == data

    class ReadOnly:  # only read(), no readinto()
        def __init__(self, data):
            self.f = io.BytesIO(data)

        def read(self, n):
            return self.f.read(min(n, 1000))  # short reads

    assert plain.push_blob_from(repo, ReadOnly(b"abc" * 5000)) == sha256(b"abc" * 5000)
    assert plain.push_blob_from(repo, io.BytesIO(b"")) == sha256(b"")


def test_push_blob_from_an_exact_multiple_of_the_chunk_size(env, repo):
    with ocireg.Client(insecure=[env.plain], upload_chunk_size=65536) as client:
        for data in (os.urandom(65536 * 3), os.urandom(65536 * 2 + 1)):
            digest = client.push_blob_from(repo, io.BytesIO(data))
            assert digest == sha256(data)
            assert client.get_blob(repo, digest) == data


# --- uploads ------------------------------------------------------------


def test_upload_write_commit(plain, repo):
    parts = [os.urandom(100_000) for _ in range(3)]
    with plain.start_upload(repo) as up:
        assert up.writable()
        assert up.location
        for p in parts:
            assert up.write(p) == len(p)
        assert up.written == 300_000
        digest = up.commit()
        assert up.committed and up.digest == digest
    assert digest == sha256(b"".join(parts))
    assert plain.get_blob(repo, digest) == b"".join(parts)
    with pytest.raises(ValueError):
        up.write(b"more")


def test_upload_with_expected_digest_and_as_a_file(env, repo):
    data = os.urandom(200_000)
    with ocireg.Client(insecure=[env.plain], upload_chunk_size=32768) as client:
        up = client.start_upload(repo)
        import shutil

        shutil.copyfileobj(io.BytesIO(data), up, 10_000)
        assert up.offset >= 32768 * 6  # full chunks went out as they filled
        assert up.commit(sha256(data)) == sha256(data)
        up.close()
        assert client.get_blob(repo, sha256(data)) == data

        bad = client.start_upload(repo)
        bad.write(b"some bytes")
        with pytest.raises(ocireg.OciregError) as e:
            bad.commit(sha256(b"other bytes"))
        assert isinstance(e.value, ocireg.DigestMismatchError)
        # Refused before the registry was told to complete: no HTTP status.
        assert e.value.http_status is None and "refusing to complete" in str(e.value)
        # The upload is still usable: committed with the right digest.
        assert bad.commit(sha256(b"some bytes")) == sha256(b"some bytes")
        bad.close()


def test_upload_suspend_resume_commit(env, repo):
    first, second = os.urandom(150_000), os.urandom(90_000)
    with ocireg.Client(insecure=[env.plain], upload_chunk_size=65536) as client:
        up = client.start_upload(repo)
        up.write(first)
        location, offset = up.suspend()
        assert up.suspended and offset == len(first)
        assert location
        with pytest.raises(ValueError):
            up.write(b"x")
        up.close()

        # A fresh client (as after a restart) picks the session up.
    with ocireg.Client(insecure=[env.plain], upload_chunk_size=65536) as client:
        with client.resume_upload(repo, location) as up2:
            assert up2.offset == len(first)
            up2.write(second)
            digest = up2.commit(sha256(first + second))
        assert digest == sha256(first + second)
        assert client.get_blob(repo, digest) == first + second


def test_a_resumed_upload_needs_the_digest(plain, repo):
    up = plain.start_upload(repo)
    up.write(b"hello")
    location, _ = up.suspend()
    with plain.resume_upload(repo, location) as up2:
        with pytest.raises(ValueError, match="digest"):
            up2.commit()
        # The mistake leaves the upload usable.
        up2.write(b" world")
        assert up2.commit(sha256(b"hello world")) == sha256(b"hello world")
    assert plain.get_blob(repo, sha256(b"hello world")) == b"hello world"


def test_closing_an_upload_cancels_it(plain, repo):
    up = plain.start_upload(repo)
    up.write(b"abandoned")
    location, _ = up.suspend()
    up2 = plain.resume_upload(repo, location)
    up2.close()  # neither committed nor suspended: cancelled on the registry
    with pytest.raises(ocireg.NotFoundError) as e:
        plain.resume_upload(repo, location)
    assert e.value.http_status == 404


# --- mount --------------------------------------------------------------


def test_mount_blob(plain, env, repo):
    source = repo + "-src"
    data = os.urandom(5000)
    digest = plain.push_blob(source, data)
    from_path = source.split("/", 1)[1]
    assert plain.mount_blob(repo, digest, from_path) is True
    assert plain.get_blob(repo, digest) == data

    # Unknown blob: the registry opens an upload instead.
    other = os.urandom(100)
    assert plain.mount_blob(repo + "-b", sha256(other), from_path) is False
    mounted, up = plain.mount_blob(repo + "-c", sha256(other), from_path, return_upload=True)
    assert mounted is False and isinstance(up, ocireg.Upload)
    with up:
        up.write(other)
        assert up.commit(sha256(other)) == sha256(other)
    assert plain.get_blob(repo + "-c", sha256(other)) == other
    mounted, up = plain.mount_blob(repo + "-d", digest, from_path, return_upload=True)
    assert mounted is True and up is None


# --- referrers ----------------------------------------------------------


def test_referrers_with_a_subject(plain, repo):
    data, digest = make_image(plain, repo)
    plain.put_manifest(repo + ":subject", data, OCI_MANIFEST)
    subject = {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(data)}
    sig, sig_digest = make_image(plain, repo, layer=b"signature", subject=subject, artifact_type="application/vnd.example.sig")
    sbom, sbom_digest = make_image(plain, repo, layer=b"sbom", subject=subject, artifact_type="application/vnd.example.sbom")
    assert plain.put_manifest(f"{repo}@{sig_digest}", sig, OCI_MANIFEST) == sig_digest
    assert plain.put_manifest(f"{repo}@{sbom_digest}", sbom, OCI_MANIFEST) == sbom_digest

    found = plain.referrers(f"{repo}@{digest}")
    assert sorted(d.digest for d in found) == sorted([sig_digest, sbom_digest])
    for d in found:
        assert isinstance(d, ocireg.Descriptor)
        assert d.media_type == OCI_MANIFEST
        assert d.size == (len(sig) if d.digest == sig_digest else len(sbom))
    assert {d.artifact_type for d in found} == {"application/vnd.example.sig", "application/vnd.example.sbom"}

    only = plain.referrers(f"{repo}@{digest}", artifact_type="application/vnd.example.sbom")
    assert [d.digest for d in only] == [sbom_digest]
    assert plain.referrers(f"{repo}@{digest}", "application/none") == []
    # A subject without referrers.
    assert plain.referrers(f"{repo}@{sig_digest}") == []


def test_listing_bounds(env, repo):
    with ocireg.Client(insecure=[env.plain], page_size=1) as client:
        data, _ = make_image(client, repo)
        client.put_manifest_tags(repo, ["a", "b", "c"], data, OCI_MANIFEST)
    for name, opts in (("max_list_entries", {"max_list_entries": 2}), ("max_list_bytes", {"max_list_bytes": 16})):
        with ocireg.Client(insecure=[env.plain], page_size=1, **opts) as bounded:
            with pytest.raises(ocireg.SizeExceededError, match=name):
                bounded.tags(repo)
    with ocireg.Client(insecure=[env.plain], page_size=1, max_list_entries=3, max_list_bytes=1 << 20) as roomy:
        assert sorted(roomy.tags(repo)) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="max_list_entries"):
        ocireg.Client(max_list_entries=-1)
