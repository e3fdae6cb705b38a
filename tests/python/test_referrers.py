"""The referrer graph through the Python binding, on distribution 2.8.2
(the tag-schema fallback) and on go-containerregistry's registry with the
referrers API: kinds and annotations, deletes that keep listings and
later pushes correct, concurrent pushes through one client, cosign tags,
and copy, pull and push that carry the referrers."""

import json
import os
import threading
import uuid

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image, sha256

EMPTY = "application/vnd.oci.empty.v1+json"
SIG = "application/vnd.example.signature"


def referrers_registry():
    host = os.environ.get("OCIREG_TEST_REFERRERS")
    if not host:
        pytest.fail("OCIREG_TEST_REFERRERS is not set: run the tests through the harness", pytrace=False)
    return host


@pytest.fixture(params=["fallback", "referrers-api"])
def graph(request, env):
    """(client, repository, the kind its referrers are listed with)."""
    host = env.plain if request.param == "fallback" else referrers_registry()
    with ocireg.Client(insecure=[host]) as client:
        yield client, f"{host}/py/graph-{uuid.uuid4().hex[:12]}", request.param


def push_subject(client, repo):
    data, digest = make_image(client, repo)
    client.put_manifest(repo + ":v1", data, OCI_MANIFEST)
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(data)}


def push_referrer(client, repo, subject, n):
    empty = sha256(b"{}")
    try:
        client.head_blob(repo, empty)
    except ocireg.NotFoundError:
        client.push_blob(repo, b"{}")
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": SIG,
        "config": {"mediaType": EMPTY, "digest": empty, "size": 2},
        "layers": [{"mediaType": EMPTY, "digest": empty, "size": 2}],
        "subject": subject,
        "annotations": {"n": str(n)},
    }
    data = json.dumps(manifest, separators=(",", ":")).encode()
    assert client.put_manifest(f"{repo}@{sha256(data)}", data, OCI_MANIFEST) == sha256(data)
    return sha256(data)


def test_kinds_annotations_and_delete(graph):
    client, repo, kind = graph
    subject = push_subject(client, repo)
    a = push_referrer(client, repo, subject, 1)
    b = push_referrer(client, repo, subject, 2)
    found = client.referrers(repo + ":v1")
    assert sorted(d.digest for d in found) == sorted([a, b])
    for d in found:
        assert d.kind == kind
        assert d.artifact_type == SIG
        assert d.annotations == {"n": "1" if d.digest == a else "2"}

    client.delete_manifest(f"{repo}@{a}")
    assert [d.digest for d in client.referrers(repo + ":v1")] == [b]
    c = push_referrer(client, repo, subject, 3)
    assert sorted(d.digest for d in client.referrers(repo + ":v1")) == sorted([b, c])


def test_concurrent_pushes_through_one_client_are_all_listed(graph):
    client, repo, _ = graph
    subject = push_subject(client, repo)
    # The shared empty blob first: distribution 2.8.2 races when one blob
    # is uploaded by many at once (not what this test is about).
    client.push_blob(repo, b"{}")
    pushed, errors = [], []

    def push(n):
        try:
            pushed.append(push_referrer(client, repo, subject, n))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=push, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(d.digest for d in client.referrers(f"{repo}@{subject['digest']}")) == sorted(pushed)


def test_cosign_signature_tag_is_listed(plain, repo):
    subject = push_subject(plain, repo)
    sig, sig_digest = make_image(plain, repo, layer=b"cosign signature")
    hexpart = subject["digest"].split(":", 1)[1]
    plain.put_manifest(f"{repo}:sha256-{hexpart}.sig", sig, OCI_MANIFEST)
    found = plain.referrers(repo + ":v1")
    assert [(d.digest, d.kind, d.size) for d in found] == [(sig_digest, "cosign-signature", len(sig))]


@pytest.mark.parametrize(
    "options, carried",
    [
        ({}, False),
        ({"referrers": True}, True),
        ({"referrer_types": [SIG]}, True),
        ({"referrer_types": "application/other"}, False),
    ],
)
def test_copy_carries_the_referrers_when_asked(graph, options, carried):
    client, repo, kind = graph
    subject = push_subject(client, repo)
    a = push_referrer(client, repo, subject, 1)
    b = push_referrer(client, repo, subject, 2)
    target = repo + "-copy:v1"
    assert client.copy_image(repo + ":v1", target, **options) == subject["digest"]
    found = client.referrers(target)
    assert sorted(d.digest for d in found) == (sorted([a, b]) if carried else [])
    assert all(d.kind == kind for d in found)


def test_pull_and_push_carry_the_referrers(graph, tmp_path):
    client, repo, _ = graph
    subject = push_subject(client, repo)
    a = push_referrer(client, repo, subject, 1)
    layout = tmp_path / "layout"
    client.pull_image(repo + ":v1", layout, referrers=True)
    index = json.loads((layout / "index.json").read_text())
    assert a in [m["digest"] for m in index["manifests"]], "the referrer is an entry of index.json (oras reads it there)"
    client.push_image(layout, repo + "-pushed:v1", layout_name="v1", referrers=True)
    assert [d.digest for d in client.referrers(repo + "-pushed:v1")] == [a]


def test_copy_carries_the_referrers_through_an_oci_archive(graph, tmp_path):
    client, repo, kind = graph
    subject = push_subject(client, repo)
    a = push_referrer(client, repo, subject, 1)
    archive = tmp_path / "graph.tar"
    assert client.copy_image(repo + ":v1", f"oci-archive:{archive}:v1", referrers=True) == subject["digest"]
    target = repo + "-from-archive:v1"
    assert client.copy_image(f"oci-archive:{archive}:v1", target, referrers=True) == subject["digest"]
    found = client.referrers(target)
    assert [(d.digest, d.kind) for d in found] == [(a, kind)]


def test_copy_refuses_referrers_where_they_cannot_be_held(plain, repo, tmp_path):
    push_subject(plain, repo)
    archive = tmp_path / "docker.tar"
    with pytest.raises(ocireg.InvalidArgumentError, match="docker-archive"):
        plain.copy_image(repo + ":v1", f"docker-archive:{archive}", referrers=True)
    assert not archive.exists(), "nothing is written"
