"""Searching one synthetic scale from disk for bench/bench_query.py: the whole query timed.

Each timed query resolves its filter on the segment's filter bitmaps (``kb.store.filters`` arrays
built from synthetic metadata: language per chunk, and per document a type, a collection, a date
and a few entities), embeds the query with what kb embeds queries with (the fp32 ONNX copy of e5
when exported), searches FAISS and BM25 restricted to the allowed ids and fuses. Dense recall@10
of each filtered search is measured against an exact scan of the allowed vectors.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import LANGS, gold_queries, peak_rss_mb, rss_mb, summary_ms
from query_build import CANDIDATES, CHUNKS_PER_DOC

DOC_TYPES = ("report", "agreement", "protocol", "minutes", "news", "training", "other")
COLLECTIONS = ("default", "field", "legal", "press")
#: the filters measured: name -> Filters fields (the "1%" one is a collection holding 1% of the documents,
#: what a per-collection permission of a small team looks like)
CASES: dict[str, dict[str, Any]] = {
    "lang=es": {"lang": ("es",)},
    "doc_type=agreement": {"doc_type": ("agreement",)},
    "collection=field": {"collection": ("field",)},
    "date 2018-2019": {"since": "2018-01-01", "until": "2019-12-31"},
    "entity": {"entity": ("org:e7",)},
    "1% (collection)": {"collection": ("rare",)},
}


def filter_arrays(workdir: Path, langs: np.ndarray) -> dict[str, np.ndarray]:
    """The segment's filter arrays from synthetic metadata (deterministic; cached beside the indexes)."""
    from kb.store.filters import encode

    path = workdir / "filters_bench.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    n = len(langs)
    ids = np.arange(1, n + 1, dtype=np.int64)
    doc_of = (ids - 1) // CHUNKS_PER_DOC
    nd = int(doc_of.max()) + 1
    rng = np.random.default_rng(11)
    types = rng.choice(len(DOC_TYPES), nd, p=[0.35, 0.15, 0.1, 0.15, 0.1, 0.05, 0.1])
    colls = rng.choice(len(COLLECTIONS), nd, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    colls = np.array([COLLECTIONS[c] for c in colls], dtype=object)
    colls[rng.choice(nd, max(1, nd // 100), replace=False)] = "rare"
    days = rng.integers(0, 20 * 365, nd)
    dates = (np.datetime64("2005-01-01") + days.astype("timedelta64[D]")).astype(str)
    n_ents = rng.poisson(1.5, nd)
    docs = {
        f"d{d}": {
            "doc_type": DOC_TYPES[types[d]], "collection": str(colls[d]), "date": str(dates[d]),
            "entity": sorted({f"org:e{int(e)}" for e in rng.zipf(1.3, n_ents[d]) if e < 5000}),
            "country": [], "crossing": [],
        }
        for d in range(nd)
    }  # fmt: skip
    regions = np.array(["latam", "europe", "other"])[rng.integers(0, 3, n)]
    chunk_doc = [f"d{d}" for d in doc_of.tolist()]
    lang_names = np.array(LANGS)[langs]
    arrays = encode(ids, chunk_doc, {"lang": list(lang_names), "region": list(regions)}, docs)
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return arrays


def query_encoder(name: str) -> Any:
    """What kb embeds queries with: for e5 its ONNX copy when exported (``Config.fast_queries``), the block
    copy when built (``Config.query_nbits``, the default), else the fp32 one."""
    from index.models import load_embedder
    from kb.config import Config

    if name == "e5":
        from index.e5onnx import ready_query_encoder

        enc = ready_query_encoder(nbits=Config().query_nbits)
        if enc is not None:
            return enc
    return load_embedder(name)


def exact_top(dense: Any, qv: np.ndarray, allowed: np.ndarray, k: int = 10) -> np.ndarray:
    """The true top ``k`` scores of each query among ``allowed`` (reconstructed in blocks)."""
    best_s = np.full((len(qv), 0), -np.inf, np.float32)
    best_i = np.zeros((len(qv), 0), np.int64)
    for s in range(0, len(allowed), 100_000):
        block = allowed[s : s + 100_000]
        sims = qv @ dense.reconstruct(block).T
        cat_s, cat_i = np.hstack([best_s, sims]), np.hstack([best_i, np.broadcast_to(block, sims.shape)])
        top = np.argsort(-cat_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cat_s, top, 1), np.take_along_axis(cat_i, top, 1)
    return best_s


def recall_at_10(dense: Any, qv: np.ndarray, allowed: np.ndarray | None, n: int) -> float:
    """Share of the returned top 10 that belong to the exact top 10 (a hit scoring within 1e-5 of the exact
    10th score counts: near-duplicate synthetic vectors tie up to float rounding)."""
    ids = np.arange(1, n + 1, dtype=np.int64) if allowed is None else allowed
    kth = exact_top(dense, qv, ids)[:, -1]
    # one query per call, as kb serves them: a batch would probe as many lists as its neediest query does
    got = np.vstack([dense.search(q[None, :], 10, allowed=allowed)[1] for q in qv])
    good = [np.sum((dense.reconstruct(g[g >= 0]) @ q) >= t - 1e-5) / 10 for q, g, t in zip(qv, got, kth, strict=True)]
    return float(np.mean(good))


def serve(workdir: Path, embedder: str, spawned: float, runs: int, limit: int, cases: str = "all") -> dict[str, Any]:
    """Cold start, index memory, and warm latency of the gold questions per mode and filter."""
    from index.fusion import fuse
    from index.ivf import load_dense_index
    from index.sparse import SparseIndex
    from ingest.language import query_language
    from kb.read.bitmaps import segment_ids
    from kb.store.filters import load, save
    from kb.types import Filters

    out: dict[str, Any] = {"rss_start_mb": rss_mb(), "threads": os.environ.get("KB_BENCH_THREADS", "default")}
    queries = [q["text"] for q in gold_queries()][:limit]
    t0 = time.perf_counter()
    dense = load_dense_index(workdir / "dense")
    sparse = SparseIndex.load(workdir / "sparse")
    langs = np.load(workdir / "langs.npy", allow_pickle=False)
    out["index_load_s"] = round(time.perf_counter() - t0, 2)
    out["index_rss_mb"] = round(rss_mb() - out["rss_start_mb"], 1)
    if not (workdir / "filters.0.npz").exists():
        save(workdir, 0, filter_arrays(workdir, langs))
    t0 = time.perf_counter()
    seg = load(workdir / "filters.0.npz")
    out["filter_load_s"] = round(time.perf_counter() - t0, 2)
    tomb = None  # no tombstones in a freshly built segment
    enc = query_encoder(embedder)
    apply_thread_setting()

    def one(text: str, mode: str, f: Filters | None) -> dict[str, float]:
        t = [time.perf_counter()]
        allowed = None if f is None else segment_ids(seg, f, (), (), f.entity, tomb)
        t.append(time.perf_counter())
        qlang = query_language(text)
        dense_ids = sparse_ids = np.zeros(0, np.int64)
        if mode in ("dense", "hybrid"):
            qv = enc.embed([text], "query")
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
            fuse(dense_ids, sparse_ids, {int(i): LANGS[langs[i - 1]] for i in cand}, qlang)
        t.append(time.perf_counter())
        return {"total": t[5] - t[0], "filter": t[1] - t[0], "embed": t[2] - t[1], "dense": t[3] - t[2],
                "sparse": t[4] - t[3]}  # fmt: skip

    one(queries[0], "hybrid", None)
    out["cold_start_s"] = round(time.time() - spawned, 2)  # process start to first hybrid answer
    names = list(CASES) if cases == "all" else [c for c in CASES if c in cases.split("|")]
    chosen = [("dense", None), ("sparse", None), ("hybrid", None)] if cases == "all" else [("hybrid", None)]
    chosen += [("hybrid", c) for c in names]
    qv_all = enc.embed(queries, "query")
    rows = []
    for mode, name in chosen:
        f = Filters(**CASES[name]) if name else None
        timings: dict[str, list[float]] = {"total": [], "filter": [], "embed": [], "dense": [], "sparse": []}
        for run in range(runs):
            for text in queries:
                for key, v in one(text + " " * run, mode, f).items():
                    timings[key].append(v)
        row: dict[str, Any] = {"mode": mode, "filter": name or "-", **summary_ms(timings["total"])}
        for key in ("filter", "embed", "dense", "sparse"):
            row[f"{key}_p50_ms"] = summary_ms(timings[key])["p50_ms"]
        allowed = None if f is None else segment_ids(seg, f, (), (), f.entity, tomb)
        row["load_avg"] = round(os.getloadavg()[0], 1)  # the machine is shared: how quiet it was
        row["kept"] = round(1.0 if allowed is None else len(allowed) / len(langs), 4)
        if mode != "sparse" and cases == "all":  # the thread study needs no recall
            row["recall_at_10"] = round(recall_at_10(dense, qv_all, allowed, len(langs)), 4)
        rows.append(row)
    out["latency"] = rows
    out["filter_sql_p50_ms"] = sql_reference(workdir)
    out["serve_peak_rss_mb"] = peak_rss_mb()
    return out


def sql_reference(workdir: Path) -> float:
    """What resolving lang=es from SQLite costs (the path before filter bitmaps), p50 of 5."""
    db = sqlite3.connect(workdir / "chunks.sqlite")
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        np.array([r[0] for r in db.execute("SELECT id FROM chunks WHERE lang=?", ("es",))], dtype=np.int64)
        times.append(time.perf_counter() - t0)
    return summary_ms(times)["p50_ms"]


def apply_thread_setting() -> None:
    """``KB_BENCH_THREADS``, the settings compared when explaining the 1% anomaly: ``default`` (kb as it is),
    ``matmul`` (the exact scan of a narrow filter through a BLAS matrix product, as before: OpenBLAS
    threads), ``faiss1`` (FAISS's OpenMP pool at one thread). ``OPENBLAS_NUM_THREADS=1`` in the
    environment with ``matmul`` shows whether OpenBLAS's pool is what slows the query encoder."""
    setting = os.environ.get("KB_BENCH_THREADS", "default")
    if setting == "faiss1":
        import faiss

        faiss.omp_set_num_threads(1)
    if setting.startswith("matmul"):
        from index.ivf import IVFDenseIndex

        def exact(self: Any, queries: np.ndarray, k: int, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            sims = queries @ self.reconstruct(candidates).T
            kk = min(k, len(candidates))
            top = np.argpartition(-sims[0], kk - 1)[:kk] if kk < len(candidates) else np.arange(kk)
            top = top[np.lexsort((candidates[top], -sims[0, top]))]
            scores, ids = np.full((1, k), -np.inf, np.float32), np.full((1, k), -1, np.int64)
            scores[0, :kk], ids[0, :kk] = sims[0, top], candidates[top]
            return scores, ids

        IVFDenseIndex._exact = exact  # type: ignore[method-assign]


def dump(out: dict[str, Any]) -> None:
    print(json.dumps(out))
