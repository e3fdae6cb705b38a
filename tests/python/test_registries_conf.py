"""registries.conf through the binding: the harness's distribution v3
registry mirrors the plain 2.8.2 one."""

import os
import uuid

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image


def test_mirror_serves_and_blocked_is_denied(env, tmp_path):
    mirror = os.environ.get("OCIREG_TEST_DIST3")
    assert mirror, "OCIREG_TEST_DIST3 is not set: run me through the harness"
    name = f"py/regconf-{uuid.uuid4().hex[:12]}"
    with ocireg.Client(insecure=[mirror]) as pusher:
        data, digest = make_image(pusher, f"{mirror}/{name}")
        pusher.put_manifest(f"{mirror}/{name}:mirrored", data, OCI_MANIFEST)

    conf = tmp_path / "registries.conf"
    conf.write_text(
        f'[[registry]]\nlocation = "{env.plain}"\ninsecure = true\n'
        f'[[registry.mirror]]\nlocation = "{mirror}"\ninsecure = true\n'
    )
    ref = f"{env.plain}/{name}:mirrored"
    with ocireg.Client(registries_conf=conf) as client:
        assert client.pull_source(ref) == f"{mirror}/{name}:mirrored"
        assert client.digest(ref) == digest
    # Without the option the primary alone answers, and lacks the tag.
    with ocireg.Client(insecure=[env.plain]) as client, pytest.raises(ocireg.NotFoundError):
        client.digest(ref)

    blocked = tmp_path / "blocked.conf"
    blocked.write_text(f'[[registry]]\nlocation = "{env.plain}"\nblocked = true\n')
    with ocireg.Client(registries_conf=blocked) as client, pytest.raises(ocireg.DeniedError) as e:
        client.digest(ref)
    assert str(blocked) in str(e.value)

    bad = tmp_path / "bad.conf"
    bad.write_text("[[registry]\n")
    with pytest.raises(ocireg.InvalidArgumentError) as e:
        ocireg.Client(registries_conf=bad)
    assert str(bad) in str(e.value) and "line 1" in str(e.value)
    with pytest.raises(ocireg.InvalidArgumentError):
        ocireg.Client(registries_conf=tmp_path / "missing.conf")
