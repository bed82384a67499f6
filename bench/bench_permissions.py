"""What permissions cost a search: a user who reads 3 of 10 collections against the owner, same process.

Usage: .venv/bin/python bench/bench_permissions.py [--chunks 100000] [--runs 3]

A real knowledge base is built once (cached in ``bench/.cache/perm_<chunks>``) through the real
ingest path: documents recombined from the bundled corpus's sentences (about 10 chunks each),
spread over 10 collections, embedded with a hashed bag-of-words stand-in (384 dimensions) so the
build takes minutes, not days — the latency of the FAISS and BM25 searches depends on the
number of vectors and postings, not on what the vectors mean. Then every gold question is asked,
hybrid, by the owner and by the user in turns (interleaved, so both see the same machine state);
query embedding is the stand-in's, the same for both. Printed: p50/p95 of each and the ratio
(the issue's goal: the user's p95 within 10% of the owner's). Writes
``bench/results/permissions.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import CACHE, ROOT, gold_queries, log, sentence_pool, summary_ms, table, write_result

sys.path.insert(0, str(ROOT))

COLLECTIONS = [f"programme-{i}" for i in range(10)]
READS = COLLECTIONS[:3]
WORDS_PER_DOC = 1500  # about ten chunks of kb's 160 words


class HashedWords:
    """A deterministic stand-in embedder: hashed word counts, normalised (no model, no download)."""

    def __init__(self, dim: int = 384) -> None:
        from index.embed import EmbedderInfo

        self.info = EmbedderInfo("bench-hashed", "bench/hashed-words", "bench", dim)

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.blake2b(word[:6].encode(), digest_size=4).hexdigest(), 16) % self.info.dim] += 1
            out[i, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def build(work: Path, chunks: int) -> None:
    """Write the documents and ingest them, one collection at a time (the real write path)."""
    from kb.service import KnowledgeBase

    texts, langs, _, _ = sentence_pool()
    rng = np.random.default_rng(11)
    by_lang = [np.flatnonzero(langs == g) for g in range(int(langs.max()) + 1)]
    n_docs = max(len(COLLECTIONS), chunks // 10)
    src = work / "src"
    for d in range(n_docs):
        pool = by_lang[d % len(by_lang)]
        words: list[str] = []
        while len(words) < WORDS_PER_DOC:
            words.extend(texts[int(rng.choice(pool))].split())
        folder = src / COLLECTIONS[d % len(COLLECTIONS)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"doc-{d:06d}.txt").write_text(" ".join(words), encoding="utf-8")
    kb = KnowledgeBase.open(work / "kb", embedder_impl=HashedWords(), use_ner=False)
    for name in COLLECTIONS:
        t0 = time.perf_counter()
        report = kb.ingest([src / name], name)
        log(f"  {name}: {report.count('ingested')} documents in {time.perf_counter() - t0:.0f} s")
    kb.add_user("bench-admin", "bench-admin-password", admin=True)
    kb.add_user("reader", "reader-password")
    for name in READS:
        kb.grant("reader", name, "read")
    kb.close()
    shutil.rmtree(src)


def measure(work: Path, runs: int) -> dict[str, Any]:
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(work / "kb", embedder_impl=HashedWords(), use_ner=False)
    # multi-user mode: both sides append one audit row per search, as a served knowledge base does
    user = kb.as_user("reader")
    questions = [q["text"] if "text" in q else q["query"] for q in gold_queries()]
    for q in questions[:10]:  # warm both: segments loaded, scoped connection made
        kb.search(q, k=10)
        user.search(q, k=10)
    times: dict[str, list[float]] = {"owner": [], "user": []}
    for _ in range(runs):
        for q in questions:
            for who, view in (("owner", kb), ("user", user)):
                t0 = time.perf_counter()
                view.search(q, k=10)
                times[who].append(time.perf_counter() - t0)
    stats = kb.stats()
    out = {
        "chunks": stats["chunks"],
        "documents": stats["documents"],
        "collections": len(COLLECTIONS),
        "user_reads": len(READS),
        "user_chunks": user.stats()["chunks"],
        "queries": len(questions) * runs,
        "owner_ms": summary_ms(times["owner"]),
        "user_ms": summary_ms(times["user"]),
    }
    out["p95_ratio"] = round(out["user_ms"]["p95_ms"] / out["owner_ms"]["p95_ms"], 3)
    out["p50_ratio"] = round(out["user_ms"]["p50_ms"] / out["owner_ms"]["p50_ms"], 3)
    kb.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    work = CACHE / f"perm_{args.chunks}"
    if args.rebuild or not (work / "kb" / "manifest.json").exists():
        shutil.rmtree(work, ignore_errors=True)
        log(f"building a {args.chunks}-chunk knowledge base in {work} ...")
        t0 = time.perf_counter()
        build(work, args.chunks)
        log(f"built in {time.perf_counter() - t0:.0f} s")
    res = measure(work, args.runs)
    rows = [
        {"who": who, "p50 ms": res[key]["p50_ms"], "p95 ms": res[key]["p95_ms"]}
        for who, key in (("owner (every collection)", "owner_ms"), ("user reading 3 of 10", "user_ms"))
    ]
    rows.append(
        {"who": "ratio user / owner", "p50 ms": f"{res['p50_ratio']:.2f}x", "p95 ms": f"{res['p95_ratio']:.2f}x"}
    )
    title = f"hybrid search, {res['chunks']:,} chunks ({res['user_chunks']:,} readable), {res['queries']} queries each"
    print(table(rows, ["who", "p50 ms", "p95 ms"], title))
    write_result("permissions", res)


if __name__ == "__main__":
    main()
