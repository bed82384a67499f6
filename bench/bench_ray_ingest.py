"""Ray ingest with one actor against the local pipeline, on the bundled corpus, in one run.

Usage: .venv/bin/python bench/bench_ray_ingest.py [--quick] [--embedder e5]

Both ingest the same files into fresh knowledge bases from cold, so each loads its models inside the
timed run (the local pipeline in this process, the Ray actor in its own): the local ingest first,
then a local Ray cluster is started (timed apart: a cluster normally runs already) and the same
files are ingested through ``RayExecutor(actors=1)``, whose actor gets the two torch threads the local
pipeline uses. Reports the ratio of the two wall times (goal <= 1.15) and the passages per second of
each, which docs/scaling.md uses as the throughput of one worker. ``--quick``: text formats only.
Writes ``bench/results/ray_ingest[_quick].json``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import CORPUS, log, machine, write_result

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUICK_SUFFIXES = {".md", ".txt", ".html", ".docx"}


def corpus(quick: bool, into: Path) -> Path:
    if not quick:
        return CORPUS
    into.mkdir(parents=True)
    for f in CORPUS.iterdir():
        if f.suffix.lower() in QUICK_SUFFIXES:
            shutil.copy2(f, into / f.name)
    return into


def ingest(path: Path, docs: Path, embedder: str, executor: Any = None) -> dict[str, Any]:
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(path, embedder=embedder, device="cpu")
    t0 = time.perf_counter()
    report = kb.ingest([docs], executor=executor)
    wall = time.perf_counter() - t0
    chunks = kb.stats()["chunks"]
    kb.close()
    db_kb = sum(f.stat().st_size for f in path.glob("store.sqlite*")) / 1024
    return {
        "wall_s": round(wall, 1),
        "documents": report.count("ingested"),
        "skipped": report.count("skipped"),
        "chunks": chunks,
        "passages_per_s": round(chunks / wall, 2),
        "sqlite_kb_per_chunk": round(db_kb / max(chunks, 1), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--embedder", default="e5")
    args = ap.parse_args()
    import functools

    from index.models import load_embedder
    from kb.write.distributed import RayExecutor, connect

    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-ray-"))
    try:
        docs = corpus(args.quick, tmp / "docs")
        log("local ingest (models load in this process) ...")
        local = ingest(tmp / "local", docs, args.embedder)
        log(f"  {local}")
        t0 = time.perf_counter()
        ray = connect("local", object_store_mb=512)
        start_s = round(time.perf_counter() - t0, 1)
        cpus = int(ray.cluster_resources()["CPU"])
        log(f"Ray cluster of {cpus} CPUs started in {start_s} s; Ray ingest, one actor ...")
        load = functools.partial(load_embedder, args.embedder, "cpu")
        remote = ingest(tmp / "ray", docs, args.embedder, RayExecutor(actors=1, threads=cpus, load_embedder=load))
        log(f"  {remote}")
        ray.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    assert remote["chunks"] == local["chunks"] and remote["documents"] == local["documents"]
    res = {
        "machine": machine(),
        "quick": args.quick,
        "embedder": args.embedder,
        "local": local,
        "ray_one_actor": remote,
        "ray_cluster_start_s": start_s,
        "ratio_ray_to_local": round(remote["wall_s"] / local["wall_s"], 3),
        "goal": 1.15,
    }
    print(f"Ray (1 actor) / local wall time: {res['ratio_ray_to_local']} (goal <= 1.15)")
    write_result("ray_ingest_quick" if args.quick else "ray_ingest", res)


if __name__ == "__main__":
    main()
