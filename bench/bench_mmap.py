"""Memory of 1 and 4 serving processes on one large segment, with the indexes memory-mapped or read in.

Usage: .venv/bin/python bench/bench_mmap.py [--chunks 1000000] [--procs 1,4]

Builds one synthetic segment (clustered random unit vectors of dimension 384 in an IVF index as a
segment over 200,000 chunks gets, and a BM25 index over 40 random terms per chunk from a Zipf-like
vocabulary) in ``bench/.cache/mmap_<n>`` once, then for each mode starts P processes that each load
it through ``kb.store.segments.load_segment`` and answer 40 dense and 40 BM25 queries, and, while
all P are alive, reads each one's ``/proc/<pid>/smaps_rollup``: RSS counts a shared page in every
process, PSS divides it among them, anonymous memory is what each holds privately. The summed PSS
is what the machine really spends. Writes ``bench/results/mmap_rss.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
DIM, TERMS, VOCAB = 384, 40, 30_000


def build(n: int, directory: Path) -> dict[str, float]:
    """The segment: IVF dense index and BM25 sparse index, written as ``write_segment`` lays them out."""
    import bm25s

    from index.ivf import IVFDenseIndex
    from index.sparse import SparseIndex

    rng = np.random.default_rng(7)
    centres = rng.standard_normal((4000, DIM)).astype(np.float32)
    vectors = np.empty((n, DIM), np.float32)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        vectors[s : s + m] = centres[rng.integers(0, len(centres), m)] + 0.6 * rng.standard_normal((m, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(1, n + 1, dtype=np.int64)
    t0 = time.perf_counter()
    dense = IVFDenseIndex.build(ids, vectors, nprobe=64)
    dense_s = time.perf_counter() - t0
    dense.save(directory / "dense")
    del vectors
    t0 = time.perf_counter()
    zipf = 1.0 / np.arange(1, VOCAB + 1)
    tokens = rng.choice(VOCAB, size=(n, TERMS), p=zipf / zipf.sum()).tolist()
    vocab = {f"kbterm{i}": i for i in range(VOCAB)}
    model = bm25s.BM25()
    model.index(bm25s.tokenization.Tokenized(ids=tokens, vocab=vocab), show_progress=False)
    SparseIndex(model, ids).save(directory / "sparse")
    (directory / "segment.json").write_text(json.dumps({"n": n, "dense": "ivf"}))
    return {"dense_build_s": round(dense_s, 1), "sparse_build_s": round(time.perf_counter() - t0, 1)}


def serve(directory: str, mmap: bool) -> None:
    """A serving process: load the segment, answer queries, say so, then wait to be measured."""
    from kb.store.segments import load_segment

    seg = load_segment(0, Path(directory), mmap=mmap)
    rng = np.random.default_rng()
    for _ in range(40):
        q = rng.standard_normal((1, DIM)).astype(np.float32)
        seg.dense.search(q / np.linalg.norm(q), 100)  # type: ignore[attr-defined]
        words = " ".join(f"kbterm{int(i)}" for i in rng.integers(0, 2000, 3))
        seg.sparse.search(words, None, 100)  # type: ignore[attr-defined]
    print("ready", flush=True)
    sys.stdin.readline()


def smaps(pid: int) -> dict[str, float]:
    """Rss, Pss and Anonymous of a process, in MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value, *_ = line.split()
        if key.rstrip(":") in ("Rss", "Pss", "Anonymous"):
            out[key.rstrip(":").lower()] = int(value) / 1024
    return out


def measure(directory: Path, procs: int, mmap: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--serve", str(directory)] + (["--mmap"] if mmap else [])
    children = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(procs)]
    t0 = time.perf_counter()
    for c in children:
        assert c.stdout is not None and c.stdout.readline().strip() == "ready"
    each = [smaps(c.pid) for c in children]
    for c in children:
        assert c.stdin is not None
        c.stdin.write("\n")
        c.stdin.flush()
        c.wait()
    total = {k: round(sum(e[k] for e in each), 1) for k in ("rss", "pss", "anonymous")}
    return {"procs": procs, "mmap": mmap, "load_and_query_s": round(time.perf_counter() - t0, 1), "sum_mb": total}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=1_000_000)
    ap.add_argument("--procs", default="1,4")
    ap.add_argument("--serve")
    ap.add_argument("--mmap", action="store_true")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.mmap)
        return
    directory = CACHE / f"mmap_{args.chunks}"
    built: dict[str, float] = {}
    if not (directory / "segment.json").exists():
        directory.mkdir(parents=True, exist_ok=True)
        built = build(args.chunks, directory)
    disk = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / 2**20
    runs = [measure(directory, int(p), mmap) for mmap in (False, True) for p in args.procs.split(",")]
    res = {"chunks": args.chunks, "disk_mb": round(disk, 1), **built, "runs": runs}
    base = {r["procs"]: r["sum_mb"]["pss"] for r in runs if not r["mmap"]}
    for r in runs:
        r["pss_vs_read_in"] = round(r["sum_mb"]["pss"] / base[r["procs"]], 3)
        print(f"{r['procs']} proc(s) mmap={r['mmap']!s:5}  sum RSS {r['sum_mb']['rss']:8.1f} MB  "
              f"sum PSS {r['sum_mb']['pss']:8.1f} MB  sum anon {r['sum_mb']['anonymous']:8.1f} MB  "
              f"PSS vs read-in {r['pss_vs_read_in']}")  # fmt: skip
    out = ROOT / "bench" / "results" / "mmap_rss.json"
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
