"""The Pythonic face of libocireg: Client, Cancel, BlobReader, Upload."""

from __future__ import annotations

import builtins
import ctypes
import io
import json
import os
import threading
from contextlib import contextmanager
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint8, c_uint64
from dataclasses import dataclass, field
from typing import (
    Any,
    BinaryIO,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

from . import _lib
from . import raw_request as _raw_request
from . import resolve_name as _resolve_name
from . import signatures as _signatures
from ._lib import lib
from .errors import RateLimit, raise_last_error

# A filesystem path, as open() takes it.
StrPath = Union[str, bytes, "os.PathLike[str]"]
# Called with (bytes done, bytes in all or None when unknown); an exception
# it raises stops the call and is raised to the caller.
ProgressFunc = Callable[[int, Optional[int]], object]
# Request headers for Client.request: a dict, or (name, value) pairs in order.
Headers = Union[Dict[str, str], Iterable[Tuple[str, str]]]

__all__ = [
    "BlobReader",
    "Cancel",
    "Client",
    "Content",
    "Descriptor",
    "ImageProgress",
    "Manifest",
    "ManifestInfo",
    "Platform",
    "Upload",
    "version",
]


def version() -> str:
    """The version of the loaded libocireg, such as ``"0.1.0"``."""
    return lib.ocireg_version().decode()


# --- small helpers -------------------------------------------------------


def _cstr(value, name):
    """A Python str (or path-like) as NUL-terminated UTF-8 bytes."""
    if value is None:
        raise TypeError(f"{name} must be a string, not None")
    if hasattr(value, "__fspath__"):
        value = value.__fspath__()
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        raw = value.encode("utf-8")
    else:
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if b"\0" in raw:
        raise ValueError(f"{name} contains a NUL character")
    return raw


def _opt_cstr(value, name):
    return None if value is None else _cstr(value, name)


def _text(raw):
    return None if raw is None else raw.decode("utf-8", "replace")


def _take_string(ptr):
    """Copies a library-owned `char *` out and frees it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.ocireg_string_free(ptr)


def _data_arg(data, name="data"):
    """(pointer, length, keepalive) for a bytes-like argument, without
    copying bytes or writable buffers."""
    if isinstance(data, bytes):
        n = len(data)
        return ctypes.cast(c_char_p(data), _lib.bytes_p), n, data
    if isinstance(data, str):
        raise TypeError(f"{name} must be bytes-like, not str (encode it first)")
    view = memoryview(data).cast("B")
    n = view.nbytes
    if n == 0:
        return None, 0, None
    if view.readonly:
        copy = bytes(view)
        return ctypes.cast(c_char_p(copy), _lib.bytes_p), n, copy
    array = (c_uint8 * n).from_buffer(view)
    return ctypes.cast(array, _lib.bytes_p), n, array


# The largest values the C parameter types hold: ctypes would silently
# wrap anything larger (2**64 + 7 would arrive as 7).
_UINT32_MAX = 2**32 - 1
_UINT64_MAX = 2**64 - 1
_SIZE_MAX = 2 ** (8 * ctypes.sizeof(c_size_t)) - 1


def _uint(value, name, limit):
    """``value`` as an int in ``0..=limit`` (the C parameter's range), or
    ValueError naming ``name``."""
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    if value > limit:
        raise ValueError(f"{name} {value} is out of range: at most {limit}")
    return value


def _ms(seconds, name):
    """Seconds as whole milliseconds for a ``uint64_t`` parameter."""
    if seconds is None:
        return None
    return _uint(int(round(float(seconds) * 1000)), name, _UINT64_MAX)


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        return [value]
    return list(value)


_memory_view = ctypes.pythonapi.PyMemoryView_FromMemory
_memory_view.restype = ctypes.py_object
_memory_view.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int]
_PYBUF_READ, _PYBUF_WRITE = 0x100, 0x200


def _view(pointer, length, writable):
    """A memoryview (format "B") over `length` bytes the library lends."""
    address = ctypes.cast(pointer, ctypes.c_void_p).value
    return _memory_view(address, length, _PYBUF_WRITE if writable else _PYBUF_READ)


class _Callbacks:
    """Holds the ctypes callback objects of one call (so they stay alive
    while C may call them) and the first exception a Python callback raised
    (so it aborts the call and is raised to the caller afterwards)."""

    def __init__(self):
        self.error = None
        self.keep = []

    def _fail(self, exc):
        if self.error is None:
            self.error = exc
        return 1

    def write(self, sink):
        """A write_cb calling ``sink(memoryview)``; the view is only valid
        during the call."""

        def cb(_userdata, data, length):
            if self.error is not None:
                return 1
            try:
                if length:
                    with _view(data, length, False) as view:
                        sink(view)
                return 0
            except BaseException as e:  # noqa: B902 - re-raised after the C call
                return self._fail(e)

        f = _lib.write_cb(cb)
        self.keep.append(f)
        return f

    def progress(self, fn):
        if fn is None:
            return _lib.progress_cb()

        def cb(_userdata, done, total):
            if self.error is not None:
                return 1
            try:
                fn(done, total or None)
                return 0
            except BaseException as e:  # noqa: B902
                return self._fail(e)

        f = _lib.progress_cb(cb)
        self.keep.append(f)
        return f

    def image_progress(self, fn):
        def cb(_userdata, digest, blob_done, blob_total, done, total, blobs, skipped, mounted, sent):
            if self.error is not None:
                return 1
            try:
                fn(
                    ImageProgress(
                        _text(digest), blob_done, blob_total or None, done, total or None, blobs, skipped, mounted, sent
                    )
                )
                return 0
            except BaseException as e:  # noqa: B902
                return self._fail(e)

        f = _lib.image_progress_cb(cb)
        self.keep.append(f)
        return f

    def read(self, fileobj):
        readinto = getattr(fileobj, "readinto", None)
        read = getattr(fileobj, "read", None)
        if readinto is None and read is None:
            raise TypeError("fileobj must have readinto() or read()")

        def cb(_userdata, buf, cap, len_out):
            if self.error is not None:
                return 1
            try:
                n = 0
                if cap:
                    if readinto is not None:
                        with _view(buf, cap, True) as view:
                            n = readinto(view)
                        if n is None:
                            raise BlockingIOError("fileobj.readinto() returned None (non-blocking file)")
                    else:
                        chunk = read(cap)
                        if chunk is None:
                            raise BlockingIOError("fileobj.read() returned None (non-blocking file)")
                        if isinstance(chunk, str):
                            raise TypeError("fileobj.read() returned str: open the file in binary mode")
                        n = len(chunk)
                        if n > cap:
                            raise ValueError(f"fileobj.read({cap}) returned {n} bytes")
                        ctypes.memmove(buf, bytes(chunk), n)
                    if not 0 <= n <= cap:
                        raise ValueError(f"fileobj.readinto() returned {n} for a buffer of {cap}")
                len_out[0] = n
                return 0
            except BaseException as e:  # noqa: B902
                return self._fail(e)

        f = _lib.read_cb(cb)
        self.keep.append(f)
        return f

    def check(self, status):
        """Raises the callback's exception if there was one, else the
        library's error for a non-zero status."""
        if status != 0:
            if self.error is not None:
                # The library only saw a non-zero return (ABORTED): the
                # callback's own exception is the real story.
                lib.ocireg_last_error_clear()
                err, self.error = self.error, None
                raise err
            raise_last_error(status)
        if self.error is not None:
            err, self.error = self.error, None
            raise err


def _check(status):
    if status != 0:
        raise_last_error(status)


_H = TypeVar("_H", bound="_Handle")


class _Handle:
    """An owned library handle that several threads may use at once.

    ``_use()`` lends the pointer for one call; ``close()`` frees it at once
    if no call is using it, else the last call to finish frees it. So
    closing from another thread (or from inside a callback) never frees a
    handle under a running call."""

    _kind = "handle"

    def __init__(self, ptr: Any, free: Callable[[Any], None]) -> None:
        self._ptr = ptr
        self._free_fn = free
        self._hlock = threading.Lock()
        self._users = 0
        self._closing = False

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._ptr is None or self._closing

    @contextmanager
    def _use(self):
        with self._hlock:
            if self._ptr is None or self._closing:
                raise ValueError(f"the {self._kind} is closed")
            self._users += 1
            ptr = self._ptr
        try:
            yield ptr
        finally:
            self._release()

    def _lease(self):
        """Keeps the handle alive until the matching ``_release()`` (for
        readers and uploads, which go on using the cancel signal they were
        opened with)."""
        with self._hlock:
            if self._ptr is None or self._closing:
                raise ValueError(f"the {self._kind} is closed")
            self._users += 1

    def _release(self):
        with self._hlock:
            self._users -= 1
            ptr = self._detach_if_done()
        if ptr is not None:
            self._free_fn(ptr)

    def _detach_if_done(self):
        if self._closing and self._users == 0 and self._ptr is not None:
            ptr, self._ptr = self._ptr, None
            return ptr
        return None

    def _close_handle(self):
        with self._hlock:
            self._closing = True
            ptr = self._detach_if_done()
        if ptr is not None:
            self._free_fn(ptr)

    def close(self) -> None:
        """Frees the handle (after the calls running on it return)."""
        self._close_handle()

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self):
        try:
            self._close_handle()
        except Exception:
            pass


# --- Cancel --------------------------------------------------------------


class Cancel(_Handle):
    """A cancellation signal (``ocireg_cancel``).

    Pass it as ``cancel=`` to any network call; ``cancel()`` from any thread
    makes those calls (and the readers and uploads they opened) raise
    :class:`ocireg.CancelledError`. A cancelled signal stays cancelled:
    make a new one per operation.
    """

    _kind = "Cancel"

    def __init__(self) -> None:
        ptr = lib.ocireg_cancel_new()
        if not ptr:
            raise MemoryError("ocireg_cancel_new failed")
        super().__init__(ptr, lib.ocireg_cancel_free)
        self._cancelled = False

    def cancel(self) -> None:
        """Cancels every call using this signal. Thread-safe; a no-op once closed."""
        self._cancelled = True
        try:
            with self._use() as ptr:
                lib.ocireg_cancel_cancel(ptr)
        except ValueError:
            pass

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._cancelled

    def __repr__(self) -> str:
        return f"<ocireg.Cancel cancelled={self._cancelled}>"


def _lease(cancel):
    if cancel is not None:
        cancel._lease()
    return cancel


def _unlease(cancel):
    if cancel is not None:
        cancel._release()


@contextmanager
def _cancel_arg(cancel):
    """The `ocireg_cancel *` for an optional Cancel, held for the call."""
    if cancel is None:
        yield None
        return
    if not isinstance(cancel, Cancel):
        raise TypeError(f"cancel must be an ocireg.Cancel, not {type(cancel).__name__}")
    with cancel._use() as ptr:
        yield ptr


# --- values --------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """A document as the registry sent it (a manifest, an index or an
    image config): its raw bytes, media type and digest. ``Manifest`` is
    the same class."""

    data: builtins.bytes
    media_type: str
    digest: str

    @property
    def bytes(self) -> builtins.bytes:
        """The raw bytes (same as ``data``)."""
        return self.data

    def __bytes__(self) -> builtins.bytes:
        return self.data

    def json(self) -> Any:
        """The document parsed as JSON."""
        return json.loads(self.data)


Manifest = Content


@dataclass(frozen=True)
class ManifestInfo:
    """What a manifest HEAD tells: digest, size and media type."""

    digest: str
    size: int
    media_type: str

    def __iter__(self) -> Iterator[Union[str, int]]:
        """(digest, size, media_type), so the info unpacks like a tuple."""
        return iter((self.digest, self.size, self.media_type))


@dataclass(frozen=True)
class SearchResult:
    """One search result. A result from the catalog fallback has only a
    name (the rest empty, 0 or False)."""

    name: str
    description: str
    star_count: int
    is_official: bool
    is_trusted: bool
    is_automated: bool


def _take_rate_limit(ptr) -> RateLimit:
    """Copies a rate-limit handle out and frees it."""
    try:
        known = lambda v: None if v < 0 else v  # noqa: E731
        source = lib.ocireg_rate_limit_source(ptr)
        return RateLimit(
            known(lib.ocireg_rate_limit_limit(ptr)),
            known(lib.ocireg_rate_limit_limit_window_s(ptr)),
            known(lib.ocireg_rate_limit_remaining(ptr)),
            known(lib.ocireg_rate_limit_remaining_window_s(ptr)),
            source.decode("utf-8", "replace") if source is not None else None,
        )
    finally:
        lib.ocireg_rate_limit_free(ptr)


def _destination(auth_file, docker):
    """The (kind, file) of a login destination."""
    if auth_file is not None and docker:
        raise ValueError("auth_file and docker exclude each other")
    if auth_file is not None:
        return 2, _cstr(str(auth_file), "auth_file")  # OCIREG_LOGIN_AUTH_FILE
    return (1 if docker else 0), None  # OCIREG_LOGIN_DOCKER / _CONTAINERS


@dataclass(frozen=True)
class Descriptor:
    """A descriptor of a referrer. ``kind`` says where it was found:
    ``"referrers-api"``, ``"fallback"`` (the ``sha256-<hex>`` tag index),
    ``"cosign-signature"``, ``"cosign-attestation"`` or ``"cosign-sbom"``
    (cosign's ``sha256-<hex>.sig``, ``.att`` and ``.sbom`` tags)."""

    media_type: str
    digest: str
    size: int
    artifact_type: Optional[str] = None
    kind: Optional[str] = None
    annotations: Dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Platform:
    """One platform an image offers, with the image manifest that serves
    it: ``os``, ``architecture`` (``""`` when not recorded), ``variant`` and
    ``os_version`` (None when absent), ``os_features`` and ``features``
    (lists), and the manifest's ``digest``, ``size`` and ``media_type``."""

    os: str
    architecture: str
    variant: Optional[str]
    os_version: Optional[str]
    os_features: List[str]
    features: List[str]
    digest: str
    size: int
    media_type: str

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text


def _take_platform_list(ptr):
    """The platforms of a library-owned list, which is then freed."""
    try:
        out = []
        for i in range(lib.ocireg_platform_list_len(ptr)):
            out.append(
                Platform(
                    os=_text(lib.ocireg_platform_list_os(ptr, i)),
                    architecture=_text(lib.ocireg_platform_list_architecture(ptr, i)),
                    variant=_text(lib.ocireg_platform_list_variant(ptr, i)),
                    os_version=_text(lib.ocireg_platform_list_os_version(ptr, i)),
                    os_features=[
                        _text(lib.ocireg_platform_list_os_feature(ptr, i, j))
                        for j in range(lib.ocireg_platform_list_os_feature_count(ptr, i))
                    ],
                    features=[
                        _text(lib.ocireg_platform_list_feature(ptr, i, j))
                        for j in range(lib.ocireg_platform_list_feature_count(ptr, i))
                    ],
                    digest=_text(lib.ocireg_platform_list_digest(ptr, i)),
                    size=lib.ocireg_platform_list_size(ptr, i),
                    media_type=_text(lib.ocireg_platform_list_media_type(ptr, i)),
                )
            )
        return out
    finally:
        lib.ocireg_platform_list_free(ptr)


@dataclass(frozen=True)
class ImageProgress:
    """A progress report of a whole-image operation: blob ``digest`` is at
    ``blob_done`` of ``blob_total`` bytes, the operation at ``done`` of
    ``total`` (totals None when unknown).

    ``blobs`` is the number of blobs of the operation; each finished blob
    is counted once, in ``blobs_skipped`` (already in the destination
    registry or layout), ``blobs_mounted`` (mounted by the registry from
    another repository) or ``blobs_sent`` (its bytes moved: uploaded,
    downloaded or written), so in the last report of a finished operation
    the three add up to ``blobs``."""

    digest: Optional[str]
    blob_done: int
    blob_total: Optional[int]
    done: int
    total: Optional[int]
    blobs: int = 0
    blobs_skipped: int = 0
    blobs_mounted: int = 0
    blobs_sent: int = 0


# Called with each ImageProgress report; an exception it raises stops the
# operation and is raised to the caller.
ImageProgressFunc = Callable[[ImageProgress], object]


# OCIREG_REFERRERS_ALL of ocireg_image_options_set_referrers.
_REFERRERS_ALL = 1


@contextmanager
def _image_options(
    cbs,
    platform=None,
    all_platforms=False,
    layout_name=None,
    mount_from=None,
    progress=None,
    referrers=False,
    referrer_types=None,
    resume_dir=None,
    signatures=False,
    registries_d=None,
):
    """An `ocireg_image_options *` for one call, freed afterwards."""
    opts = lib.ocireg_image_options_new()
    if not opts:
        raise MemoryError("ocireg_image_options_new failed")
    try:
        if platform is not None:
            _check(lib.ocireg_image_options_set_platform(opts, _cstr(",".join(_as_list(platform)), "platform")))
        if all_platforms:
            _check(lib.ocireg_image_options_set_all_platforms(opts, 1))
        if layout_name is not None:
            _check(lib.ocireg_image_options_set_layout_name(opts, _cstr(layout_name, "layout_name")))
        for repo in _as_list(mount_from):
            _check(lib.ocireg_image_options_add_mount_from(opts, _cstr(repo, "mount_from")))
        if referrers:
            _check(lib.ocireg_image_options_set_referrers(opts, _REFERRERS_ALL))
        for artifact_type in _as_list(referrer_types):
            _check(lib.ocireg_image_options_add_referrer_artifact_type(opts, _cstr(artifact_type, "referrer_types")))
        if resume_dir is not None:
            _check(lib.ocireg_image_options_set_resume_dir(opts, _cstr(resume_dir, "resume_dir")))
        if signatures:
            d = None if registries_d is None else _cstr(os.fspath(registries_d), "registries_d")
            _check(lib.ocireg_image_options_set_signatures(opts, 1, d))
        if progress is not None:
            _check(lib.ocireg_image_options_set_progress(opts, cbs.image_progress(progress), None))
        yield opts
    finally:
        lib.ocireg_image_options_free(opts)


def _take_content(ptr):
    try:
        n = c_size_t(0)
        data_ptr = lib.ocireg_content_bytes(ptr, byref(n))
        data = ctypes.string_at(data_ptr, n.value) if n.value else b""
        return Content(
            data=data,
            media_type=_text(lib.ocireg_content_media_type(ptr)),
            digest=_text(lib.ocireg_content_digest(ptr)),
        )
    finally:
        lib.ocireg_content_free(ptr)


def _take_string_list(ptr):
    try:
        n = lib.ocireg_string_list_len(ptr)
        return [_text(lib.ocireg_string_list_get(ptr, i)) for i in range(n)]
    finally:
        lib.ocireg_string_list_free(ptr)


# --- BlobReader ----------------------------------------------------------


class BlobReader(io.RawIOBase):
    """A blob download as a read-only binary file (``ocireg_blob_reader``).

    ``read()`` returning ``b""`` means the whole blob arrived and its digest
    checked out; a corrupted blob raises :class:`ocireg.DigestMismatchError`
    from the last read. One thread at a time. Close it (or use ``with``).
    """

    def __init__(self, ptr: Any, client: Client, cancel: Optional[Cancel]) -> None:
        super().__init__()
        self._h = _Handle(ptr, lib.ocireg_blob_reader_free)
        self._h._kind = "BlobReader"
        self._lock = threading.Lock()
        # The reader goes on using the cancel signal: keep it alive.
        self._client: Optional[Client] = client
        self._cancel = _lease(cancel)
        self._eof = False
        with self._h._use() as p:
            size = lib.ocireg_blob_reader_size(p)
        self._size = size or None

    @property
    def size(self) -> Optional[int]:
        """The blob's size as the registry announced it, or None if unknown."""
        return self._size

    def readable(self) -> bool:
        """True: a blob reader reads."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Reads up to len(buffer) bytes into it; returns how many (0 at the end)."""
        with memoryview(buffer) as outer, outer.cast("B") as view:
            if view.readonly:
                raise TypeError("readinto() needs a writable buffer")
            cap = view.nbytes
            if cap == 0 or self._eof:
                if self.closed:
                    raise ValueError("I/O operation on closed BlobReader")
                return 0
            with self._lock, self._h._use() as ptr:
                array = (c_uint8 * cap).from_buffer(view)
                got = c_size_t(0)
                try:
                    _check(lib.ocireg_blob_reader_read(ptr, array, cap, byref(got)))
                finally:
                    del array
        n = got.value
        if n == 0:
            self._eof = True
        return n

    def readall(self) -> builtins.bytes:
        """The rest of the blob, verified."""
        chunks = bytearray()
        chunk = bytearray(1 << 20)
        while True:
            n = self.readinto(chunk)
            if not n:
                return bytes(chunks)
            chunks += memoryview(chunk)[:n]

    def close(self) -> None:
        """Stops the download and frees the reader."""
        h = getattr(self, "_h", None)
        if h is not None:
            h._close_handle()
        _unlease(getattr(self, "_cancel", None))
        self._client = None
        self._cancel = None
        super().close()

    def __repr__(self) -> str:
        return f"<ocireg.BlobReader size={self._size} closed={self.closed}>"


# --- Upload --------------------------------------------------------------


class Upload(io.RawIOBase):
    """An upload session as a writable binary file (``ocireg_upload``).

    ``write()`` buffers and sends full chunks; ``commit()`` creates the blob
    and returns its digest; ``suspend()`` leaves the session on the registry
    and returns ``(location, offset)`` for :meth:`Client.resume_upload`;
    ``close()`` of an upload neither committed nor suspended cancels it.
    One thread at a time.
    """

    def __init__(self, ptr: Any, client: Client, cancel: Optional[Cancel], resumed: bool = False) -> None:
        super().__init__()
        self._h = _Handle(ptr, lib.ocireg_upload_free)
        self._h._kind = "Upload"
        self._lock = threading.Lock()
        self._client: Optional[Client] = client
        self._cancel = _lease(cancel)
        self._resumed = resumed
        self._written = 0
        self.digest: Optional[str] = None
        """The digest after a successful commit()."""
        self.committed = False
        self.suspended = False

    def writable(self) -> bool:
        """True: an upload writes."""
        return True

    def _active(self):
        if self.committed or self.suspended:
            raise ValueError("the upload was already " + ("committed" if self.committed else "suspended"))

    def write(self, data: Any) -> int:
        """Appends ``data`` (bytes-like); returns its length."""
        ptr_data, n, keep = _data_arg(data)
        with self._lock:
            self._active()
            with self._h._use() as ptr:
                if n:
                    _check(lib.ocireg_upload_write(ptr, ptr_data, n))
        del keep
        self._written += n
        return n

    @property
    def written(self) -> int:
        """Bytes given to write() through this object."""
        return self._written

    @property
    def offset(self) -> int:
        """How many bytes the registry holds (buffered bytes not included)."""
        with self._lock, self._h._use() as ptr:
            return lib.ocireg_upload_offset(ptr)

    @property
    def location(self) -> str:
        """The session's URL."""
        with self._lock, self._h._use() as ptr:
            return _text(lib.ocireg_upload_location(ptr))

    def commit(self, digest: Optional[str] = None) -> str:
        """Sends what is buffered and creates the blob; returns its digest.

        ``digest`` is the expected digest; without it, the digest of the
        bytes written through this object is used (a resumed upload needs
        ``digest``, since the library did not see the earlier bytes).
        """
        raw = _opt_cstr(digest, "digest")
        if raw is None and self._resumed:
            # Checked here: the library would spend the handle on this
            # mistake (no retry with the digest, and no cancel on close).
            raise ValueError("a resumed upload needs commit(digest=...): the earlier bytes were not seen here")
        with self._lock:
            self._active()
            out = _lib.owned_str()
            with self._h._use() as ptr:
                _check(lib.ocireg_upload_commit(ptr, raw, byref(out)))
            self.digest = _take_string(out)
            self.committed = True
        self._h._close_handle()
        return self.digest

    def suspend(self) -> Tuple[str, int]:
        """Sends what is buffered and keeps the session on the registry;
        returns ``(location, offset)`` for :meth:`Client.resume_upload`."""
        with self._lock:
            self._active()
            loc = _lib.owned_str()
            offset = c_uint64(0)
            with self._h._use() as ptr:
                _check(lib.ocireg_upload_suspend(ptr, byref(loc), byref(offset)))
            location = _take_string(loc)
            self.suspended = True
        self._h._close_handle()
        return location, offset.value

    def close(self) -> None:
        """Frees the session; one neither committed nor suspended is
        cancelled on the registry (best effort)."""
        h = getattr(self, "_h", None)
        if h is not None:
            h._close_handle()
        _unlease(getattr(self, "_cancel", None))
        self._client = None
        self._cancel = None
        super().close()

    def __repr__(self) -> str:
        state = "committed" if self.committed else "suspended" if self.suspended else "closed" if self.closed else "open"
        return f"<ocireg.Upload {state} written={self._written}>"


# --- Client --------------------------------------------------------------


def _set_certs_oauth2(opts, cert_dir, certs_d_roots, system_certs_d, force_oauth2, offline_token, oauth2_client_id):
    """Sets the certs.d and OAuth2 options of :class:`Client` on ``opts``."""
    if cert_dir is not None:
        _check(lib.ocireg_options_set_cert_dir(opts, _cstr(cert_dir, "cert_dir")))
    for root in _as_list(certs_d_roots):
        _check(lib.ocireg_options_add_certs_d_root(opts, _cstr(root, "certs_d_roots")))
    if system_certs_d:
        _check(lib.ocireg_options_use_system_certs_d(opts))
    if force_oauth2:
        _check(lib.ocireg_options_set_force_oauth2(opts, 1))
    if offline_token:
        _check(lib.ocireg_options_set_offline_token(opts, 1))
    if oauth2_client_id is not None:
        _check(lib.ocireg_options_set_oauth2_client_id(opts, _cstr(oauth2_client_id, "oauth2_client_id")))


class Client(_Handle):
    """A registry client (``ocireg_client``): one connection pool and token
    cache. Thread-safe: share one client between all threads.

    Durations are in seconds (floats allowed). ``credentials`` maps a
    registry (``host[:port]``, ``docker.io`` for Docker Hub) to a
    ``(username, password)`` pair; ``identity_tokens`` maps one to an OAuth2
    refresh token; ``insecure`` lists registries reached over plain HTTP (or
    HTTPS without certificate checks); ``client_cert`` is a ``(cert_pem,
    key_pem)`` pair of paths; ``headers`` is sent with every request;
    ``credential_helper_timeout`` (seconds, default 30) bounds a docker
    credential helper's run (a :class:`ocireg.TimeoutError` after it);
    ``max_list_entries`` and ``max_list_bytes`` bound one tag, catalog or
    referrers listing over all its pages (defaults 1,000,000 entries and
    64 MiB; beyond them a :class:`ocireg.SizeExceededError`). ``token_cache``
    is a token cache file: bearer tokens are kept there too, so that the next
    process skips the token server while a token is good (each with its scope
    and refresh time, keyed by a one-way hash of the credential, never a
    password; mode 0600 in a directory made 0700, replaced atomically under a
    lock; a corrupt file is ignored); without it tokens live in the client.

    certs.d (containers-certs.d(5)): ``cert_dir`` is one directory for every
    registry, like skopeo's ``--cert-dir`` (its ``*.crt`` CAs trusted, its
    ``*.cert`` + ``*.key`` pair the client certificate; a half pair or a
    bad file is a :class:`ocireg.TlsError` naming the file);
    ``certs_d_roots`` are roots searched per registry for
    ``ROOT/HOST[:PORT]``, and ``system_certs_d=True`` adds the roots
    podman, skopeo and docker read (``~/.config/containers/certs.d``,
    ``/etc/containers/certs.d``, ``/etc/docker/certs.d``).

    OAuth2: ``force_oauth2=True`` gets tokens with the password grant (a
    POST with the credential in the form body; a 404 or 405 falls back to
    the GET); ``offline_token=True`` asks for a refresh token, which, like
    any the server returns, is kept in memory and used instead of the
    password for later scopes; ``oauth2_client_id`` is the ``client_id``
    sent (default ``ocireg``).

    A timeout of 0 means no limit (as in libcurl); timeouts are at most 30
    days. Numeric options out of their range raise ``ValueError`` when they
    do not fit the C type (negative, or beyond 2**32-1 / 2**64-1) and
    :class:`ocireg.InvalidArgumentError` beyond the library's bounds
    (``concurrency`` 1 to 256, ``max_retries`` at most 100, ``max_resumes``
    at most 1000, ``page_size`` at most 1,000,000, ``max_list_entries`` 1 to
    100,000,000, ``max_list_bytes`` 1 to 4 GiB). ``proxy`` must be an
    ``http://`` or ``https://`` URL; any other scheme is refused.
    ``ranged_download`` (``"auto"``, the default, ``"off"`` or ``"always"``)
    says whether :meth:`pull` fetches one large blob over several
    connections at once, as byte ranges written and hashed in order:
    ``"auto"`` splits a blob of 64 MiB or more only when its first
    connection runs under 64 MiB/s (a per-connection bandwidth cap, a long
    round trip); another name is an :class:`ocireg.InvalidArgumentError`.

    ``registries_conf`` is a registries.conf (containers-registries.conf(5))
    to follow with the drop-ins of registries.conf.d, as skopeo's
    ``--registries-conf``; ``use_system_registries_conf=True`` follows the
    one containers/image would read. Pulls then try the mirrors first
    (:meth:`pull_source` says which endpoint serves), blocked registries
    raise :class:`ocireg.DeniedError` before any request, and a bad file
    raises :class:`ocireg.InvalidArgumentError` naming it. By default no
    registries.conf is read.

    Every network method takes ``cancel=`` (an :class:`ocireg.Cancel`) and
    raises a subclass of :class:`ocireg.OciregError` on failure.
    """

    _kind = "Client"

    def __init__(
        self,
        insecure: Union[str, Iterable[str], None] = None,
        credentials: Optional[Mapping[str, Tuple[str, str]]] = None,
        identity_tokens: Optional[Mapping[str, str]] = None,
        auth_file: Optional[StrPath] = None,
        token_cache: Optional[StrPath] = None,
        ca_files: Union[StrPath, Iterable[StrPath], None] = None,
        client_cert: Optional[Tuple[StrPath, StrPath]] = None,
        proxy: Optional[str] = None,
        connect_timeout: Optional[float] = None,
        read_timeout: Optional[float] = None,
        request_timeout: Optional[float] = None,
        credential_helper_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_retry_after: Optional[float] = None,
        user_agent: Optional[str] = None,
        headers: Union[Mapping[str, str], Iterable[Tuple[str, str]], None] = None,
        page_size: Optional[int] = None,
        max_resumes: Optional[int] = None,
        upload_chunk_size: Optional[int] = None,
        concurrency: Optional[int] = None,
        max_list_entries: Optional[int] = None,
        max_list_bytes: Optional[int] = None,
        registries_conf: Optional[StrPath] = None,
        use_system_registries_conf: bool = False,
        cert_dir: Optional[StrPath] = None,
        certs_d_roots: Union[StrPath, Iterable[StrPath], None] = None,
        system_certs_d: bool = False,
        force_oauth2: bool = False,
        offline_token: bool = False,
        oauth2_client_id: Optional[str] = None,
        ranged_download: Optional[str] = None,
    ) -> None:
        opts = lib.ocireg_options_new()
        if not opts:
            raise MemoryError("ocireg_options_new failed")
        try:
            for host in _as_list(insecure):
                _check(lib.ocireg_options_add_insecure_registry(opts, _cstr(host, "insecure")))
            for registry, pair in (credentials or {}).items():
                try:
                    user, password = pair
                except (TypeError, ValueError):
                    raise TypeError("credentials values must be (username, password) pairs") from None
                _check(
                    lib.ocireg_options_set_credentials(
                        opts,
                        _cstr(registry, "credentials registry"),
                        _cstr(user, "username"),
                        _cstr(password, "password"),
                    )
                )
            for registry, token in (identity_tokens or {}).items():
                _check(
                    lib.ocireg_options_set_identity_token(
                        opts, _cstr(registry, "identity_tokens registry"), _cstr(token, "identity token")
                    )
                )
            if auth_file is not None:
                _check(lib.ocireg_options_set_auth_file(opts, _cstr(auth_file, "auth_file")))
            if use_system_registries_conf:
                _check(lib.ocireg_options_use_system_registries_conf(opts, 1))
            if registries_conf is not None:
                _check(lib.ocireg_options_set_registries_conf(opts, _cstr(registries_conf, "registries_conf")))
            if token_cache is not None:
                _check(lib.ocireg_options_set_token_cache(opts, _cstr(token_cache, "token_cache")))
            for ca in _as_list(ca_files):
                _check(lib.ocireg_options_add_ca_file(opts, _cstr(ca, "ca_files")))
            if client_cert is not None:
                try:
                    cert, key = client_cert
                except (TypeError, ValueError):
                    raise TypeError("client_cert must be a (cert_path, key_path) pair") from None
                _check(lib.ocireg_options_set_client_cert(opts, _cstr(cert, "cert_path"), _cstr(key, "key_path")))
            _set_certs_oauth2(
                opts, cert_dir, certs_d_roots, system_certs_d, force_oauth2, offline_token, oauth2_client_id
            )
            if proxy is not None:
                _check(lib.ocireg_options_set_proxy(opts, _cstr(proxy, "proxy")))
            if user_agent is not None:
                _check(lib.ocireg_options_set_user_agent(opts, _cstr(user_agent, "user_agent")))
            if ranged_download is not None:
                _check(lib.ocireg_options_set_ranged_download(opts, _cstr(ranged_download, "ranged_download")))
            header_items = headers.items() if hasattr(headers, "items") else (headers or [])
            for name, value in header_items:
                _check(lib.ocireg_options_add_header(opts, _cstr(name, "header name"), _cstr(value, "header value")))
            for setter, value, name, limit in (
                (lib.ocireg_options_set_connect_timeout_ms, _ms(connect_timeout, "connect_timeout"), None, None),
                (lib.ocireg_options_set_read_timeout_ms, _ms(read_timeout, "read_timeout"), None, None),
                (lib.ocireg_options_set_request_timeout_ms, _ms(request_timeout, "request_timeout"), None, None),
                (
                    lib.ocireg_options_set_credential_helper_timeout_ms,
                    _ms(credential_helper_timeout, "credential_helper_timeout"),
                    None,
                    None,
                ),
                (lib.ocireg_options_set_max_retry_after_ms, _ms(max_retry_after, "max_retry_after"), None, None),
                (lib.ocireg_options_set_max_retries, max_retries, "max_retries", _UINT32_MAX),
                (lib.ocireg_options_set_page_size, page_size, "page_size", _UINT32_MAX),
                (lib.ocireg_options_set_max_resumes, max_resumes, "max_resumes", _UINT32_MAX),
                (lib.ocireg_options_set_upload_chunk_size, upload_chunk_size, "upload_chunk_size", _SIZE_MAX),
                (lib.ocireg_options_set_concurrency, concurrency, "concurrency", _UINT32_MAX),
                (lib.ocireg_options_set_max_list_entries, max_list_entries, "max_list_entries", _UINT64_MAX),
                (lib.ocireg_options_set_max_list_bytes, max_list_bytes, "max_list_bytes", _UINT64_MAX),
            ):
                if value is None:
                    continue
                if name is not None:
                    value = _uint(value, name, limit)
                _check(setter(opts, value))
            client = _lib.ClientP()
            _check(lib.ocireg_client_new(opts, byref(client)))
        finally:
            lib.ocireg_options_free(opts)
        super().__init__(client, lib.ocireg_client_free)

    def __repr__(self) -> str:
        return f"<ocireg.Client{' closed' if self.closed else ''}>"

    @contextmanager
    def _call(self, cancel):
        with self._use() as client, _cancel_arg(cancel) as c:
            yield client, c

    # registries

    def ping(self, registry: str, *, cancel: Optional[Cancel] = None) -> None:
        """Checks that ``registry`` (``host[:port]``) speaks the V2 API."""
        raw = _cstr(registry, "registry")
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_ping(client, raw, c))

    def check_credentials(self, registry: str, *, cancel: Optional[Cancel] = None) -> None:
        """Validates the configured credentials for ``registry``, like ``docker login``."""
        raw = _cstr(registry, "registry")
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_check_credentials(client, raw, c))

    def login(
        self,
        registry: str,
        username: str,
        password: str,
        *,
        auth_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        docker: bool = False,
        cancel: Optional[Cancel] = None,
    ) -> str:
        """Checks ``username``/``password`` against ``registry``, then stores
        them where the tool looks first: containers' auth.json by default
        (``$REGISTRY_AUTH_FILE``, else ``$XDG_RUNTIME_DIR/containers/auth.json``),
        docker's config.json with ``docker=True``, or ``auth_file``; the
        file's ``credHelpers``/``credsStore`` helper gets them when it names
        one. Returns where they went (for people). Raises
        ``UnauthorizedError`` when the registry refuses them (nothing is
        stored)."""
        kind, file = _destination(auth_file, docker)
        raw = _cstr(registry, "registry")
        user = _cstr(username, "username")
        secret = _cstr(password, "password")
        where = _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_login(client, raw, user, secret, kind, file, c, byref(where)))
        return _take_string(where)

    def logout(
        self,
        registry: Optional[str] = None,
        *,
        all: bool = False,
        auth_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        docker: bool = False,
        cancel: Optional[Cancel] = None,
    ) -> str:
        """Erases the stored credential of ``registry`` (or, with
        ``all=True``, every one) from the same place ``login`` stores it.
        Raises ``NotFoundError`` when there was none."""
        if registry is None and not all:
            raise ValueError("logout needs a registry or all=True")
        kind, file = _destination(auth_file, docker)
        raw = _cstr(registry or "", "registry")
        where = _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_logout(client, raw, kind, file, 1 if all else 0, c, byref(where)))
        return _take_string(where)

    def search(self, registry: str, term: str, limit: int = 25, *, cancel: Optional[Cancel] = None) -> List[SearchResult]:
        """Searches ``registry`` for ``term``: the v1 search endpoint, else
        the catalog filtered by ``term``; at most ``limit`` (1-10000)
        results, even where the registry ignores the limit."""
        if not 1 <= limit <= 10000:
            raise ValueError("limit must be between 1 and 10000")
        raw = _cstr(registry, "registry")
        what = _cstr(term, "term")
        out = _lib.SearchResultsP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_search(client, raw, what, limit, c, byref(out)))
        try:
            text = lambda v: v.decode("utf-8", "replace") if v is not None else ""  # noqa: E731
            return [
                SearchResult(
                    text(lib.ocireg_search_results_name(out, i)),
                    text(lib.ocireg_search_results_description(out, i)),
                    lib.ocireg_search_results_star_count(out, i),
                    bool(lib.ocireg_search_results_is_official(out, i)),
                    bool(lib.ocireg_search_results_is_trusted(out, i)),
                    bool(lib.ocireg_search_results_is_automated(out, i)),
                )
                for i in range(lib.ocireg_search_results_len(out))
            ]
        finally:
            lib.ocireg_search_results_free(out)

    def digest(self, reference: str, *, cancel: Optional[Cancel] = None) -> str:
        """The digest of manifest ``reference`` from a HEAD alone (not
        counted as a pull on Docker Hub); ``ProtocolError`` when the
        registry sends no Docker-Content-Digest for a tag."""
        raw = _cstr(reference, "reference")
        out = _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_digest(client, raw, c, byref(out)))
        return _take_string(out)

    def pull_source(self, reference: str, *, cancel: Optional[Cancel] = None) -> str:
        """The endpoint that serves a pull of ``reference`` now: fetches the
        manifest as a pull does (the mirrors first, when the client follows
        a registries.conf) and returns the reference it was fetched as (a
        mirror's, the rewritten location's, or ``reference`` normalized)."""
        raw = _cstr(reference, "reference")
        out = _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_pull_source(client, raw, c, byref(out)))
        return _take_string(out)

    def resolve_name(
        self, name: str, *, pull: bool = True, cancel: Optional[Cancel] = None
    ) -> _resolve_name.ResolvedName:
        """What ``name`` (``busybox``, ``team/app:1``) stands for. With a
        registries.conf, as podman: a fully qualified name is itself, a
        short name's alias its only candidate, else each
        unqualified-search registry in order; with ``pull`` the first
        candidate whose manifest exists wins, without it several candidates
        raise :class:`ocireg.InvalidReferenceError`, as does an ambiguous
        name under ``short-name-mode = "enforcing"``. Without a
        registries.conf it is docker's rule (``docker.io/library/...``)."""
        raw = _cstr(name, "name")
        ref, details = _lib.owned_str(), _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(
                lib.ocireg_client_resolve_name(
                    client, raw, 1 if pull else 0, c, byref(ref), byref(details)
                )
            )
        _take_string(ref)
        return _resolve_name.ResolvedName._from_json(_take_string(details))

    def rate_limit(self, reference: str, *, cancel: Optional[Cancel] = None) -> RateLimit:
        """The rate limit of ``reference``'s registry, from a manifest HEAD
        (not counted as a pull). A 429 raises ``TooManyRequestsError``;
        ``last_rate_limit`` then gives what it reported."""
        raw = _cstr(reference, "reference")
        out = _lib.RateLimitP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_rate_limit(client, raw, c, byref(out)))
        return _take_rate_limit(out)

    def last_rate_limit(self, registry: str) -> RateLimit:
        """The rate limit ``registry`` reported on the last manifest
        response (a 429 included) this client saw; all None when none."""
        raw = _cstr(registry, "registry")
        out = _lib.RateLimitP()
        with self._use() as client:
            _check(lib.ocireg_client_last_rate_limit(client, raw, byref(out)))
        return _take_rate_limit(out)

    def catalog(self, registry: str, *, cancel: Optional[Cancel] = None) -> List[str]:
        """The repositories of ``registry``."""
        raw = _cstr(registry, "registry")
        out = _lib.StringListP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_catalog(client, raw, c, byref(out)))
        return _take_string_list(out)

    def tags(self, repository: str, *, cancel: Optional[Cancel] = None) -> List[str]:
        """The tags of ``repository`` (``host/path``; a tag in it is ignored)."""
        raw = _cstr(repository, "repository")
        out = _lib.StringListP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_tags(client, raw, c, byref(out)))
        return _take_string_list(out)

    # manifests

    def get_manifest(self, reference: str, *, cancel: Optional[Cancel] = None) -> Manifest:
        """The manifest or index ``reference`` (verified when it has a digest)."""
        raw = _cstr(reference, "reference")
        out = _lib.ContentP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_manifest_get(client, raw, c, byref(out)))
        return _take_content(out)

    def get_config(self, reference: str, platform: Optional[str] = None, *, cancel: Optional[Cancel] = None) -> Content:
        """The config of image ``reference``, verified. Through an index,
        the image for ``platform`` (``"os/arch[/variant]"``; None for this
        machine's) is chosen."""
        raw = _cstr(reference, "reference")
        plat = _opt_cstr(platform, "platform")
        out = _lib.ContentP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_config_get(client, raw, plat, c, byref(out)))
        return _take_content(out)

    def platforms(self, reference: str, *, cancel: Optional[Cancel] = None) -> List[Platform]:
        """The platforms image ``reference`` offers, each with its image
        manifest's digest, size and media type. For an index these are its
        entries and those of the indexes it nests, in order; for a
        single-platform image there is one, with the platform read from its
        image config (``features`` is then empty)."""
        raw = _cstr(reference, "reference")
        out = _lib.PlatformListP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_platforms_get(client, raw, c, byref(out)))
        return _take_platform_list(out)

    def get_manifest_for_platform(
        self, reference: str, platform: Optional[str] = None, *, cancel: Optional[Cancel] = None
    ) -> Manifest:
        """The image manifest of ``platform`` (``"os/arch[/variant]"``; None
        for this machine's) under ``reference``: through an index (and the
        indexes it nests), the matching entry; a single-platform manifest
        as it is. :class:`ocireg.NotFoundError` when the index has no image
        for the platform."""
        raw = _cstr(reference, "reference")
        plat = _opt_cstr(platform, "platform")
        out = _lib.ContentP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_manifest_get_platform(client, raw, plat, c, byref(out)))
        return _take_content(out)

    def head_manifest(self, reference: str, *, cancel: Optional[Cancel] = None) -> ManifestInfo:
        """Digest, size and media type of manifest ``reference``, without its body."""
        raw = _cstr(reference, "reference")
        digest = _lib.owned_str()
        media_type = _lib.owned_str()
        size = c_uint64(0)
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_manifest_head(client, raw, c, byref(digest), byref(size), byref(media_type)))
        return ManifestInfo(_take_string(digest), size.value, _take_string(media_type))

    def put_manifest(self, reference: str, data: Any, media_type: Optional[str] = None, *, cancel: Optional[Cancel] = None) -> str:
        """Pushes manifest ``data`` to ``reference`` (a tag or digest) and
        returns its digest. ``media_type`` defaults to the document's
        ``mediaType`` field."""
        raw = _cstr(reference, "reference")
        mt = _cstr(_media_type_of(data, media_type), "media_type")
        ptr_data, n, keep = _data_arg(data)
        out = _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_manifest_put(client, raw, ptr_data, n, mt, c, byref(out)))
        del keep
        return _take_string(out)

    def put_manifest_tags(
        self, repository: str, tags: Iterable[str], data: Any, media_type: Optional[str] = None, *, cancel: Optional[Cancel] = None
    ) -> str:
        """Pushes one manifest under every tag in ``tags`` of ``repository``
        (by digest only when ``tags`` is empty); returns its digest."""
        raw = _cstr(repository, "repository")
        tag_list = [_cstr(t, "tag") for t in _as_list(tags)]
        mt = _cstr(_media_type_of(data, media_type), "media_type")
        ptr_data, n, keep = _data_arg(data)
        array = (c_char_p * max(len(tag_list), 1))(*tag_list)
        out = _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(
                lib.ocireg_client_manifest_put_tags(
                    client, raw, array, len(tag_list), ptr_data, n, mt, c, byref(out)
                )
            )
        del keep
        return _take_string(out)

    def delete_manifest(self, reference: str, *, cancel: Optional[Cancel] = None) -> None:
        """Deletes manifest ``reference`` (a tag is resolved to its digest
        first, which removes every tag of that manifest, not only the one
        named; ``untag`` deletes one tag and keeps the manifest)."""
        raw = _cstr(reference, "reference")
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_manifest_delete(client, raw, c))

    def untag(self, reference: str, *, via_throwaway_manifest: bool = False, cancel: Optional[Cancel] = None) -> bool:
        """Deletes tag ``reference`` (``repo:tag``) and nothing else: the
        manifest and its other tags stay. A registry that does not delete
        tags raises ``UnsupportedError`` unless ``via_throwaway_manifest``:
        then the tag is moved to a throwaway manifest, which is deleted
        (the tag names it for a moment; see ``ocireg_client_untag``).
        Returns True when the throwaway manifest was used."""
        raw = _cstr(reference, "reference")
        used = c_int(0)
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_untag(client, raw, 1 if via_throwaway_manifest else 0, c, byref(used)))
        return bool(used.value)

    # artifacts

    def push_artifact(
        self,
        reference: str,
        files: Union[StrPath, Iterable[StrPath]],
        *,
        artifact_type: Optional[str] = None,
        annotations: Optional[Mapping[str, str]] = None,
        subject: Optional[str] = None,
        media_types: Optional[Iterable[Optional[str]]] = None,
        cancel: Optional[Cancel] = None,
    ) -> str:
        """Pushes ``files`` (paths) as an artifact to ``reference`` (a tag),
        as ``oras push`` does, and returns the manifest's digest. Each
        file's base name is its title; ``media_types`` (a list as long as
        ``files``, None entries for the default) sets the layer types;
        ``annotations`` (a dict) the manifest's; ``subject`` attaches it to
        a manifest of the same repository."""
        raw = _cstr(reference, "reference")
        paths = [_cstr(f, "files") for f in _as_list(files)]
        path_array = (c_char_p * max(len(paths), 1))(*paths)
        type_array = None
        if media_types is not None:
            types = [b"" if t is None else _cstr(t, "media_types") for t in _as_list(media_types)]
            if len(types) != len(paths):
                raise ValueError("media_types must be as long as files")
            type_array = (c_char_p * max(len(types), 1))(*types)
        out = _lib.owned_str()
        opts = lib.ocireg_artifact_options_new()
        if not opts:
            raise MemoryError("ocireg_artifact_options_new failed")
        try:
            if artifact_type is not None:
                _check(lib.ocireg_artifact_options_set_artifact_type(opts, _cstr(artifact_type, "artifact_type")))
            for key, value in (annotations or {}).items():
                _check(lib.ocireg_artifact_options_add_annotation(opts, _cstr(key, "key"), _cstr(value, "value")))
            if subject is not None:
                _check(lib.ocireg_artifact_options_set_subject(opts, _cstr(subject, "subject")))
            with self._call(cancel) as (client, c):
                _check(
                    lib.ocireg_client_artifact_push(
                        client, raw, path_array, type_array, len(paths), opts, c, byref(out)
                    )
                )
        finally:
            lib.ocireg_artifact_options_free(opts)
        return _take_string(out)

    def pull_artifact(
        self, reference: str, directory: StrPath, *, overwrite: bool = False, cancel: Optional[Cancel] = None
    ) -> List[str]:
        """Writes the files of artifact ``reference`` into ``directory``
        under their titles, as ``oras pull`` does, and returns their names.
        Unsafe titles (paths, ``..``, ...) and, unless ``overwrite``,
        existing files are refused before anything is written; each file is
        put in place only after its digest checked out."""
        raw = _cstr(reference, "reference")
        d = _cstr(directory, "directory")
        out = _lib.StringListP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_artifact_pull(client, raw, d, 1 if overwrite else 0, c, byref(out)))
        return _take_string_list(out)

    # indexes authored

    def create_index(
        self,
        target: str,
        sources: Iterable[str],
        *,
        artifact_type: Optional[str] = None,
        annotations: Optional[Mapping[str, str]] = None,
        cancel: Optional[Cancel] = None,
    ) -> str:
        """Makes an index of the image manifests ``sources`` (references in
        the repository of ``target``, by tag or digest), each with the
        platform its config names, pushes it to ``target`` and returns its
        digest: the same index as ``oras manifest index create`` from the
        same images. A source that is an index or in another repository,
        one manifest given twice or more than 1000 sources raise
        InvalidArgumentError, and nothing is pushed."""
        raw = _cstr(target, "target")
        refs = [_cstr(s, "sources") for s in _as_list(sources)]
        ref_array = (c_char_p * max(len(refs), 1))(*refs)
        out = _lib.owned_str()
        opts = lib.ocireg_index_options_new()
        if not opts:
            raise MemoryError("ocireg_index_options_new failed")
        try:
            if artifact_type is not None:
                _check(lib.ocireg_index_options_set_artifact_type(opts, _cstr(artifact_type, "artifact_type")))
            for key, value in (annotations or {}).items():
                _check(lib.ocireg_index_options_add_annotation(opts, _cstr(key, "key"), _cstr(value, "value")))
            with self._call(cancel) as (client, c):
                _check(lib.ocireg_client_index_create(client, raw, ref_array, len(refs), opts, c, byref(out)))
        finally:
            lib.ocireg_index_options_free(opts)
        return _take_string(out)

    def update_index(
        self,
        target: str,
        *,
        add: Iterable[str] = (),
        remove_digests: Iterable[str] = (),
        remove_platforms: Iterable[str] = (),
        annotations: Optional[Mapping[str, str]] = None,
        remove_annotations: Iterable[str] = (),
        cancel: Optional[Cancel] = None,
    ) -> str:
        """Changes the index at ``target`` and returns its new digest: the
        entries of ``remove_digests`` and of ``remove_platforms``
        (``os/arch[/variant]``) go (NotFoundError when one is in no entry),
        the image manifests ``add`` are added with their platforms (one
        already there is not added twice), ``annotations`` are set and
        ``remove_annotations`` removed. On any error nothing is pushed."""
        raw = _cstr(target, "target")
        out = _lib.owned_str()
        update = lib.ocireg_index_update_new()
        if not update:
            raise MemoryError("ocireg_index_update_new failed")
        try:
            for s in _as_list(add):
                _check(lib.ocireg_index_update_add(update, _cstr(s, "add")))
            for d in _as_list(remove_digests):
                _check(lib.ocireg_index_update_remove_digest(update, _cstr(d, "remove_digests")))
            for p in _as_list(remove_platforms):
                _check(lib.ocireg_index_update_remove_platform(update, _cstr(p, "remove_platforms")))
            for key, value in (annotations or {}).items():
                _check(lib.ocireg_index_update_set_annotation(update, _cstr(key, "key"), _cstr(value, "value")))
            for key in _as_list(remove_annotations):
                _check(lib.ocireg_index_update_remove_annotation(update, _cstr(key, "remove_annotations")))
            with self._call(cancel) as (client, c):
                _check(lib.ocireg_client_index_update(client, raw, update, c, byref(out)))
        finally:
            lib.ocireg_index_update_free(update)
        return _take_string(out)

    def referrers(self, reference: str, artifact_type: Optional[str] = None, *, cancel: Optional[Cancel] = None) -> List[Descriptor]:
        """What refers to ``reference``: the manifests whose ``subject`` it
        is (referrers API, or the fallback tag) and cosign's tag
        attachments, each with its ``kind``; optionally only those of
        ``artifact_type``."""
        raw = _cstr(reference, "reference")
        at = _opt_cstr(artifact_type, "artifact_type")
        out = _lib.DescriptorListP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_referrers(client, raw, at, c, byref(out)))
        try:
            return [
                Descriptor(
                    media_type=_text(lib.ocireg_descriptor_list_media_type(out, i)),
                    digest=_text(lib.ocireg_descriptor_list_digest(out, i)),
                    size=lib.ocireg_descriptor_list_size(out, i),
                    artifact_type=_text(lib.ocireg_descriptor_list_artifact_type(out, i)),
                    kind=_text(lib.ocireg_referrer_kind_str(lib.ocireg_descriptor_list_kind(out, i))),
                    annotations={
                        _text(lib.ocireg_descriptor_list_annotation_key(out, i, j)): _text(
                            lib.ocireg_descriptor_list_annotation_value(out, i, j)
                        )
                        for j in range(lib.ocireg_descriptor_list_annotations_len(out, i))
                    },
                )
                for i in range(lib.ocireg_descriptor_list_len(out))
            ]
        finally:
            lib.ocireg_descriptor_list_free(out)

    def signatures(
        self,
        reference: str,
        *,
        registries_d: Optional[Union[str, "os.PathLike[str]"]] = None,
        cancel: Optional[Cancel] = None,
    ) -> List[_signatures.Signature]:
        """The signatures of image ``reference`` (a tag is resolved to its
        manifest digest): those in the lookaside registries.d configures
        for it, then, with ``use-sigstore-attachments``, the layers of its
        ``sha256-<hex>.sig`` manifest. ``registries_d`` is the registries.d
        directory (default: ``~/.config/containers/registries.d`` when it
        exists, else ``/etc/containers/registries.d``)."""
        raw = _cstr(reference, "reference")
        d = _opt_cstr(registries_d, "registries_d")
        out = _lib.SignatureListP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_signatures(client, raw, d, c, byref(out)))
        try:
            return _signatures.from_list(out)
        finally:
            lib.ocireg_signature_list_free(out)

    def put_signatures(
        self,
        reference: str,
        signatures: Iterable[_signatures.Signature],
        *,
        registries_d: Optional[Union[str, "os.PathLike[str]"]] = None,
        cancel: Optional[Cancel] = None,
    ) -> int:
        """Adds ``signatures`` to image ``reference`` and returns how many
        were new: simple-signing ones to the ``file://`` lookaside
        registries.d configures for writing (``lookaside-staging``, else
        ``lookaside``), sigstore ones to the ``.sig`` attachment (which
        needs ``use-sigstore-attachments: true``). Signatures already
        stored are skipped; everything is checked before anything is
        written."""
        raw = _cstr(reference, "reference")
        d = _opt_cstr(registries_d, "registries_d")
        added = c_size_t(0)
        handle = _signatures.to_list(signatures)
        try:
            with self._call(cancel) as (client, c):
                _check(lib.ocireg_client_signatures_put(client, raw, d, handle, c, byref(added)))
        finally:
            lib.ocireg_signature_list_free(handle)
        return added.value

    # blobs

    def head_blob(self, repository: str, digest: str, *, cancel: Optional[Cancel] = None) -> int:
        """The size of blob ``digest`` (:class:`ocireg.NotFoundError` when absent)."""
        r, d = _cstr(repository, "repository"), _cstr(digest, "digest")
        size = c_uint64(0)
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_blob_head(client, r, d, c, byref(size)))
        return size.value

    def delete_blob(self, repository: str, digest: str, *, cancel: Optional[Cancel] = None) -> None:
        """Deletes blob ``digest`` from ``repository``."""
        r, d = _cstr(repository, "repository"), _cstr(digest, "digest")
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_blob_delete(client, r, d, c))

    def _blob_get(self, repository, digest, sink, progress, cancel):
        r, d = _cstr(repository, "repository"), _cstr(digest, "digest")
        cbs = _Callbacks()
        write = cbs.write(sink)
        prog = cbs.progress(progress)
        with self._call(cancel) as (client, c):
            status = lib.ocireg_client_blob_get(client, r, d, write, None, prog, None, c)
        cbs.check(status)

    def get_blob(
        self, repository: str, digest: str, progress: Optional[ProgressFunc] = None, *, cancel: Optional[Cancel] = None
    ) -> builtins.bytes:
        """Blob ``digest`` of ``repository``, verified, as bytes.
        ``progress(done, total)`` (total None when unknown) is called as it
        arrives; an exception from it stops the download and is re-raised."""
        out = bytearray()

        def sink(view):
            out.extend(view)

        self._blob_get(repository, digest, sink, progress, cancel)
        return bytes(out)

    def download_blob(
        self, repository: str, digest: str, fileobj: BinaryIO, progress: Optional[ProgressFunc] = None, *, cancel: Optional[Cancel] = None
    ) -> int:
        """Streams blob ``digest`` into ``fileobj`` (anything with
        ``write()``), verified; returns the byte count. A failure after
        some bytes were written leaves them in ``fileobj``."""
        write = getattr(fileobj, "write", None)
        if write is None:
            raise TypeError("fileobj must have write()")
        total = [0]

        def sink(view):
            # A copy: the library's buffer is only lent for the callback,
            # and a file object may keep what it is given.
            chunk = memoryview(bytes(view))
            n = len(chunk)
            done = 0
            while done < n:
                w = write(chunk[done:] if done else chunk)
                if w is None:
                    raise BlockingIOError("fileobj.write() returned None (non-blocking file)")
                if w <= 0:
                    raise OSError("fileobj.write() wrote nothing")
                done += w
            total[0] += n

        self._blob_get(repository, digest, sink, progress, cancel)
        return total[0]

    def get_blob_range(
        self, repository: str, digest: str, offset: int, length: Optional[int] = None, *, cancel: Optional[Cancel] = None
    ) -> builtins.bytes:
        """``length`` bytes (None: to the end) from ``offset`` of blob
        ``digest``. Partial reads are not verified."""
        offset = _uint(offset, "offset", _UINT64_MAX)
        if length is not None:
            length = _uint(length, "length", _UINT64_MAX)
            if length == 0:
                return b""
        r, d = _cstr(repository, "repository"), _cstr(digest, "digest")
        out = bytearray()
        cbs = _Callbacks()
        write = cbs.write(out.extend)
        with self._call(cancel) as (client, c):
            status = lib.ocireg_client_blob_get_range(client, r, d, offset, length or 0, write, None, c)
        cbs.check(status)
        return bytes(out)

    def open_blob(self, repository: str, digest: str, *, cancel: Optional[Cancel] = None) -> BlobReader:
        """Blob ``digest`` as a :class:`BlobReader` (a binary file). The
        reader keeps ``cancel``: cancelling it stops reads."""
        r, d = _cstr(repository, "repository"), _cstr(digest, "digest")
        out = _lib.ReaderP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_blob_open(client, r, d, c, byref(out)))
        return BlobReader(out, self, cancel)

    def push_blob(self, repository: str, data: Any, *, cancel: Optional[Cancel] = None) -> str:
        """Uploads ``data`` (bytes-like) as one blob; returns its digest."""
        r = _cstr(repository, "repository")
        ptr_data, n, keep = _data_arg(data)
        out = _lib.owned_str()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_blob_push(client, r, ptr_data, n, c, byref(out)))
        del keep
        return _take_string(out)

    def push_blob_from(
        self, repository: str, fileobj: BinaryIO, progress: Optional[ProgressFunc] = None, *, cancel: Optional[Cancel] = None
    ) -> str:
        """Uploads everything ``fileobj`` (with ``readinto()`` or ``read()``)
        yields, in chunks; returns the digest the registry verified.
        ``progress(done, None)`` is called after each chunk."""
        r = _cstr(repository, "repository")
        cbs = _Callbacks()
        read = cbs.read(fileobj)
        prog = cbs.progress(progress)
        out = _lib.owned_str()
        with self._call(cancel) as (client, c):
            status = lib.ocireg_client_blob_push_from(client, r, read, None, prog, None, c, byref(out))
        digest = _take_string(out) if status == 0 else None
        cbs.check(status)
        return digest

    # raw requests

    def _raw(self, method, host, path, sink, headers, scopes, data, length, max_body, cancel):
        cbs = _Callbacks()
        helpers = (_cstr, _check, _data_arg, _uint)
        raw_host = _cstr(host, "host")
        request = _raw_request.build(helpers, method, path, headers, scopes, data, length, max_body, cbs)
        out = _lib.ResponseP()
        try:
            with self._call(cancel) as (client, c):
                status = lib.ocireg_client_request(client, raw_host, request, cbs.write(sink), None, c, byref(out))
        finally:
            lib.ocireg_request_free(request)
        cbs.check(status)
        return out

    def request(
        self,
        method: str,
        host: str,
        path: str,
        *,
        headers: Optional[Headers] = None,
        scopes: Optional[Union[str, Iterable[str]]] = None,
        data: Any = None,
        length: Optional[int] = None,
        max_body: Optional[int] = _raw_request.DEFAULT_MAX_BODY,
        cancel: Optional[Cancel] = None,
    ) -> _raw_request.Response:
        """Sends a raw request of ``method`` (GET, HEAD, POST, PUT, PATCH,
        DELETE) to ``path`` (with its query) on registry ``host`` with this
        client's credentials, TLS and proxy, and returns a
        :class:`Response` with the status, the headers and the body read
        whole (at most ``max_body`` bytes, else ``SizeExceededError``;
        None for no bound). Any HTTP status is returned, not raised.

        ``headers`` is a dict or (name, value) pairs; ``scopes`` token
        scopes such as ``"repository:foo:pull"``; ``data`` bytes (sent
        again on a retry) or a binary file object (streamed once,
        ``length`` bytes when given)."""
        body = bytearray()
        out = self._raw(method, host, path, body.extend, headers, scopes, data, length, max_body, cancel)
        return _raw_request.take_response(out, bytes(body))

    def request_to(
        self,
        method: str,
        host: str,
        path: str,
        fileobj: BinaryIO,
        *,
        headers: Optional[Headers] = None,
        scopes: Optional[Union[str, Iterable[str]]] = None,
        data: Any = None,
        length: Optional[int] = None,
        max_body: Optional[int] = None,
        cancel: Optional[Cancel] = None,
    ) -> _raw_request.Response:
        """:meth:`request`, streaming the response body into ``fileobj``
        (anything with ``write()``) as it arrives instead of holding it;
        the :class:`Response` returned has ``body`` None. No bound on the
        body unless ``max_body`` is given."""
        write = getattr(fileobj, "write", None)
        if write is None:
            raise TypeError("fileobj must have write()")

        def sink(view):
            chunk = memoryview(bytes(view))
            done = 0
            while done < len(chunk):
                n = write(chunk[done:])
                if n is None:
                    raise BlockingIOError("fileobj.write() returned None (non-blocking file)")
                done += n

        out = self._raw(method, host, path, sink, headers, scopes, data, length, max_body, cancel)
        return _raw_request.take_response(out, None)

    # whole images

    def _image_call(self, fn, first, second, cancel, **options):
        cbs = _Callbacks()
        out = _lib.owned_str()
        with _image_options(cbs, **options) as opts, self._call(cancel) as (client, c):
            status = fn(client, first, second, opts, c, byref(out))
        result = _take_string(out) if status == 0 else None
        cbs.check(status)
        return result

    def pull_image(
        self,
        reference: str,
        directory: StrPath,
        *,
        platform: Union[str, Iterable[str], None] = None,
        all_platforms: bool = False,
        layout_name: Optional[str] = None,
        progress: Optional[ImageProgressFunc] = None,
        cancel: Optional[Cancel] = None,
        referrers: bool = False,
        referrer_types: Union[str, Iterable[str], None] = None,
    ) -> str:
        """Pulls image ``reference`` into the OCI layout ``directory``
        (created if needed; blobs already there and verified are kept);
        returns the digest named in its ``index.json``. ``progress`` gets
        :class:`ImageProgress` reports.

        With ``referrers``, what is attached to the image comes along:
        its referrers and cosign's ``sha256-<hex>.sig``/``.att``/``.sbom``
        tags, recursively, stored where oras and regctl read them.
        ``referrer_types`` carries only the attachments of those artifact
        types (each with what is attached to it in turn)."""
        return self._image_call(
            lib.ocireg_client_image_pull, _cstr(reference, "reference"), _cstr(directory, "directory"), cancel,
            platform=platform, all_platforms=all_platforms, layout_name=layout_name, progress=progress,
            referrers=referrers, referrer_types=referrer_types,
        )

    def push_image(
        self,
        directory: StrPath,
        reference: str,
        *,
        layout_name: Optional[str] = None,
        mount_from: Union[str, Iterable[str], None] = None,
        platform: Union[str, Iterable[str], None] = None,
        all_platforms: bool = False,
        progress: Optional[ImageProgressFunc] = None,
        cancel: Optional[Cancel] = None,
        referrers: bool = False,
        referrer_types: Union[str, Iterable[str], None] = None,
        resume_dir: Optional[StrPath] = None,
    ) -> str:
        """Pushes the image of OCI layout ``directory`` (``layout_name``, or
        its only image) to ``reference``; returns the digest tagged.
        ``mount_from`` lists repositories of the destination registry to
        mount blobs from. ``resume_dir`` names a directory where each blob's
        upload session is recorded, so that a push killed midway continues
        the next time from what the registry kept (blobs then go up in
        chunks; a registry that dropped a session makes that blob start
        over).

        With ``referrers``, what the layout holds attached to the image
        comes along (its referrers and cosign tags, recursively), listed
        through the registry's referrers API or the fallback tag.
        ``referrer_types`` carries only the attachments of those artifact
        types (each with what is attached to it in turn)."""
        return self._image_call(
            lib.ocireg_client_image_push, _cstr(directory, "directory"), _cstr(reference, "reference"), cancel,
            platform=platform, all_platforms=all_platforms, layout_name=layout_name, mount_from=mount_from,
            progress=progress, referrers=referrers, referrer_types=referrer_types, resume_dir=resume_dir,
        )

    def copy_image(
        self,
        source: str,
        target: str,
        *,
        platform: Union[str, Iterable[str], None] = None,
        all_platforms: bool = False,
        mount_from: Union[str, Iterable[str], None] = None,
        progress: Optional[ImageProgressFunc] = None,
        cancel: Optional[Cancel] = None,
        referrers: bool = False,
        referrer_types: Union[str, Iterable[str], None] = None,
        signatures: bool = False,
        registries_d: Optional[StrPath] = None,
        resume_dir: Optional[StrPath] = None,
    ) -> str:
        """Copies image ``source`` to ``target``, each named as skopeo
        names it: ``docker://HOST/REPO:TAG`` (or a bare reference),
        ``oci:DIR[:REF]``, ``oci-archive:FILE[:REF]``,
        ``docker-archive:FILE[:REPO:TAG|:@N]`` or ``dir:DIR``. Blobs are
        verified on the way and mounted within one registry; digests stay
        (a docker-archive source gets skopeo's generated manifest). Returns
        the digest of the manifest written.

        ``platform`` takes one platform (``"linux/arm64"``: its image
        alone) or several (a list, or ``"linux/amd64,linux/arm64"``; also
        for pull and push): the target then gets an index naming only
        those platforms' images, with a new digest unless they are all of
        the source's (a registry refuses an index naming images it lacks).
        A platform the source lacks raises ``NotFoundError`` before
        anything is written.

        With ``referrers``, what is attached to the image comes along (its
        referrers and cosign tags, recursively, digests unchanged) between
        registries, ``oci:`` layouts and oci-archives: to a registry listed
        through its referrers API or the fallback tag, as it supports.
        ``referrer_types`` carries only the attachments of those artifact
        types (each with what is attached to it in turn). A docker-archive
        or ``dir:`` cannot hold attachments (``InvalidArgumentError``).

        With ``signatures``, from a registry to a registry, the signatures
        of every manifest copied come along: read where registries.d (the
        directory ``registries_d``, or the default ones) says the source
        keeps them, written where it says the target keeps them (a
        ``file://`` lookaside-staging, or sigstore attachments), all
        checked before anything is written. A layout or archive holds no
        signatures (``InvalidArgumentError``).

        ``resume_dir`` (into a registry) names a directory where each blob's
        upload session is recorded, so that a copy killed midway continues
        the next time from what the target registry kept: the source is
        read again, only the rest is sent."""
        return self._image_call(
            lib.ocireg_client_image_copy, _cstr(source, "source"), _cstr(target, "target"), cancel,
            platform=platform, all_platforms=all_platforms, mount_from=mount_from, progress=progress,
            referrers=referrers, referrer_types=referrer_types, signatures=signatures,
            registries_d=registries_d, resume_dir=resume_dir,
        )

    def save_image(
        self,
        reference: str,
        path: StrPath,
        *,
        platform: Optional[str] = None,
        progress: Optional[ImageProgressFunc] = None,
        cancel: Optional[Cancel] = None,
    ) -> str:
        """Writes image ``reference`` to ``path`` as a docker-archive
        tarball (the file appears only when complete); returns the
        manifest digest."""
        return self._image_call(
            lib.ocireg_client_image_save, _cstr(reference, "reference"), _cstr(path, "path"), cancel,
            platform=platform, progress=progress,
        )

    def inspect_image(
        self, reference: str, *, platform: Optional[str] = None, with_tags: bool = False, cancel: Optional[Cancel] = None
    ) -> Dict[str, Any]:
        """The facts of image ``reference`` (skopeo inspect's field names),
        parsed from JSON. ``reference`` may name any transport as skopeo
        does (``docker://``, ``oci:DIR[:REF]``, ``oci-archive:FILE[:REF]``,
        ``docker-archive:FILE[:REPO:TAG]``, ``dir:DIR``); ``Name`` is then
        the repository of its intended docker reference (absent without
        one). ``with_tags`` fills ``RepoTags`` for a ``docker://`` image."""
        raw = _cstr(reference, "reference")
        cbs = _Callbacks()
        out = _lib.owned_str()
        with _image_options(cbs, platform=platform) as opts, self._call(cancel) as (client, c):
            status = lib.ocireg_client_source_inspect(client, raw, opts, 1 if with_tags else 0, c, byref(out))
        text = _take_string(out) if status == 0 else None
        cbs.check(status)
        return json.loads(text)

    # uploads

    def start_upload(self, repository: str, *, cancel: Optional[Cancel] = None) -> Upload:
        """Opens an upload session (an :class:`Upload`). It keeps ``cancel``."""
        r = _cstr(repository, "repository")
        out = _lib.UploadP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_upload_start(client, r, c, byref(out)))
        return Upload(out, self, cancel)

    def resume_upload(self, repository: str, location: str, *, cancel: Optional[Cancel] = None) -> Upload:
        """Picks up a session suspended with :meth:`Upload.suspend`."""
        r, loc = _cstr(repository, "repository"), _cstr(location, "location")
        out = _lib.UploadP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_upload_resume(client, r, loc, c, byref(out)))
        return Upload(out, self, cancel, resumed=True)

    def mount_blob(
        self, repository: str, digest: str, from_repository: str, *, return_upload: bool = False, cancel: Optional[Cancel] = None
    ) -> Union[bool, Tuple[bool, Optional[Upload]]]:
        """Links blob ``digest`` from ``from_repository`` (same registry, a
        repository path such as ``"team/base"``) into ``repository``.

        Returns True when the registry mounted it. With
        ``return_upload=True`` returns ``(mounted, upload)`` where
        ``upload`` is the :class:`Upload` the registry opened instead (None
        when mounted); otherwise that session is cancelled."""
        r, d = _cstr(repository, "repository"), _cstr(digest, "digest")
        f = _cstr(from_repository, "from_repository")
        mounted = c_int(0)
        upload = _lib.UploadP()
        with self._call(cancel) as (client, c):
            _check(
                lib.ocireg_client_blob_mount(
                    client, r, d, f, c, byref(mounted), byref(upload) if return_upload else None
                )
            )
        if not return_upload:
            return bool(mounted.value)
        return bool(mounted.value), (Upload(upload, self, cancel) if upload else None)


    # image-source operations on any transport (skopeo's names)

    def source_manifest(
        self, name: str, *, platform: Optional[str] = None, cancel: Optional[Cancel] = None
    ) -> Content:
        """The manifest image ``name`` names on any transport, byte for
        byte (``skopeo inspect --raw``): the index of a multi-platform
        image, or with ``platform`` the image manifest it selects. A
        docker-archive gets the manifest skopeo generates for it."""
        raw = _cstr(name, "name")
        cbs = _Callbacks()
        out = _lib.ContentP()
        with _image_options(cbs, platform=platform) as opts, self._call(cancel) as (client, c):
            status = lib.ocireg_client_source_manifest(client, raw, opts, c, byref(out))
        cbs.check(status)
        return _take_content(out)

    def fetch_layers(
        self,
        name: str,
        directory: StrPath,
        *,
        platform: Optional[str] = None,
        overwrite: bool = False,
        progress: Optional[ImageProgressFunc] = None,
        cancel: Optional[Cancel] = None,
    ) -> List[Dict[str, Any]]:
        """Writes the config and the layers of image ``name`` (any
        transport; through an index, ``platform``'s image) into
        ``directory`` (created when missing), each as the file named by its
        digest's hex, config first; returns ``[{"file", "digest", "size",
        "mediaType"}]``. Each blob is streamed and verified before it
        appears. Existing files are refused before anything is written
        unless ``overwrite`` (symlinks and directories always)."""
        raw, d = _cstr(name, "name"), _cstr(directory, "directory")
        cbs = _Callbacks()
        out = _lib.owned_str()
        with _image_options(cbs, platform=platform, progress=progress) as opts, self._call(cancel) as (client, c):
            status = lib.ocireg_client_source_layers(client, raw, d, opts, 1 if overwrite else 0, c, byref(out))
        text = _take_string(out) if status == 0 else None
        cbs.check(status)
        return json.loads(text)

    def repository_tags(self, name: str, *, cancel: Optional[Cancel] = None) -> List[str]:
        """The tags of a repository, as ``skopeo list-tags``: a
        ``docker://`` name's repository, or every ``RepoTags`` entry of a
        ``docker-archive:`` file (``@N`` for an untagged image). Other
        transports raise :class:`UnsupportedError`."""
        raw = _cstr(name, "name")
        out = _lib.StringListP()
        with self._call(cancel) as (client, c):
            _check(lib.ocireg_client_source_tags(client, raw, c, byref(out)))
        return _take_string_list(out)


def intended_docker_reference(name: str) -> Optional[str]:
    """The docker reference image ``name`` intends (containers/image's
    ``DockerReference``): a ``docker://`` name's reference, a
    docker-archive's ``RepoTags`` entry when the name selects one (in full:
    ``busybox:1`` gives ``docker.io/library/busybox:1``); None for ``@N``,
    a docker-archive named by file alone, ``oci:``, ``oci-archive:`` and
    ``dir:``. No I/O."""
    raw = _cstr(name, "name")
    out = _lib.owned_str()
    _check(lib.ocireg_image_name_intended_reference(raw, byref(out)))
    return _take_string(out)


def _media_type_of(data, media_type):
    if media_type is not None:
        return media_type
    try:
        found = json.loads(bytes(data)).get("mediaType")
    except (ValueError, AttributeError, TypeError):
        found = None
    if not isinstance(found, str) or not found:
        raise ValueError("media_type is required: the manifest has no mediaType field")
    return found
