"""References and registry names, parsed without a registry."""

import dataclasses

import pytest

import ocireg

D = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"


@pytest.mark.parametrize(
    "text, parts",
    [
        (
            "ubuntu",
            ("docker.io", "registry-1.docker.io", "library/ubuntu", "latest", None,
             "docker.io/library/ubuntu:latest", "ubuntu:latest"),
        ),
        (
            "index.docker.io/user/app@" + D,
            ("docker.io", "registry-1.docker.io", "user/app", None, D,
             "docker.io/user/app@" + D, "user/app@" + D),
        ),
        (
            "localhost:5000/a/b:v1@" + D,
            ("localhost:5000", "localhost:5000", "a/b", "v1", D,
             "localhost:5000/a/b:v1@" + D, "localhost:5000/a/b:v1@" + D),
        ),
    ],
)
def test_parse_reference(text, parts):
    ref = ocireg.parse_reference(text)
    assert ref == ocireg.Reference(*parts)
    assert str(ref) == ref.canonical
    assert ocireg.parse_reference(ref.familiar) == ref
    assert ocireg.parse_reference(ref.canonical) == ref
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.tag = "other"


def test_repository_limit_excludes_the_registry():
    path = "a" * 255
    ref = ocireg.parse_reference("a-rather-long-registry-name.example.com:5000/" + path)
    assert ref.repository == path
    with pytest.raises(ocireg.InvalidReferenceError, match="more than 255"):
        ocireg.parse_reference("example.com/" + path + "a")


@pytest.mark.parametrize(
    "text, error, fragment",
    [
        ("", ocireg.InvalidReferenceError, "empty"),
        ("Ubuntu", ocireg.InvalidReferenceError, "must be lowercase"),
        ("a//b", ocireg.InvalidReferenceError, "empty path component"),
        ("ubuntu:", ocireg.InvalidReferenceError, "tag is empty"),
        ("ubuntu\0:evil", ocireg.InvalidReferenceError, "NUL"),
        ("ubuntu@sha256:abc", ocireg.InvalidDigestError, "wrong length"),
    ],
)
def test_bad_references_raise_clearly(text, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        ocireg.parse_reference(text)
    assert info.value.status_name == error.status_name
    assert "invalid reference" in str(info.value)


def test_parse_reference_wants_a_string():
    with pytest.raises(TypeError):
        ocireg.parse_reference(None)


def test_normalize_registry():
    for name in ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"]:
        assert ocireg.normalize_registry(name) == "docker.io"
    assert ocireg.normalize_registry("Localhost:5000/team") == "localhost:5000"
    for bad in ["bad_host", "localhost:", "a\0b"]:
        with pytest.raises(ocireg.InvalidReferenceError, match="invalid registry name"):
            ocireg.normalize_registry(bad)
