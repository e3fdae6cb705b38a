#!/usr/bin/env python3
"""Puts every table of one `make bench` run into bench/results/latest.md
(issue 16): after bench/run.py's own tables, CPU seconds per GiB (from
latest.json), requests per operation (requests.md), the simulated WAN and
resume (wan.md) and cold start (cold_start.md), each as its script wrote
it in this run. Running it again replaces what it appended before.
Python 3 standard library only."""

import argparse
import json
import sys
from pathlib import Path

from harness import RESULTS

MARK = "<!-- make bench: the other tables of this run -->"
GiB = 1 << 30
CPU_CASES = ("pull-1g", "push-1g", "copy-1g")
CPU_PEERS = ("ocireg", "crane", "skopeo")


def cpu_per_gib(latest):
    """The CPU-seconds-per-GiB table of pull, push and copy, with ratios
    against crane's."""
    titles = {c["id"]: (c["title"], c["bytes"]) for c in latest["cases"]}
    L = ["## CPU seconds per GiB (pull, push, copy)", "",
         "User + sys seconds from wait4 (medians of the runs above) divided by the GiB "
         "moved; \"vs crane\" is ocireg's figure ÷ crane's (below 1: ocireg spends less).",
         "", "| case | " + " | ".join(CPU_PEERS) + " | ocireg vs crane |",
         "|---|" + "---:|" * (len(CPU_PEERS) + 1)]
    for cid in CPU_CASES:
        by_tool = latest["summary"].get(cid)
        if not by_tool or cid not in titles:
            continue
        title, size = titles[cid]
        per = {t: (m["user"] + m["sys"]) * GiB / size for t, m in by_tool.items()}
        cells = [f"{per[t]:.2f}" if t in per else "-" for t in CPU_PEERS]
        ratio = f"{per['ocireg'] / per['crane']:.2f}x" if "crane" in per and "ocireg" in per \
            else "-"
        L.append(f"| {title} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(L)


def section(path, heading):
    """The Markdown file `path` under `heading`, its own headings one level
    down; a note when the file is missing."""
    if not path.exists():
        return f"## {heading}\n\n(not measured in this run: {path.name} is missing)"
    out = [f"## {heading}", ""]
    lines = path.read_text().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]  # the file's own title: `heading` replaces it
    for line in lines:
        out.append("#" + line if line.startswith("#") else line)
    return "\n".join(out).rstrip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, default=RESULTS,
                    help="where latest.md and the other tables are (default bench/results)")
    args = ap.parse_args()
    latest_md = args.results / "latest.md"
    base = latest_md.read_text().split(MARK)[0].rstrip()
    latest = json.loads((args.results / "latest.json").read_text())
    parts = [base, "", MARK, "", cpu_per_gib(latest), "",
             section(args.results / "requests.md", "Requests per operation"), "",
             section(args.results / "wan.md", "Over a simulated WAN, and resume (W7)"), "",
             section(args.results / "cold_start.md", "Cold start"), ""]
    latest_md.write_text("\n".join(parts))
    print(f"bench: wrote every table into {latest_md}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
