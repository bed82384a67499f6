"""Ingest throughput on the bundled corpus, per stage, as a ratio to raw embedding in the same run.

Usage: .venv/bin/python bench/bench_ingest.py [--quick] [--runs N] [--embedder e5]

Models are loaded and warmed first (their load time is reported apart), then each run ingests
the corpus into a fresh knowledge base, embeds the very same chunk texts again with the raw
embedder (no cache, slices of 64; the pipeline embeds slices of 16 so that it can adjust torch's
threads between them, which if anything favours the baseline) and re-ingests the unchanged
corpus. ``--quick`` uses the text formats only (Markdown, TXT, HTML, DOCX: no PDF, so no OCR).
Writes ``bench/results/ingest[_quick].json``; figures are medians over the runs (3 by default).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import CACHE, CORPUS, log, peak_rss_mb, table, write_result

STAGES = ("read", "chunk", "entities", "embed", "index", "store")
QUICK_SUFFIXES = {".md", ".txt", ".html", ".docx"}


def corpus_folder(quick: bool) -> Path:
    if not quick:
        return CORPUS
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-corpus-"))
    for p in sorted(CORPUS.iterdir()):
        if p.suffix.lower() in QUICK_SUFFIXES:
            shutil.copy2(p, folder / p.name)
    return folder


def warm(embedder_name: str, analyser: Any = None) -> tuple[Any, Any, float]:
    """Load the embedder and, unless one is given, the analyser (spaCy pipelines of the four languages)."""
    from kb.service import KnowledgeBase

    t0 = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="kb-bench-warm-"))
    kb = KnowledgeBase.open(scratch / "kb", embedder=embedder_name)
    emb = kb.embedder
    emb.embed(["passage warm-up"], "passage")
    if analyser is None:
        analyser = kb.analyser
        samples = {
            "es": "La Policía Nacional del Perú se reunió en Lima.",
            "en": "The border police met in Tulcán.",
            "pt": "A Polícia Federal reuniu-se em Foz do Iguaçu.",
            "fr": "La police aux frontières s'est réunie à Cayenne.",
        }
        analyser.extractor.extract(list(samples.values()), list(samples))
        from ingest.language import detect_many

        detect_many(list(samples.values()))  # lingua loads its n-gram models on first use (~3 s)
    kb.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return emb, analyser, time.perf_counter() - t0


def one_run(folder: Path, emb: Any, analyser: Any, embedder_name: str, keep: Path | None) -> dict[str, Any]:
    from kb.service import KnowledgeBase

    root = Path(tempfile.mkdtemp(prefix="kb-bench-ingest-")) / "kb"
    kb = KnowledgeBase.open(root, embedder=embedder_name, embedder_impl=emb)
    kb._analyser = analyser  # reuse the warm pipelines: this run measures ingest, not model loading
    t0 = time.perf_counter()
    report = kb.ingest([folder])
    ingest_s = time.perf_counter() - t0
    stages = {s: round(kb.timings.get(s, 0.0), 2) for s in STAGES}
    texts = [r[0] for r in kb.store.db.execute("SELECT text FROM chunks WHERE deleted_gen IS NULL ORDER BY id")]
    docs = report.count("ingested")
    t0 = time.perf_counter()
    for s in range(0, len(texts), 64):  # embed_cached's default slices (the pipeline uses 16 during ingest)
        emb.embed(texts[s : s + 64], "passage")
    raw_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = kb.ingest([folder])
    reingest_s = time.perf_counter() - t0
    kb.close()
    if keep is not None:
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(root, keep)
    shutil.rmtree(root.parent, ignore_errors=True)
    return {
        "documents": docs,
        "skipped": len(report.skipped),
        "chunks": len(texts),
        "words": sum(len(t.split()) for t in texts),
        "ingest_s": round(ingest_s, 2),
        "stages_s": stages,
        "raw_embed_s": round(raw_s, 2),
        "ratio_to_raw_embed": round(ingest_s / raw_s, 3),
        "ratio_without_read": round((ingest_s - stages["read"]) / raw_s, 3),
        "reingest_s": round(reingest_s, 3),
        "reingest_unchanged": again.count("unchanged"),
        "reingest_ratio": round(reingest_s / ingest_s, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--embedder", default="e5")
    ap.add_argument(
        "--runtimes",
        default=None,
        help="comma-separated embedders to compare in one run, e.g. e5-engine,e5,e5-int8 (issue 8)",
    )
    args = ap.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    folder = corpus_folder(args.quick)
    if args.runtimes:
        compare_runtimes(folder, [e.strip() for e in args.runtimes.split(",") if e.strip()], runs, args.quick)
    else:
        single(folder, args.embedder, runs, args.quick)
    if args.quick:
        shutil.rmtree(folder, ignore_errors=True)


def compare_runtimes(folder: Path, names: list[str], runs: int, quick: bool) -> None:
    """The whole ingest of the same corpus with each embedder runtime, in one process.

    The spaCy pipelines are loaded once and shared, so the runs differ only by the embedder;
    passages/s is the raw embedder on the very chunk texts the pipeline embedded.
    """
    analyser = None
    rows, out = [], []
    for name in names:
        log(f"warming {name}")
        emb, analyser, load_s = warm(name, analyser)
        results = [one_run(folder, emb, analyser, name, None) for _ in range(runs)]
        med = _median(results)
        entry = {"embedder": name, "model_load_s": round(load_s, 1), "runs": results, "median": med}
        out.append(entry)
        rows.append(
            {
                "runtime": name,
                "passages/s (raw)": round(med["chunks"] / med["raw_embed_s"], 1),
                "ingest s": med["ingest_s"],
                "embed stage s": med["stages_s"]["embed"],
                "read stage s": med["stages_s"]["read"],
                "pipeline / raw embed": med["ratio_to_raw_embed"],
            }
        )
        del emb
    base = rows[0]["ingest s"]
    for r in rows:
        r["speed-up vs first"] = f"{base / r['ingest s']:.2f}x" if r["ingest s"] else "-"
    n = out[0]["median"]
    title = f"Ingest of {n['documents']} documents, {n['chunks']} chunks per runtime (median of {runs})"
    print(table(rows, list(rows[0]), title))
    write_result(
        "ingest_runtimes_quick" if quick else "ingest_runtimes",
        {
            "quick": quick,
            "corpus": "text formats only (md, txt, html, docx)" if quick else "corpus/documents",
            "runtimes": out,
            "table": rows,
        },
    )


def single(folder: Path, embedder: str, runs: int, quick: bool) -> None:
    log(f"warming models ({embedder})")
    emb, analyser, load_s = warm(embedder)
    results = []
    for i in range(runs):
        log(f"ingest run {i + 1}/{runs} of {folder}")
        keep = CACHE / "ingest_kb" if i == runs - 1 else None  # bench_coldstart opens this one
        results.append(one_run(folder, emb, analyser, embedder, keep))
    med = _median(results)
    n_docs, n_chunks = med["documents"], med["chunks"]
    rows = []
    for stage in STAGES:
        sec = med["stages_s"][stage]
        rows.append(
            {
                "stage": stage,
                "seconds": sec,
                "docs/s": round(n_docs / sec, 1) if sec else "-",
                "chunks/s": round(n_chunks / sec, 1) if sec else "-",
                "share": f"{sec / med['ingest_s']:.0%}",
            }
        )
    rows.append(
        {
            "stage": "whole ingest",
            "seconds": med["ingest_s"],
            "docs/s": round(n_docs / med["ingest_s"], 2),
            "chunks/s": round(n_chunks / med["ingest_s"], 2),
            "share": "100%",
        }
    )
    rows.append(
        {
            "stage": "raw embedding (same texts)",
            "seconds": med["raw_embed_s"],
            "docs/s": "-",
            "chunks/s": round(n_chunks / med["raw_embed_s"], 2),
            "share": "-",
        }
    )
    print(table(rows, list(rows[0]), f"Ingest of {n_docs} documents, {n_chunks} chunks (median of {runs} runs)"))
    print(
        f"\npipeline / raw embedding: {med['ratio_to_raw_embed']}x "
        f"(without the read stage: {med['ratio_without_read']}x); "
        f"re-ingest unchanged: {med['reingest_s']} s = {med['reingest_ratio']:.2%} of the first ingest; "
        f"models load {load_s:.1f} s.\nchunk and entities run on the analysis thread while the previous group "
        "is embedded, and read is only the time spent waiting for the reader: stage seconds overlap."
    )
    write_result(
        "ingest_quick" if quick else "ingest",
        {
            "quick": quick,
            "corpus": "text formats only (md, txt, html, docx)" if quick else "corpus/documents",
            "embedder": embedder,
            "model_load_s": round(load_s, 1),
            "runs": results,
            "median": med,
            "peak_rss_mb": peak_rss_mb(),
        },
    )


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in results[0].items():
        if isinstance(value, dict):
            out[key] = {k: round(statistics.median(r[key][k] for r in results), 3) for k in value}
        elif isinstance(value, int):
            out[key] = statistics.median_low(r[key] for r in results)
        else:
            out[key] = round(statistics.median(r[key] for r in results), 3)
    return out


if __name__ == "__main__":
    main()
