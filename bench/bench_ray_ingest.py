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
import json
import shutil
import statistics
import subprocess
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


def ingest(path: Path, docs: Path, embedder: str, executor: Any = None, fresh: bool = False) -> dict[str, Any]:
    """One ingest into a new knowledge base; ``fresh``: in a child process, so it loads its models as the
    Ray actor does (this process would otherwise keep them loaded from its previous run)."""
    if fresh:
        code = (
            "import json, sys; sys.path.insert(0, 'bench'); from bench_ray_ingest import ingest; "
            f"print(json.dumps(ingest(__import__('pathlib').Path({str(path)!r}), "
            f"__import__('pathlib').Path({str(docs)!r}), {embedder!r})))"
        )
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
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
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    import functools

    from index.models import load_embedder
    from kb.write.distributed import RayExecutor, connect

    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-ray-"))
    locals_, remotes = [], []
    try:
        docs = corpus(args.quick, tmp / "docs")
        log("warming the page cache: models loaded once in a child process, untimed ...")
        warm = f"from index.models import load_embedder; load_embedder({args.embedder!r}, 'cpu')"
        subprocess.run([sys.executable, "-c", warm], cwd=ROOT, check=True)
        t0 = time.perf_counter()
        ray = connect("local", object_store_mb=512)
        start_s = round(time.perf_counter() - t0, 1)
        cpus = int(ray.cluster_resources()["CPU"])
        log(f"Ray cluster of {cpus} CPUs started in {start_s} s")
        load = functools.partial(load_embedder, args.embedder, "cpu")
        for run in range(args.runs):  # alternated, so a change in the machine's load hits both
            for name, out, executor in (
                ("local", locals_, None),
                ("ray", remotes, RayExecutor(actors=1, threads=cpus, load_embedder=load)),
            ):
                out.append(ingest(tmp / f"{name}{run}", docs, args.embedder, executor, fresh=name == "local"))
                log(f"  {name} run {run + 1}: {out[-1]}")
        ray.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    local, remote = locals_[0], remotes[0]
    assert remote["chunks"] == local["chunks"] and remote["documents"] == local["documents"]
    ratios = [r["wall_s"] / lo["wall_s"] for r, lo in zip(remotes, locals_, strict=True)]
    res = {
        "machine": machine(),
        "quick": args.quick,
        "embedder": args.embedder,
        "local_runs": locals_,
        "ray_one_actor_runs": remotes,
        "ray_cluster_start_s": start_s,
        "ratios_ray_to_local": [round(x, 3) for x in ratios],
        "ratio_ray_to_local": round(statistics.median(ratios), 3),
        "goal": 1.15,
    }
    print(f"Ray (1 actor) / local wall time: {res['ratio_ray_to_local']} (goal <= 1.15)")
    write_result("ray_ingest_quick" if args.quick else "ray_ingest", res)


if __name__ == "__main__":
    main()
