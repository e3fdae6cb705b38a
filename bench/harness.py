"""The measuring harness of the benchmark suite (bench/run.py): where the
tools are, the registries (started by the project's one launcher), one
measured child process, the run loop, and the report. What is measured
lives in bench/cases.py.

Every measured run is one child process (forked by the small wrapper
build/bench/bin/rusage, from bench/c/rusage.c, so that ru_maxrss is the
tool's own and not Python's): wall time, user and system CPU and peak RSS
(ru_maxrss from wait4: that child's and the children it waited for).
Each case runs --runs times, the tools in a rotated order each round; the
tables give medians and ratios against the peers of the same case.
"""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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
BENCH_BLOB = BUILD / "bin" / "bench_blob"
CRANE = REPO / "build" / "tools" / "crane"
CRANE_VERSION = "v0.22.1"
# The registry launcher's default (tests/harness/test_registry.rs, `make harness`).
HARNESS = REPO / "target" / "debug" / "examples" / "test_registry"


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


def ensure_tools(launcher):
    """Installs what is missing; returns the tools' versions."""
    for cmd, pkg in [("skopeo", "skopeo"), ("curl", "curl"), ("openssl", "openssl")]:
        if shutil.which(cmd) is None:
            apt_install(pkg)
    if shutil.which("docker-registry") is None:
        apt_install("docker-registry")
    if not CRANE.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        log(f"installing crane {CRANE_VERSION} into {CRANE.parent}")
        CRANE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "install",
                        f"github.com/google/go-containerregistry/cmd/crane@{CRANE_VERSION}"],
                       check=True, env=dict(os.environ, GOBIN=str(CRANE.parent)))
    for prog, how in [(OCIREG, "make cli"), (HEADS, "make bench-progs"),
                      (BLOB_STREAM, "make bench-progs"), (RUSAGE, "make bench-progs"),
                      (BENCH_BLOB, "make bench-progs"), (launcher, "make harness")]:
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
        "registry": first_line(["docker-registry", "--version"]).split()[-1],
    }



# ---------------------------------------------------------------- registries

class Registry:
    """A plain-HTTP registry on 127.0.0.1 from the project's one launcher
    (`test_registry --serve --bench`: quiet logs, blob descriptors cached in
    memory; with tuning=None, `--serve`: an access-log line per request in
    `log_file`), its files under `parent`; `stop()` ends it and removes them."""

    def __init__(self, launcher, parent, tuning="--bench"):
        self.errors = tempfile.TemporaryFile(dir=parent)
        argv = [str(launcher), "--serve"] + ([tuning] if tuning else [])
        self.proc = subprocess.Popen(argv,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors, env=dict(os.environ, TMPDIR=str(parent)))
        line = self.proc.stdout.readline().decode().split()
        if len(line) != 3:
            self.stop()
            self.errors.seek(0)
            tail = self.errors.read().decode(errors="replace")[-2000:]
            raise BenchError(f"{launcher} --serve started no registry:\n{tail}")
        self.host, self.storage, self.log_file = line

    def stop(self):
        """Closing the launcher's stdin stops the registry and deletes its files."""
        if self.proc is not None:
            self.proc.stdin.close()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
            self.errors.close()

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


# ---------------------------------------------------------------- measuring

def measure(argv, stdout=None, env=None):
    """Runs `argv` as one measured child (through build/bench/bin/rusage,
    see below) in `env` (default: ours); returns its wall time, user and
    system CPU seconds and peak RSS. `stdout` (a path) receives the child's
    standard output.

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
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
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



def settle(*paths):
    for p in paths:
        if p is not None:
            shutil.rmtree(p, ignore_errors=True)
    os.sync()



@dataclass
class Case:
    """One measured case: `entries` are (tool, run) pairs, each run returning
    one measurement (see `measure`). The report compares every tool with
    `base` by `by` (`wall`, or `inner_seconds`, the time the program itself
    printed); `rate` is the unit of the rate column; `notes(summary, meta)`
    gives the case's paragraphs under its table. A case that moves no bytes
    (`nbytes` 0) does `count` requests a run, and its rate is per second."""
    cid: str
    num: int
    title: str
    nbytes: int
    entries: list
    base: str = "ocireg"
    rate: str = "MiB/s"
    by: str = "wall"
    count: int = 0
    notes: Callable = field(default=lambda summary, meta: [])


class Suite:
    """The run's work directory, the registries it started, and the loop
    that runs every case's tools `runs` times in a rotated order."""

    def __init__(self, keep_work, launcher):
        BUILD.mkdir(parents=True, exist_ok=True)
        self.launcher = launcher
        self.work = Path(tempfile.mkdtemp(prefix="run-", dir=BUILD))
        self.keep_work = keep_work
        self.registries = []
        self.results = {}     # case -> tool -> [measurement]
        self.counter = 0

    def out_dir(self, label):
        self.counter += 1
        return self.work / f"out-{self.counter}-{label}"

    def registry(self):
        reg = Registry(self.launcher, self.work)
        self.registries.append(reg)
        return reg

    def drop_registry(self, reg):
        reg.stop()
        self.registries.remove(reg)

    def run(self, cases, runs):
        t_start = time.monotonic()
        for r in range(runs):
            for case in cases:
                k = r % len(case.entries)
                for tool, fn in case.entries[k:] + case.entries[:k]:
                    m = fn()
                    self.results.setdefault(case.cid, {}).setdefault(tool, []).append(m)
                    rate = (f"{case.nbytes / MiB / m['wall']:8.0f} MiB/s" if case.nbytes
                            else " " * 14)
                    log(f"[run {r + 1}/{runs}] {case.cid:<11} {tool:<8} "
                        f"{m['wall']:7.2f} s {rate}  user {m['user']:6.2f}  "
                        f"sys {m['sys']:6.2f}  rss {m['rss_kib'] / KiB:7.1f} MiB")
        return time.monotonic() - t_start

    def cleanup(self):
        for reg in list(self.registries):
            reg.stop()
        self.registries = []
        if not self.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)


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



def render_md(meta, cases, summary, tgts):
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
    for case in cases:
        cid, nbytes = case.cid, case.nbytes
        s = summary.get(cid)
        if not s:
            continue
        L.append(f"## Case {case.num}: {case.title}")
        L.append("")
        base = case.base
        L.append(f"| tool | wall s | {case.rate} | user s | sys s | CPU% | peak RSS MiB "
                 f"| vs {base} |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for tool, _ in case.entries:
            if tool not in s:
                continue
            m = s[tool]
            wall = m["wall"]
            rate = f"{(nbytes / MiB if nbytes else case.count) / wall:.0f}"
            cpu = (m["user"] + m["sys"]) / wall * 100
            ratio = s[tool][case.by] / s[base][case.by] if base in s else None
            L.append(f"| {tool} | {wall:.3f} | {rate} | {m['user']:.2f} | {m['sys']:.2f} "
                     f"| {cpu:.0f} | {m['rss_kib'] / KiB:.1f} "
                     f"| {'' if tool == base or ratio is None else f'{ratio:.2f}'} |")
        L.append("")
        for paragraph in case.notes(summary, meta):
            L.append(paragraph)
            L.append("")
    L.append("## Peak RSS (case 7)")
    L.append("")
    tools = ["ocireg", "skopeo", "crane", "curl", "curl -Z", "openssl", "rust", "callback",
             "reader"]
    L.append("| case | " + " | ".join(tools) + " |")
    L.append("|---|" + "---:|" * len(tools))
    for cid in (case.cid for case in cases):
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



def write_report(directory, meta, cases, summary, tgts, results):
    """bench/results/latest.md and latest.json; prints the markdown."""
    md = render_md(meta, cases, summary, tgts)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "latest.md").write_text(md)
    doc = {
        "meta": meta,
        "cases": [{"id": c.cid, "case": c.num, "title": c.title, "bytes": c.nbytes,
                   "tools": [t for t, _ in c.entries]}
                  for c in cases],
        "summary": summary,
        "targets": tgts,
        "runs": results,
    }
    (directory / "latest.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(md)   # the markdown is readable as is on a terminal
    log(f"wrote {directory / 'latest.md'} and latest.json")
