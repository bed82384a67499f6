"""Warm search latency on the bundled corpus, as the app sees it (query embedding included).

Usage: .venv/bin/python bench/bench_search.py [--kb DIR] [--runs N]
Builds the knowledge base from corpus/documents if DIR is empty, warms the models with one query,
then times every gold-set question in hybrid mode, with and without a filter, plus dense and BM25
alone. Prints p50/p95/p99 and writes bench/results/search_latency.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    from kb.service import KnowledgeBase

    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    path = args.kb or Path(tempfile.mkdtemp()) / "kb"
    kb = KnowledgeBase.open(path)
    if kb.stats()["documents"] == 0:
        kb.ingest([ROOT / "corpus" / "documents"])
    queries = [json.loads(x)["text"] for x in (ROOT / "corpus/eval/queries.jsonl").read_text().splitlines() if x]
    kb.search("warm up", k=10)
    rows = {}
    cases = {
        "hybrid": {},
        "hybrid+filter(lang=es)": {"filters": {"lang": ["es"]}},
        "dense": {"mode": "dense"},
        "bm25": {"mode": "sparse"},
    }
    for case, (name, kwargs) in enumerate(cases.items()):
        times = []
        for run in range(args.runs):
            for q in queries:
                # a string never searched before (trailing spaces): the query-vector cache must not help
                text = q + " " * (case * args.runs + run)
                t0 = time.perf_counter()
                kb.search(text, k=10, **kwargs)
                times.append((time.perf_counter() - t0) * 1000)
        rows[name] = {
            "n": len(times),
            "p50_ms": round(pct(times, 0.5), 1),
            "p95_ms": round(pct(times, 0.95), 1),
            "p99_ms": round(pct(times, 0.99), 1),
            "mean_ms": round(statistics.mean(times), 1),
        }
    stats = kb.stats()
    out = {"documents": stats["documents"], "chunks": stats["chunks"], "embedder": stats["embedder"], "latency": rows}
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "search_latency.json").write_text(json.dumps(out, indent=2))
    print(f"{'case':26} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, r in rows.items():
        print(f"{name:26} {r['n']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}")


if __name__ == "__main__":
    main()
