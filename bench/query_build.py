"""Building one synthetic scale for bench/bench_query.py: chunks, FAISS and BM25 indexes, reference recall.

The collections are synthetic but made of the bundled corpus: each chunk joins two corpus
sentences of one language. The first ``sample`` chunks get real embeddings; every further chunk
is a perturbed copy of a real one (see :func:`synthesise`).
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import CACHE, LANGS, dir_size_mb, peak_rss_mb, sample_embeddings, sample_rows, sentence_pool, summary_ms

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
