#!/usr/bin/env python3
"""ocireg and its peers over a simulated WAN (issue 16), run by
`make bench-wan` and by `make bench`: Toxiproxy (`toxiproxy-server` from
`make peers`, on 127.0.0.1) in front of loopback registries adds latency
each way and, in one case, a per-connection bandwidth cap like a CDN's.
Every figure is a median of --runs runs with the peers in the same run,
reported as a ratio against ocireg (2.0: ocireg took half the time).

Cases
  W1  pull the small image (5 layers of 2-30 MiB), 25 ms each way
  W2  pull the small image, 75 ms each way
  W3  pull 50 layers of 4 MiB, 75 ms each way
  W4  pull one 1 GiB layer, 25 ms each way and 200 Mbit/s per connection
  W5  copy the small image between two registries, each behind its own
      proxy, 75 ms each way
  W6  list the tags of a repository with 2,000 tags, 75 ms each way
  W7  ocireg only: the W4 pull killed (SIGKILL) once 90% of the layer is
      on disk, then run again: the bytes the registry sent the rerun (its
      access log), as a fraction of the layer

W1 and W2 carry a reference row, "floor": curl fetching the manifest and
then every blob it names at once (`curl -Z`) into files, nothing verified
or placed: the two dependent round trips a pull cannot avoid, and the
transfer, with no client logic.
Python 3 standard library only.
"""

import argparse
import datetime
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cases import Content, Image, check_layout, check_pushed, ocireg_cli, upload_image
from harness import (BUILD, GiB, HARNESS, OCIREG, RESULTS, BenchError, MiB, Registry, ensure_tools,
                     log, measure, settle)
from request_counts import SMALL_LAYERS
from tools import TOOLS, Tools, peer, peer_versions

MANY_LAYERS = [(f"layer-4m-{i:02d}.bin", 4 * MiB) for i in range(50)]
BIG_LAYERS = [("layer-1g.bin", GiB)]
TAG_COUNT = 2000
CAP_KBPS = 25_000  # 200 Mbit/s in toxiproxy's KB/s
FLOOR = "floor"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Toxiproxy:
    """toxiproxy-server on 127.0.0.1, driven through its HTTP API."""

    def __init__(self, parent):
        self.port = free_port()
        self.errors = tempfile.TemporaryFile(dir=parent)
        self.proc = subprocess.Popen([peer("toxiproxy-server"), "-host", "127.0.0.1",
                                      "-port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=self.errors)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.api("GET", "/version")
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise BenchError("toxiproxy-server did not start")
                time.sleep(0.05)

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text.strip().startswith(b"{") else text

    def proxy(self, name, upstream, latency_ms, kbps=None):
        """A proxy to `upstream` with `latency_ms` each way (and a bandwidth
        cap per connection, each way); its listen address."""
        listen = f"127.0.0.1:{free_port()}"
        self.api("POST", "/proxies", {"name": name, "listen": listen, "upstream": upstream,
                                      "enabled": True})
        for stream in ("upstream", "downstream"):
            self.api("POST", f"/proxies/{name}/toxics",
                     {"name": f"latency-{stream}", "type": "latency", "stream": stream,
                      "attributes": {"latency": latency_ms, "jitter": 0}})
            if kbps:
                self.api("POST", f"/proxies/{name}/toxics",
                         {"name": f"cap-{stream}", "type": "bandwidth", "stream": stream,
                          "attributes": {"rate": kbps}})
        return listen

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.errors.close()


def sent_bytes(log_file, offset):
    """Body bytes of the blob GETs in a distribution access log after
    `offset` (the size field of each `"GET .../blobs/..." STATUS SIZE` line)."""
    total = 0
    with open(log_file, "rb") as f:
        f.seek(offset)
        for line in f.read().decode(errors="replace").splitlines():
            parts = line.split('"')
            if len(parts) < 3 or "/blobs/sha256:" not in parts[1] or not parts[1].startswith("GET"):
                continue
            fields = parts[2].split()
            if len(fields) >= 2 and fields[1].isdigit():
                total += int(fields[1])
    return total


def kill_and_resume(args, work, toxi, content, big, fraction=0.9):
    """W7: the pull of `big` through a capped proxy, killed once `fraction`
    of its layer is on disk, then run again. Returns the figures."""
    reg = Registry(args.harness, work, tuning=None)
    try:
        upload_image(reg, big, content, work)
        via = toxi.proxy("w7", reg.host, 25, CAP_KBPS)
        out = work / "out-W7"
        digest, size = big.layers[0]
        partial_dir = out / "blobs" / "sha256"
        argv = [str(OCIREG), "--insecure-registry", via, "pull", big.ref(via), str(out)]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        on_disk = 0
        while proc.poll() is None and on_disk < fraction * size:
            time.sleep(0.02)
            on_disk = max((p.stat().st_size for p in partial_dir.glob(".tmp-*")), default=0)
        first_wall = time.monotonic() - t0
        proc.kill()
        proc.wait()
        if proc.returncode == 0:
            raise BenchError("W7: the pull ended before the kill")
        kept = max((p.stat().st_size for p in partial_dir.glob(".tmp-*")), default=0)
        time.sleep(1)  # the registry logs a request when its handler returns
        offset = os.path.getsize(reg.log_file)
        m = measured(argv, None, lambda: check_layout(out, big))
        time.sleep(0.5)
        sent = sent_bytes(reg.log_file, offset)
        h = hashlib.sha256()
        with open(partial_dir / digest.split(":", 1)[1], "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        if "sha256:" + h.hexdigest() != digest:
            raise BenchError("W7: the resumed layer does not match its digest")
        shutil.rmtree(out, ignore_errors=True)
        log(f"W7: killed after {first_wall:.1f} s with {kept / size:.1%} on disk; the rerun "
            f"got {sent} bytes ({sent / size:.1%}) in {m['wall']:.2f} s")
        return {"kept": kept, "size": size, "rerun_bytes": sent, "rerun": m,
                "killed_after_s": first_wall}
    finally:
        reg.stop()


def floor_pull(image, host, out):
    """The floor row's command: curl GETs the manifest of `image` on the
    plain-HTTP `host`, then every digest it names (the config and the
    layers) at once with `curl -Z`, into files in `out`."""
    base = f"http://{host}/v2/{image.repo}"
    accept = ("application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.docker.distribution.manifest.v2+json")
    script = (
        f"set -e; mkdir -p '{out}'; "
        f"m=$(curl -sf -H 'Accept: {accept}' '{base}/manifests/{image.tag}'); "
        f"printf '%s' \"$m\" > '{out}/manifest'; "
        "for d in $(printf '%s' \"$m\" | grep -o 'sha256:[0-9a-f]\\{64\\}' | sort -u); do "
        f"printf 'url = \"{base}/blobs/%s\"\\noutput = \"{out}/%s\"\\n' \"$d\" \"${{d#sha256:}}\"; "
        "done | curl -sf -Z --parallel-immediate --parallel-max 16 -K -"
    )
    return ["bash", "-c", script]


def check_floor(out, image):
    for digest, size in image.layers:
        blob = out / digest.split(":", 1)[1]
        if not blob.exists() or blob.stat().st_size != size:
            raise BenchError(f"floor: {out}: blob {digest} missing or of the wrong size")


def measured(argv, env, check=None):
    m = measure([str(a) for a in argv], env=env)
    if check:
        check()
    settle()
    return m


def run_cases(args, work):
    content = Content(BUILD / "content", regenerate=False)
    tools = Tools(work / "home")
    (work / "home").mkdir()
    env = tools.env()
    toxi = Toxiproxy(work)
    regs = []
    try:
        src = Registry(args.harness, work)
        regs.append(src)
        small = Image("small", "bench/small", "latest", SMALL_LAYERS)
        many = Image("many", "bench/many", "50x4m", MANY_LAYERS)
        big = Image("big", "bench/big", "1g", BIG_LAYERS)
        wanted = args.cases
        for image, case in ((small, "W1"), (many, "W3"), (big, "W4")):
            if case == "W4" and "W7" in wanted and "W4" not in wanted:
                continue
            if case in wanted or (image is small and wanted & {"W2", "W5"}):
                log(f"wan: uploading {image.name}")
                upload_image(src, image, content, work)
        if "W6" in wanted:
            log(f"wan: tagging {TAG_COUNT} tags")
            tagged = Image("tagged", "bench/tagged", "t0000", SMALL_LAYERS[:1])
            upload_image(src, tagged, content, work)
            for i in range(1, TAG_COUNT):
                ocireg_cli(src.host, "tag", tagged.ref(src.host), f"t{i:04d}")
        via = {
            "W1": toxi.proxy("w1", src.host, 25),
            "W2": toxi.proxy("w2", src.host, 75),
            "W3": toxi.proxy("w3", src.host, 75),
            "W4": toxi.proxy("w4", src.host, 25, CAP_KBPS),
            "W5": toxi.proxy("w5", src.host, 75),
            "W6": toxi.proxy("w6", src.host, 75),
        }
        for host in via.values():
            tools.regctl_plain(host)
        titles = {
            "W1": ("pull the small image (5 layers, 67 MiB), 25 ms each way", small),
            "W2": ("pull the small image, 75 ms each way", small),
            "W3": ("pull 50 layers of 4 MiB, 75 ms each way", many),
            "W4": ("pull one 1 GiB layer, 25 ms each way, 200 Mbit/s per connection", big),
        }
        results = {}
        if "W7" in wanted:
            results["W7"] = kill_and_resume(args, work, toxi, content, big)
        for r in range(args.runs):
            for cid in sorted(wanted - {"W7"}):
                order = TOOLS[r % len(TOOLS):] + TOOLS[:r % len(TOOLS)]
                if cid in ("W1", "W2"):
                    image = titles[cid][1]
                    out = work / f"out-{cid}-floor"
                    m = measured(floor_pull(image, via[cid], out), env,
                                 lambda: check_floor(out, image))
                    shutil.rmtree(out, ignore_errors=True)
                    results.setdefault(cid, {}).setdefault(FLOOR, []).append(m)
                    log(f"[run {r + 1}/{args.runs}] {cid} {FLOOR:<7} {m['wall']:7.2f} s")
                for tool in order:
                    if cid in titles:
                        image = titles[cid][1]
                        out = work / f"out-{cid}-{tool}"
                        m = measured(tools.pull(tool, image.ref(via[cid]), out), env,
                                     lambda: check_layout(out, image))
                        shutil.rmtree(out, ignore_errors=True)
                    elif cid == "W5":
                        dst = Registry(args.harness, work)
                        regs.append(dst)
                        dst_via = toxi.proxy(f"w5-{r}-{tool}", dst.host, 75)
                        tools.regctl_plain(dst_via)
                        m = measured(tools.copy(tool, small.ref(via["W5"]), small.ref(dst_via)),
                                     env, lambda: check_pushed(dst, small))
                        dst.stop()
                        regs.remove(dst)
                    else:
                        m = measured(tools.tags(tool, f"{via['W6']}/bench/tagged"), env)
                    results.setdefault(cid, {}).setdefault(tool, []).append(m)
                    log(f"[run {r + 1}/{args.runs}] {cid} {tool:<7} {m['wall']:7.2f} s "
                        f"user {m['user']:6.2f} sys {m['sys']:6.2f}")
        titles = {k: v[0] for k, v in titles.items()}
        titles["W5"] = "copy the small image between two registries behind proxies, 75 ms"
        titles["W6"] = f"list {TAG_COUNT} tags, 75 ms each way"
        return results, titles
    finally:
        for reg in regs:
            reg.stop()
        toxi.stop()


def render(results, titles, versions, runs):
    L = ["# ocireg over a simulated WAN", ""]
    L.append(f"Produced by `make bench-wan` (bench/wan.py) on "
             f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}: "
             f"{runs} run(s) per tool, medians; Toxiproxy in front of loopback "
             "docker-registry (distribution 2.8.2), plain HTTP. \"vs ocireg\" is the tool's "
             "wall time divided by ocireg's (2.0: ocireg took half the time); CPU is user + "
             "sys seconds. \"floor\" (W1, W2) is curl fetching the manifest, then every "
             "blob at once (`curl -Z`), nothing verified: the round trips and transfer no "
             "client avoids.")
    L.append("")
    L.append("Tools: " + "; ".join(f"{k}: `{v}`" for k, v in versions.items()) + ".")
    L.append("")
    L.append("| case | what | tool | wall s | vs ocireg | CPU s |")
    L.append("|---|---|---|---:|---:|---:|")
    resumed = results.pop("W7", None)
    for cid in sorted(results):
        by_tool = results[cid]
        base = statistics.median(m["wall"] for m in by_tool["ocireg"])
        for tool in TOOLS + [FLOOR]:
            ms = by_tool.get(tool)
            if not ms:
                continue
            wall = statistics.median(m["wall"] for m in ms)
            cpu = statistics.median(m["user"] + m["sys"] for m in ms)
            L.append(f"| {cid} | {titles[cid]} | {tool} | {wall:.2f} | {wall / base:.2f}x "
                     f"| {cpu:.2f} |")
    L.append("")
    if resumed:
        r = resumed
        L.append("W7: the W4 pull (ocireg, `--ranged auto`) killed with SIGKILL once "
                 f"{r['kept'] / r['size']:.1%} of the layer was on disk "
                 f"({r['killed_after_s']:.1f} s in), then run again: the registry sent the rerun "
                 f"{r['rerun_bytes']:,} bytes, **{r['rerun_bytes'] / r['size']:.1%} of the "
                 f"layer**, in {r['rerun']['wall']:.2f} s (counted from the registry's access "
                 "log; the resumed layer checked against its digest).")
        L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and case (default 3)")
    ap.add_argument("--cases", default="W1,W2,W3,W4,W5,W6,W7",
                    help="comma-separated cases (default all)")
    ap.add_argument("--harness", type=Path, default=HARNESS,
                    help="the registry launcher (default: the one `make harness` builds)")
    ap.add_argument("--results", type=Path, default=RESULTS,
                    help="where wan.md and wan.json go (default bench/results)")
    args = ap.parse_args()
    args.cases = {c.strip() for c in args.cases.split(",") if c.strip()}
    args.harness = args.harness.resolve()
    versions = ensure_tools(args.harness)
    versions.update(peer_versions())
    BUILD.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wan-", dir=BUILD))
    try:
        results, titles = run_cases(args, work)
    except BenchError as e:
        log(f"bench-wan: {e}")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "wan.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.results / "wan.md").write_text(render(results, titles, versions, args.runs) + "\n")
    log(f"bench-wan: wrote {args.results / 'wan.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
