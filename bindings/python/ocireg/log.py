"""The log callback: where libocireg's diagnostics go (nothing is printed
by default).

    ocireg.set_log_callback(lambda level, message: print(level, message))

The callback is process-wide. It is called from any thread, libocireg's
own included, several at once; an exception it raises is swallowed.
Messages never carry credentials: no header is ever logged, and URLs lose
their userinfo and signed query values.
"""

from __future__ import annotations

import atexit
import threading
from typing import Callable, Optional

from . import _lib
from ._lib import lib
from .errors import raise_last_error

__all__ = ["LOG_DEBUG", "LOG_ERROR", "LOG_INFO", "LOG_WARN", "set_log_callback"]

LOG_ERROR = 1  #: a failure a call could not report otherwise (a caught panic)
LOG_WARN = 2  #: something worth a look
LOG_INFO = 3  #: milestones of an operation
LOG_DEBUG = 4  #: one line per HTTP request: method, URL, status, time, retry

_NAMES = {LOG_ERROR: "error", LOG_WARN: "warn", LOG_INFO: "info", LOG_DEBUG: "debug"}

_lock = threading.Lock()
# The ctypes callback the library holds: kept alive while it is set.
_installed = None


def set_log_callback(fn: Optional[Callable[[str, str], None]], level: int = LOG_DEBUG) -> None:
    """Sends libocireg's messages of ``level`` and above (``LOG_ERROR`` <
    ``LOG_WARN`` < ``LOG_INFO`` < ``LOG_DEBUG``) to ``fn(level_name,
    message)``, where ``level_name`` is ``"error"``, ``"warn"``, ``"info"``
    or ``"debug"``, for the whole process until the next call; None turns
    logging off. :class:`ocireg.InvalidArgumentError` for an unknown level.
    """
    global _installed
    if not isinstance(level, int) or isinstance(level, bool) or level not in _NAMES:
        raise ValueError(f"level must be one of LOG_ERROR (1) .. LOG_DEBUG (4), not {level!r}")
    if fn is not None and not callable(fn):
        raise TypeError(f"fn must be callable or None, not {type(fn).__name__}")
    callback = _lib.log_cb() if fn is None else _lib.log_cb(_deliver(fn))  # log_cb(): NULL
    with _lock:
        status = lib.ocireg_set_log_callback(level, callback, None)
        if status != 0:
            raise_last_error(status)
        # The old callback may still be running on another thread for a
        # moment: keep it alive for the life of the process.
        if _installed is not None:
            _retired.append(_installed)
        _installed = callback


_retired = []


def _deliver(fn):
    def deliver(_userdata, level, message):
        try:
            fn(_NAMES.get(level, str(level)), message.decode("utf-8", "replace") if message else "")
        except BaseException:  # noqa: BLE001 - nothing may unwind into the library
            pass

    return deliver


@atexit.register
def _off_at_exit():
    # No callback into an interpreter that is shutting down.
    if _installed is not None:
        lib.ocireg_set_log_callback(LOG_DEBUG, _lib.log_cb(), None)
