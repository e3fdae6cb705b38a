#!/usr/bin/env python3
"""The ocireg benchmark suite (issue 6), run by `make bench`.

ocireg against skopeo, crane and the hardware limit (curl for transport,
openssl for hashing), on loopback registries started by the project's one
registry launcher (tests/harness/test_registry.rs --serve): Debian's
docker-registry (distribution 2.8.2), plain HTTP on 127.0.0.1, one holding
the content and a fresh empty one for every push or copy run.

bench/cases.py says what is measured (cases 1-8 and their targets);
bench/harness.py how: one child process per measured run, timed with the
wait4 rusage of the small wrapper bench/c/rusage.c, medians of --runs runs
in bench/results/latest.md and latest.json. Python 3 standard library only.
"""

import argparse
import datetime
import shutil
import signal
import sys
import time
from pathlib import Path

from cases import NOTES, Cases, targets
from harness import (BUILD, HARNESS, RESULTS, BenchError, Suite, ensure_tools, log,
                     machine_facts, summarize, write_report)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and case (default 3)")
    ap.add_argument("--cases", default="1,2,3,4,5,6,7,8",
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
    ap.add_argument("--harness", type=Path, default=HARNESS,
                    help="the registry launcher, tests/harness/test_registry.rs "
                         "(default: the one `make harness` builds)")
    args = ap.parse_args()
    args.cases = {int(c) for c in args.cases.split(",") if c.strip()}
    if 7 in args.cases:
        args.cases.add(1)   # the flat-RSS comparison needs the 1 GiB pull

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    t_total = time.monotonic()
    versions = ensure_tools(args.harness)
    suite = Suite(args.keep_work, args.harness.resolve())
    cases = []
    try:
        bench = Cases(suite, args)
        bench.setup()
        cases = bench.define()
        measure_seconds = suite.run(cases, args.runs)
    except BenchError as e:
        log(f"bench: {e}")
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130
    finally:
        suite.cleanup()
        if not args.keep_content:
            shutil.rmtree(BUILD / "content", ignore_errors=True)

    summary = summarize(suite.results)
    meta = dict(machine_facts())
    meta.update({
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": args.runs, "versions": versions, "heads": args.heads,
        "reader_buffer": args.reader_buffer,
        "measure_seconds": measure_seconds,
        "total_seconds": time.monotonic() - t_total,
        "notes": NOTES,
    })
    write_report(args.results, meta, cases, summary, targets(summary, args), suite.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
