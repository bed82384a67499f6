"""What issue 17's search methods cost: warm hybrid latency with and without them, in one process.

Usage: .venv/bin/python bench/bench_search_methods.py --kb DIR [--runs N]

The same knowledge base is opened twice: once with the settings of before issue 17 (no glossary
expansion, no cross-language feedback, one BM25 fusion weight for every query) and once with the
defaults. Every gold-set question is searched by both, alternately, so that the load of a shared
machine falls on both alike; each search uses a string never searched before (trailing spaces), so
the query-vector cache does not help. Prints p50/p95 and their ratios; writes
``bench/results/search_methods_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import RESULTS, ROOT
from eval_tables import BEFORE_17


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    from kb.service import KnowledgeBase

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    kbs = {"before": KnowledgeBase.open(args.kb, **BEFORE_17), "now": KnowledgeBase.open(args.kb)}
    queries = [json.loads(x)["text"] for x in (ROOT / "corpus/eval/queries.jsonl").read_text().splitlines() if x]
    for kb in kbs.values():
        kb.search("warm up", k=10)
    times: dict[str, list[float]] = {name: [] for name in kbs}
    for run in range(args.runs):
        for q in queries:
            for n, (name, kb) in enumerate(kbs.items()):
                text = q + " " * (2 * run + n + 1)
                t0 = time.perf_counter()
                kb.search(text, k=10)
                times[name].append((time.perf_counter() - t0) * 1000)
    rows = {
        name: {"p50_ms": round(pct(t, 0.5), 1), "p95_ms": round(pct(t, 0.95), 1), "n": len(t)}
        for name, t in times.items()
    }
    for key in ("p50_ms", "p95_ms"):
        rows["ratio"] = rows.get("ratio", {}) | {key: round(rows["now"][key] / rows["before"][key], 3)}
    print(f"{'':8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, r in rows.items():
        print(f"{name:8} {r['p50_ms']:>8} {r['p95_ms']:>8}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search_methods_latency.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
