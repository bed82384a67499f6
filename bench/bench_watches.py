"""What watched searches cost an ingest, and that the cost follows the new batch, not the knowledge base.

Usage: .venv/bin/python bench/bench_watches.py [--base 200,2000] [--watches 50] [--batch 20] [--rounds 3]

For each base size a knowledge base of that many documents (about ten chunks each, recombined from
the bundled corpus's sentences, stand-in embedder as in bench_permissions) is built through the real
ingest path. Then batches of ``--batch`` new documents are ingested in turns with no watch and with
``--watches`` watches (the gold questions as queries), interleaved so both see the same machine
state. Printed per base size: the median ingest time of a batch without and with watches, their
ratio, and the median time the post-commit hook spent matching all watches against the new segment
(measured inside the hook). The hook time should not grow with the base, since it never searches it.
Writes ``bench/results/watches.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_permissions import WORDS_PER_DOC, HashedWords
from common import ROOT, gold_queries, log, sentence_pool, table, write_result

sys.path.insert(0, str(ROOT))


def write_docs(folder: Path, start: int, n: int, texts: list[str], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(start, start + n):
        words: list[str] = []
        while len(words) < WORDS_PER_DOC:
            words.extend(texts[int(rng.integers(len(texts)))].split())
        (folder / f"doc-{d:06d}.txt").write_text(" ".join(words), encoding="utf-8")
    return folder


def run(base: int, n_watches: int, batch: int, rounds: int, work: Path) -> dict[str, Any]:
    import kb.service_watch as sw
    from kb.service import KnowledgeBase

    texts = list(sentence_pool()[0])
    # no automatic compaction: a merge in one batch would swamp the difference being measured
    kb = KnowledgeBase.open(work / "kb", embedder_impl=HashedWords(), use_ner=False, compact_segments=10_000)
    kb.ingest([write_docs(work / "base", 0, base, texts, 1)])
    kb.gazetteer  # loaded once before timing (the first search of a process loads it)  # noqa: B018
    queries = [q["text"] for q in gold_queries()][:n_watches]
    hook_s: list[float] = []
    real_call = sw.WatchHook.__call__

    def timed(self: Any, committed: Any) -> None:
        t0 = time.perf_counter()
        real_call(self, committed)
        hook_s.append(time.perf_counter() - t0)

    sw.WatchHook.__call__ = timed  # type: ignore[method-assign]
    plain: list[float] = []
    watched: list[float] = []
    next_doc = base
    for r in range(rounds):
        for with_watches in (False, True) if r % 2 == 0 else (True, False):
            for w in kb.watches():
                kb.watch_remove(w["name"])
            if with_watches:
                for i, q in enumerate(queries):
                    kb.watch_add(f"w{i}", q)
            folder = write_docs(work / f"batch{next_doc}", next_doc, batch, texts, next_doc)
            next_doc += batch
            t0 = time.perf_counter()
            kb.ingest([folder])
            (watched if with_watches else plain).append(time.perf_counter() - t0)
    sw.WatchHook.__call__ = real_call  # type: ignore[method-assign]
    kb.close()
    out = {
        "base_documents": base, "watches": len(queries), "batch_documents": batch,
        "ingest_s_plain": statistics.median(plain), "ingest_s_watched": statistics.median(watched),
        "hook_s": statistics.median(hook_s),
    }  # fmt: skip
    out["ratio"] = out["ingest_s_watched"] / out["ingest_s_plain"]
    out["hook_ms_per_watch"] = 1000 * out["hook_s"] / max(1, len(queries))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="200,2000")
    ap.add_argument("--watches", type=int, default=50)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for base in [int(b) for b in args.base.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            log(f"base of {base} documents")
            rows.append(run(base, args.watches, args.batch, args.rounds, Path(tmp)))
    cols = [
        "base_documents",
        "watches",
        "batch_documents",
        "ingest_s_plain",
        "ingest_s_watched",
        "ratio",
        "hook_ms_per_watch",
    ]
    print(table(rows, cols, "watched searches at ingest"))
    write_result("watches", {"runs": rows})


if __name__ == "__main__":
    main()
