"""``make bench``: every benchmark in turn, each printing its table and writing ``bench/results/``.

Usage: .venv/bin/python bench/run_all.py [--quick] [--only NAME[,NAME...]]

The scripts run one after another in their own processes (never two at once: they share two
cores and each reports ratios against a baseline measured in the same process). ``--quick`` runs
every script's quick mode (about three minutes each once the models are converted); without it
the full runs take about an hour and a half on 2 cores, most of it the 1M-chunk query benchmark.
A failing script is reported and the others still run; the exit status says whether all passed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (arguments of a full run, arguments of a quick run)
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "embedders": (["bench_embedders.py"], ["bench_embedders.py", "--passages", "64"]),
    "ingest": (["bench_ingest.py"], ["bench_ingest.py", "--quick"]),
    "runtimes": (
        ["bench_ingest.py", "--runtimes", "e5-engine,e5,e5-int8", "--runs", "1"],
        ["bench_ingest.py", "--quick", "--runtimes", "e5-engine,e5,e5-int8"],
    ),
    "coldstart": (["bench_coldstart.py"], ["bench_coldstart.py", "--quick"]),
    "search": (["bench_search.py"], ["bench_search.py", "--runs", "1"]),
    "query": (["bench_query.py", "--threads-study"], ["bench_query.py", "--quick"]),
    "filters": (["bench_filters.py"], ["bench_filters.py", "--chunks", "100000"]),
    "threads": (["study_thread_anomaly.py"], ["study_thread_anomaly.py", "--rounds", "20"]),
    "compare": (["bench_compare.py"], ["bench_compare.py", "--quick"]),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(SCRIPTS))
    args = ap.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCRIPTS)
    unknown = set(chosen) - set(SCRIPTS)
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(HERE.parent)}
    failed = []
    for name in chosen:
        argv = SCRIPTS[name][1 if args.quick else 0]
        print(f"\n=== {name}: {' '.join(argv)}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / argv[0]), *argv[1:]], cwd=HERE.parent, env=env)
        print(f"=== {name}: exit {code} after {time.perf_counter() - t0:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
