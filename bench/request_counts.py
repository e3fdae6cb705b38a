#!/usr/bin/env python3
"""Requests per operation (issue 16), run by `make bench-requests` and by
`make bench`: how many HTTP requests of each kind ocireg and its peers send
for one pull, push, copy, digest and tag listing of the same image, counted
from the registries' own access logs. Counts are deterministic, so one run
of each tool is enough and the machine's load does not matter.

Every request is a round trip, and over a WAN each costs the link's latency:
these tables say which tool spends how many, and on what. Registries:
loopback docker-registry (distribution 2.8.2), plain HTTP, no auth (token
fetches are not counted here: they happen at a token server, not the
registry). Peers: skopeo, crane, regctl and oras (each where it has the
operation). Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cases import Content, Image, check_layout, check_pushed, ocireg_cli, upload_image
from harness import BUILD, HARNESS, RESULTS, BenchError, MiB, Registry, ensure_tools, log
from tools import TOOLS, Tools, peer_versions

# The small realistic image of issue 16: five layers of 2-30 MiB.
SMALL_LAYERS = [("small-2m", 2 * MiB), ("small-5m", 5 * MiB), ("small-10m", 10 * MiB),
                ("small-20m", 20 * MiB), ("small-30m", 30 * MiB)]
TAGS = 120  # tags in the repository that `tags` lists (more than one page of 100)

KINDS = ["ping", "manifest HEAD", "manifest GET", "manifest PUT", "blob HEAD", "blob GET",
         "upload POST", "upload PATCH", "upload PUT", "tags list", "other"]


def kind_of(method, uri):
    """The kind of one access-log request."""
    path = uri.split("?", 1)[0]
    if path in ("/v2/", "/v2"):
        return "ping"
    if "/blobs/uploads/" in path or path.endswith("/blobs/uploads"):
        return f"upload {method}" if method in ("POST", "PATCH", "PUT") else "other"
    if "/manifests/" in path:
        return f"manifest {method}" if method in ("HEAD", "GET", "PUT") else "other"
    if "/blobs/" in path:
        return f"blob {method}" if method in ("HEAD", "GET") else "other"
    if path.endswith("/tags/list"):
        return "tags list"
    return "other"


def parse_access_line(line):
    """(method, uri) of a distribution access-log line, or None."""
    if line.startswith("time="):
        return None
    parts = line.split('"')
    if len(parts) < 6 or not parts[0].endswith("] "):
        return None
    request = parts[1].split(" ")
    if len(request) < 2:
        return None
    return request[0], request[1]


class Counted:
    """A registry whose access log is read from a remembered offset: the
    requests since `mark()`."""

    def __init__(self, reg):
        self.reg = reg
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.reg.log_file)

    def since_mark(self):
        # distribution writes the access-log line when its handler returns,
        # which can be just after the client has read the last byte.
        time.sleep(0.3)
        with open(self.reg.log_file, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        counts = dict.fromkeys(KINDS, 0)
        for line in text.splitlines():
            parsed = parse_access_line(line)
            if parsed:
                counts[kind_of(*parsed)] += 1
        return counts




def run_counted(counted, argv, env, expect_out=None):
    """Runs argv; the request counts it caused at `counted` (one registry or
    a list of them, summed)."""
    regs = counted if isinstance(counted, list) else [counted]
    for c in regs:
        c.mark()
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(map(str, argv))} failed ({proc.returncode}):\n"
                         f"{proc.stderr[-2000:]}")
    if expect_out is not None and expect_out not in proc.stdout:
        raise BenchError(f"{argv[0]}: expected {expect_out!r} in its output, got "
                         f"{proc.stdout[:300]!r}")
    total = dict.fromkeys(KINDS, 0)
    for c in regs:
        for k, v in c.since_mark().items():
            total[k] += v
    return total


def measure_all(launcher, work, content):
    tools = Tools(work / "home")
    (work / "home").mkdir()
    src = Counted(Registry(launcher, work, tuning=None))
    registries = [src]
    try:
        image = Image("small", "bench/small", "latest", SMALL_LAYERS)
        upload_image(src.reg, image, content, work)
        for i in range(TAGS):
            ocireg_cli(src.reg.host, "tag", image.ref(src.reg.host), f"t{i:04d}")
        layout = work / "layout"
        ocireg_cli(src.reg.host, "pull", image.ref(src.reg.host), str(layout))
        tools.regctl_plain(src.reg.host)
        results = {}  # operation -> tool -> counts
        env = tools.env()
        ref = image.ref(src.reg.host)
        for tool in TOOLS:
            log(f"requests: {tool}")
            out = work / f"pull-{tool}"
            results.setdefault("pull", {})[tool] = run_counted(
                src, tools.pull(tool, ref, out), env)
            check_layout(out, image)
            shutil.rmtree(out)
            results.setdefault("digest", {})[tool] = run_counted(
                src, tools.digest(tool, ref), env, expect_out=image.manifest_digest)
            results.setdefault("tags", {})[tool] = run_counted(
                src, tools.tags(tool, f"{src.reg.host}/{image.repo}"), env,
                expect_out=f"t{TAGS - 1:04d}")
            for op in ("push", "copy"):
                dst = Counted(Registry(launcher, work, tuning=None))
                registries.append(dst)
                tools.regctl_plain(dst.reg.host)
                dst_ref = image.ref(dst.reg.host)
                if op == "push":
                    argv = tools.push(tool, layout, dst_ref)
                    counted = dst
                else:
                    argv = tools.copy(tool, ref, dst_ref)
                    counted = [src, dst]
                results.setdefault(op, {})[tool] = run_counted(counted, argv, env)
                check_pushed(dst.reg, image)
                dst.reg.stop()
                registries.remove(dst)
        return results
    finally:
        for c in registries:
            c.reg.stop()


def render(results, versions):
    L = ["# Requests per operation", ""]
    L.append(f"Produced by `make bench-requests` (bench/request_counts.py) on "
             f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. "
             "Counted from the access logs of loopback docker-registry (distribution 2.8.2), "
             "plain HTTP, no auth. Image: 5 layers of 2, 5, 10, 20 and 30 MiB; the "
             f"repository has {TAGS + 1} tags. Copy counts both registries' requests. "
             "Every count is deterministic for a given version of each tool.")
    L.append("")
    L.append("Tools: " + "; ".join(f"{k}: `{v}`" for k, v in versions.items()) + ".")
    L.append("")
    for op in ("pull", "push", "copy", "digest", "tags"):
        by_tool = results[op]
        used = [k for k in KINDS if any(c[k] for c in by_tool.values())]
        L.append(f"## {op}")
        L.append("")
        L.append("| tool | total | " + " | ".join(used) + " |")
        L.append("|---|---:|" + "---:|" * len(used))
        for tool in TOOLS:
            c = by_tool[tool]
            L.append(f"| {tool} | {sum(c.values())} | " + " | ".join(str(c[k]) for k in used)
                     + " |")
        L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--harness", type=Path, default=HARNESS,
                    help="the registry launcher (default: the one `make harness` builds)")
    ap.add_argument("--results", type=Path, default=RESULTS,
                    help="where requests.md and requests.json go (default bench/results)")
    args = ap.parse_args()
    versions = ensure_tools(args.harness)
    versions.update(peer_versions())
    BUILD.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="requests-", dir=BUILD))
    try:
        content = Content(BUILD / "content", regenerate=False)
        results = measure_all(args.harness.resolve(), work, content)
    except BenchError as e:
        log(f"bench-requests: {e}")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "requests.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.results / "requests.md").write_text(render(results, versions) + "\n")
    log(f"bench-requests: wrote {args.results / 'requests.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
