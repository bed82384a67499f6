"""Query latency, memory and index size at 10k, 100k and 1M chunks; approximate-index recall.

Usage: .venv/bin/python bench/bench_query.py [--quick] [--scales 10000,100000,1000000] [--sample N]

The collections are synthetic but made of the bundled corpus: each chunk joins two corpus
sentences of one language. The first ``--sample`` chunks (20k by default) get real embeddings
from the default embedder; every further chunk is a perturbed copy of a real one (its vector
moved part of the way towards one of that chunk's ten nearest neighbours, plus a little noise,
then normalised; one of its two sentences replaced), so clusters and BM25 postings look like a
real archive's. Each scale is built in one subprocess (build time, peak memory, size on disk,
recall of the approximate index against exact search) and searched from disk in another
(cold start to first answer, index memory, then warm latency of every gold question per mode,
query embedding included). Writes ``bench/results/query_latency[_quick].json``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    CACHE,
    LANGS,
    dir_size_mb,
    gold_queries,
    log,
    peak_rss_mb,
    rss_mb,
    sample_embeddings,
    sample_rows,
    sentence_pool,
    summary_ms,
    table,
    write_result,
)

CHUNKS_PER_DOC = 12
CANDIDATES = 100  # kb's default ``candidates`` per ranking before fusion


# -- building one scale ---------------------------------------------------------------------------
def synthesise(
    n: int, sample: int, sample_embedder: str, seed: int = 7
) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """``(vectors, lang codes, token ids)`` of ``n`` chunks: real sample first, perturbed copies after."""
    texts, sent_langs, sent_tokens, _ = sentence_pool()
    m = min(n, sample)
    rows, real, _ = sample_embeddings(sample_embedder, m, texts, sent_langs)
    rows, real = rows[:m], real[:m].astype(np.float32)
    if n > m:
        import faiss

        rng = np.random.default_rng(seed)
        _, nbrs = faiss.knn(real, real, 11, metric=faiss.METRIC_INNER_PRODUCT)
        base = rng.integers(0, m, n - m)
        towards = nbrs[base, rng.integers(1, 11, n - m)]
        vectors = np.empty((n, real.shape[1]), np.float32)
        vectors[:m] = real
        for s in range(0, n - m, 100_000):
            b, t = base[s : s + 100_000], towards[s : s + 100_000]
            step = rng.uniform(0.0, 0.5, (len(b), 1)).astype(np.float32)
            v = real[b] + step * (real[t] - real[b])
            v += rng.normal(0.0, 0.2 / math.sqrt(real.shape[1]), v.shape).astype(np.float32)
            vectors[m + s : m + s + len(b)] = v / np.linalg.norm(v, axis=1, keepdims=True)
        copies = rows[base].copy()
        replace = rng.integers(0, copies.shape[1], len(copies))
        fresh = sample_rows(len(copies), sent_langs, seed=seed + 1)[:, 0]
        same = sent_langs[fresh] == sent_langs[copies[:, 0]]  # keep each chunk in one language
        copies[np.arange(len(copies))[same], replace[same]] = fresh[same]
        rows = np.concatenate([rows, copies])
    else:
        vectors = real
    langs = sent_langs[rows[:, 0]]
    tokens = [[t for i in r for t in sent_tokens[i]] for r in rows.tolist()]
    return vectors, langs, tokens


def build(
    n: int, sample: int, sample_embedder: str, embedder: str, workdir: Path, ivf_threshold: int
) -> dict[str, Any]:
    import bm25s
    import faiss

    from index.ivf import choose_dense_index, measure_recall
    from index.sparse import SparseIndex

    out: dict[str, Any] = {"chunks": n, "real_embeddings": min(n, sample)}
    t0 = time.perf_counter()
    vectors, langs, tokens = synthesise(n, sample, sample_embedder)
    out["generate_s"] = round(time.perf_counter() - t0, 1)
    ids = np.arange(1, n + 1, dtype=np.int64)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    probes = None
    if n >= ivf_threshold:  # the probes an ingest makes, embedded before the clock: dense_build_s is the index
        from index.ivf import probe_texts
        from index.models import load_embedder

        vecs = load_embedder(embedder).embed(probe_texts(sentence_pool()[0]), "query")
        probes = lambda: vecs  # noqa: E731
    t0 = time.perf_counter()
    dense = choose_dense_index(ids, vectors, threshold=ivf_threshold, probes=probes)
    out["dense_build_s"] = round(time.perf_counter() - t0, 1)
    out["dense_kind"], out["dense_params"] = dense.kind, dense.params
    dense.save(workdir / "dense")
    t0 = time.perf_counter()
    _, _, _, vocab = sentence_pool()
    model = bm25s.BM25()
    model.index(bm25s.tokenization.Tokenized(ids=tokens, vocab=vocab), show_progress=False)
    del tokens
    SparseIndex(model, ids).save(workdir / "sparse")
    out["sparse_build_s"] = round(time.perf_counter() - t0, 1)
    # the filters of the benchmark: one language (~half the chunks) and ~1% of the documents
    docs = (ids - 1) // CHUNKS_PER_DOC
    rng = np.random.default_rng(3)
    narrow_docs = rng.choice(docs.max() + 1, max(1, (docs.max() + 1) // 100), replace=False)
    filters = {"lang=es": ids[langs == LANGS.index("es")], "1% of documents": ids[np.isin(docs, narrow_docs)]}
    np.save(workdir / "langs.npy", langs, allow_pickle=False)
    for i, allowed in enumerate(filters.values()):
        np.save(workdir / f"filter{i}.npy", allowed, allow_pickle=False)
    (workdir / "filters.json").write_text(json.dumps(list(filters)))
    _sqlite(workdir / "chunks.sqlite", ids, docs, langs)
    out["disk_mb"] = {"dense": dir_size_mb(workdir / "dense"), "sparse": dir_size_mb(workdir / "sparse")}
    out["build_peak_rss_mb"] = peak_rss_mb()
    # exact search for reference, and the approximate index's recall with real queries
    qv = np.load(CACHE / f"queries_{embedder}.npy", allow_pickle=False)
    exact_times = []
    for q in qv[:40]:
        t0 = time.perf_counter()
        faiss.knn(q[None], vectors, CANDIDATES, metric=faiss.METRIC_INNER_PRODUCT)
        exact_times.append(time.perf_counter() - t0)
    out["exact_dense_ms"] = summary_ms(exact_times)
    if dense.kind == "ivf":
        from index.ivf import _FlatView

        flat = _FlatView(vectors, ids)
        out["recall_at_10_gold_queries"] = round(measure_recall(dense, flat, qv, 10), 4)
        sub = filters["lang=es"]
        sub_dense = _Restricted(dense, sub)
        sub_flat = _FlatView(vectors[sub - 1], sub)
        out["recall_at_10_gold_queries_lang_es"] = round(measure_recall(sub_dense, sub_flat, qv, 10), 4)
    return out


class _Restricted:
    """An index seen through a filter (for measuring filtered recall)."""

    def __init__(self, index: Any, allowed: np.ndarray) -> None:
        self.index, self.allowed = index, allowed

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.index.search(queries, k, allowed=self.allowed)  # type: ignore[no-any-return]


def _sqlite(path: Path, ids: np.ndarray, docs: np.ndarray, langs: np.ndarray) -> None:
    """A chunks table like the store's, to time how long resolving a filter to ids takes."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc_id INTEGER, lang TEXT)")
    db.executemany(
        "INSERT INTO chunks VALUES (?,?,?)", zip(ids.tolist(), docs.tolist(), [LANGS[g] for g in langs], strict=True)
    )
    db.execute("CREATE INDEX chunks_lang ON chunks(lang)")
    db.commit()
    db.close()


# -- searching one scale from disk ----------------------------------------------------------------
def serve(workdir: Path, embedder: str, spawned: float, runs: int, limit: int) -> dict[str, Any]:
    from index.fusion import fuse
    from index.ivf import load_dense_index
    from index.models import load_embedder
    from index.sparse import SparseIndex
    from ingest.language import query_language

    out: dict[str, Any] = {"rss_start_mb": rss_mb()}
    queries = [q["text"] for q in gold_queries()][:limit]
    t0 = time.perf_counter()
    dense = load_dense_index(workdir / "dense")
    sparse = SparseIndex.load(workdir / "sparse")
    langs = np.load(workdir / "langs.npy", allow_pickle=False)
    names = json.loads((workdir / "filters.json").read_text())
    filters = {n: np.load(workdir / f"filter{i}.npy", allow_pickle=False) for i, n in enumerate(names)}
    out["index_load_s"] = round(time.perf_counter() - t0, 2)
    out["index_rss_mb"] = round(rss_mb() - out["rss_start_mb"], 1)
    emb = load_embedder(embedder)

    def one(text: str, mode: str, allowed: np.ndarray | None) -> dict[str, float]:
        t = [time.perf_counter()]
        qlang = query_language(text)
        dense_ids = sparse_ids = np.zeros(0, np.int64)
        if mode in ("dense", "hybrid"):
            qv = emb.embed([text], "query")
            t.append(time.perf_counter())
            _, d = dense.search(qv, CANDIDATES, allowed=allowed)
            dense_ids = d[0][d[0] >= 0]
        else:
            t.append(t[-1])
        t.append(time.perf_counter())
        if mode in ("sparse", "hybrid"):
            _, sparse_ids = sparse.search(text, qlang, CANDIDATES, allowed=allowed)
        t.append(time.perf_counter())
        if mode == "hybrid":
            cand = np.union1d(dense_ids, sparse_ids)
            chunk_lang = {int(i): LANGS[langs[i - 1]] for i in cand}
            fuse(dense_ids, sparse_ids, chunk_lang, qlang)
        t.append(time.perf_counter())
        return {"total": t[4] - t[0], "embed": t[1] - t[0], "dense": t[2] - t[1], "sparse": t[3] - t[2]}

    one(queries[0], "hybrid", None)
    out["cold_start_s"] = round(time.time() - spawned, 2)  # process start to first hybrid answer
    db = sqlite3.connect(workdir / "chunks.sqlite")
    sql = {"lang=es": ("SELECT id FROM chunks WHERE lang=?", ("es",))}
    cases = [("dense", None), ("sparse", None), ("hybrid", None)]
    cases += [(m, f) for f in filters for m in ("dense", "sparse", "hybrid")]
    rows = []
    for mode, fname in cases:
        timings: dict[str, list[float]] = {"total": [], "embed": [], "dense": [], "sparse": []}
        sql_t: list[float] = []
        for run in range(runs):
            for text in queries:
                allowed = filters[fname] if fname else None
                if fname in sql:
                    t0 = time.perf_counter()
                    np.array([r[0] for r in db.execute(*sql[fname])], dtype=np.int64)
                    sql_t.append(time.perf_counter() - t0)
                r = one(text + " " * run, mode, allowed)
                for key, v in r.items():
                    timings[key].append(v)
        row = {"mode": mode, "filter": fname or "-", **summary_ms(timings["total"])}
        row["embed_p50_ms"] = summary_ms(timings["embed"])["p50_ms"]
        row["dense_p50_ms"] = summary_ms(timings["dense"])["p50_ms"]
        row["sparse_p50_ms"] = summary_ms(timings["sparse"])["p50_ms"]
        if sql_t:
            row["filter_sql_p50_ms"] = summary_ms(sql_t)["p50_ms"]
        rows.append(row)
    out["latency"] = rows
    out["serve_peak_rss_mb"] = peak_rss_mb()
    return out


# -- driver ---------------------------------------------------------------------------------------
def _child(args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{' '.join(args)} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(
    quick: bool, scales: list[int], sample: int, sample_embedder: str, embedder: str, runs: int, keep: bool
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
        built = _child(
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
            "(as after compaction). Filters are precomputed id arrays; filter_sql_p50_ms is what resolving "
            "lang=es from SQLite costs on top."
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
    cols = ["chunks", "mode", "filter", "p50_ms", "p95_ms", "p99_ms", "embed_p50_ms", "dense_p50_ms", "sparse_p50_ms"]
    cols += ["filter_sql_p50_ms"]
    print(table(lat, cols, "Query latency, ms (query embedding included in p50/p95/p99)"))


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
    ap.add_argument("--build", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ivf", type=int, default=200_000, help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=1000, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sample = args.sample or (500 if args.quick else 20_000)
    if args.build:
        out = build(args.build, sample, args.sample_embedder, args.embedder, CACHE / f"scale_{args.build}", args.ivf)
        print(json.dumps(out))
        return
    if args.serve:
        out = serve(CACHE / f"scale_{args.serve}", args.embedder, _started(), args.runs or 1, args.limit)
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
        args.keep,
    )
    print_tables(res)
    write_result("query_latency_quick" if args.quick else "query_latency", res)


def _started() -> float:
    """This process's start time (wall clock), from /proc: cold start counts interpreter start-up too."""
    import os

    with open("/proc/self/stat") as fh:
        ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as fh:
        uptime = float(fh.read().split()[0])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
