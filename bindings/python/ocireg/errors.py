"""Exceptions: one class per ``ocireg_status``, generated from a table.

Every failing call raises a subclass of :class:`OciregError` that carries
the detail the library recorded for it (``ocireg_last_error_*``, read on
the same thread right after the call)::

    try:
        client.get_manifest("localhost:5000/app:missing")
    except ocireg.NotFoundError as e:
        print(e.http_status, e.registry_code)   # 404 MANIFEST_UNKNOWN
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, NamedTuple, NoReturn, Optional, Tuple, Type

from ._lib import lib

__all__ = ["OciregError", "RateLimit", "RegistryError", "STATUS_CODES", "error_class", "raise_last_error"]


@dataclass(frozen=True)
class RateLimit:
    """A registry's rate limit (``ratelimit-limit``, ``ratelimit-remaining``
    with their ``;w=`` windows in seconds, ``docker-ratelimit-source``).
    ``None`` is unknown (the registry did not say), never zero."""

    limit: Optional[int]
    limit_window: Optional[int]
    remaining: Optional[int]
    remaining_window: Optional[int]
    source: Optional[str]


class RegistryError(NamedTuple):
    """One entry of a registry's OCI error body (``errors[]``): ``code``
    (such as ``"MANIFEST_UNKNOWN"``), ``message``, and ``detail`` as compact
    JSON text (``""`` when absent; over 4096 bytes it is cut there and is
    then not valid JSON)."""

    code: str
    message: str
    detail: str


class OciregError(Exception):
    """A failed ocireg call.

    Attributes: ``status`` (the ``ocireg_status`` number), ``status_name``
    (such as ``"NOT_FOUND"``), ``message``, ``http_status`` (int or None),
    ``registry_code`` (the registry's OCI error code such as
    ``"MANIFEST_UNKNOWN"``, or None), ``retry_after`` (seconds the
    registry asked to wait, as a float, or None) and ``errors`` (every entry
    of the registry's OCI error body as :class:`RegistryError`, in order; at
    most 64; empty when it sent none) and ``rate_limit`` (the
    :class:`RateLimit` the failing response reported, typically with a 429
    :class:`TooManyRequestsError`; None when it reported none).
    """

    status: Optional[int] = None
    status_name: Optional[str] = None

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        http_status: Optional[int] = None,
        registry_code: Optional[str] = None,
        retry_after: Optional[float] = None,
        errors: Iterable[Tuple[str, str, str]] = (),
        rate_limit: Optional[RateLimit] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
            self.status_name = _status_name(status)
        self.http_status = http_status
        self.registry_code = registry_code
        self.retry_after = retry_after
        self.errors: List[RegistryError] = [RegistryError(*e) for e in errors]
        self.rate_limit = rate_limit

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        if self.registry_code is not None:
            parts.append(f"registry_code={self.registry_code!r}")
        if self.retry_after is not None:
            parts.append(f"retry_after={self.retry_after}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Tuple[Any, ...]:
        kwargs = dict(
            status=self.status,
            http_status=self.http_status,
            registry_code=self.registry_code,
            retry_after=self.retry_after,
            errors=[tuple(e) for e in self.errors],
            rate_limit=self.rate_limit,
        )
        return (_rebuild, (type(self), self.message, kwargs))


def _rebuild(cls, message, kwargs):
    return cls(message, **kwargs)


def _status_name(status):
    return lib.ocireg_status_str(status).decode()


# (number, class name, extra built-in base or None, doc). Numbers are
# those of include/ocireg.h; a test checks the table against the header. The
# names (such as "NOT_FOUND") are not repeated here: the library's
# ocireg_status_str, the one table of them, gives them below.
_CLASSES = [
    (1, "NullArgumentError", None, "A required pointer argument was NULL."),
    (2, "InvalidUtf8Error", None, "A string argument was not valid UTF-8."),
    (3, "InvalidArgumentError", None, "An argument was malformed or out of range."),
    (4, "InvalidReferenceError", None, "An image reference could not be parsed."),
    (5, "InvalidDigestError", None, "A digest could not be parsed."),
    (6, "NotFoundError", None, "The manifest, blob, repository or upload does not exist."),
    (7, "UnauthorizedError", None, "Authentication is missing or was refused."),
    (8, "DeniedError", None, "The credentials lack the permission."),
    (9, "TooManyRequestsError", None, "The registry rate-limited the request beyond the retries."),
    (10, "UnsupportedError", None, "Something ocireg does not support."),
    (11, "DigestMismatchError", None, "Content did not hash to its digest."),
    (12, "SizeExceededError", None, "Content exceeded a size limit or its declared size."),
    (13, "ProtocolError", None, "The registry broke the protocol."),
    (14, "NetworkError", None, "A connection could not be made or was lost."),
    (15, "TlsError", None, "TLS failed."),
    # Also a built-in TimeoutError, so `except TimeoutError` catches it.
    (16, "TimeoutError", builtins.TimeoutError, "The operation ran past its configured time."),
    (17, "IoError", None, "A local file could not be read or written."),
    (18, "AbortedError", None, "A callback returned non-zero."),
    (19, "CancelledError", None, "The operation was cancelled through its Cancel."),
    (20, "InternalError", None, "A bug in ocireg."),
    (21, "ServerError", None, "The registry answered with a server error beyond the retries."),
    (22, "RejectedError", None, "The registry refused the request as malformed."),
    (100, "PanicError", None, "ocireg panicked; the call was stopped at the boundary. Please report it."),
]

# (number, NAME, class name, extra built-in base or None, doc).
STATUS_CODES = [(number, _status_name(number), *rest) for number, *rest in _CLASSES]

_BY_STATUS: Dict[int, Type[OciregError]] = {}


def _make_classes():
    made = {}
    for number, name, class_name, extra_base, doc in STATUS_CODES:
        bases = (OciregError,) if extra_base is None else (OciregError, extra_base)
        cls = type(
            class_name,
            bases,
            {"__doc__": doc, "__module__": "ocireg", "status": number, "status_name": name},
        )
        _BY_STATUS[number] = cls
        made[class_name] = cls
        __all__.append(class_name)
    return made


globals().update(_make_classes())


def error_class(status: int) -> Type[OciregError]:
    """The exception class of ``status`` (:class:`OciregError` if unknown)."""
    return _BY_STATUS.get(status, OciregError)


def raise_last_error(status: int) -> NoReturn:
    """Raises the exception for ``status``, with this thread's last-error
    detail. Call it right after the failing call, on the same thread."""
    raise last_error(status)


def last_error(status: int) -> OciregError:
    """The exception for ``status`` with this thread's last-error detail
    (only what is certain when the detail belongs to another call)."""
    message = lib.ocireg_last_error_message()
    code = lib.ocireg_last_error_registry_code()
    http = lib.ocireg_last_error_http_status()
    retry_ms = lib.ocireg_last_error_retry_after_ms()
    recorded = lib.ocireg_last_error_status()
    entries = [
        RegistryError(
            _text(lib.ocireg_last_error_registry_entry_code(i)),
            _text(lib.ocireg_last_error_registry_entry_message(i)),
            _text(lib.ocireg_last_error_registry_entry_detail(i)),
        )
        for i in range(lib.ocireg_last_error_registry_count())
    ]
    rate_limit = _last_rate_limit()
    if recorded != status:
        # The detail belongs to another call: keep only what is certain.
        message, code, http, retry_ms, entries, rate_limit = None, None, 0, 0, [], None
    # The message is never NULL; it is empty when the library recorded none.
    text = message.decode("utf-8", "replace") if message else f"{_status_name(status)} (status {status})"
    return error_class(status)(
        text,
        status=status,
        http_status=http or None,
        registry_code=code.decode("utf-8", "replace") if code else None,
        retry_after=(retry_ms / 1000.0) if retry_ms else None,
        errors=entries,
        rate_limit=rate_limit,
    )


def _last_rate_limit() -> Optional[RateLimit]:
    """The rate limit of this thread's last error, or None when it has none."""

    def known(v):
        return None if v < 0 else v

    source = lib.ocireg_last_error_rate_limit_source()
    limit = RateLimit(
        known(lib.ocireg_last_error_rate_limit_limit()),
        known(lib.ocireg_last_error_rate_limit_limit_window_s()),
        known(lib.ocireg_last_error_rate_limit_remaining()),
        known(lib.ocireg_last_error_rate_limit_remaining_window_s()),
        source.decode("utf-8", "replace") if source is not None else None,
    )
    if limit.limit is None and limit.remaining is None and limit.source is None:
        return None
    return limit


def _text(raw):
    """A string the library owns as str (None, out of range, as "")."""
    return raw.decode("utf-8", "replace") if raw else ""
