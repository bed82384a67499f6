"""kb against txtai (``Embeddings(hybrid=True)``: dense + BM25) on the same chunks, vectors and model.

Usage: .venv/bin/python bench/bench_compare.py [--quick] [--scales 10000,100000] [--sample N]

Why a separate environment: txtai is the alternative a reader would pick instead of kb, so it is
installed from PyPI exactly as a user would get it, in its own venv (``~/.cache/kb/bench-venv-txtai``,
created on first run, never inside the repository), and runs there as a child process
(``bench/compare_txtai_worker.py``). kb runs in the project venv, also as a child, so each
system's peak RSS is its own process's. The parent only prepares data and compares.

Two parts:

* Gold set: kb ingests ``corpus/documents`` (its full pipeline: parsing, OCR, NER, chunking,
  embedding, indexing; ``--quick``: the text formats only); its chunk texts are then exported
  from its SQLite store and txtai indexes exactly those chunks with its own
  sentence-transformers pipeline, so chunking is identical. Both answer the gold questions;
  chunk hits map to documents (first hit per document) and are scored with ``kb.evaluate.metrics`` (nDCG@10, R@5).
* Scale (10k and 100k chunks; ``--quick``: 10k): the synthetic collections of
  ``bench_query.py`` (corpus sentences, a sample with real embeddings, perturbed copies for the
  rest). Both systems index the SAME texts and vectors; only queries are embedded at search
  time, by the same model in both, and that time is part of the latency.

Both use the converted sentence-transformers copy of multilingual-e5-small that kb itself uses
(``index.e5convert.ensure_converted()``), loaded by path offline, with the e5 prefixes
"query: " / "passage: ". Writes ``bench/results/compare_txtai[_quick].json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import CORPUS, ROOT, gold_queries, log, rss_mb, summary_ms, table, write_result

BENCH_VENV = Path("~/.cache/kb/bench-venv-txtai").expanduser()
WORKER = Path(__file__).resolve().with_name("compare_txtai_worker.py")
# torch first, from the CPU wheel: a bare torch requirement would pull a multi-GB CUDA build.
TORCH_PIN = "torch==2.13.0"
# The versions the first install resolved to, pinned so the comparison is reproducible.
TXTAI_PINS = ("txtai==9.14.0", "faiss-cpu==1.15.1", "sentence-transformers==6.2.0")
EVAL = ROOT / "corpus" / "eval"
CANDIDATES = 100  # chunks asked from each system per query: kb's default candidates per ranking
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


# -- the alternative's environment ----------------------------------------------------------------
def venv_python() -> Path:
    return BENCH_VENV / "bin" / "python"


def ensure_venv() -> dict[str, str]:
    """Create the txtai venv when missing (slow, once); return the installed versions.

    A marker file is written last, so an interrupted install is redone instead of half-used.
    """
    marker = BENCH_VENV / ".kb-bench-ready"
    if not marker.exists():
        if BENCH_VENV.exists():
            log(f"{BENCH_VENV} is incomplete: recreating it")
            shutil.rmtree(BENCH_VENV)
        BENCH_VENV.parent.mkdir(parents=True, exist_ok=True)
        log(f"creating {BENCH_VENV} (one-off, several minutes)")
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(BENCH_VENV)], check=True)
        pip = [str(venv_python()), "-m", "pip", "install", "--progress-bar", "off"]
        for step in (["--upgrade", "pip"], [TORCH_PIN], list(TXTAI_PINS)):
            log(f"pip install {' '.join(step)}")
            subprocess.run([*pip, *step], check=True)
        marker.write_text(time.strftime("%Y-%m-%d %H:%M"))
    code = (
        "import json, importlib.metadata as m; "
        "print(json.dumps({p: m.version(p) for p in "
        "('txtai', 'faiss-cpu', 'sentence-transformers', 'torch', 'transformers', 'numpy')}))"
    )
    out = subprocess.run([str(venv_python()), "-c", code], check=True, capture_output=True, text=True)
    found: dict[str, str] = json.loads(out.stdout)
    for pin in (TORCH_PIN, *TXTAI_PINS):
        name, want = pin.split("==")
        if not found.get(name, "").startswith(want):
            log(f"warning: {BENCH_VENV} has {name} {found.get(name)}, not {want}: delete it to rebuild")
    return found


def kb_versions() -> dict[str, str]:
    import importlib.metadata as m

    names = ("kb", "faiss-cpu", "bm25s", "sentence-transformers", "torch", "transformers", "numpy")
    out = {}
    for name in names:
        with contextlib.suppress(m.PackageNotFoundError):
            out[name] = m.version(name)
    return out


def model_path() -> Path:
    """The converted sentence-transformers e5 folder, located exactly as kb's ``e5`` embedder locates it."""
    from index.e5convert import ensure_converted

    return Path(ensure_converted())


def child_env(threads: int) -> dict[str, str]:
    """Offline, and the same thread count for both systems.

    On a shared 2-core machine torch's default (one thread per core) spins against the other
    work: a single query embedding was measured at ~1 s with 2 threads and ~35 ms with 1.
    """
    env = {**os.environ, **ENV}
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(threads)
    return env


def run_child(cmd: Sequence[str], label: str, threads: int) -> dict[str, Any]:
    """Run one measured process; its stderr goes to ours (progress), its last stdout line is JSON."""
    log(f"{label} ...")
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), stdout=subprocess.PIPE, text=True, env=child_env(threads), cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed (exit {proc.returncode})")
    log(f"{label} done in {time.perf_counter() - t0:.0f} s")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def kb_child(args: Sequence[str], label: str, threads: int) -> dict[str, Any]:
    return run_child([sys.executable, str(Path(__file__).resolve()), *args], label, threads)


def txtai_child(job: dict[str, Any], work: Path, label: str, threads: int) -> dict[str, Any]:
    path = work / f"txtai_job_{job['kind']}.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    return run_child([str(venv_python()), str(WORKER), str(path)], label, threads)


def peak_rss_mb() -> float:
    """Peak resident memory of this process's own address space (VmHWM, as the txtai worker reports it).

    Not ``common.peak_rss_mb`` (``ru_maxrss``): Linux carries a parent's high-water mark into a
    forked child across exec, and this script's parent process holds a model while it prepares
    the synthetic vectors, so every child would report at least the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


WARM_UP = "control fronterizo conjunto"  # not a gold question: kb caches query vectors by text


# -- kb's side (children in the project venv) ------------------------------------------------------
def kb_gold(work: Path) -> dict[str, Any]:
    """Ingest the corpus with kb's full pipeline, export its chunks, answer the gold questions.

    The documents and questions come from ``work/job.json`` (``--quick`` uses a subset).
    """
    from kb.service import KnowledgeBase

    out: dict[str, Any] = {"rss_start_mb": rss_mb()}
    kb = KnowledgeBase.open(work / "kb")
    t0 = time.perf_counter()
    kb.embedder  # noqa: B018 - load the model now, so the embed stage below is embedding only
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    job = json.loads((work / "job.json").read_text(encoding="utf-8"))
    out["probe"] = {
        "query": kb.embedder.embed(job["probe"], "query").tolist(),
        "data": kb.embedder.embed(job["probe"], "passage").tolist(),
    }
    t0 = time.perf_counter()
    report = kb.ingest([Path(p) for p in job["documents"]])
    out["ingest_s"] = round(time.perf_counter() - t0, 2)
    out["stages_s"] = {k: round(v, 2) for k, v in kb.timings.items()}
    out["embed_index_s"] = round(kb.timings.get("embed", 0.0) + kb.timings.get("index", 0.0), 2)
    out["documents"] = report.count("ingested")
    out["skipped"] = [[Path(r.path).name, r.reason] for r in report.skipped]
    rows = kb.store.db.execute(
        "SELECT c.id, c.text, c.lang, d.source, d.lang AS doc_lang FROM chunks c JOIN documents d ON d.id = c.doc_id "
        "WHERE c.deleted_gen IS NULL ORDER BY c.id"
    ).fetchall()
    write_jsonl(
        work / "chunks.jsonl", [{"id": r["id"], "text": r["text"], "doc": Path(r["source"]).name} for r in rows]
    )
    out["chunks"] = len(rows)
    out["doc_lang"] = {Path(r["source"]).name: r["doc_lang"] for r in rows}
    queries = job["queries"]
    kb.search(WARM_UP, k=10, per_doc=1, snippets=False)
    times: list[float] = []
    ranked: dict[str, list[list[str]]] = {"hybrid": [], "dense": [], "sparse": []}
    for q in queries:
        t0 = time.perf_counter()
        res = kb.search(q, k=10, per_doc=1, snippets=False)
        times.append(time.perf_counter() - t0)
        ranked["hybrid"].append([Path(r.best.source).name for r in res])
    for mode in ("dense", "sparse"):
        for q in queries:
            ranked[mode].append(
                [Path(r.best.source).name for r in kb.search(q, k=10, mode=mode, per_doc=1, snippets=False)]
            )
    out["latency"] = times
    out["ranked"] = ranked
    out["peak_rss_mb"] = peak_rss_mb()
    kb.close()
    return out


def kb_scale(work: Path, limit: int, runs: int) -> dict[str, Any]:
    """Build kb's two indexes over the prepared texts and vectors, then time kb's query path.

    The query path is ``kb.read.search``'s core without a store: language detection,
    gazetteer expansion of the BM25 query, query embedding, exact FAISS search, BM25 search and
    language-aware fusion over ``CANDIDATES`` from each ranking (no SQLite lookups: the synthetic
    chunks have no documents; txtai's index-only search has none either).
    """
    from types import SimpleNamespace

    from index.dense import DenseIndex
    from index.fusion import fuse
    from index.models import load_embedder
    from index.sparse import SparseIndex
    from ingest.gazetteer import Gazetteer
    from ingest.language import query_language
    from kb.read.search import expand_query

    out: dict[str, Any] = {"rss_start_mb": rss_mb()}
    chunks = read_jsonl(work / "chunks.jsonl")
    ids = np.array([c["id"] for c in chunks], dtype=np.int64)
    texts = [c["text"] for c in chunks]
    langs = [c["lang"] for c in chunks]
    del chunks
    vectors = np.load(work / "vectors.npy", allow_pickle=False, mmap_mode="r")
    out["rss_data_mb"] = rss_mb()
    t0 = time.perf_counter()
    dense = DenseIndex.build(ids, vectors)
    out["dense_build_s"] = round(time.perf_counter() - t0, 2)
    t1 = time.perf_counter()
    sparse = SparseIndex.build(ids, texts, langs)
    out["sparse_build_s"] = round(time.perf_counter() - t1, 2)
    out["build_s"] = round(time.perf_counter() - t0, 2)
    out["rss_after_build_mb"] = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        dense.save(Path(tmp) / "dense")
        sparse.save(Path(tmp) / "sparse")
        out["save_s"] = round(time.perf_counter() - t0, 2)
        out["disk_mb"] = round(sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20, 1)
    t0 = time.perf_counter()
    emb = load_embedder("e5")
    gaz = SimpleNamespace(gazetteer=Gazetteer.load())
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    lang_of = np.array(langs, dtype=object)

    stages: dict[str, list[float]] = {"language": [], "embed": [], "dense": [], "sparse": [], "fuse": []}

    def one(text: str) -> tuple[list[int], list[int]]:
        t = [time.perf_counter()]
        qlang = query_language(text)
        t.append(time.perf_counter())
        qv = emb.embed([text], "query")
        t.append(time.perf_counter())
        _, d = dense.search(qv, CANDIDATES)
        dense_ids = d[0][d[0] >= 0]
        t.append(time.perf_counter())
        _, sparse_ids = sparse.search(expand_query(gaz, text), qlang, CANDIDATES)  # type: ignore[arg-type]
        t.append(time.perf_counter())
        cand = np.union1d(dense_ids, sparse_ids)
        chunk_lang = {int(i): lang_of[i - 1] for i in cand}
        fused, _ = fuse(dense_ids, sparse_ids, chunk_lang, qlang)
        t.append(time.perf_counter())
        for i, name in enumerate(stages):
            stages[name].append(t[i + 1] - t[i])
        return [int(i) for i in fused[:10]], [int(i) for i in dense_ids[:10]]

    one(WARM_UP)
    for v in stages.values():
        v.clear()
    queries = [q["text"] for q in gold_queries()][:limit]
    times: list[float] = []
    out["ranked"], out["ranked_dense"] = [], []
    for run in range(runs):
        for q in queries:
            t0 = time.perf_counter()
            hybrid, dense_top = one(q + " " * run)
            times.append(time.perf_counter() - t0)
            if run == 0:
                out["ranked"].append(hybrid)
                out["ranked_dense"].append(dense_top)
    out["stages_p50_ms"] = {name: summary_ms(v)["p50_ms"] for name, v in stages.items()}
    out["latency"] = times
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# -- data -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _sentence_rows() -> Iterator[None]:
    """Make ``bench_query.synthesise`` hand back each chunk's sentence indices as its "tokens".

    synthesise returns BM25 token ids (the concatenation of its sentences' tokens) but not the
    texts, and txtai needs texts. Giving every sentence the single "token" of its own index turns
    its token lists into the sentence rows, from which ``common.row_texts`` rebuilds the texts,
    without copying its generator.
    """
    import bench_query

    real = bench_query.sentence_pool

    def pool() -> tuple[list[str], Any, list[list[int]], dict[str, int]]:
        texts, langs, _, vocab = real()
        return texts, langs, [[i] for i in range(len(texts))], vocab

    bench_query.sentence_pool = pool  # type: ignore[assignment]
    try:
        yield
    finally:
        bench_query.sentence_pool = real  # type: ignore[assignment]


def prepare_scale(n: int, sample: int, work: Path) -> dict[str, Any]:
    """Write ``vectors.npy`` and ``chunks.jsonl`` (id, text, lang) of ``n`` synthetic chunks."""
    import bench_query
    from common import LANGS, row_texts, sentence_pool

    t0 = time.perf_counter()
    pool_texts = sentence_pool()[0]
    with _sentence_rows():
        vectors, langs, rows = bench_query.synthesise(n, sample, "e5")
    texts = row_texts(rows, pool_texts)
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    write_jsonl(
        work / "chunks.jsonl",
        [
            {"id": i + 1, "text": t, "lang": LANGS[g]}
            for i, (t, g) in enumerate(zip(texts, langs.tolist(), strict=True))
        ],
    )
    return {
        "chunks": n,
        "real_embeddings": min(n, sample),
        "distinct_texts": len(set(texts)),
        "words_per_chunk": round(sum(len(t.split()) for t in texts) / n, 1),
        "generate_s": round(time.perf_counter() - t0, 1),
    }


# -- scoring ----------------------------------------------------------------------------------------
def gold_qrels(docs: set[str]) -> dict[str, dict[str, int]]:
    """The document-level judgements, restricted to the ingested documents (all of them unless --quick)."""
    from kb.reports.evaluate import load_qrels

    return {q: {d: r for d, r in rel.items() if d in docs} for q, rel in load_qrels(EVAL / "qrels.tsv").items()}


def score(
    ranked_docs: Sequence[Sequence[str]], queries: Sequence[dict[str, Any]], qrels: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """nDCG@10, R@5 (and the rest of ``kb.evaluate.metrics``) averaged over questions with judgements."""
    from kb.reports.evaluate import metrics

    rows: dict[str, list[dict[str, float]]] = {"all": [], "cross": [], "same": []}
    for q, ranked in zip(queries, ranked_docs, strict=True):
        rel = qrels.get(q["id"], {})
        if not rel:
            continue
        m = metrics(list(ranked), rel)
        rows["all"].append(m)
        rows["cross" if q.get("cross_lingual") else "same"].append(m)
    out = {}
    for split, ms in rows.items():
        if ms:
            out[split] = {k: round(sum(m[k] for m in ms) / len(ms), 4) for k in ms[0]} | {"n": len(ms)}
    return out


def chunk_hits_to_docs(ranked_ids: Sequence[Sequence[int]], doc_of: dict[int, str], k: int = 10) -> list[list[str]]:
    """Map ranked chunk ids to documents, first hit per document, as kb groups its results."""
    out = []
    for ids in ranked_ids:
        docs: list[str] = []
        for i in ids:
            d = doc_of[int(i)]
            if d not in docs:
                docs.append(d)
            if len(docs) == k:
                break
        out.append(docs)
    return out


def overlap_at_10(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]]) -> float:
    """Mean share of ``b``'s top 10 found in ``a``'s top 10 (with ``b`` exact: ``a``'s recall@10)."""
    shares = [len(set(x[:10]) & set(y[:10])) / max(len(y[:10]), 1) for x, y in zip(a, b, strict=True)]
    return round(sum(shares) / max(len(shares), 1), 4)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b:
        return None
    return round(a / b, 2)


def probe_agreement(kb_probe: dict[str, list[list[float]]], tx_probe: dict[str, list[list[float]]]) -> dict[str, float]:
    """Least cosine between kb's and txtai's vectors of the same strings (same model and prefixes: ~1.0)."""
    out = {}
    for category in ("query", "data"):
        ours = np.asarray(kb_probe[category], dtype=np.float32)
        theirs = np.asarray(tx_probe[category], dtype=np.float32)
        out[category] = round(float(np.min(np.sum(theirs * ours, axis=1))), 5)
    return out


# -- the run ------------------------------------------------------------------------------------------
PROBE_PASSAGE = "Las patrullas conjuntas en el río fronterizo se acordaron en la reunión binacional de 2024."
QUICK_FORMATS = {".md", ".txt", ".html", ".docx"}  # --quick: no PDFs (no OCR), about half the chunks


def run_gold(work: Path, model: Path, quick: bool, threads: int) -> dict[str, Any]:
    """kb ingests and answers in one child; txtai indexes kb's chunks and answers in another."""
    docs = sorted(p for p in CORPUS.iterdir() if p.is_file() and (not quick or p.suffix in QUICK_FORMATS))
    qrels = gold_qrels({p.name for p in docs})
    queries = [q for q in gold_queries() if qrels.get(q["id"])]
    if quick:
        queries = queries[:40]
    work.mkdir(parents=True, exist_ok=True)
    probe = [PROBE_PASSAGE, queries[0]["text"]]
    job = {"documents": [str(p) for p in docs], "queries": [q["text"] for q in queries], "probe": probe}
    (work / "job.json").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    kb_res = kb_child(["--kb-gold", str(work)], f"kb: ingest {len(docs)} documents + {len(queries)} questions", threads)
    chunks = read_jsonl(work / "chunks.jsonl")
    doc_of = {int(c["id"]): c["doc"] for c in chunks}
    tx_job = {
        "kind": "gold",
        "model": str(model),
        "chunks": str(work / "chunks.jsonl"),
        "queries": job["queries"],
        "limit": 10,
        "eval_limit": 50,
        "probe": probe,
    }
    tx_res = txtai_child(tx_job, work, f"txtai: index kb's {len(chunks)} chunks + {len(queries)} questions", threads)
    agreement = probe_agreement(kb_res.pop("probe"), tx_res.pop("probe"))
    quality: dict[str, dict[str, Any]] = {"kb": {}, "txtai": {}}
    for mode in ("hybrid", "dense", "sparse"):
        quality["kb"][mode] = score(kb_res["ranked"][mode], queries, qrels)
    for mode in ("hybrid", "dense", "sparse", "hybrid_rrf", "hybrid_bayes"):
        quality["txtai"][mode] = score(chunk_hits_to_docs(tx_res["ranked"][mode], doc_of), queries, qrels)
    for res in (kb_res, tx_res):
        res.pop("ranked")
        res["latency"] = summary_ms(res["latency"])
    kb_res.pop("doc_lang")
    tx_res["latency_eval_limit"] = summary_ms(tx_res["latency_eval_limit"])
    kh, th = quality["kb"]["hybrid"]["all"], quality["txtai"]["hybrid"]["all"]
    return {
        "documents": kb_res["documents"],
        "document_set": "text formats only (md, txt, html, docx)" if quick else "all of corpus/documents",
        "chunks": kb_res["chunks"],
        "queries": len(queries),
        "vector_agreement_min_cosine": agreement,
        "kb": kb_res,
        "txtai": tx_res,
        "quality": quality,
        "ratios_kb_over_txtai": {
            "ingest_full_pipeline_vs_txtai_index": ratio(kb_res["ingest_s"], tx_res["index_s"]),
            "embed_index_vs_txtai_index": ratio(kb_res["embed_index_s"], tx_res["index_s"]),
            "p50": ratio(kb_res["latency"]["p50_ms"], tx_res["latency"]["p50_ms"]),
            "p95": ratio(kb_res["latency"]["p95_ms"], tx_res["latency"]["p95_ms"]),
            "peak_rss": ratio(kb_res["peak_rss_mb"], tx_res["peak_rss_mb"]),
            "nDCG@10": ratio(kh["nDCG@10"], th["nDCG@10"]),
            "R@5": ratio(kh["R@5"], th["R@5"]),
        },
    }


def run_scale(n: int, sample: int, work: Path, model: Path, limit: int, runs: int, threads: int) -> dict[str, Any]:
    sdir = work / f"scale_{n}"
    log(f"preparing {n:,} synthetic chunks ({min(n, sample):,} with real embeddings)")
    info = prepare_scale(n, sample, sdir)
    kb_res = kb_child(
        ["--kb-scale", str(sdir), "--limit", str(limit), "--runs", str(runs)], f"kb: {n:,} chunks", threads
    )
    job = {
        "kind": "scale",
        "model": str(model),
        "chunks": str(sdir / "chunks.jsonl"),
        "vectors": str(sdir / "vectors.npy"),
        "queries": [q["text"] for q in gold_queries()][:limit],
        "limit": 10,
        "runs": runs,
    }
    tx_res = txtai_child(job, sdir, f"txtai: {n:,} chunks", threads)
    shutil.rmtree(sdir, ignore_errors=True)
    agreement = {
        "hybrid_top10_overlap": overlap_at_10(tx_res.pop("ranked"), kb_res.pop("ranked")),
        "txtai_dense_recall_at_10_vs_exact": overlap_at_10(tx_res.pop("ranked_dense"), kb_res.pop("ranked_dense")),
    }
    for res in (kb_res, tx_res):
        res["latency"] = summary_ms(res["latency"])
        res["index_rss_mb"] = round(res["rss_after_build_mb"] - res["rss_data_mb"], 1)
    return {
        **info,
        "agreement": agreement,
        "kb": kb_res,
        "txtai": tx_res,
        "ratios_kb_over_txtai": {
            "build": ratio(kb_res["build_s"], tx_res["build_s"]),
            "p50": ratio(kb_res["latency"]["p50_ms"], tx_res["latency"]["p50_ms"]),
            "p95": ratio(kb_res["latency"]["p95_ms"], tx_res["latency"]["p95_ms"]),
            "peak_rss": ratio(kb_res["peak_rss_mb"], tx_res["peak_rss_mb"]),
            "disk": ratio(kb_res["disk_mb"], tx_res["disk_mb"]),
        },
    }


FAIRNESS = [
    "Same model files for both: kb's converted sentence-transformers multilingual-e5-small, loaded by path, offline; "
    "'query: '/'passage: ' prefixes in both (checked: minimum cosine between the two systems' vectors of the "
    "same strings is reported as vector_agreement_min_cosine).",
    "Same thread count for both (OMP/MKL/OPENBLAS_NUM_THREADS=threads): the 2 cores are shared with other work.",
    "Gold set: txtai indexes exactly kb's chunk texts (exported from kb's SQLite store), so chunking is identical; "
    "kb's ingest_s is its whole pipeline (parsing, OCR of scanned PDFs, language detection, NER, chunking, "
    "embedding, indexing, SQLite store), embed_index_s only its embed + index stages, the part txtai's index_s does.",
    "Gold latency: kb.search(k=10, per_doc=1, snippets=False) end to end (SQLite filters/grouping included) vs "
    "txtai Embeddings.search(query, 10) (ids and scores only, content=False). txtai hybrid fetches 10x limit "
    "from each index; with limit 10 that is 100 candidates per ranking, kb's default. Quality uses limit 50 for "
    "txtai so that its chunk hits cover 10 distinct documents (latency at that limit: latency_eval_limit).",
    "txtai fusion: convex combination of normalised BM25 and cosine (weights 0.5/0.5, its default for hybrid=True); "
    "kb: language-aware reciprocal-rank fusion. txtai's dense/sparse rows are weights=1.0/0.0 of the same index.",
    "Scale: same texts and vectors in both; txtai gets them through method='external' with a transform that returns "
    "the stored vector of each text while indexing and embeds queries with the same model afterwards.",
    "Scale dense index: kb is exact (IndexFlatIP) at 10k and 100k; txtai uses its default faiss choice (IVF with "
    "nprobe = cells/16 above 5,000 vectors: approximate, faster per search, and it trains k-means at build time).",
    "Scale kb query path = kb.read.search's core (language detection, gazetteer expansion, embedding, FAISS, "
    "BM25, fusion) without SQLite lookups; txtai's = Embeddings.search without a content database.",
    "Peak RSS is each child process's VmHWM (its own address space: model + index + the data it was handed, the same "
    "texts and vectors for both). kb's ingest parses files in sandboxed subprocesses (and runs tesseract), which "
    "are not counted in its figure.",
    "txtai's hybrid_rrf / hybrid_bayes rows: the same index searched with scoring normalize=False (txtai's RRF) and "
    "normalize='bayes' (BB25 log-odds fusion); normalisation is search-time only in txtai, so no re-indexing.",
    "--quick uses the text-format documents only (no PDFs, no OCR) and 40 questions with a judged document among "
    "them, so that it finishes in minutes; its quality figures are not comparable with the full run's.",
]


def run(args: argparse.Namespace) -> dict[str, Any]:
    versions = {"txtai_venv": ensure_venv(), "kb_venv": kb_versions()}
    model = model_path()
    limit = 40 if args.quick else 1000
    runs = args.runs or (1 if args.quick else 2)
    scales = (
        [int(x) for x in args.scales.split(",")] if args.scales else ([10_000] if args.quick else [10_000, 100_000])
    )
    sample = args.sample or (500 if args.quick else 3000)
    with tempfile.TemporaryDirectory(prefix="kb-compare-") as tmp:
        work = Path(tmp)
        gold = run_gold(work / "gold", model, args.quick, args.threads)
        results = [run_scale(n, sample, work, model, limit, runs, args.threads) for n in scales]
    return {
        "quick": args.quick,
        "threads": args.threads,
        "model": str(model),
        "versions": versions,
        "txtai_config": {
            "gold": gold["txtai"].get("config"),
            "scale": {"method": "external", "hybrid": True, "transform": "stored vectors, then the model for queries"},
        },
        "gold": gold,
        "synthetic": (
            "Scale collections only (the gold set is the real corpus): chunks join 2 sentences of the bundled corpus "
            f"(one language each); the first {sample:,} chunks have real e5 embeddings, the rest are perturbed copies "
            "(bench_query.synthesise: vector moved up to half-way to one of its 10 nearest neighbours plus noise, one "
            f"sentence replaced). Queries: the gold questions ({limit if limit < 1000 else 'all'}, {runs} run(s)), "
            "embedded at query time."
        ),
        "scales": results,
        "fairness": FAIRNESS,
    }


def print_tables(res: dict[str, Any]) -> None:
    g = res["gold"]
    rows = []
    for name in ("kb", "txtai"):
        s, q = g[name], g["quality"][name]
        rows.append(
            {
                "system": name,
                "ingest s": s.get("ingest_s", s.get("index_s")),
                "embed+index s": s.get("embed_index_s", s.get("index_s")),
                "model load s": s["model_load_s"],
                "p50 ms": s["latency"]["p50_ms"],
                "p95 ms": s["latency"]["p95_ms"],
                "peak RSS MB": s["peak_rss_mb"],
                "nDCG@10": q["hybrid"]["all"]["nDCG@10"],
                "R@5": q["hybrid"]["all"]["R@5"],
                "nDCG@10 dense": q["dense"]["all"]["nDCG@10"],
                "nDCG@10 BM25": q["sparse"]["all"]["nDCG@10"],
                "nDCG@10 cross-lang": q["hybrid"].get("cross", {}).get("nDCG@10", ""),
            }
        )
    for variant, label in (("hybrid_rrf", "txtai, RRF fusion"), ("hybrid_bayes", "txtai, BB25 fusion")):
        q = g["quality"]["txtai"][variant]
        rows.append(
            {"system": label, "nDCG@10": q["all"]["nDCG@10"], "R@5": q["all"]["R@5"]}
            | {"nDCG@10 cross-lang": q.get("cross", {}).get("nDCG@10", "")}
        )
    r = g["ratios_kb_over_txtai"]
    rows.append(
        {
            "system": "kb/txtai (defaults)",
            "ingest s": r["ingest_full_pipeline_vs_txtai_index"],
            "embed+index s": r["embed_index_vs_txtai_index"],
            "p50 ms": r["p50"],
            "p95 ms": r["p95"],
            "peak RSS MB": r["peak_rss"],
            "nDCG@10": r["nDCG@10"],
            "R@5": r["R@5"],
        }
    )
    title = (
        f"Gold set ({g['document_set']}): {g['documents']} documents, {g['chunks']} chunks (kb's), {g['queries']} "
        f"questions; hybrid unless noted; min cosine kb vs txtai vectors {g['vector_agreement_min_cosine']}"
    )
    print(table(rows, list(rows[0]), title))
    srows = []
    for s in res["scales"]:
        for name in ("kb", "txtai"):
            x = s[name]
            srows.append(
                {
                    "chunks": f"{s['chunks']:,}",
                    "system": name,
                    "build s": x["build_s"],
                    "p50 ms": x["latency"]["p50_ms"],
                    "p95 ms": x["latency"]["p95_ms"],
                    "embed p50 ms": x.get("embed_p50_ms", x.get("stages_p50_ms", {}).get("embed", "")),
                    "peak RSS MB": x["peak_rss_mb"],
                    "index RSS MB": x["index_rss_mb"],
                    "disk MB": x["disk_mb"],
                    "dense index": "exact flat"
                    if name == "kb"
                    else f"{(x.get('faiss') or {}).get('components')} nprobe {(x.get('faiss') or {}).get('nprobe')}",
                    "top-10 overlap": s["agreement"]["hybrid_top10_overlap"] if name == "txtai" else "",
                    "dense recall@10": s["agreement"]["txtai_dense_recall_at_10_vs_exact"] if name == "txtai" else 1.0,
                }
            )
        r = s["ratios_kb_over_txtai"]
        srows.append(
            {
                "chunks": f"{s['chunks']:,}",
                "system": "kb/txtai",
                "build s": r["build"],
                "p50 ms": r["p50"],
                "p95 ms": r["p95"],
                "peak RSS MB": r["peak_rss"],
                "disk MB": r["disk"],
            }
        )
    print(table(srows, list(srows[0]), "Scale (synthetic, same texts and vectors; latency includes query embedding)"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10k chunks only, 40 questions at scale")
    ap.add_argument("--scales", default=None, help="comma-separated chunk counts (default 10000,100000)")
    ap.add_argument("--sample", type=int, default=None, help="chunks with real embeddings (default 3000; quick 500)")
    ap.add_argument("--runs", type=int, default=None, help="passes over the questions at scale (default 2; quick 1)")
    ap.add_argument("--threads", type=int, default=1, help="threads per process, the same for both systems")
    ap.add_argument("--setup", action="store_true", help="only create the txtai venv")
    ap.add_argument("--kb-gold", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--kb-scale", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=1000, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.kb_gold:
        print(json.dumps(kb_gold(args.kb_gold)))
        return
    if args.kb_scale:
        print(json.dumps(kb_scale(args.kb_scale, args.limit, args.runs or 1)))
        return
    if args.setup:
        print(json.dumps(ensure_venv()))
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))  # the sample embedding in this process too
    t0 = time.perf_counter()
    res = run(args)
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    print_tables(res)
    out = write_result("compare_txtai_quick" if args.quick else "compare_txtai", res)
    log(f"wrote {out.relative_to(ROOT)} ({res['wall_s']:.0f} s)")


if __name__ == "__main__":
    main()
