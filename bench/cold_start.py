"""Cold start (issue 16): one `digest` of a tag on the token-auth registry,
process start to exit, for ocireg (without and with its token cache file)
and its peers regctl and skopeo, and an anonymous `digest` on the plain
registry for ocireg, crane, regctl and skopeo, run interleaved.

Run it through the harness, which starts the registries (the token-auth one
is HTTPS with the test CA and a token server):

    target/debug/examples/test_registry python3 bench/cold_start.py [--runs N]

Prints Markdown tables (median wall time and median CPU, user + sys from
wait4, per tool, and each tool's wall time as a ratio of the reference
peer's) and writes them to --results/cold_start.md (`make bench` runs it
so, and bench/assemble.py puts them into latest.md)."""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import CRANE, OCIREG  # noqa: E402
from tools import peer  # noqa: E402


def timed(argv, env):
    """(wall seconds, user + sys seconds) of one run; fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, _, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    proc.returncode = 0
    if not out.strip().startswith(b"sha256:"):
        raise SystemExit(f"{argv[0]} failed: {out!r} {err[-500:]!r}")
    return wall, rusage.ru_utime + rusage.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--results", type=Path, default=None,
                    help="also write the tables to RESULTS/cold_start.md")
    args = ap.parse_args()
    host, ca = os.environ["OCIREG_TEST_TOKEN"], os.environ["OCIREG_TEST_CA"]
    user, password = os.environ["OCIREG_TEST_USER"], os.environ["OCIREG_TEST_PASS"]
    with tempfile.TemporaryDirectory(prefix="ocireg-cold-") as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        (home / ".docker").mkdir(parents=True)
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        config = home / ".docker" / "config.json"
        config.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
        certs = tmp / "certs"
        certs.mkdir()
        (certs / "ca.crt").write_bytes(Path(ca).read_bytes())
        env = dict(os.environ, HOME=str(home), DOCKER_CONFIG=str(home / ".docker"),
                   SSL_CERT_FILE=ca, XDG_CACHE_HOME=str(tmp / "cache"))
        ref = f"{host}/bench/cold:v1"
        blob = tmp / "config.json"
        blob.write_text('{"architecture":"amd64","os":"linux"}')
        subprocess.run([str(OCIREG), "--ca-file", ca, "--auth-file", str(config), "push-blob",
                        f"{host}/bench/cold", str(blob)], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        digest = "sha256:" + __import__("hashlib").sha256(blob.read_bytes()).hexdigest()
        manifest = tmp / "manifest.json"
        manifest.write_text(json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": digest, "size": blob.stat().st_size},
            "layers": []}))
        subprocess.run([str(OCIREG), "--ca-file", ca, "--auth-file", str(config),
                        "put-manifest", ref, str(manifest)], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        crane = str(CRANE) if CRANE.exists() else peer("crane")
        token_tools = {
            "ocireg": [str(OCIREG), "--no-token-cache", "--ca-file", ca, "--auth-file",
                       str(config), "digest", ref],
            "ocireg (token cache)": [str(OCIREG), "--ca-file", ca, "--auth-file", str(config),
                                     "digest", ref],
            "regctl": [peer("regctl"), "image", "digest", ref],
            "skopeo": ["skopeo", "inspect", "--cert-dir", str(certs), "--authfile", str(config),
                       "--format", "{{.Digest}}", f"docker://{ref}"],
        }
        # The plain registry, anonymous: every peer, crane included (crane
        # v0.22.1 refuses a token realm on a loopback address).
        plain = os.environ["OCIREG_TEST_PLAIN"]
        pref = f"{plain}/bench/cold:v1"
        subprocess.run([peer("regctl"), "registry", "set", plain, "--tls", "disabled"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run([str(OCIREG), "--insecure-registry", plain, "copy", ref, pref,
                        "--ca-file", ca, "--auth-file", str(config)], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        plain_tools = {
            "ocireg": [str(OCIREG), "--insecure-registry", plain, "digest", pref],
            "crane": [crane, "digest", "--insecure", pref],
            "regctl": [peer("regctl"), "image", "digest", pref],
            "skopeo": ["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                       f"docker://{pref}"],
        }
        tables = []
        for title, tools, base in [
            ("token auth (HTTPS, test CA)", token_tools, "regctl"),
            ("anonymous plain HTTP (`--insecure-registry`)", plain_tools, "crane"),
        ]:
            results = {name: [] for name in tools}
            for name, argv in tools.items():  # warm the page cache and the token cache
                timed(argv, env)
            for _ in range(args.runs):
                for name, argv in tools.items():
                    results[name].append(timed(argv, env))
            tables.append((title, results, base))
    lines = ["# Cold start: one `digest`, process start to exit", "",
             "Produced by bench/cold_start.py under the harness's registries on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; the tools run "
             "interleaved, each once before to warm the page cache (and ocireg's token "
             "cache file)."]
    for title, results, base in tables:
        ref_wall = statistics.median(w for w, _ in results[base])
        lines += ["", f"Cold `digest`, {title}, {args.runs} interleaved runs, medians", "",
                  f"| tool | wall | CPU (user+sys) | wall / {base}'s |", "|---|---:|---:|---:|"]
        for name, runs in results.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            lines.append(f"| {name} | {wall * 1000:.1f} ms | {cpu * 1000:.1f} ms "
                         f"| {wall / ref_wall:.2f} |")
    print("\n".join(lines))
    if args.results is not None:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / "cold_start.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
