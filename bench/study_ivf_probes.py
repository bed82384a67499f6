"""One-off study behind ``index.ivf.PROBE_MARGIN``: recall@10 per nprobe at 1M chunks, probes vs real questions.

Usage: PYTHONPATH=. .venv/bin/python bench/study_ivf_probes.py   (after bench_query.py has cached its
20,000 sample embeddings and the gold questions' vectors; about 8 minutes on 2 cores)

Builds the same synthetic 1M-chunk IVF index as bench_query.py and prints, for every nprobe, the
recall@10 against exact search of the 150 gold questions and of three kinds of query-like probes
made from corpus sentences. Output of the run on 2026-11-29: bench/results/ivf_probe_study.txt.
"""

from __future__ import annotations

import sys
import time

import numpy as np

sys.path.insert(0, "bench")
from bench_query import sentence_pool, synthesise  # noqa: E402
from common import CACHE  # noqa: E402

from index.ivf import NPROBES, IVFDenseIndex, _FlatView, _recall  # noqa: E402
from index.models import load_embedder  # noqa: E402


def main() -> None:
    t0 = time.time()
    vectors, _, _ = synthesise(1_000_000, 20000, "e5-int8")
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
    ivf = IVFDenseIndex.build(ids, vectors)
    print(f"built nlist {ivf.index.nlist} in {time.time() - t0:.0f} s", flush=True)
    emb = load_embedder("e5")
    texts = sentence_pool()[0]
    rng = np.random.default_rng(11)
    pick = rng.choice(len(texts), 300, replace=False)
    second = rng.choice(len(texts), 300)
    pairs = [" ".join((texts[i] + " " + texts[j]).split()[:25]) for i, j in zip(pick, second, strict=True)]
    sets = {
        "gold": np.load(CACHE / "queries_e5.npy"),
        "sentences": emb.embed([texts[i] for i in pick], "query"),
        "sentences-8w": emb.embed([" ".join(texts[i].split()[:8]) for i in pick], "query"),
        "sentence-pairs-25w": emb.embed(pairs, "query"),
    }
    queries = {k: np.ascontiguousarray(q, dtype=np.float32) for k, q in sets.items()}
    flat = _FlatView(vectors, ids)
    truth = {k: flat.search(q, 10)[1] for k, q in queries.items()}
    print("nprobe | " + " | ".join(queries))
    for p in (p for p in NPROBES if p <= 128):
        ivf.nprobe = p
        print(f"{p} | " + " | ".join(f"{_recall(ivf, truth[k], q, 10, None):.4f}" for k, q in queries.items()))


if __name__ == "__main__":
    main()
