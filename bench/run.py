#!/usr/bin/env python3
"""The ocireg benchmark suite (issue 6), run by `make bench`.

ocireg against skopeo, crane and the hardware limit (curl for transport,
openssl for hashing), on loopback registries this script starts itself:
Debian's docker-registry (distribution 2.8.2), plain HTTP on 127.0.0.1, one
holding the content and a fresh empty one for every push or copy run.

Cases
  1  pull one 1 GiB uncompressed layer into an OCI layout; limit = the
     slower of `curl -o /dev/null` of the blob and `openssl dgst -sha256`
     of the same bytes
  2  pull 50 layers of 4 MiB
  3  push both images from an OCI layout to a fresh registry (and a bare
     curl monolithic upload of the 1 GiB blob: POST, then PUT of the file)
  4  copy both images registry to registry
  5  1000 manifest HEADs from one client (bench/c/heads.c through the C API)
     against curl with the same 1000 URLs in one process (keep-alive)
  6  one 1 GiB blob through the C write callback and the C reader handle
     (bench/c/blob_stream.c) against the Rust API (examples/bench_blob.rs)
  7  peak RSS of every run, and of ocireg pulling a 4 GiB image

Every measured run is one child process (forked by the small wrapper
build/bench/bin/rusage, from bench/c/rusage.c, so that ru_maxrss is the
tool's own and not Python's): wall time, user and system CPU and peak RSS
(ru_maxrss from wait4: that child's and the children it waited for).
Each case runs --runs times, the tools in a rotated order each round; the tables give medians and ratios against the
peers of the same case, and are written to bench/results/latest.md and
latest.json. Python 3 standard library only.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "bench"
RESULTS = REPO / "bench" / "results"

OCIREG = REPO / "build" / "bin" / "ocireg"
HEADS = BUILD / "bin" / "heads"
BLOB_STREAM = BUILD / "bin" / "blob_stream"
RUSAGE = BUILD / "bin" / "rusage"
BENCH_BLOB = REPO / "target" / "release" / "examples" / "bench_blob"
CRANE = REPO / "build" / "tools" / "crane"
CRANE_VERSION = "v0.22.1"
REGISTRY_BIN = "/usr/bin/docker-registry"

LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
ACCEPT = ", ".join([
    MANIFEST_TYPE,
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt_size(n):
    if n >= GiB and n % GiB == 0:
        return f"{n // GiB} GiB"
    if n >= MiB:
        return f"{n / MiB:g} MiB"
    return f"{n} B"


# ---------------------------------------------------------------- tools

def run_quiet(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw).stdout


def apt_install(pkg):
    log(f"installing {pkg} with apt-get")
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(prefix + ["apt-get", "install", "-y", "-q", pkg], check=True, env=env)
    except subprocess.CalledProcessError:
        subprocess.run(prefix + ["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(prefix + ["apt-get", "install", "-y", "-q", pkg], check=True, env=env)


def ensure_tools():
    """Installs what is missing; returns the tools' versions."""
    for cmd, pkg in [("skopeo", "skopeo"), ("curl", "curl"), ("openssl", "openssl")]:
        if shutil.which(cmd) is None:
            apt_install(pkg)
    if not Path(REGISTRY_BIN).exists():
        apt_install("docker-registry")
    if not CRANE.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        log(f"installing crane {CRANE_VERSION} into {CRANE.parent}")
        CRANE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "install",
                        f"github.com/google/go-containerregistry/cmd/crane@{CRANE_VERSION}"],
                       check=True, env=dict(os.environ, GOBIN=str(CRANE.parent)))
    for prog, how in [(OCIREG, "make cli"), (HEADS, "make bench-progs"),
                      (BLOB_STREAM, "make bench-progs"), (RUSAGE, "make bench-progs"), (BENCH_BLOB, "make bench-progs")]:
        if not prog.exists():
            raise BenchError(f"{prog} is missing: run `{how}` (or `make bench`)")

    def first_line(argv):
        try:
            return run_quiet(argv).strip().splitlines()[0]
        except (subprocess.CalledProcessError, OSError, IndexError):
            return "?"
    return {
        "ocireg": first_line([str(OCIREG), "version"]),
        "skopeo": first_line(["skopeo", "--version"]),
        "crane": first_line([str(CRANE), "version"]),
        "curl": " ".join(first_line(["curl", "--version"]).split()[:2]),
        "openssl": " ".join(first_line(["openssl", "version"]).split()[:2]),
        "registry": first_line([REGISTRY_BIN, "--version"]).split()[-1],
    }


# ---------------------------------------------------------------- registries

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """A docker-registry process on 127.0.0.1 with its own storage under
    `parent`; `stop()` ends it and removes the storage."""

    def __init__(self, parent, name):
        self.dir = Path(tempfile.mkdtemp(prefix=f"registry-{name}-", dir=parent))
        self.proc = None
        for _attempt in range(5):
            self.port = free_port()
            self.host = f"127.0.0.1:{self.port}"
            config = self.dir / "config.yml"
            config.write_text(
                "version: 0.1\n"
                "log:\n  level: error\n  accesslog:\n    disabled: true\n"
                "storage:\n"
                f"  filesystem:\n    rootdirectory: {self.dir / 'data'}\n"
                "  delete:\n    enabled: true\n"
                "  cache:\n    blobdescriptor: inmemory\n"
                f"http:\n  addr: {self.host}\n")
            self.log = open(self.dir / "registry.log", "ab")
            self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)],
                                         stdout=self.log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            if self._wait_ready():
                return
            self._end_process()
        self.stop()
        raise BenchError(f"docker-registry did not start; see {self.dir}/registry.log")

    def _wait_ready(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.01)
        return False

    def _end_process(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def stop(self):
        self._end_process()
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, path):
        return f"http://{self.host}{path}"

    def head(self, path, accept=None):
        req = urllib.request.Request(self.url(path), method="HEAD")
        if accept:
            req.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.headers


# ---------------------------------------------------------------- content

class Image:
    def __init__(self, name, repo, tag, layer_files):
        self.name, self.repo, self.tag = name, repo, tag
        self.layer_files = layer_files
        self.layers = []          # (digest, size)
        self.config = None        # (digest, size)
        self.manifest_digest = None

    @property
    def size(self):
        return sum(s for _, s in self.layers)

    def ref(self, host):
        return f"{host}/{self.repo}:{self.tag}"


def write_random(path, size):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        left = size
        while left:
            n = min(left, 16 * MiB)
            f.write(os.urandom(n))
            left -= n
    os.replace(tmp, path)


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(4 * MiB)
        view = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return "sha256:" + h.hexdigest()


class Content:
    """The generated layer files (kept in build/bench/content between runs
    unless asked otherwise) and their digests, cached in meta.json."""

    def __init__(self, directory, regenerate):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.meta_path = self.dir / "meta.json"
        self.meta = {}
        if not regenerate and self.meta_path.exists():
            try:
                self.meta = json.loads(self.meta_path.read_text())
            except ValueError:
                self.meta = {}

    def layer(self, name, size):
        path = self.dir / name
        st = path.stat() if path.exists() else None
        entry = self.meta.get(name)
        if (st is None or st.st_size != size or entry is None
                or entry.get("size") != size or entry.get("mtime_ns") != st.st_mtime_ns):
            log(f"generating {path} ({fmt_size(size)} of random bytes)")
            write_random(path, size)
            st = path.stat()
            entry = {"size": size, "mtime_ns": st.st_mtime_ns, "digest": file_digest(path)}
            self.meta[name] = entry
            self.meta_path.write_text(json.dumps(self.meta, indent=1))
        return path, entry["digest"]


def ocireg_cli(host, *args):
    return run_quiet([str(OCIREG), "--insecure-registry", host, *args]).strip()


def upload_image(reg, image, content, work):
    """Pushes `image` into registry `reg` with the ocireg CLI (push-blob,
    put-manifest), checking the digests push-blob prints."""
    repo_ref = f"{reg.host}/{image.repo}"
    diff_ids = []
    for name, size in image.layer_files:
        path, digest = content.layer(name, size)
        got = ocireg_cli(reg.host, "push-blob", repo_ref, str(path))
        if got != digest:
            raise BenchError(f"push-blob {path}: digest {got}, expected {digest}")
        image.layers.append((digest, size))
        diff_ids.append(digest)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }, separators=(",", ":")).encode()
    config_path = work / f"config-{image.name}.json"
    config_path.write_bytes(config)
    config_digest = ocireg_cli(reg.host, "push-blob", repo_ref, str(config_path))
    image.config = (config_digest, len(config))
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": LAYER_TYPE, "digest": d, "size": s} for d, s in image.layers],
    }, separators=(",", ":")).encode()
    manifest_path = work / f"manifest-{image.name}.json"
    manifest_path.write_bytes(manifest)
    image.manifest_digest = ocireg_cli(reg.host, "put-manifest", image.ref(reg.host),
                                       str(manifest_path))


# ---------------------------------------------------------------- measuring

def measure(argv, stdout=None):
    """Runs `argv` as one measured child (through build/bench/bin/rusage,
    see below); returns its wall time, user and system CPU seconds and peak
    RSS. `stdout` (a path) receives the child's standard output.

    The child is forked by the small rusage wrapper, which waits for it with
    wait4 and reports its rusage: a child spawned straight from Python has
    Python's own high-water RSS folded into its ru_maxrss at exec (Linux
    keeps the pre-exec image's peak), which put a ~40 MiB floor under every
    tool. Python waits for the wrapper with os.wait4 too; the wrapper's own
    cost (a fork and a wait) is left out of the figures."""
    err = tempfile.TemporaryFile()
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    result = tempfile.NamedTemporaryFile(prefix="rusage-", dir=BUILD, delete=False)
    result.close()
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(RUSAGE), result.name] + [str(a) for a in argv],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        outer = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        fields = Path(result.name).read_text().split()
    finally:
        if stdout:
            out.close()
        os.unlink(result.name)
    if proc.returncode != 0:
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
        raise BenchError(f"{' '.join(map(str, argv))} exited with {proc.returncode}:\n{tail}")
    err.close()
    wall, user, sys_, rss = float(fields[0]), float(fields[1]), float(fields[2]), int(fields[3])
    return {"wall": wall, "user": user, "sys": sys_, "rss_kib": rss,
            "outer_wall": outer, "outer_user": ru.ru_utime, "outer_sys": ru.ru_stime}


def check_layout(out, image):
    index = out / "index.json"
    if not index.exists():
        raise BenchError(f"{out}: no index.json")
    for digest, size in image.layers:
        blob = out / "blobs" / "sha256" / digest.split(":", 1)[1]
        if not blob.exists() or blob.stat().st_size != size:
            raise BenchError(f"{out}: blob {digest} missing or of the wrong size")


def check_pushed(reg, image):
    status, headers = reg.head(f"/v2/{image.repo}/manifests/{image.tag}", ACCEPT)
    if status != 200:
        raise BenchError(f"{reg.host}: manifest {image.repo}:{image.tag} is {status}")
    check_blobs(reg, image)


def check_blobs(reg, image):
    for digest, size in image.layers:
        status, headers = reg.head(f"/v2/{image.repo}/blobs/{digest}")
        if status != 200 or int(headers.get("Content-Length", -1)) != size:
            raise BenchError(f"{reg.host}: blob {digest} is {status}")


def settle(*paths):
    for p in paths:
        if p is not None:
            shutil.rmtree(p, ignore_errors=True)
    os.sync()


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = None
        self.src = None
        self.registries = []
        self.results = {}     # case -> tool -> [measurement]
        self.cases = []       # (case id, title, bytes, [(tool, fn)])
        self.counter = 0

    # -- helpers

    def out_dir(self, label):
        self.counter += 1
        return self.work / f"out-{self.counter}-{label}"

    def fresh_registry(self):
        reg = Registry(self.work, "dst")
        self.registries.append(reg)
        return reg

    def drop_registry(self, reg):
        reg.stop()
        self.registries.remove(reg)

    # -- the runs (each returns a measurement)

    def pull(self, tool, image):
        def run():
            out = self.out_dir(f"pull-{tool}")
            ref = image.ref(self.src.host)
            argv = {
                "ocireg": [OCIREG, "--insecure-registry", self.src.host, "pull", ref,
                           f"{out}:{image.tag}"],
                "skopeo": ["skopeo", "copy", "-q", "--insecure-policy", "--src-tls-verify=false",
                           "--dest-oci-accept-uncompressed-layers", "--preserve-digests",
                           f"docker://{ref}", f"oci:{out}:{image.tag}"],
                "crane": [CRANE, "pull", "--insecure", "--format=oci", ref, out],
            }[tool]
            try:
                m = measure(argv)
                check_layout(out, image)
            finally:
                settle(out)
            return m
        return run

    def limit_curl(self, image):
        digest = image.layers[0][0]

        def run():
            return measure(["curl", "-sS", "-f", "-o", "/dev/null",
                            self.src.url(f"/v2/{image.repo}/blobs/{digest}")])
        return run

    def curl_files(self, image):
        """The 50 blobs fetched by one curl in parallel (-Z) into files: the
        transport-and-write floor without hashing, fsync or a layout."""
        def run():
            out = self.out_dir("curl-files")
            out.mkdir()
            config = self.work / f"curl-files-{image.name}.cfg"
            config.write_text("".join(
                f'url = "{self.src.url(f"/v2/{image.repo}/blobs/{d}")}"\n'
                f'output = "{out}/{i}"\n' for i, (d, _) in enumerate(image.layers)))
            try:
                m = measure(["curl", "-sS", "-f", "-Z", "--parallel-max", "8", "-K", config])
                for i, (_, size) in enumerate(image.layers):
                    if (out / str(i)).stat().st_size != size:
                        raise BenchError(f"curl -Z: blob {i} of the wrong size")
            finally:
                settle(out)
            return m
        return run

    def limit_openssl(self, path, digest):
        def run():
            outfile = self.work / "openssl.out"
            m = measure(["openssl", "dgst", "-sha256", path], stdout=outfile)
            if digest.split(":", 1)[1] not in outfile.read_text():
                raise BenchError("openssl dgst printed another digest")
            return m
        return run

    def push(self, tool, image, layout):
        def run():
            dst = self.fresh_registry()
            ref = image.ref(dst.host)
            if tool == "curl":
                digest, _ = image.layers[0]
                path = self.layer_paths[image.name][0]
                argv = ["sh", "-c", CURL_UPLOAD, "curl-upload", dst.host, image.repo,
                        path, digest]
            else:
                argv = {
                    "ocireg": [OCIREG, "--insecure-registry", dst.host, "push",
                               f"{layout}:{image.tag}", ref],
                    "skopeo": ["skopeo", "copy", "-q", "--insecure-policy",
                               "--dest-tls-verify=false", "--preserve-digests",
                               f"oci:{layout}:{image.tag}", f"docker://{ref}"],
                    "crane": [CRANE, "push", "--insecure", layout, ref],
                }[tool]
            try:
                m = measure(argv)
                if tool == "curl":
                    check_blobs(dst, image)
                else:
                    check_pushed(dst, image)
            finally:
                self.drop_registry(dst)
                settle()
            return m
        return run

    def copy(self, tool, image):
        def run():
            dst = self.fresh_registry()
            src_ref, dst_ref = image.ref(self.src.host), image.ref(dst.host)
            argv = {
                "ocireg": [OCIREG, "--insecure-registry", self.src.host,
                           "--insecure-registry", dst.host, "copy", src_ref, dst_ref],
                "skopeo": ["skopeo", "copy", "-q", "--insecure-policy", "--src-tls-verify=false",
                           "--dest-tls-verify=false", "--preserve-digests",
                           f"docker://{src_ref}", f"docker://{dst_ref}"],
                "crane": [CRANE, "copy", "--insecure", src_ref, dst_ref],
            }[tool]
            try:
                m = measure(argv)
                check_pushed(dst, image)
            finally:
                self.drop_registry(dst)
                settle()
            return m
        return run

    def heads(self, tool, image, count):
        def run():
            outfile = self.work / f"heads-{tool}.out"
            if tool == "ocireg":
                m = measure([HEADS, self.src.host, image.ref(self.src.host), count],
                            stdout=outfile)
                n, secs = outfile.read_text().split()
                if int(n) != count:
                    raise BenchError(f"heads did {n} requests")
                m["inner_seconds"] = float(secs)
            else:
                config = self.work / "heads-curl.cfg"
                url = self.src.url(f"/v2/{image.repo}/manifests/{image.tag}")
                lines = ["silent", "head", f'header = "Accept: {ACCEPT}"']
                lines += [f'url = "{url}"'] * count
                config.write_text("\n".join(lines) + "\n")
                m = measure(["curl", "-K", config], stdout=outfile)
                ok = sum(1 for line in outfile.read_text().splitlines()
                         if line.startswith("HTTP/") and " 200" in line)
                if ok != count:
                    raise BenchError(f"curl got {ok} answers 200 of {count}")
            return m
        return run

    def ffi(self, tool, image):
        digest, size = image.layers[0]
        repo_ref = f"{self.src.host}/{image.repo}"

        def run():
            outfile = self.work / f"ffi-{tool}.out"
            argv = {
                "rust": [BENCH_BLOB, self.src.host, repo_ref, digest],
                "callback": [BLOB_STREAM, "callback", self.src.host, repo_ref, digest],
                "reader": [BLOB_STREAM, "reader", self.src.host, repo_ref, digest,
                           self.args.reader_buffer],
            }[tool]
            m = measure(argv, stdout=outfile)
            n, secs = outfile.read_text().split()
            if int(n) != size:
                raise BenchError(f"{tool}: {n} bytes, expected {size}")
            m["inner_seconds"] = float(secs)
            return m
        return run

    # -- the suite

    def setup(self):
        BUILD.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="run-", dir=BUILD))
        content = Content(BUILD / "content", self.args.regenerate)
        self.content = content
        self.big = Image("big", "bench/big", "1g", [("layer-1g.bin", GiB)])
        self.many = Image("many", "bench/many", "50x4m",
                          [(f"layer-4m-{i:02d}.bin", 4 * MiB) for i in range(50)])
        huge_size = int(self.args.huge_gib * GiB)
        self.huge = (Image("huge", "bench/huge", f"{self.args.huge_gib:g}g",
                           [(f"layer-{self.args.huge_gib:g}g.bin", huge_size)])
                     if huge_size else None)
        self.images = [i for i in (self.big, self.many, self.huge) if i]
        self.src = Registry(self.work, "content")
        self.registries.append(self.src)
        log(f"content registry on {self.src.host}; uploading the images")
        t0 = time.monotonic()
        for image in self.images:
            upload_image(self.src, image, content, self.work)
        self.layer_paths = {img.name: [content.dir / n for n, _ in img.layer_files]
                            for img in self.images}
        log(f"content ready in {time.monotonic() - t0:.1f} s")
        # The OCI layouts pushes start from (made once, not measured).
        self.layouts = {}
        for image in (self.big, self.many):
            layout = self.work / f"layout-{image.name}"
            ocireg_cli(self.src.host, "pull", image.ref(self.src.host), f"{layout}:{image.tag}")
            check_layout(layout, image)
            self.layouts[image.name] = layout

    def define_cases(self):
        big, many = self.big, self.many
        big_path = self.layer_paths["big"][0]
        peers = ["ocireg", "skopeo", "crane"]
        want = set(self.args.cases)

        def add(cid, num, title, nbytes, entries):
            if num in want:
                self.cases.append((cid, num, title, nbytes, entries))

        add("pull-1g", 1, f"pull {fmt_size(big.size)} (one layer) into an OCI layout",
            big.size,
            [(t, self.pull(t, big)) for t in peers]
            + [("curl", self.limit_curl(big)),
               ("openssl", self.limit_openssl(big_path, big.layers[0][0]))])
        add("pull-50x4m", 2, "pull 50 layers of 4 MiB into an OCI layout", many.size,
            [(t, self.pull(t, many)) for t in peers] + [("curl -Z", self.curl_files(many))])
        add("push-1g", 3, f"push {fmt_size(big.size)} (one layer) from an OCI layout "
            "to a fresh registry", big.size,
            [(t, self.push(t, big, self.layouts["big"])) for t in peers + ["curl"]])
        add("push-50x4m", 3, "push 50 layers of 4 MiB from an OCI layout to a fresh registry",
            many.size, [(t, self.push(t, many, self.layouts["many"])) for t in peers])
        add("copy-1g", 4, f"copy {fmt_size(big.size)} (one layer) registry to registry",
            big.size, [(t, self.copy(t, big)) for t in peers])
        add("copy-50x4m", 4, "copy 50 layers of 4 MiB registry to registry", many.size,
            [(t, self.copy(t, many)) for t in peers])
        add("heads", 5, f"{self.args.heads} manifest HEADs from one client", 0,
            [(t, self.heads(t, many, self.args.heads)) for t in ["ocireg", "curl"]])
        add("ffi", 6, f"one {fmt_size(big.size)} blob through the C ABI and the Rust API",
            big.size, [(t, self.ffi(t, big)) for t in ["rust", "callback", "reader"]])
        if self.huge:
            add(f"pull-{self.huge.tag}", 7,
                f"ocireg pulling {fmt_size(self.huge.size)} (one layer): memory stays flat",
                self.huge.size, [("ocireg", self.pull("ocireg", self.huge))])

    def run(self):
        t_start = time.monotonic()
        for r in range(self.args.runs):
            for cid, _num, _title, nbytes, entries in self.cases:
                k = r % len(entries)
                for tool, fn in entries[k:] + entries[:k]:
                    m = fn()
                    self.results.setdefault(cid, {}).setdefault(tool, []).append(m)
                    rate = f"{nbytes / MiB / m['wall']:8.0f} MiB/s" if nbytes else " " * 14
                    log(f"[run {r + 1}/{self.args.runs}] {cid:<11} {tool:<8} "
                        f"{m['wall']:7.2f} s {rate}  user {m['user']:6.2f}  "
                        f"sys {m['sys']:6.2f}  rss {m['rss_kib'] / KiB:7.1f} MiB")
        return time.monotonic() - t_start

    def cleanup(self):
        for reg in list(self.registries):
            reg.stop()
        self.registries = []
        if self.work is not None and not self.args.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)
        if not self.args.keep_content:
            shutil.rmtree(BUILD / "content", ignore_errors=True)


# The bare monolithic upload of case 3: POST for a session, then one PUT of
# the file (streamed with -T; `--data-binary @file` would first read all of
# it into memory) with the digest. Arguments: host repo file digest.
CURL_UPLOAD = r"""
set -e
loc=$(curl -sS -f -X POST -D - -o /dev/null "http://$1/v2/$2/blobs/uploads/" \
      | tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
case "$loc" in /*) loc="http://$1$loc" ;; esac
case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
curl -sS -f -o /dev/null -H 'Content-Type: application/octet-stream' -H 'Expect:' \
     -T "$3" "$loc${sep}digest=$4"
"""


# ---------------------------------------------------------------- report

def med(ms, key):
    vals = [m[key] for m in ms if key in m]
    return statistics.median(vals) if vals else None


def summarize(results):
    out = {}
    for cid, tools in results.items():
        out[cid] = {}
        for tool, ms in tools.items():
            out[cid][tool] = {k: med(ms, k) for k in
                              ("wall", "user", "sys", "rss_kib", "inner_seconds")
                              if med(ms, k) is not None}
            out[cid][tool]["rss_kib_max"] = max(m["rss_kib"] for m in ms)
    return out


def targets(summary, args):
    """[(case, target, measured text, value, goal, met)]"""
    t = []

    def speed(cid, a, b):   # how many times faster a is than b (wall)
        s = summary.get(cid, {})
        if a in s and b in s:
            return s[b]["wall"] / s[a]["wall"]
        return None

    def add(case, text, value, goal, unit="x"):
        if value is None:
            return
        t.append({"case": case, "target": text, "value": round(value, 3),
                  "goal": goal, "met": value >= goal, "unit": unit})

    add(1, "pull 1 GiB: ≥ 4x skopeo", speed("pull-1g", "ocireg", "skopeo"), 4.0)
    add(1, "pull 1 GiB: ≥ 2x crane", speed("pull-1g", "ocireg", "crane"), 2.0)
    s = summary.get("pull-1g", {})
    if all(k in s for k in ("ocireg", "curl", "openssl")):
        limit = max(s["curl"]["wall"], s["openssl"]["wall"])
        add(1, "pull 1 GiB: ≥ 0.8x the limit min(curl, openssl)",
            limit / s["ocireg"]["wall"], 0.8)
    add(2, "pull 50x4 MiB: ≥ 3x skopeo", speed("pull-50x4m", "ocireg", "skopeo"), 3.0)
    add(2, "pull 50x4 MiB: ≥ 2x crane", speed("pull-50x4m", "ocireg", "crane"), 2.0)
    add(3, "push 1 GiB: ≥ 1x bare curl upload", speed("push-1g", "ocireg", "curl"), 1.0)
    s = summary.get("heads", {})
    if "ocireg" in s and "curl" in s:
        add(5, "HEADs: ≥ 0.8x curl's request rate", s["curl"]["wall"] / s["ocireg"]["wall"], 0.8)
    s = summary.get("ffi", {})
    for tool in ("callback", "reader"):
        if tool in s and "rust" in s:
            add(6, f"FFI {tool}: ≥ 0.95x the Rust API's throughput",
                s["rust"]["inner_seconds"] / s[tool]["inner_seconds"], 0.95)
    for cid in ("pull-1g", "pull-50x4m", "push-1g", "push-50x4m", "copy-1g", "copy-50x4m"):
        s = summary.get(cid, {})
        if "ocireg" in s and "skopeo" in s:
            add(7, f"{cid}: peak RSS ≤ skopeo's (skopeo ÷ ocireg)",
                s["skopeo"]["rss_kib"] / s["ocireg"]["rss_kib"], 1.0)
    huge = f"pull-{args.huge_gib:g}g"
    if huge in summary and "ocireg" in summary.get("pull-1g", {}):
        r1 = summary["pull-1g"]["ocireg"]["rss_kib_max"]
        r4 = summary[huge]["ocireg"]["rss_kib_max"]
        # Flat: the larger pull's worst peak within 10% of the 1 GiB pull's.
        add(7, f"RSS flat: {args.huge_gib:g} GiB pull ≤ 1.1x the 1 GiB pull's "
            "(1 GiB ÷ big, worst runs)", r1 / r4, 1 / 1.1)
    return t


def render_md(meta, cases, summary, tgts, results):
    L = []
    L.append("# ocireg benchmarks")
    L.append("")
    L.append(f"Produced by `make bench` (bench/run.py) on {meta['date']}: "
             f"{meta['runs']} run(s) per tool, medians shown; {meta['cpu']}, "
             f"{meta['nproc']} cores, {meta['mem_gib']} GiB RAM, {meta['kernel']}. "
             "Registries: loopback docker-registry (distribution 2.8.2), plain HTTP; "
             "a fresh empty one for every push and copy run.")
    L.append("")
    L.append("Tools: " + "; ".join(f"{k}: `{v}`" for k, v in meta["versions"].items()) + ".")
    L.append("")
    L.append("Wall time is the child process's, from spawn to exit; user and sys are "
             "its CPU seconds, CPU% = (user + sys) ÷ wall; peak RSS is ru_maxrss from "
             "wait4, taken by the small fork-and-wait wrapper bench/c/rusage.c so that "
             "Python's own memory does not count. \"vs ocireg\" is the tool's wall time ÷ "
             "ocireg's: 2.0 means ocireg took half the time.")
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| case | target | measured | met |")
    L.append("|---:|---|---:|:---:|")
    for t in tgts:
        L.append(f"| {t['case']} | {t['target']} | {t['value']:.2f}x "
                 f"| {'yes' if t['met'] else '**no**'} |")
    L.append("")
    met = sum(t["met"] for t in tgts)
    L.append(f"{met} of {len(tgts)} targets met.")
    L.append("")
    for cid, num, title, nbytes, entries in cases:
        s = summary.get(cid)
        if not s:
            continue
        L.append(f"## Case {num}: {title}")
        L.append("")
        base = "rust" if cid == "ffi" else "ocireg"
        rate_head = "req/s" if cid == "heads" else "MiB/s"
        L.append(f"| tool | wall s | {rate_head} | user s | sys s | CPU% | peak RSS MiB "
                 f"| vs {base} |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for tool, _ in entries:
            if tool not in s:
                continue
            m = s[tool]
            wall = m["wall"]
            if cid == "heads":
                rate = f"{meta['heads'] / wall:.0f}"
            else:
                rate = f"{nbytes / MiB / wall:.0f}"
            cpu = (m["user"] + m["sys"]) / wall * 100
            ratio = s[tool]["wall"] / s[base]["wall"] if base in s else None
            if cid == "ffi":
                ratio = s[tool]["inner_seconds"] / s[base]["inner_seconds"]
            L.append(f"| {tool} | {wall:.3f} | {rate} | {m['user']:.2f} | {m['sys']:.2f} "
                     f"| {cpu:.0f} | {m['rss_kib'] / KiB:.1f} "
                     f"| {'' if tool == base else f'{ratio:.2f}'} |")
        L.append("")
        if cid == "pull-1g" and all(k in s for k in ("curl", "openssl", "ocireg")):
            lim = max(s["curl"]["wall"], s["openssl"]["wall"])
            which = "curl" if s["curl"]["wall"] >= s["openssl"]["wall"] else "openssl"
            L.append(f"Limit = the slower of curl and openssl ({which}): "
                     f"{nbytes / MiB / lim:.0f} MiB/s; ocireg reaches "
                     f"{lim / s['ocireg']['wall']:.2f}x of it. Transport and hashing one "
                     f"after the other would take curl + openssl = "
                     f"{s['curl']['wall'] + s['openssl']['wall']:.3f} s.")
            L.append("")
        if cid == "heads":
            lines = []
            if "inner_seconds" in s.get("ocireg", {}):
                lines.append(f"heads.c's loop alone: {meta['heads'] / s['ocireg']['inner_seconds']:.0f} "
                             "req/s (without process start and client creation).")
            L.append(" ".join(lines))
            L.append("")
        if cid == "pull-50x4m" and "curl -Z" in s:
            L.append("`curl -Z` is a reference, not a peer: one curl fetching the 50 blobs "
                     "8 at a time into plain files, without hashing, fsync or a layout.")
            L.append("")
        if cid == "ffi":
            p1 = summary.get("pull-1g", {})
            if "curl" in p1 and "openssl" in p1 and "rust" in s:
                L.append(f"For scale: curl alone {p1['curl']['wall']:.3f} s, openssl alone "
                         f"{p1['openssl']['wall']:.3f} s, their sum "
                         f"{p1['curl']['wall'] + p1['openssl']['wall']:.3f} s; the Rust "
                         f"API's verified stream {s['rust']['inner_seconds']:.3f} s.")
                L.append("")
            L.append("Ratios use the transfer time the programs print (without process "
                     "start); `vs rust` = tool ÷ Rust, so 1.05 is 5% slower. Reader "
                     f"buffer: {meta['reader_buffer']} bytes.")
            L.append("")
    L.append("## Peak RSS (case 7)")
    L.append("")
    tools = ["ocireg", "skopeo", "crane", "curl", "curl -Z", "openssl", "rust", "callback",
             "reader"]
    L.append("| case | " + " | ".join(tools) + " |")
    L.append("|---|" + "---:|" * len(tools))
    for cid, *_ in cases:
        s = summary.get(cid, {})
        L.append(f"| {cid} | " + " | ".join(
            f"{s[t]['rss_kib'] / KiB:.1f}" if t in s else "" for t in tools) + " |")
    L.append("")
    L.append("MiB, medians. Raw runs: latest.json.")
    if meta.get("notes"):
        L.append("")
        L.append("## Notes")
        L.append("")
        for n in meta["notes"]:
            L.append(f"- {n}")
    L.append("")
    L.append(f"Measured in {meta['measure_seconds']:.0f} s "
             f"(suite total {meta['total_seconds']:.0f} s). "
             "Findings on missed targets: [findings.md](findings.md).")
    L.append("")
    return "\n".join(L)


def print_table(md):
    # The markdown is readable as is on a terminal.
    print(md)


def machine_facts():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * KiB
    except OSError:
        pass
    return {"cpu": cpu, "nproc": os.cpu_count(), "mem_gib": round(mem / GiB, 1),
            "kernel": f"Linux {platform.release()}"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and case (default 3)")
    ap.add_argument("--cases", default="1,2,3,4,5,6,7",
                    help="comma-separated case numbers to run (default all)")
    ap.add_argument("--huge-gib", type=float, default=4,
                    help="size of case 7's single layer in GiB (default 4; 0 skips it)")
    ap.add_argument("--heads", type=int, default=1000, help="HEAD requests in case 5")
    ap.add_argument("--reader-buffer", type=int, default=1 << 20,
                    help="buffer of the reader in case 6 (default 1 MiB)")
    ap.add_argument("--no-keep-content", dest="keep_content", action="store_false",
                    help="delete the generated layer files (build/bench/content) at the "
                         "end; by default they are kept and reused")
    ap.add_argument("--regenerate", action="store_true",
                    help="generate the layer files anew even when kept ones exist")
    ap.add_argument("--keep-work", action="store_true",
                    help="keep this run's temp dir (build/bench/run-*) for inspection")
    ap.add_argument("--results", type=Path, default=RESULTS,
                    help="where latest.md and latest.json go (default bench/results)")
    args = ap.parse_args()
    args.cases = {int(c) for c in args.cases.split(",") if c.strip()}
    if 7 in args.cases:
        args.cases.add(1)   # the flat-RSS comparison needs the 1 GiB pull

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    t_total = time.monotonic()
    versions = ensure_tools()
    bench = Bench(args)
    try:
        bench.setup()
        bench.define_cases()
        measure_seconds = bench.run()
    except BenchError as e:
        log(f"bench: {e}")
        bench.cleanup()
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        bench.cleanup()
        return 130
    bench.cleanup()

    summary = summarize(bench.results)
    tgts = targets(summary, args)
    meta = dict(machine_facts())
    meta.update({
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": args.runs, "versions": versions, "heads": args.heads,
        "reader_buffer": args.reader_buffer,
        "measure_seconds": measure_seconds,
        "total_seconds": time.monotonic() - t_total,
        "notes": [
            "skopeo runs with --preserve-digests (and --dest-oci-accept-uncompressed-layers "
            "for oci: destinations): without them it gzips the uncompressed layers, "
            "moving different bytes than the others.",
            "crane push reads the OCI layout directory directly (crane push PATH: a "
            "directory is read as an OCI image layout).",
            "The bare curl upload streams the file with `curl -T` (a PUT) after the POST; "
            "`--data-binary @file` would read the whole GiB into memory first. Both "
            "requests run in one `sh -c` child, so its CPU and RSS include both curls.",
            "Before each measured run the previous run's output is deleted and "
            "`sync` is called (not measured). ocireg pull fsyncs each blob before "
            "renaming it into place; skopeo and crane do not.",
        ],
    })
    cases = bench.cases
    md = render_md(meta, cases, summary, tgts, bench.results)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "latest.md").write_text(md)
    doc = {
        "meta": meta,
        "cases": [{"id": cid, "case": num, "title": title, "bytes": nbytes,
                   "tools": [t for t, _ in entries]}
                  for cid, num, title, nbytes, entries in cases],
        "summary": summary,
        "targets": tgts,
        "runs": bench.results,
    }
    (args.results / "latest.json").write_text(json.dumps(doc, indent=1) + "\n")
    print_table(md)
    log(f"wrote {args.results / 'latest.md'} and latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
