"""ocireg: a container-registry client (OCI Distribution v1.1, Docker
Registry V2), the Python binding of libocireg over ctypes.

    import ocireg

    with ocireg.Client(insecure=["localhost:5000"]) as client:
        digest = client.push_blob("localhost:5000/demo", b"hello")
        assert client.get_blob("localhost:5000/demo", digest) == b"hello"

References parse without a registry::

    ref = ocireg.parse_reference("ubuntu")
    assert ref.canonical == "docker.io/library/ubuntu:latest"

Errors are subclasses of :class:`OciregError`, one per library status
(:class:`NotFoundError`, :class:`UnauthorizedError`, ...).
"""

from . import errors as _errors
from ._lib import library_path
from .client import (
    BlobReader,
    Cancel,
    Client,
    Content,
    Descriptor,
    ImageProgress,
    Manifest,
    ManifestInfo,
    Platform,
    RateLimit,
    SearchResult,
    Upload,
    intended_docker_reference,
    version,
)
from .errors import OciregError, RegistryError, error_class
from .log import LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN, set_log_callback
from .raw_request import Response
from .reference import Reference, normalize_registry, parse_reference
from .resolve_name import ResolvedName
from .signatures import COSIGN_PAYLOAD_MEDIA_TYPE, SIGSTORE, SIMPLE_SIGNING, Signature

# One exception class per status: NotFoundError, UnauthorizedError, ...
globals().update({name: getattr(_errors, name) for _, _, name, _, _ in _errors.STATUS_CODES})

__version__ = version()

__all__ = [
    "BlobReader",
    "Cancel",
    "Client",
    "Content",
    "Descriptor",
    "ImageProgress",
    "Manifest",
    "ManifestInfo",
    "LOG_DEBUG",
    "LOG_ERROR",
    "LOG_INFO",
    "LOG_WARN",
    "OciregError",
    "intended_docker_reference",
    "Platform",
    "RateLimit",
    "Reference",
    "RegistryError",
    "ResolvedName",
    "Response",
    "SearchResult",
    "Signature",
    "SIGSTORE",
    "SIMPLE_SIGNING",
    "COSIGN_PAYLOAD_MEDIA_TYPE",
    "Upload",
    "error_class",
    "library_path",
    "normalize_registry",
    "parse_reference",
    "set_log_callback",
    "version",
    "__version__",
] + [name for _, _, name, _, _ in _errors.STATUS_CODES]
