"""Query latency, memory and index size at 10k, 100k and 1M chunks; approximate-index recall; the whole query timed.

Usage: .venv/bin/python bench/bench_query.py [--quick] [--scales 10000,100000,1000000] [--sample N] [--reuse]
       [--threads-study]

Each scale is built in one subprocess (:mod:`query_build`: build time, peak memory, size on disk,
recall of the approximate index against exact search) and searched from disk in another
(:mod:`query_serve`: cold start to first answer, index memory, then warm latency of every gold
question per mode and filter — filter resolution on the segment's filter bitmaps and query
embedding included — and dense recall@10 of each filter against an exact scan). ``--reuse``
searches a build kept in ``bench/.cache`` by ``--keep``. ``--threads-study`` searches the
unfiltered and 1% cases once per thread setting (``default``; ``faiss1``: FAISS's OpenMP pool at one
thread, what kb's read path does) to show what made the 1% filter's query embedding slow.
Writes ``bench/results/query_latency[_quick].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import CACHE, gold_queries, log, sample_embeddings, sentence_pool, table, write_result


# -- driver ---------------------------------------------------------------------------------------
def _child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{' '.join(args)} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(
    quick: bool,
    scales: list[int],
    sample: int,
    sample_embedder: str,
    embedder: str,
    runs: int,
    keep: bool,
    reuse: bool = False,
) -> dict[str, Any]:
    from index.models import load_embedder

    texts, langs, _, vocab = sentence_pool()
    _, _, rate = sample_embeddings(sample_embedder, min(sample, max(scales)), texts, langs)
    qpath = CACHE / f"queries_{embedder}.npy"
    if not qpath.exists():
        qv = load_embedder(embedder).embed([q["text"] for q in gold_queries()], "query")
        np.save(qpath, qv, allow_pickle=False)
    ivf_threshold = 50_000 if quick else 200_000
    limit = 40 if quick else 1000
    results = []
    for n in scales:
        work = CACHE / f"scale_{n}"
        log(f"building {n:,} chunks")
        built = (
            json.loads((work / "built.json").read_text())
            if reuse
            else _child(
                [
                    "--build",
                    str(n),
                    "--sample",
                    str(sample),
                    "--embedder",
                    embedder,
                    "--sample-embedder",
                    sample_embedder,
                    "--ivf",
                    str(ivf_threshold),
                ]
            )
        )
        (work / "built.json").write_text(json.dumps(built))
        log(f"searching {n:,} chunks ({built['dense_kind']} dense index)")
        served = _child(["--serve", str(n), "--embedder", embedder, "--runs", str(runs), "--limit", str(limit)])
        results.append({**built, **served})
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return {
        "quick": quick,
        "query_embedder": embedder,
        "passage_embedder": sample_embedder,
        "sample_embed_passages_per_s": round(rate, 1),
        "ivf_threshold": ivf_threshold,
        "synthetic": (
            f"chunks join {2} sentences of the bundled corpus (one language each, ~40 words, vocabulary "
            f"{len(vocab)} stems from {len(texts)} sentences); the first {sample} chunks have real embeddings, "
            f"embedded by {sample_embedder} (queries by {embedder}); the rest are perturbed copies of them "
            "(vector moved up to half-way to one of its 10 nearest neighbours plus noise of norm ~0.2, "
            "one sentence replaced). The small vocabulary makes BM25 "
            "postings denser than a real archive's: sparse latency here is pessimistic. One segment per scale "
            "(as after compaction). Filters are resolved inside the timed path on the segment's filter bitmaps "
            "(synthetic metadata, see query_serve.filter_arrays); filter_sql_p50_ms is what resolving lang=es "
            "from SQLite cost before them."
        ),
        "scales": results,
    }


def print_tables(res: dict[str, Any]) -> None:
    rows = []
    for s in res["scales"]:
        rows.append(
            {
                "chunks": f"{s['chunks']:,}",
                "dense index": s["dense_kind"]
                + (
                    f" (nlist {s['dense_params']['nlist']}, nprobe {s['dense_params']['nprobe']})"
                    if s["dense_kind"] == "ivf"
                    else ""
                ),
                "recall@10": s.get("recall_at_10_gold_queries", "exact"),
                "exact dense p50 ms": s["exact_dense_ms"]["p50_ms"],
                "index RSS MB": s["index_rss_mb"],
                "disk MB (dense+sparse)": f"{s['disk_mb']['dense']}+{s['disk_mb']['sparse']}",
                "build peak RSS MB": s["build_peak_rss_mb"],
                "serve peak RSS MB": s["serve_peak_rss_mb"],
                "load s": s["index_load_s"],
                "cold start s": s["cold_start_s"],
            }
        )
    print(table(rows, list(rows[0]), "Scales (one segment each)"))
    lat = [{"chunks": f"{s['chunks']:,}", **r} for s in res["scales"] for r in s["latency"]]
    cols = ["chunks", "mode", "filter", "kept", "p50_ms", "p95_ms", "p99_ms", "filter_p50_ms", "embed_p50_ms"]
    cols += ["dense_p50_ms", "sparse_p50_ms", "recall_at_10", "load_avg"]
    print(table(lat, cols, "Query latency, ms (filter resolution and query embedding included in p50/p95/p99)"))
    sql = [f"{s['chunks']:,}: {s['filter_sql_p50_ms']} ms" for s in res["scales"] if "filter_sql_p50_ms" in s]
    print("lang=es resolved from SQLite instead (p50): " + ", ".join(sql))


def threads_study(n: int, embedder: str, runs: int) -> list[dict[str, Any]]:
    """The unfiltered and 1% cases in one fresh process per thread setting."""
    rows = []
    settings = {"default": {}, "matmul": {}, "matmul, OPENBLAS_NUM_THREADS=1": {"OPENBLAS_NUM_THREADS": "1"}}
    for setting, env in settings.items():
        log(f"thread setting {setting}")
        out = _child(
            [
                "--serve",
                str(n),
                "--embedder",
                embedder,
                "--runs",
                str(runs),
                "--cases",
                "1% (collection)",
                "--limit",
                "80",
            ],  # fmt: skip
            env={"KB_BENCH_THREADS": setting, **env},
        )
        rows += [{"threads": setting, **r} for r in out["latency"]]
    cols = ["threads", "filter", "p50_ms", "p95_ms", "filter_p50_ms", "embed_p50_ms", "dense_p50_ms", "sparse_p50_ms"]
    cols += ["load_avg"]
    print(table(rows, cols, f"Thread settings at {n:,} chunks (hybrid), ms"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--scales", default=None)
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument("--embedder", default="e5", help="embeds the queries (timed)")
    ap.add_argument(
        "--sample-embedder", default="e5-int8", help="embeds the real sample (int8 ONNX copy of e5: 2x faster)"
    )
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the built indexes in bench/.cache")
    ap.add_argument("--reuse", action="store_true", help="search the builds kept in bench/.cache (no rebuild)")
    ap.add_argument("--threads-study", action="store_true", help="compare thread settings on the largest scale")
    ap.add_argument("--cases", default="all", help=argparse.SUPPRESS)
    ap.add_argument("--name", help="results file name (bench/results/NAME.json)")
    ap.add_argument("--build", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ivf", type=int, default=200_000, help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=1000, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sample = args.sample or (500 if args.quick else 20_000)
    if args.build:
        from query_build import build

        out = build(args.build, sample, args.sample_embedder, args.embedder, CACHE / f"scale_{args.build}", args.ivf)
        print(json.dumps(out))
        return
    if args.serve:
        from query_serve import serve

        out = serve(CACHE / f"scale_{args.serve}", args.embedder, _started(), args.runs or 1, args.limit, args.cases)
        print(json.dumps(out))
        return
    scales = (
        [int(x) for x in args.scales.split(",")]
        if args.scales
        else ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    )
    res = run(
        args.quick,
        scales,
        sample,
        args.sample_embedder,
        args.embedder,
        args.runs or (1 if args.quick else 2),
        args.keep or args.reuse,
        args.reuse,
    )
    print_tables(res)
    if args.threads_study:
        res["threads_study"] = threads_study(max(scales), args.embedder, args.runs or 1)
    write_result(args.name or ("query_latency_quick" if args.quick else "query_latency"), res)


def _started() -> float:
    """This process's start time (wall clock), from /proc: cold start counts interpreter start-up too."""
    with open("/proc/self/stat") as fh:
        ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as fh:
        uptime = float(fh.read().split()[0])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
