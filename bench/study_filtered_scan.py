"""How many eligible vectors a filtered IVF search must reach: recall@10 and dense time per share.

Usage: .venv/bin/python bench/study_filtered_scan.py [--shares 1.0,0.5,0.3] (after
``bench/bench_query.py --scales 1000000 --keep``, which leaves the 1M-chunk build in bench/.cache)

For each share of :data:`index.ivf.FILTERED_SCAN` and each filter of the query benchmark, the dense
recall@10 of one-query-at-a-time searches against an exact scan of the allowed vectors (150 gold
questions, as ``bench/query_serve.py`` measures it) and the p50 of the dense search alone (60
questions, FAISS on one thread as kb runs it). Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import query_serve
from common import CACHE, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shares", default="1.0,0.5,0.3")
    ap.add_argument("--scale", type=int, default=1_000_000)
    args = ap.parse_args()
    import faiss

    import index.ivf as ivf
    from kb.read.bitmaps import segment_ids
    from kb.store.filters import load
    from kb.types import Filters

    work = CACHE / f"scale_{args.scale}"
    if not (work / "filters.0.npz").exists():
        raise SystemExit(f"no kept build in {work}: run bench/bench_query.py --scales {args.scale} --keep first")
    dense = ivf.IVFDenseIndex.load(work / "dense", mmap=True)
    seg = load(work / "filters.0.npz")
    qv = np.load(CACHE / "queries_e5.npy")
    faiss.omp_set_num_threads(1)
    rows = []
    for share in (float(s) for s in args.shares.split(",")):
        ivf.FILTERED_SCAN = share
        for name, spec in query_serve.CASES.items():
            f = Filters(**spec)
            allowed = segment_ids(seg, f, (), (), f.entity, None)
            recall = query_serve.recall_at_10(dense, qv, allowed, len(dense))
            times = []
            for q in qv[:60]:
                t0 = time.perf_counter()
                dense.search(q[None, :], 100, allowed=allowed)
                times.append(time.perf_counter() - t0)
            rows.append({"share": share, "filter": name, "recall_at_10": round(recall, 4),
                         "dense_p50_ms": round(float(np.median(times)) * 1000, 1)})  # fmt: skip
            print(rows[-1], flush=True)
    print(table(rows, ["share", "filter", "recall_at_10", "dense_p50_ms"], f"Filtered IVF scan share, {work.name}"))


if __name__ == "__main__":
    main()
