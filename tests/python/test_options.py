"""Option and integer bounds: values the C types cannot hold are refused in
Python (ctypes would wrap 2**64 + 7 to 7), values beyond the library's
bounds are InvalidArgumentError, a timeout of 0 is no limit, and a proxy
with an unsupported scheme is refused instead of going direct."""

import ctypes

import pytest

import ocireg
from conftest import sha256

U32 = 2**32 - 1
U64 = 2**64 - 1
SIZE = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1


@pytest.mark.parametrize(
    "name, value",
    [
        ("max_list_bytes", 2**64 + 7),
        ("max_list_entries", U64 + 1),
        ("max_retries", U32 + 1),
        ("page_size", 2**32 + 50),
        ("max_resumes", U32 + 1),
        ("concurrency", 2**32 + 4),
        ("upload_chunk_size", SIZE + 1),
        ("connect_timeout", 2**64 / 1000),
        ("read_timeout", -0.5),
    ],
)
def test_integers_beyond_the_c_type_are_value_errors(name, value):
    with pytest.raises(ValueError, match=name):
        ocireg.Client(**{name: value})


@pytest.mark.parametrize(
    "name, value",
    [
        ("concurrency", 0),
        ("concurrency", 257),
        ("max_retries", 101),
        ("max_resumes", 1001),
        ("page_size", 1_000_001),
        ("max_list_entries", 0),
        ("max_list_bytes", U64),
        ("request_timeout", 31 * 86400),
    ],
)
def test_values_beyond_the_library_bounds_are_invalid_arguments(name, value):
    with pytest.raises(ocireg.InvalidArgumentError, match=name):
        ocireg.Client(**{name: value})


def test_an_unsupported_proxy_scheme_is_refused():
    for url in ("ftp://127.0.0.1:21", "socks5://127.0.0.1:1080"):
        scheme = url.split(":")[0]
        with pytest.raises(ocireg.InvalidArgumentError, match=f"`{scheme}`"):
            ocireg.Client(proxy=url)
    with ocireg.Client(proxy="http://127.0.0.1:9"):
        pass


def test_zero_timeouts_mean_no_limit(env, repo):
    data = bytes(range(256)) * 300
    with ocireg.Client(insecure=[env.plain], connect_timeout=0, read_timeout=0, request_timeout=0) as client:
        client.ping(env.plain)
        digest = client.push_blob(repo, data)
        assert digest == sha256(data)
        assert client.get_blob(repo, digest) == data


def test_blob_range_bounds(plain, repo):
    data = bytes(range(256)) * 40
    digest = plain.push_blob(repo, data)
    # UINT64_MAX is "to the end", never an overflowed Range.
    assert plain.get_blob_range(repo, digest, 7, U64) == data[7:]
    with pytest.raises(ValueError, match="offset"):
        plain.get_blob_range(repo, digest, 2**64 + 7)
    with pytest.raises(ValueError, match="length"):
        plain.get_blob_range(repo, digest, 0, 2**64 + 7)
