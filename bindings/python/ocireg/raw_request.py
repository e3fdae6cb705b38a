"""Raw requests: a request of the caller's own to a path on a registry
(vendor APIs beside the registry API: Harbor, Quay, GitLab) sent with the
client's authentication, retries, TLS and proxy. ``Client.request`` and
``Client.request_to`` are the entry points; this module holds their work.

The library keeps them bounded and on the registry's origin: the path
starts with one ``/`` (no scheme or host, no ``.``/``..`` segments; the
query is the caller's), at most 64 headers and 64 KiB of them (never
``Authorization``, ``Host``, ``Content-Length`` or hop-by-hop headers), and
``Authorization`` never follows a redirect to another origin.
"""

from __future__ import annotations

from ctypes import byref
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from . import _lib
from ._lib import lib

__all__ = ["Response", "DEFAULT_MAX_BODY"]

#: The largest body ``Client.request`` reads into memory unless told otherwise.
DEFAULT_MAX_BODY = 64 * 1024 * 1024


@dataclass
class Response:
    """A raw request's answer: any HTTP status (registry errors are in the
    body), the headers in order (names lower case), and the body (None when
    it was streamed to a file object)."""

    status: int
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: Optional[bytes] = None

    def header(self, name: str) -> Optional[str]:
        """The first value of header ``name`` (any case), or None."""
        lower = name.lower()
        for n, v in self.headers:
            if n == lower:
                return v
        return None

    @property
    def ok(self) -> bool:
        """Whether the status is below 400."""
        return self.status < 400


def _header_pairs(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)


def build(helpers, method, path, headers, scopes, data, length, max_body, cbs):
    """An ocireg_request (the caller frees it) for these arguments; a file
    object ``data`` is read through a callback kept alive by ``cbs``."""
    cstr, check, data_arg, uint = helpers
    raw_method, raw_path = cstr(method, "method"), cstr(path, "path")
    pairs = _header_pairs(headers)
    scope_list = [scopes] if isinstance(scopes, str) else list(scopes or [])
    if max_body is not None:
        uint(max_body, "max_body", 2**64 - 1)
    if length is not None:
        uint(length, "length", 2**64 - 2)
    request = _lib.RequestP()
    check(lib.ocireg_request_new(raw_method, raw_path, byref(request)))
    try:
        for name, value in pairs:
            check(lib.ocireg_request_add_header(request, cstr(name, "header name"), cstr(value, "header value")))
        for scope in scope_list:
            check(lib.ocireg_request_add_scope(request, cstr(scope, "scope")))
        if data is not None:
            if hasattr(data, "read") or hasattr(data, "readinto"):
                reader = cbs.read(data)
                n = _lib_unknown() if length is None else length
                check(lib.ocireg_request_set_body_reader(request, reader, None, n))
            else:
                ptr, n, keep = data_arg(data)
                cbs.keep.append(keep)
                check(lib.ocireg_request_set_body(request, ptr, n))
        if max_body:
            check(lib.ocireg_request_set_max_response_body(request, max_body))
    except BaseException:
        lib.ocireg_request_free(request)
        raise
    return request


def _lib_unknown():
    """OCIREG_UNKNOWN_LENGTH: a body of unknown length, sent chunked."""
    return 2**64 - 1


def take_response(ptr, body):
    """Copies the status and headers out of an ocireg_response and frees it."""
    try:
        count = lib.ocireg_response_header_count(ptr)
        headers = []
        for i in range(count):
            name = lib.ocireg_response_header_name(ptr, i)
            value = lib.ocireg_response_header_value(ptr, i)
            headers.append((name.decode("utf-8", "replace"), value.decode("utf-8", "replace")))
        return Response(lib.ocireg_response_status(ptr), headers, body)
    finally:
        lib.ocireg_response_free(ptr)
