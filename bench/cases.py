"""What the benchmark suite measures: the content, the cases and their
targets. bench/harness.py runs them and writes the report.

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
     (bench/c/blob_stream.c) against the Rust API (bench/rust/bench_blob.rs)
  7  peak RSS of every run, and of ocireg pulling a 4 GiB image
  8  archives, both images: OCI layout -> oci-archive, that oci-archive ->
     a fresh registry (and case 3's bare curl upload of the 1 GiB layer,
     the registry's floor), and registry -> docker-archive (`ocireg copy`
     against `skopeo copy`)
"""

import hashlib
import json
import os
import time

from harness import (BENCH_BLOB, BLOB_STREAM, BUILD, CRANE, GiB, HEADS, MiB, OCIREG,
                     BenchError, Case, fmt_size, log, measure, run_quiet, settle)

LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
# The tools case 8 compares (crane has no archive transports of skopeo's kind).
ARCHIVERS = ["ocireg", "skopeo"]
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
ACCEPT = ", ".join([
    MANIFEST_TYPE,
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


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


class Cases:
    """The images (uploaded once to a content registry of `suite`, and
    pulled once into the OCI layouts that pushes start from) and the runs
    of every case."""

    def __init__(self, suite, args):
        self.suite = suite
        self.args = args

    # -- the runs (each returns a measurement)

    def pull(self, tool, image):
        def run():
            out = self.suite.out_dir(f"pull-{tool}")
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
            out = self.suite.out_dir("curl-files")
            out.mkdir()
            config = self.suite.work / f"curl-files-{image.name}.cfg"
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
            outfile = self.suite.work / "openssl.out"
            m = measure(["openssl", "dgst", "-sha256", path], stdout=outfile)
            if digest.split(":", 1)[1] not in outfile.read_text():
                raise BenchError("openssl dgst printed another digest")
            return m
        return run

    def into_fresh_registry(self, argv_for, check):
        """A run that sends to a fresh, empty registry `dst`: measures
        `argv_for(dst)`, then `check(dst)` checks what arrived."""
        def run():
            dst = self.suite.registry()
            try:
                m = measure(argv_for(dst))
                check(dst)
            finally:
                self.suite.drop_registry(dst)
                settle()
            return m
        return run

    def push(self, tool, image, layout):
        def argv_for(dst):
            ref = image.ref(dst.host)
            if tool == "curl":
                digest, _ = image.layers[0]
                path = self.layer_paths[image.name][0]
                return ["sh", "-c", CURL_UPLOAD, "curl-upload", dst.host, image.repo,
                        path, digest]
            return {
                "ocireg": [OCIREG, "--insecure-registry", dst.host, "push",
                           f"{layout}:{image.tag}", ref],
                "skopeo": ["skopeo", "copy", "-q", "--insecure-policy",
                           "--dest-tls-verify=false", "--preserve-digests",
                           f"oci:{layout}:{image.tag}", f"docker://{ref}"],
                "crane": [CRANE, "push", "--insecure", layout, ref],
            }[tool]
        check = check_blobs if tool == "curl" else check_pushed
        return self.into_fresh_registry(argv_for, lambda dst: check(dst, image))

    def copy(self, tool, image):
        def argv_for(dst):
            src_ref, dst_ref = image.ref(self.src.host), image.ref(dst.host)
            return {
                "ocireg": [OCIREG, "--insecure-registry", self.src.host,
                           "--insecure-registry", dst.host, "copy", src_ref, dst_ref],
                "skopeo": ["skopeo", "copy", "-q", "--insecure-policy", "--src-tls-verify=false",
                           "--dest-tls-verify=false", "--preserve-digests",
                           f"docker://{src_ref}", f"docker://{dst_ref}"],
                "crane": [CRANE, "copy", "--insecure", src_ref, dst_ref],
            }[tool]
        return self.into_fresh_registry(argv_for, lambda dst: check_pushed(dst, image))

    def to_archive(self, tool, image, source, transport):
        """A copy from `source` (a transport name) into a fresh tar file."""
        def run():
            out = self.suite.out_dir(f"{transport}-{tool}")
            out.mkdir(parents=True)
            target = f"{transport}:{out}/image.tar:{image.tag}"
            if transport == "docker-archive":
                target = f"{transport}:{out}/image.tar:{image.ref('example.com')}"
            # skopeo cannot keep an OCI manifest in a docker-archive
            # (--preserve-digests fails there: "need a Docker schema 2
            # manifest"); it converts it, moving the same layer bytes.
            keep = (["--dest-oci-accept-uncompressed-layers", "--preserve-digests"]
                    if transport == "oci-archive" else [])
            argv = {
                "ocireg": [OCIREG, "--insecure-registry", self.src.host, "copy", source, target],
                "skopeo": ["skopeo", "copy", "-q", "--insecure-policy", "--src-tls-verify=false",
                           *keep, source, target],
            }[tool]
            try:
                m = measure(argv)
                if not (out / "image.tar").stat().st_size >= image.size:
                    raise BenchError(f"{tool} wrote a short {transport}")
            finally:
                settle(out)
            return m
        return run

    def from_archive(self, tool, image, archive):
        """A copy from an oci-archive into a fresh registry."""
        def argv_for(dst):
            source, ref = f"oci-archive:{archive}:{image.tag}", image.ref(dst.host)
            return {
                "ocireg": [OCIREG, "--insecure-registry", dst.host, "copy", source,
                           f"docker://{ref}"],
                "skopeo": ["skopeo", "copy", "-q", "--insecure-policy",
                           "--dest-tls-verify=false", "--preserve-digests", source,
                           f"docker://{ref}"],
            }[tool]
        return self.into_fresh_registry(argv_for, lambda dst: check_pushed(dst, image))

    def heads(self, tool, image, count):
        def run():
            outfile = self.suite.work / f"heads-{tool}.out"
            if tool == "ocireg":
                m = measure([HEADS, self.src.host, image.ref(self.src.host), count],
                            stdout=outfile)
                n, secs = outfile.read_text().split()
                if int(n) != count:
                    raise BenchError(f"heads did {n} requests")
                m["inner_seconds"] = float(secs)
            else:
                config = self.suite.work / "heads-curl.cfg"
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
            outfile = self.suite.work / f"ffi-{tool}.out"
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


    # -- the suite

    def setup(self):
        work = self.suite.work
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
        self.src = self.suite.registry()
        log(f"content registry on {self.src.host}; uploading the images")
        t0 = time.monotonic()
        for image in self.images:
            upload_image(self.src, image, content, work)
        self.layer_paths = {img.name: [content.dir / n for n, _ in img.layer_files]
                            for img in self.images}
        log(f"content ready in {time.monotonic() - t0:.1f} s")
        # The OCI layouts pushes start from (made once, not measured).
        self.layouts = {}
        for image in (self.big, self.many):
            layout = work / f"layout-{image.name}"
            ocireg_cli(self.src.host, "pull", image.ref(self.src.host), f"{layout}:{image.tag}")
            check_layout(layout, image)
            self.layouts[image.name] = layout
        # The oci-archives case 8 pushes from (made once, not measured).
        self.archives = {}
        if 8 in self.args.cases:
            for image in (self.big, self.many):
                archive = work / f"archive-{image.name}.tar"
                ocireg_cli(self.src.host, "copy", f"oci:{self.layouts[image.name]}:{image.tag}",
                           f"oci-archive:{archive}:{image.tag}")
                self.archives[image.name] = archive

    def define(self):
        """The cases the arguments ask for, as harness.Case values."""
        cases = []
        big, many = self.big, self.many
        big_path = self.layer_paths["big"][0]
        peers = ["ocireg", "skopeo", "crane"]
        want = set(self.args.cases)

        def add(cid, num, title, nbytes, entries, **how):
            if num in want:
                cases.append(Case(cid, num, title, nbytes, entries, **how))

        add("pull-1g", 1, f"pull {fmt_size(big.size)} (one layer) into an OCI layout",
            big.size,
            [(t, self.pull(t, big)) for t in peers]
            + [("curl", self.limit_curl(big)),
               ("openssl", self.limit_openssl(big_path, big.layers[0][0]))],
            notes=pull_1g_notes)
        add("pull-50x4m", 2, "pull 50 layers of 4 MiB into an OCI layout", many.size,
            [(t, self.pull(t, many)) for t in peers] + [("curl -Z", self.curl_files(many))],
            notes=pull_50_notes)
        add("push-1g", 3, f"push {fmt_size(big.size)} (one layer) from an OCI layout "
            "to a fresh registry", big.size,
            [(t, self.push(t, big, self.layouts["big"])) for t in peers + ["curl"]])
        add("push-50x4m", 3, "push 50 layers of 4 MiB from an OCI layout to a fresh registry",
            many.size, [(t, self.push(t, many, self.layouts["many"])) for t in peers])
        add("copy-1g", 4, f"copy {fmt_size(big.size)} (one layer) registry to registry",
            big.size, [(t, self.copy(t, big)) for t in peers])
        add("copy-50x4m", 4, "copy 50 layers of 4 MiB registry to registry", many.size,
            [(t, self.copy(t, many)) for t in peers])
        for image in (big, many):
            layout = f"oci:{self.layouts[image.name]}:{image.tag}"
            registry = f"docker://{image.ref(self.src.host)}"
            add(f"oci-archive-{image.tag}", 8, f"copy {image.tag} from an OCI layout to an "
                "oci-archive", image.size,
                [(t, self.to_archive(t, image, layout, "oci-archive")) for t in ARCHIVERS])
            # The 1 GiB case also has case 3's bare curl upload of the layer:
            # the registry's ingest, the floor of any push to it.
            floor = [("curl", self.push("curl", image, None))] if image is big else []
            add(f"oci-archive-push-{image.tag}", 8, f"copy {image.tag} from an oci-archive to "
                "a fresh registry", image.size,
                [(t, self.from_archive(t, image, self.archives.get(image.name)))
                 for t in ARCHIVERS] + floor,
                **({"notes": archive_push_notes} if floor else {}))
            add(f"docker-archive-{image.tag}", 8, f"copy {image.tag} from a registry to a "
                "docker-archive", image.size,
                [(t, self.to_archive(t, image, registry, "docker-archive")) for t in ARCHIVERS])
        add("heads", 5, f"{self.args.heads} manifest HEADs from one client", 0,
            [(t, self.heads(t, many, self.args.heads)) for t in ["ocireg", "curl"]],
            rate="req/s", count=self.args.heads, notes=heads_notes)
        add("ffi", 6, f"one {fmt_size(big.size)} blob through the C ABI and the Rust API",
            big.size, [(t, self.ffi(t, big)) for t in ["rust", "callback", "reader"]],
            base="rust", by="inner_seconds", notes=ffi_notes)
        if self.huge:
            add(f"pull-{self.huge.tag}", 7,
                f"ocireg pulling {fmt_size(self.huge.size)} (one layer): memory stays flat",
                self.huge.size, [("ocireg", self.pull("ocireg", self.huge))])
        return cases


def pull_1g_notes(summary, meta):
    s = summary.get("pull-1g", {})
    if not all(k in s for k in ("curl", "openssl", "ocireg")):
        return []
    nbytes = GiB
    lim = max(s["curl"]["wall"], s["openssl"]["wall"])
    which = "curl" if s["curl"]["wall"] >= s["openssl"]["wall"] else "openssl"
    return [f"Limit = the slower of curl and openssl ({which}): "
            f"{nbytes / MiB / lim:.0f} MiB/s; ocireg reaches "
            f"{lim / s['ocireg']['wall']:.2f}x of it. Transport and hashing one "
            f"after the other would take curl + openssl = "
            f"{s['curl']['wall'] + s['openssl']['wall']:.3f} s."]


def heads_notes(summary, meta):
    s = summary.get("heads", {})
    if "inner_seconds" not in s.get("ocireg", {}):
        return []
    return [f"heads.c's loop alone: {meta['heads'] / s['ocireg']['inner_seconds']:.0f} "
            "req/s (without process start and client creation)."]


def pull_50_notes(summary, meta):
    if "curl -Z" not in summary.get("pull-50x4m", {}):
        return []
    return ["`curl -Z` is a reference, not a peer: one curl fetching the 50 blobs "
            "8 at a time into plain files, without hashing, fsync or a layout."]


def archive_push_notes(summary, meta):
    s = summary.get("oci-archive-push-1g", {})
    if not all(k in s for k in ("curl", "ocireg")):
        return []
    return ["`curl` is a reference, not a peer: case 3's bare upload of the "
            "layer file (POST, then one PUT), what the registry's ingest alone "
            f"costs; ocireg takes {s['ocireg']['wall'] / s['curl']['wall']:.2f}x "
            "its time for the whole copy."]


def ffi_notes(summary, meta):
    s, p1 = summary.get("ffi", {}), summary.get("pull-1g", {})
    out = []
    if "curl" in p1 and "openssl" in p1 and "rust" in s:
        out.append(f"For scale: curl alone {p1['curl']['wall']:.3f} s, openssl alone "
                   f"{p1['openssl']['wall']:.3f} s, their sum "
                   f"{p1['curl']['wall'] + p1['openssl']['wall']:.3f} s; the Rust "
                   f"API's verified stream {s['rust']['inner_seconds']:.3f} s.")
    out.append("Ratios use the transfer time the programs print (without process "
               "start); `vs rust` = tool ÷ Rust, so 1.05 is 5% slower. Reader "
               f"buffer: {meta['reader_buffer']} bytes.")
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
    for tag in ("1g", "50x4m"):
        for cid in (f"oci-archive-{tag}", f"oci-archive-push-{tag}", f"docker-archive-{tag}"):
            add(8, f"{cid}: ≥ 2x skopeo", speed(cid, "ocireg", "skopeo"), 2.0)
    huge = f"pull-{args.huge_gib:g}g"
    if huge in summary and "ocireg" in summary.get("pull-1g", {}):
        r1 = summary["pull-1g"]["ocireg"]["rss_kib_max"]
        r4 = summary[huge]["ocireg"]["rss_kib_max"]
        # Flat: the larger pull's worst peak within 10% of the 1 GiB pull's.
        add(7, f"RSS flat: {args.huge_gib:g} GiB pull ≤ 1.1x the 1 GiB pull's "
            "(1 GiB ÷ big, worst runs)", r1 / r4, 1 / 1.1)
    return t


# How the peers were run; the report lists these under "Notes".
NOTES = [
    "skopeo runs with --preserve-digests (and --dest-oci-accept-uncompressed-layers "
    "for oci: destinations): without them it gzips the uncompressed layers, "
    "moving different bytes than the others. Into a docker-archive (case 8) it "
    "runs without them: it cannot keep an OCI manifest there and converts it to "
    "Docker schema 2, writing the same uncompressed layer bytes.",
    "crane push reads the OCI layout directory directly (crane push PATH: a "
    "directory is read as an OCI image layout).",
    "The bare curl upload streams the file with `curl -T` (a PUT) after the POST; "
    "`--data-binary @file` would read the whole GiB into memory first. Both "
    "requests run in one `sh -c` child, so its CPU and RSS include both curls.",
    "Before each measured run the previous run's output is deleted and "
    "`sync` is called (not measured). ocireg pull fsyncs each blob before "
    "renaming it into place; skopeo and crane do not.",
]
