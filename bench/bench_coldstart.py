"""Cold start: time from process start to the first answered query, and ``kb --help``.

Usage: .venv/bin/python bench/bench_coldstart.py [--quick] [--runs N] [--kb DIR]

Opens the knowledge base left by ``bench_ingest.py`` (``bench/.cache/ingest_kb``), or ingests
the smallest corpus files into a fresh one. Each measurement is a new process, timed from the
parent (interpreter start-up and imports included): ``kb --help`` (goal < 0.5 s), the Python
API (open, first hybrid search) with its phases reported by the child, and the CLI
``kb search --json``. Writes ``bench/results/coldstart[_quick].json``; figures are medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import CACHE, ROOT, log, table, write_result

QUERY = "cooperación policial en la frontera de Desaguadero"

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from kb.service import KnowledgeBase
t1 = time.perf_counter()
kb = KnowledgeBase.open(sys.argv[1])
kb.search("warm", k=1, mode="sparse")
t2 = time.perf_counter()
res = kb.search(sys.argv[2], k=10)
t3 = time.perf_counter()
res2 = kb.search(sys.argv[2] + " ?", k=10)
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "first_query_s": t3 - t2,
                  "second_query_s": t4 - t3, "results": len(res), "answered_at": time.time()}))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr[-2000:]}")
    return time.time() - t0, proc.stdout


def ensure_kb(path: Path | None) -> Path:
    if path is not None:
        return path
    kb = CACHE / "ingest_kb"
    if (kb / "manifest.json").exists():
        return kb
    log("no knowledge base from bench_ingest.py: ingesting the smallest corpus files")
    from bench_ingest import corpus_folder

    from kb.service import KnowledgeBase

    folder = corpus_folder(True)
    with KnowledgeBase.open(kb) as k:
        k.ingest([folder])
    return kb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--kb", type=Path, default=None)
    args = ap.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    kb = ensure_kb(args.kb)
    py = sys.executable
    kb_cli = str(Path(py).with_name("kb"))
    env_cmd = [py, "-c", CHILD, str(kb), QUERY]
    help_s, api, cli = [], [], []
    for i in range(runs):
        log(f"cold start run {i + 1}/{runs}")
        help_s.append(timed([kb_cli, "--help"])[0])
        spawned = time.time()
        _, out = timed(env_cmd)
        phases = json.loads(out.strip().splitlines()[-1])
        phases["to_first_answer_s"] = phases.pop("answered_at") - spawned - phases["second_query_s"]
        api.append(phases)
        cli.append(timed([kb_cli, "--kb", str(kb), "search", QUERY, "--json"])[0])
    med = {k: round(statistics.median(p[k] for p in api), 3) for k in api[0] if k != "results"}
    rows = [
        {"what": "kb --help", "median s": round(statistics.median(help_s), 3), "goal": "< 0.5 s"},
        {"what": "python: start -> first hybrid answer", "median s": med["to_first_answer_s"], "goal": "-"},
        {"what": "  of which import kb.service", "median s": med["import_s"], "goal": "-"},
        {"what": "  of which open + first (sparse) search", "median s": med["open_s"], "goal": "-"},
        {"what": "  of which first hybrid query (loads embedder)", "median s": med["first_query_s"], "goal": "-"},
        {"what": "second hybrid query (warm)", "median s": med["second_query_s"], "goal": "-"},
        {"what": "kb search --json (whole CLI process)", "median s": round(statistics.median(cli), 3), "goal": "-"},
    ]
    print(table(rows, ["what", "median s", "goal"], f"Cold start ({runs} runs, knowledge base {kb})"))
    counts: dict[str, Any] = {}
    manifest = kb / "manifest.json"
    if manifest.exists():
        counts = json.loads(manifest.read_text()).get("counts", {})
    write_result(
        "coldstart_quick" if args.quick else "coldstart",
        {
            "runs": runs,
            "kb_counts": counts,
            "query": QUERY,
            "kb_help_s": [round(x, 3) for x in help_s],
            "api": api,
            "cli_search_s": [round(x, 3) for x in cli],
            "median": {**med, "kb_help_s": rows[0]["median s"], "cli_search_s": rows[-1]["median s"]},
        },
    )


if __name__ == "__main__":
    main()
