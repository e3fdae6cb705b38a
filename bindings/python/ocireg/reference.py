"""Image references and registry names, parsed and normalized the way
docker does (``ocireg_reference_*`` and ``ocireg_registry_normalize``)."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Optional

from . import _lib
from ._lib import lib
from .client import _cstr, _take_string, _text
from .errors import error_class, raise_last_error

__all__ = ["Reference", "normalize_registry", "parse_reference"]

_INVALID_REFERENCE = 4


@dataclass(frozen=True)
class Reference:
    """An image reference, normalized: ``ubuntu`` is
    ``docker.io/library/ubuntu:latest``.

    ``registry`` as references spell it (``docker.io``, ``localhost:5000``);
    ``api_host`` the host serving its API (``registry-1.docker.io`` for
    ``docker.io``); ``repository`` the path (``library/ubuntu``); ``tag``
    (``latest`` when the text named neither tag nor digest, None for a
    digest alone); ``digest`` (``sha256:...`` or None); ``canonical``
    (``docker.io/library/ubuntu:latest``) and ``familiar``, docker's short
    form (``ubuntu:latest``). ``str()`` gives the canonical form.
    """

    registry: str
    api_host: str
    repository: str
    tag: Optional[str]
    digest: Optional[str]
    canonical: str
    familiar: str

    def __str__(self) -> str:
        return self.canonical


def _refuse_nul(value, what):
    """C strings end at NUL: such text is refused, not cut short."""
    if isinstance(value, str) and "\0" in value:
        raise error_class(_INVALID_REFERENCE)(
            f"invalid {what} {value!r}: contains a NUL character", status=_INVALID_REFERENCE
        )


def parse_reference(text: str) -> Reference:
    """Parses ``[registry/]repository[:tag][@digest]`` into a
    :class:`Reference`. A malformed reference raises
    :class:`InvalidReferenceError` (:class:`InvalidDigestError` for the part
    after ``@``) saying why."""
    _refuse_nul(text, "reference")
    raw = _cstr(text, "text")
    ptr = ctypes.POINTER(_lib.ocireg_reference)()
    status = lib.ocireg_reference_parse(raw, ctypes.byref(ptr))
    if status != 0:
        raise_last_error(status)
    try:
        return Reference(
            registry=_text(lib.ocireg_reference_registry(ptr)),
            api_host=_text(lib.ocireg_reference_api_host(ptr)),
            repository=_text(lib.ocireg_reference_repository(ptr)),
            tag=_text(lib.ocireg_reference_tag(ptr)),
            digest=_text(lib.ocireg_reference_digest(ptr)),
            canonical=_text(lib.ocireg_reference_canonical(ptr)),
            familiar=_text(lib.ocireg_reference_familiar(ptr)),
        )
    finally:
        lib.ocireg_reference_free(ptr)


def normalize_registry(name: str) -> str:
    """Normalizes a registry name as a user writes it (a ``docker login``
    argument, an auth-file key): ``https://index.docker.io/v1/``,
    ``index.docker.io`` and ``registry-1.docker.io`` are ``docker.io``;
    ``Localhost:5000/team`` is ``localhost:5000``. A name that is not a
    valid ``host[:port]`` raises :class:`InvalidReferenceError`."""
    _refuse_nul(name, "registry name")
    raw = _cstr(name, "name")
    out = _lib.owned_str()
    status = lib.ocireg_registry_normalize(raw, ctypes.byref(out))
    if status != 0:
        raise_last_error(status)
    return _take_string(out)
