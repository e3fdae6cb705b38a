"""Image signatures where containers' registries.d puts them: lookaside
storage (simple-signing signatures, ``BASE/REPO@sha256=HEX/signature-N``)
and sigstore attachments (the layers of the image's ``sha256-<hex>.sig``
manifest). ``Client.signatures`` and ``Client.put_signatures`` are the
entry points; this module holds the :class:`Signature` type and the
conversions to and from the library's signature list.
"""

from __future__ import annotations

import ctypes
from ctypes import byref, c_size_t
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

from ._lib import lib
from .errors import raise_last_error

__all__ = ["Signature", "SIMPLE_SIGNING", "SIGSTORE", "COSIGN_PAYLOAD_MEDIA_TYPE"]

#: The kind of a "simple signing" signature (an OpenPGP message, as
#: ``skopeo copy --sign-by`` writes to a lookaside): ``data`` is all of it.
SIMPLE_SIGNING = "simple-signing"
#: The kind of a sigstore signature (a ``.sig`` layer, as cosign writes it):
#: ``data`` is the payload; the signature is the annotation
#: ``dev.cosignproject.cosign/signature``.
SIGSTORE = "sigstore"
#: The MIME type of cosign's payloads, the default for a sigstore signature.
COSIGN_PAYLOAD_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"

_KINDS = {SIMPLE_SIGNING: 1, SIGSTORE: 2}


@dataclass
class Signature:
    """One image signature, as stored (ocireg moves signatures, it does not
    verify them): its ``kind`` (:data:`SIMPLE_SIGNING` or :data:`SIGSTORE`),
    its bytes (at most 4 MiB), and for sigstore the payload's MIME type and
    the layer's annotations."""

    kind: str
    data: bytes
    mime_type: Optional[str] = None
    annotations: Dict[str, str] = field(default_factory=dict)


def _check(status: int) -> None:
    if status != 0:
        raise_last_error(status)


def _text(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", "replace")


def from_list(handle) -> List[Signature]:
    """The signatures of a library list (which the caller frees)."""
    out = []
    for i in range(lib.ocireg_signature_list_len(handle)):
        size = c_size_t(0)
        ptr = lib.ocireg_signature_list_bytes(handle, i, byref(size))
        data = ctypes.string_at(ptr, size.value) if ptr else b""
        out.append(
            Signature(
                kind=_text(lib.ocireg_signature_kind_str(lib.ocireg_signature_list_kind(handle, i))) or "none",
                data=data,
                mime_type=_text(lib.ocireg_signature_list_mime_type(handle, i)),
                annotations={
                    _text(lib.ocireg_signature_list_annotation_key(handle, i, j)) or "": _text(
                        lib.ocireg_signature_list_annotation_value(handle, i, j)
                    )
                    or ""
                    for j in range(lib.ocireg_signature_list_annotations_len(handle, i))
                },
            )
        )
    return out


def to_list(signatures: Iterable[Signature]):
    """A new library list holding ``signatures`` (the caller frees it with
    ``lib.ocireg_signature_list_free``); bad ones raise
    ``InvalidArgumentError`` or ``SizeExceededError``."""
    handle = lib.ocireg_signature_list_new()
    if not handle:
        raise MemoryError("ocireg_signature_list_new failed")
    try:
        for i, s in enumerate(signatures):
            kind = _KINDS.get(s.kind, 0)
            data = bytes(s.data)
            buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else None
            mime = None
            if s.kind == SIGSTORE and s.mime_type is not None:
                mime = s.mime_type.encode("utf-8")
            _check(lib.ocireg_signature_list_add(handle, kind, mime, buf, len(data)))
            for key, value in (s.annotations or {}).items():
                _check(lib.ocireg_signature_list_annotate(handle, i, key.encode("utf-8"), value.encode("utf-8")))
    except BaseException:
        lib.ocireg_signature_list_free(handle)
        raise
    return handle
