"""Image signatures through the Python binding, on distribution 2.8.2: a
registries.d that keeps simple-signing signatures in a file:// lookaside
and sigstore ones in the image's .sig attachment; put, get, and bad input
that writes nothing."""

import uuid

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image

COSIGN_SIG = "dev.cosignproject.cosign/signature"


@pytest.fixture
def signed(env, tmp_path):
    """(client, reference, manifest digest, registries.d dir, staging dir)."""
    conf = tmp_path / "registries.d"
    conf.mkdir()
    staging = tmp_path / "staging"
    (conf / "test.yaml").write_text(
        f"default-docker:\n  lookaside: file://{staging}\n  use-sigstore-attachments: true\n"
    )
    with ocireg.Client(insecure=[env.plain]) as client:
        name = f"py/sigs-{uuid.uuid4().hex[:12]}"
        repo = f"{env.plain}/{name}"
        data, digest = make_image(client, repo)
        client.put_manifest(repo + ":v1", data, OCI_MANIFEST)
        yield client, repo + ":v1", digest, conf, staging / f"{name}@sha256={digest.split(':')[1]}"


def test_put_then_get_round_trips(signed):
    client, ref, digest, conf, sig_dir = signed
    assert client.signatures(ref, registries_d=conf) == []
    simple = ocireg.Signature(ocireg.SIMPLE_SIGNING, b"\xa3\x01py")
    sigstore = ocireg.Signature(ocireg.SIGSTORE, b'{"critical":{"py":1}}', annotations={COSIGN_SIG: "MEUCpy"})
    assert client.put_signatures(ref, [simple, sigstore], registries_d=conf) == 2
    assert client.put_signatures(ref, [simple, sigstore], registries_d=conf) == 0
    assert (sig_dir / "signature-1").read_bytes() == simple.data
    got = client.signatures(ref.rsplit(":", 1)[0] + "@" + digest, registries_d=str(conf))
    sigstore.mime_type = ocireg.COSIGN_PAYLOAD_MEDIA_TYPE
    assert got == [simple, sigstore]


def test_bad_input_writes_nothing(signed):
    client, ref, _digest, conf, sig_dir = signed
    huge = ocireg.Signature(ocireg.SIMPLE_SIGNING, b"\xa3" * (5 << 20))
    with pytest.raises(ocireg.SizeExceededError):
        client.put_signatures(ref, [ocireg.Signature(ocireg.SIMPLE_SIGNING, b"\xa3ok"), huge], registries_d=conf)
    with pytest.raises(ocireg.InvalidArgumentError):
        client.put_signatures(ref, [ocireg.Signature("nope", b"x")], registries_d=conf)
    with pytest.raises(ocireg.InvalidArgumentError):
        client.put_signatures(ref, [ocireg.Signature(ocireg.SIMPLE_SIGNING, b"")], registries_d=conf)
    assert not sig_dir.exists()
    (conf / "bad.yaml").write_text("docker:\n  x:\n    lookaside: [oops\n")
    with pytest.raises(ocireg.InvalidArgumentError) as e:
        client.signatures(ref, registries_d=conf)
    assert "bad.yaml" in str(e.value) and "line 3" in str(e.value)
    (conf / "bad.yaml").write_text("default-docker:\n  lookaside: ftp://example.com/x\n")
    (conf / "test.yaml").unlink()
    with pytest.raises(ocireg.UnsupportedError):
        client.signatures(ref, registries_d=conf)


def test_copy_carries_signatures(signed, tmp_path):
    client, ref, digest, conf, _sig_dir = signed
    simple = ocireg.Signature(ocireg.SIMPLE_SIGNING, b"\xa3\x01copied")
    sigstore = ocireg.Signature(ocireg.SIGSTORE, b'{"critical":{"copied":1}}', annotations={COSIGN_SIG: "MEUCcp"})
    assert client.put_signatures(ref, [simple, sigstore], registries_d=conf) == 2
    target = ref.rsplit("/", 1)[0] + f"/copy-{uuid.uuid4().hex[:8]}:v1"
    assert client.copy_image(ref, target, signatures=True, registries_d=conf) == digest
    sigstore.mime_type = ocireg.COSIGN_PAYLOAD_MEDIA_TYPE
    assert client.signatures(target, registries_d=conf) == [simple, sigstore]
    layout = tmp_path / "layout"
    with pytest.raises(ocireg.InvalidArgumentError):
        client.copy_image(ref, f"oci:{layout}", signatures=True, registries_d=conf)
    assert not layout.exists()
