"""The binding against the header, without a registry: every function
declared with the right types, the status table, versions, loading."""

import ctypes
import os
import re
import subprocess
import sys

import pytest

import ocireg
from ocireg import _lib
from conftest import HEADER, ROOT

# C parameter/return types of the header -> the ctypes type the binding must use.
C_TYPES = {
    "void": None,
    "ocireg_status": ctypes.c_uint32,
    "ocireg_referrer_kind": ctypes.c_uint32,
    "ocireg_signature_kind": ctypes.c_uint32,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "int64_t": ctypes.c_int64,
    "uint16_t": ctypes.c_uint16,
    "size_t": ctypes.c_size_t,
    "int": ctypes.c_int,
    "const char *": ctypes.c_char_p,
    "char *": ctypes.POINTER(ctypes.c_char),
    "char **": ctypes.POINTER(ctypes.POINTER(ctypes.c_char)),
    "const char *const *": ctypes.POINTER(ctypes.c_char_p),
    "const uint8_t *": ctypes.POINTER(ctypes.c_uint8),
    "uint8_t *": ctypes.POINTER(ctypes.c_uint8),
    "uint64_t *": ctypes.POINTER(ctypes.c_uint64),
    "size_t *": ctypes.POINTER(ctypes.c_size_t),
    "int *": ctypes.POINTER(ctypes.c_int),
    "void *": ctypes.c_void_p,
    "ocireg_write_cb": _lib.write_cb,
    "ocireg_read_cb": _lib.read_cb,
    "ocireg_progress_cb": _lib.progress_cb,
    "ocireg_image_progress_cb": _lib.image_progress_cb,
    "ocireg_log_level": ctypes.c_uint32,
    "ocireg_log_cb": _lib.log_cb,
}
HANDLES = {
    "ocireg_artifact_options": _lib.ocireg_artifact_options,
    "ocireg_blob_reader": _lib.ocireg_blob_reader,
    "ocireg_cancel": _lib.ocireg_cancel,
    "ocireg_client": _lib.ocireg_client,
    "ocireg_content": _lib.ocireg_content,
    "ocireg_descriptor_list": _lib.ocireg_descriptor_list,
    "ocireg_image_options": _lib.ocireg_image_options,
    "ocireg_options": _lib.ocireg_options,
    "ocireg_platform_list": _lib.ocireg_platform_list,
    "ocireg_rate_limit": _lib.ocireg_rate_limit,
    "ocireg_reference": _lib.ocireg_reference,
    "ocireg_request": _lib.ocireg_request,
    "ocireg_response": _lib.ocireg_response,
    "ocireg_search_results": _lib.ocireg_search_results,
    "ocireg_signature_list": _lib.ocireg_signature_list,
    "ocireg_string_list": _lib.ocireg_string_list,
    "ocireg_upload": _lib.ocireg_upload,
    "ocireg_index_options": _lib.ocireg_index_options,
    "ocireg_index_update": _lib.ocireg_index_update,
}


def ctype_of(c):
    c = re.sub(r"\s+", " ", c).strip()
    c = re.sub(r"\s*\*", " *", c).replace("* *", "**").replace("*const", "*const")
    if c in C_TYPES:
        return C_TYPES[c]
    m = re.fullmatch(r"(?:const )?(ocireg_\w+) (\*+)", c)
    if m and m.group(1) in HANDLES:
        t = HANDLES[m.group(1)]
        for _ in m.group(2):
            t = ctypes.POINTER(t)
        return t
    raise AssertionError(f"no ctypes mapping for C type {c!r}")


def header_functions():
    """{name: (return C type, [parameter C types])} from include/ocireg.h."""
    text = re.sub(r"//[^\n]*", "", HEADER.read_text())
    found = {}
    for m in re.finditer(r"([A-Za-z_][\w \*]*?[\s\*])(ocireg_\w+)\s*\(([^)]*)\)\s*;", text):
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
        args = []
        if params and params != "void":
            for p in params.split(","):
                p = " ".join(p.split())
                pm = re.fullmatch(r"(.*?[\s\*])(\w+)", p)
                assert pm, f"cannot parse parameter {p!r} of {name}"
                args.append(pm.group(1).strip())
        prev = found.get(name)
        assert prev is None or prev == (ret, args), f"{name} declared twice, differently"
        found[name] = (ret, args)
    return found


def test_header_parses_to_every_function():
    funcs = header_functions()
    assert len(funcs) >= 70
    assert "ocireg_client_blob_get" in funcs


@pytest.mark.parametrize("name", sorted(header_functions()))
def test_every_header_function_is_declared_with_its_types(name):
    ret, params = header_functions()[name]
    assert name in _lib.SIGNATURES, f"{name} is in the header but not declared in ocireg/_lib.py"
    fn = getattr(_lib.lib, name)
    assert name not in _lib.missing, f"{name} is not exported by {_lib.library_path}"
    assert fn.restype == ctype_of(ret), f"{name} returns {ret}"
    assert fn.argtypes is not None, f"{name} has no argtypes"
    assert len(fn.argtypes) == len(params), f"{name} takes {len(params)} arguments"
    for i, (declared, c) in enumerate(zip(fn.argtypes, params)):
        assert declared == ctype_of(c), f"{name} argument {i} is {c}"


def test_the_library_exports_every_declared_function():
    assert _lib.missing == [], f"{_lib.library_path} lacks {_lib.missing}: rebuild it with `make lib`"


def test_no_declaration_outside_the_header():
    assert set(_lib.SIGNATURES) == set(header_functions())


def test_status_table_matches_the_header():
    text = HEADER.read_text()
    enum = dict((n, int(v)) for n, v in re.findall(r"\bOCIREG_(OK|ERR_\w+) = (\d+)", text))
    assert enum.pop("OK") == 0
    table = {"ERR_" + name: number for number, name, _, _, _ in ocireg.errors.STATUS_CODES}
    assert table == enum
    for number, name, class_name, _, _ in ocireg.errors.STATUS_CODES:
        assert _lib.lib.ocireg_status_str(number).decode() == name
        cls = getattr(ocireg, class_name)
        assert issubclass(cls, ocireg.OciregError)
        assert ocireg.error_class(number) is cls
        assert cls.status == number and cls.status_name == name
    assert ocireg.error_class(12345) is ocireg.OciregError
    assert _lib.lib.ocireg_status_str(12345) == b"UNKNOWN"


def test_error_classes_are_catchable_and_informative():
    e = ocireg.error_class(6)("NOT_FOUND: gone", status=6, http_status=404, registry_code="BLOB_UNKNOWN", retry_after=1.5)
    with pytest.raises(ocireg.NotFoundError):
        raise e
    assert (e.status, e.status_name, e.message, e.http_status, e.registry_code, e.retry_after) == (
        6, "NOT_FOUND", "NOT_FOUND: gone", 404, "BLOB_UNKNOWN", 1.5)
    assert str(e) == "NOT_FOUND: gone"
    assert issubclass(ocireg.TimeoutError, TimeoutError)
    import pickle
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is ocireg.NotFoundError and again.registry_code == "BLOB_UNKNOWN"


def test_version_matches_header_and_cargo():
    header_version = re.search(r'#define OCIREG_VERSION "([^"]+)"', HEADER.read_text()).group(1)
    cargo_version = re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
    assert ocireg.version() == header_version == cargo_version == ocireg.__version__


def run_python(code, **env):
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=60)


def test_ocireg_library_env_var_is_used():
    path = os.path.realpath(ROOT / "build" / "lib" / "libocireg.so")
    r = run_python("import ocireg; print(ocireg.library_path)", OCIREG_LIBRARY=path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == path


def test_a_missing_library_is_a_clear_import_error():
    r = run_python("import ocireg", OCIREG_LIBRARY="/nonexistent/libocireg.so")
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "OCIREG_LIBRARY" in r.stderr and "/nonexistent/libocireg.so" in r.stderr


def test_bad_arguments_fail_in_python():
    with pytest.raises(TypeError):
        ocireg.Client(credentials={"h": "not a pair"})
    with pytest.raises(ValueError):
        ocireg.Client(connect_timeout=-1)
    with pytest.raises(ValueError):
        ocireg.Client(insecure=["a\0b"])
    with ocireg.Client() as client:
        with pytest.raises(TypeError):
            client.ping(None)
        with pytest.raises(TypeError):
            client.push_blob("localhost/x", "text, not bytes")
        with pytest.raises(TypeError):
            client.ping("localhost", cancel=object())


def test_every_option_is_accepted(tmp_path):
    auth = tmp_path / "auth.json"
    auth.write_text("{}")
    with ocireg.Client(
        insecure="localhost:5000",
        credentials={"r.example": ("u", "p")},
        identity_tokens={"i.example": "refresh"},
        auth_file=auth,
        ca_files=[],
        proxy="http://127.0.0.1:9",
        connect_timeout=1.5,
        read_timeout=2,
        request_timeout=3,
        max_retries=0,
        max_retry_after=1,
        user_agent="ocireg-python-test",
        headers={"X-Test": "1"},
        page_size=50,
        max_resumes=2,
        upload_chunk_size=1 << 20,
        concurrency=4,
        max_list_entries=10,
        max_list_bytes=1 << 20,
    ) as client:
        assert not client.closed
    assert client.closed
    with pytest.raises(ValueError, match="closed"):
        client.ping("localhost:5000")


def test_an_unreadable_ca_file_is_reported():
    with pytest.raises(ocireg.OciregError):
        with ocireg.Client(ca_files=["/nonexistent/ca.pem"]) as client:
            client.ping("localhost:1")


def test_cancel_lifecycle():
    c = ocireg.Cancel()
    assert not c.cancelled
    c.cancel()
    c.cancel()
    assert c.cancelled
    c.close()
    c.close()
    c.cancel()  # a no-op once closed
    with ocireg.Cancel() as c2:
        pass
    assert c2.closed
