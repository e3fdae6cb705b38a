"""Failures: corrupted content, callback exceptions, cancellation,
timeouts, and many threads on one client."""

import io
import os
import threading
import time
import traceback

import pytest

import ocireg
from conftest import OCI_MANIFEST, make_image, sha256


def corrupt(env, digest):
    path = env.blob_path(digest)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


# --- digest mismatch ----------------------------------------------------


def test_a_corrupted_blob_is_a_digest_mismatch(plain, env, repo):
    data = os.urandom(200_000)
    digest = plain.push_blob(repo, data)
    corrupt(env, digest)

    with pytest.raises(ocireg.DigestMismatchError) as e:
        plain.get_blob(repo, digest)
    assert e.value.status_name == "DIGEST_MISMATCH"

    with pytest.raises(ocireg.DigestMismatchError):
        plain.download_blob(repo, digest, io.BytesIO())

    # Through the reader: every byte arrives, the last read fails.
    with plain.open_blob(repo, digest) as r:
        got = bytearray()
        with pytest.raises(ocireg.DigestMismatchError):
            while True:
                chunk = r.read(65536)
                if not chunk:
                    break
                got += chunk
        assert len(got) == len(data) and bytes(got) != data
    with plain.open_blob(repo, digest) as r:
        with pytest.raises(ocireg.DigestMismatchError):
            r.read()

    # Ranges are not verified: the corrupted bytes come back as they are.
    assert len(plain.get_blob_range(repo, digest, 0)) == len(data)


def test_a_corrupted_manifest_is_a_digest_mismatch(plain, env, repo):
    data, digest = make_image(plain, repo)
    plain.put_manifest(repo + ":m", data, OCI_MANIFEST)
    # Still valid JSON, but not the bytes that were pushed: the size of
    # the layer grows by one digit... of the same width.
    path = env.blob_path(digest)
    stored = path.read_bytes()
    assert b'"size":64}' in stored
    path.write_bytes(stored.replace(b'"size":64}', b'"size":65}'))
    with pytest.raises(ocireg.DigestMismatchError):
        plain.get_manifest(f"{repo}@{digest}")


# --- exceptions raised in callbacks --------------------------------------


class Boom(Exception):
    pass


class BaseBoom(BaseException):
    pass


def test_write_callback_exception_propagates(plain, repo):
    data = os.urandom(500_000)
    digest = plain.push_blob(repo, data)

    class Failing(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            raise Boom("disk full")

    with pytest.raises(Boom, match="disk full") as e:
        plain.download_blob(repo, digest, Failing())
    assert "write" in "".join(traceback.format_tb(e.value.__traceback__))
    # The client is fine afterwards, and no stale error leaks out.
    assert plain.get_blob(repo, digest) == data


def test_progress_callback_exception_propagates(plain, repo):
    digest = plain.push_blob(repo, os.urandom(300_000))
    calls = []

    def progress(done, total):
        calls.append(done)
        raise Boom("stop")

    with pytest.raises(Boom):
        plain.get_blob(repo, digest, progress=progress)
    assert len(calls) == 1  # not called again after it raised

    def base_progress(done, total):
        raise BaseBoom()

    with pytest.raises(BaseBoom):
        plain.get_blob(repo, digest, progress=base_progress)


def test_read_callback_exception_propagates(plain, repo):
    class Failing:
        def __init__(self):
            self.n = 0

        def readinto(self, buf):
            self.n += 1
            if self.n > 2:
                raise Boom("read error")
            buf[:10] = b"0123456789"
            return 10

    with pytest.raises(Boom, match="read error"):
        plain.push_blob_from(repo, Failing())

    def progress(done, total):
        raise Boom("progress")

    with pytest.raises(Boom, match="progress"):
        plain.push_blob_from(repo, io.BytesIO(os.urandom(100_000)), progress=progress)

    class Wrong:
        def read(self, n):
            return "text"

    with pytest.raises(TypeError, match="binary"):
        plain.push_blob_from(repo, Wrong())
    assert plain.push_blob_from(repo, io.BytesIO(b"ok")) == sha256(b"ok")


# --- cancellation and timeouts -------------------------------------------


def test_cancel_a_stalled_ping_from_another_thread(env):
    with ocireg.Client(insecure=[env.stall], max_retries=0) as client, ocireg.Cancel() as cancel:
        timer = threading.Timer(0.3, cancel.cancel)
        timer.start()
        start = time.monotonic()
        with pytest.raises(ocireg.CancelledError) as e:
            client.ping(env.stall, cancel=cancel)
        elapsed = time.monotonic() - start
        timer.join()
    assert 0.25 <= elapsed < 60, elapsed  # 60: a bound for a hang, not a speed test
    assert e.value.status_name == "CANCELLED"
    assert cancel.cancelled


def test_an_already_cancelled_signal(plain, env, repo):
    cancel = ocireg.Cancel()
    cancel.cancel()
    with pytest.raises(ocireg.CancelledError):
        plain.ping(env.plain, cancel=cancel)
    with pytest.raises(ocireg.CancelledError):
        plain.push_blob(repo, b"data", cancel=cancel)
    cancel.close()
    with pytest.raises(ValueError):
        plain.ping(env.plain, cancel=cancel)


def test_cancel_stops_a_reader_and_an_upload(plain, repo):
    data = os.urandom(4_000_000)
    digest = plain.push_blob(repo, data)
    cancel = ocireg.Cancel()
    reader = plain.open_blob(repo, digest, cancel=cancel)
    assert reader.read(1000)
    cancel.cancel()
    with pytest.raises(ocireg.CancelledError):
        while reader.read(65536):
            pass
    reader.close()
    cancel.close()  # the reader was closed first; a live reader keeps it alive

    cancel = ocireg.Cancel()
    up = plain.start_upload(repo, cancel=cancel)
    cancel.cancel()
    with pytest.raises(ocireg.CancelledError):
        up.write(os.urandom(20_000_000))
        up.commit()
    up.close()


def test_a_cancel_closed_early_lives_as_long_as_its_reader(plain, repo):
    data = os.urandom(300_000)
    digest = plain.push_blob(repo, data)
    cancel = ocireg.Cancel()
    reader = plain.open_blob(repo, digest, cancel=cancel)
    cancel.close()
    assert cancel.closed and cancel._ptr is not None  # freed when the reader is done
    assert reader.read() == data
    reader.close()
    assert cancel._ptr is None


def test_a_stalled_registry_times_out(env):
    with ocireg.Client(insecure=[env.stall], read_timeout=0.3, request_timeout=0.5, max_retries=0) as client:
        start = time.monotonic()
        with pytest.raises(ocireg.TimeoutError) as e:
            client.ping(env.stall)
    assert time.monotonic() - start < 60  # a bound for a hang, not a speed test
    assert isinstance(e.value, TimeoutError)  # the built-in one too


def test_closing_a_client_during_a_call_waits_for_it(env):
    client = ocireg.Client(insecure=[env.stall], max_retries=0)
    cancel = ocireg.Cancel()
    caught = []

    def run():
        try:
            client.ping(env.stall, cancel=cancel)
        except BaseException as e:
            caught.append(e)

    t = threading.Thread(target=run)
    t.start()
    # Close once the ping runs (a fixed sleep may come first on a loaded machine).
    deadline = time.monotonic() + 60
    while client._users == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client._users == 1, "the ping never started"
    client.close()  # returns at once; the handle is freed when ping returns
    assert client.closed
    with pytest.raises(ValueError, match="closed"):
        client.ping(env.stall)
    cancel.cancel()
    t.join(60)
    assert not t.is_alive()
    assert len(caught) == 1 and isinstance(caught[0], ocireg.CancelledError)
    assert client._ptr is None
    cancel.close()


def test_an_unreachable_registry_is_a_network_error(env):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with ocireg.Client(insecure=[f"127.0.0.1:{port}"], max_retries=0) as client:
        with pytest.raises(ocireg.NetworkError):
            client.ping(f"127.0.0.1:{port}")


# --- threads --------------------------------------------------------------


def test_eight_threads_share_one_client(plain, repo):
    errors = []
    barrier = threading.Barrier(8)

    def work(i):
        try:
            barrier.wait()
            r = f"{repo}-{i}"
            for j in range(6):
                data = os.urandom(50_000 + 1000 * i + j)
                digest = plain.push_blob(r, data)
                assert digest == sha256(data)
                assert plain.head_blob(r, digest) == len(data)
                assert plain.get_blob(r, digest) == data
                with plain.open_blob(r, digest) as rd:
                    assert rd.read() == data
            manifest, mdigest = make_image(plain, r, layer=f"layer {i}".encode())
            assert plain.put_manifest(f"{r}:t{i}", manifest, OCI_MANIFEST) == mdigest
            assert plain.get_manifest(f"{r}:t{i}").digest == mdigest
            assert plain.tags(r) == [f"t{i}"]
            # Each thread's error detail is its own.
            try:
                plain.get_manifest(f"{r}:missing{i}")
            except ocireg.NotFoundError as e:
                assert e.registry_code == "MANIFEST_UNKNOWN" and f"missing{i}" in e.message
            try:
                plain.head_blob(r, "sha256:" + f"{i:064x}")
            except ocireg.NotFoundError as e:
                assert e.http_status == 404
        except BaseException as e:  # noqa: B902
            errors.append((i, e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_eight_threads_share_one_token_client(token, env):
    errors = []
    repo = f"{env.token}/py/threads-{os.getpid()}"

    def work(i):
        try:
            data = f"token blob {i}".encode() * 1000
            digest = token.push_blob(repo, data)
            assert token.get_blob(repo, digest) == data
        except BaseException as e:  # noqa: B902
            errors.append((i, e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
