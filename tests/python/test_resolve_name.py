"""Short names through the binding, against the harness's two plain
registries: the first unqualified-search registry lacks the image, the
second has it."""

import os
import uuid

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image


def test_short_names_resolve_like_podman(env, tmp_path):
    second = os.environ.get("OCIREG_TEST_DIST3")
    assert second, "OCIREG_TEST_DIST3 is not set: run me through the harness"
    first = env.plain
    short = f"py/shortname-{uuid.uuid4().hex[:12]}"
    with ocireg.Client(insecure=[second]) as pusher:
        data, _ = make_image(pusher, f"{second}/{short}")
        pusher.put_manifest(f"{second}/{short}:v1", data, OCI_MANIFEST)

    search = f'unqualified-search-registries = ["{first}", "{second}"]\n'
    entries = "".join(
        f'[[registry]]\nlocation = "{r}"\ninsecure = true\n' for r in (first, second)
    )
    permissive = tmp_path / "permissive.conf"
    permissive.write_text(search + 'short-name-mode = "permissive"\n' + entries)
    with ocireg.Client(registries_conf=permissive) as client:
        got = client.resolve_name(f"{short}:v1")
        assert got.reference == f"{second}/{short}:v1"
        assert got.rationale == "search-registries"
        assert got.origin == str(permissive)
        assert [r for r, _ in got.skipped] == [f"{first}/{short}:v1"]
        with pytest.raises(ocireg.InvalidReferenceError):
            client.resolve_name(f"{short}:v1", pull=False)

    enforcing = tmp_path / "enforcing.conf"
    enforcing.write_text(
        search
        + 'short-name-mode = "enforcing"\n'
        + entries
        + f'[aliases]\n"py/aliased" = "{second}/{short}"\n'
    )
    with ocireg.Client(registries_conf=enforcing) as client:
        with pytest.raises(ocireg.InvalidReferenceError) as e:
            client.resolve_name(f"{short}:v1")
        assert "ambiguous" in str(e.value) and str(enforcing) in str(e.value)
        got = client.resolve_name("py/aliased:v1", pull=False)
        assert (got.reference, got.rationale) == (f"{second}/{short}:v1", "alias")

    with ocireg.Client() as client:
        got = client.resolve_name("busybox")
        assert got.reference == "docker.io/library/busybox:latest"
        assert got.rationale == "docker-default"
