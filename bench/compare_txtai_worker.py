"""txtai's side of ``bench_compare.py``: runs inside the txtai venv, reads a JSON job, prints JSON results.

Usage (by bench_compare.py only): ~/.cache/kb/bench-venv-txtai/bin/python bench/compare_txtai_worker.py JOB.json

Why a separate script: it must import nothing from kb (kb is not installed in this venv), so the
figures are txtai's own, measured in a process of its own (peak RSS included).

Jobs:

* ``gold``: index the given chunk texts with txtai's own sentence-transformers pipeline
  (``Embeddings(hybrid=True)``), then answer the queries; returns ranked chunk ids per query
  for hybrid, dense-only (weights=1) and sparse-only (weights=0) search, and hybrid latencies.
* ``scale``: index the given texts with PRECOMPUTED vectors (``method="external"`` and a
  transform that hands back the stored vector of each text), so txtai indexes exactly the
  vectors kb indexes; after indexing the transform embeds queries with the same model, so the
  query latency includes query embedding as kb's does.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process's own address space (VmHWM).

    Not ``ru_maxrss``: Linux carries the parent's high-water mark into a forked child across
    exec, so a child of a parent that had loaded a model would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def versions() -> dict[str, str]:
    import importlib.metadata as m

    return {p: m.version(p) for p in ("txtai", "faiss-cpu", "sentence-transformers", "torch", "transformers", "numpy")}


def read_chunks(path: str) -> tuple[list[int], list[str]]:
    ids, texts = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            ids.append(int(rec["id"]))
            texts.append(rec["text"])
    return ids, texts


def missing_prompts(model: Any) -> dict[str, str]:
    """The e5 prefixes txtai must add itself as ``instructions``, per txtai category.

    txtai's sentence-transformers path calls ``encode_query``/``encode_document``, which apply
    prompts saved with the model. With sentence-transformers 6 ``encode_document`` picks the
    ``"document"`` prompt (an empty default) before ``"passage"``, so "passage: " is missing while
    "query: " is already there; a blanket ``instructions={"query": ..., "data": ...}`` would then
    prefix queries twice. Checked on the installed versions, with txtai's own loaded model.
    """
    probe = ["control fronterizo en Desaguadero"]
    need = {}
    for category, name, prompt in (("query", "encode_query", "query: "), ("data", "encode_document", "passage: ")):
        want = model.encode(probe, prompt=prompt, normalize_embeddings=True)
        got = getattr(model, name)(probe, normalize_embeddings=True)
        if not np.allclose(want, got, atol=1e-5):
            need[category] = prompt
    return need


def timed_search(emb: Any, queries: Sequence[str], limit: int, weights: float | None = None) -> tuple[list, list]:
    """Search every query once; returns ``(seconds per query, ranked ids per query)``."""
    times, ranked = [], []
    for q in queries:
        t0 = time.perf_counter()
        hits = emb.search(q, limit, weights=weights)
        times.append(time.perf_counter() - t0)
        ranked.append([int(h[0]) for h in hits])
    return times, ranked


def faiss_info(emb: Any) -> dict[str, Any]:
    """The dense index txtai chose (its defaults: exact up to 5,000 vectors, IVF above)."""
    backend = getattr(emb.ann, "backend", None)
    settings = (emb.config.get("build") or {}).get("settings") or {}
    return {
        "components": settings.get("components"),
        "nprobe": getattr(backend, "nprobe", None),
        "ntotal": int(getattr(backend, "ntotal", 0)),
    }


def fusion_variants(emb: Any, queries: Sequence[str], limit: int) -> dict[str, list[list[int]]]:
    """txtai's other two hybrid fusions on the same index: RRF (``normalize: False``) and BB25 log-odds.

    txtai normalises BM25 scores only at search time (``scoring/tfidf.py``), so switching the
    scoring's normaliser after indexing is the same as configuring ``scoring={"method": "bm25",
    "terms": True, "normalize": False | "bayes"}`` from the start, without embedding twice.
    """
    from txtai.scoring.normalize import Normalize

    scoring = emb.scoring
    saved = scoring.normalize, scoring.normalizer
    out = {}
    try:
        for name, setting in (("hybrid_rrf", False), ("hybrid_bayes", "bayes")):
            scoring.normalize = setting
            scoring.normalizer = Normalize(setting) if setting else None
            out[name] = timed_search(emb, queries, limit)[1]
    finally:
        scoring.normalize, scoring.normalizer = saved
    return out


def gold(job: dict[str, Any]) -> dict[str, Any]:
    from txtai import Embeddings

    out: dict[str, Any] = {"versions": versions(), "rss_start_mb": rss_mb()}
    ids, texts = read_chunks(job["chunks"])
    config: dict[str, Any] = {"path": job["model"], "method": "sentence-transformers", "hybrid": True, "gpu": False}
    t0 = time.perf_counter()
    emb = Embeddings(config)
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    need = missing_prompts(emb.model.model)
    out["instructions_added"] = need
    if need:  # instructions are read at construction: set them on the loaded vectors model too
        emb.config["instructions"] = emb.model.instructions = need
    out["config"] = {k: v for k, v in emb.config.items() if k != "path"}
    # the parent compares these with kb's own vectors of the same strings: same model, same prefixes
    probe = job.get("probe", [])
    if probe:
        out["probe"] = {
            "query": emb.batchtransform(probe, "query").tolist(),
            "data": emb.batchtransform(probe, "data").tolist(),
        }
    t0 = time.perf_counter()
    emb.index([(i, t, None) for i, t in zip(ids, texts, strict=True)])
    out["index_s"] = round(time.perf_counter() - t0, 2)
    out["chunks"] = len(ids)
    queries = job["queries"]
    emb.search(queries[0], job["limit"])  # warm-up, as kb's is
    times, ranked = timed_search(emb, queries, job["eval_limit"])
    out["latency_eval_limit"] = times
    out["ranked"] = {"hybrid": ranked}
    times10, _ = timed_search(emb, queries, job["limit"])
    out["latency"] = times10
    out["ranked"]["dense"] = timed_search(emb, queries, job["eval_limit"], weights=1.0)[1]
    out["ranked"]["sparse"] = timed_search(emb, queries, job["eval_limit"], weights=0.0)[1]
    out["ranked"].update(fusion_variants(emb, queries, job["eval_limit"]))
    out["faiss"] = faiss_info(emb)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def make_transform(texts: Sequence[str], vectors: np.ndarray) -> tuple[Callable[[list[Any]], np.ndarray], dict]:
    """A txtai ``external`` transform: stored vectors while indexing, the real model for queries.

    txtai calls the transform with batches of texts in document order; each text's stored rows
    are handed out first come, first served, so duplicate texts still get their own vectors.
    A plain function (not a callable object) is required: txtai instantiates anything else.
    """
    rows: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        rows.setdefault(t, []).append(i)
    state: dict[str, Any] = {"model": None, "served": 0}

    def transform(batch: list[Any]) -> np.ndarray:
        if state["model"] is None:
            picked = [rows[t].pop(0) for t in batch]
            state["served"] += len(picked)
            return vectors[picked]
        return state["model"].encode(
            list(batch), prompt="query: ", normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    return transform, state


def scale(job: dict[str, Any]) -> dict[str, Any]:
    from sentence_transformers import SentenceTransformer
    from txtai import Embeddings

    out: dict[str, Any] = {"versions": versions(), "rss_start_mb": rss_mb()}
    ids, texts = read_chunks(job["chunks"])
    vectors = np.load(job["vectors"], allow_pickle=False, mmap_mode="r")
    transform, state = make_transform(texts, vectors)
    out["rss_data_mb"] = rss_mb()
    config: dict[str, Any] = {"method": "external", "transform": transform, "hybrid": True}
    if job.get("faiss"):
        config["faiss"] = {"components": job["faiss"]}
    emb = Embeddings(config)
    t0 = time.perf_counter()
    emb.index([(i, t, None) for i, t in zip(ids, texts, strict=True)])
    out["build_s"] = round(time.perf_counter() - t0, 2)
    assert state["served"] == len(ids), (state["served"], len(ids))
    out["rss_after_build_mb"] = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        emb.save(str(Path(tmp) / "index"))
        out["save_s"] = round(time.perf_counter() - t0, 2)
        out["disk_mb"] = round(sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20, 1)
    t0 = time.perf_counter()
    state["model"] = SentenceTransformer(job["model"], device="cpu", local_files_only=True)
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    queries = job["queries"]
    emb.search(queries[0], job["limit"])  # warm-up
    times: list[float] = []
    for run in range(job["runs"]):
        t, ranked = timed_search(emb, [q + " " * run for q in queries], job["limit"])
        times.extend(t)
        if run == 0:
            out["ranked"] = ranked
    out["latency"] = times
    out["faiss"] = faiss_info(emb)
    out["ranked_dense"] = timed_search(emb, queries, job["limit"], weights=1.0)[1]
    # where the time goes: the query embedding alone, as txtai's transform computes it
    embed_times = []
    for q in queries:
        t0 = time.perf_counter()
        transform([q])
        embed_times.append(time.perf_counter() - t0)
    out["embed_p50_ms"] = round(1000 * sorted(embed_times)[len(embed_times) // 2], 2)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    result = gold(job) if job["kind"] == "gold" else scale(job)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
