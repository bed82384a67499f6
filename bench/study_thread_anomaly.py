"""Why query embedding slowed down after a narrow filtered search: OpenBLAS threads left spinning.

Usage: .venv/bin/python bench/study_thread_anomaly.py [--vectors 10000] [--rounds 60]

At 1M chunks a filter keeping 1% of the segment made IVF scan the ~10,000 allowed vectors exactly,
with a numpy (OpenBLAS) matrix product; the next query's embedding (ONNX Runtime, two threads) then
ran beside OpenBLAS's worker threads, which spin after a product before they sleep. This times one
query embedding right after each kind of scan — nothing, the BLAS product (before), ``np.einsum``
(kb now) — interleaved round by round, and prints each as a ratio to "nothing" measured in the
same process. Run it again with ``OPENBLAS_NUM_THREADS=1``: the BLAS row's excess should vanish.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np
from common import gold_queries, table


def main() -> None:
    from index.e5onnx import ready_query_encoder
    from index.models import load_embedder

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=60)
    args = ap.parse_args()
    enc = ready_query_encoder() or load_embedder("e5")
    vecs = np.random.default_rng(0).standard_normal((args.vectors, 384)).astype(np.float32)
    q = vecs[:1].copy()
    scans: dict[str, Callable[[], object]] = {
        "nothing": lambda: None,
        "BLAS product (before)": lambda: q @ vecs.T,
        "np.einsum (kb now)": lambda: np.einsum("ij,kj->ik", q, vecs),
    }
    texts = [g["text"] for g in gold_queries()]
    enc.embed(texts[:3], "query")
    times: dict[str, list[float]] = {k: [] for k in scans}
    scan_ms: dict[str, list[float]] = {k: [] for k in scans}
    for r in range(args.rounds):
        for name, scan in scans.items():
            t0 = time.perf_counter()
            scan()
            t1 = time.perf_counter()
            enc.embed([texts[r % len(texts)] + " " * r], "query")
            times[name].append(time.perf_counter() - t1)
            scan_ms[name].append(t1 - t0)
    base = float(np.median(times["nothing"]))
    rows = [
        {"before the embedding": k, "scan p50 ms": round(float(np.median(scan_ms[k])) * 1000, 2),
         "embed p50 ms": round(float(np.median(v)) * 1000, 1), "vs nothing": round(float(np.median(v)) / base, 2)}
        for k, v in times.items()
    ]  # fmt: skip
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(table(rows, list(rows[0]), f"One query embedding after a scan of {args.vectors:,} vectors "
                f"(OPENBLAS_NUM_THREADS={threads}, load average {os.getloadavg()[0]:.1f})"))  # fmt: skip


if __name__ == "__main__":
    main()
