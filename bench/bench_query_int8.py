"""Query encoder int8 vs fp32: XQuAD same/cross R@1, gold nDCG@10 and query latency (documents stay fp32).

Usage: .venv/bin/python bench/bench_query_int8.py [--xquad ../shared/data/xquad-en-es] [--kb CORPUS_KB]
       [--limit N] [--modes dense,hybrid]

Runs ``kb eval`` twice per set, once with queries through the fp32 ONNX copy of e5 (the default)
and once through its int8 copy (``KB_QUERY_INT8=1``, the ``query_int8`` setting); the knowledge
bases (the XQuAD corpus, a corpus knowledge base such as a copy of /work/kbc) are the same fp32
passages both times. Then times one query's embedding with each encoder in this process (the
ratio int8/fp32 is the figure). int8 becomes the default only if R@1 and nDCG@10 stay within
0.005 of fp32. Writes ``bench/results/query_int8.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import ROOT, gold_queries, log, summary_ms, table, write_result

TOLERANCE = 0.005


def kb_eval(directory: Path, kb_dir: Path | None, int8: bool, limit: int | None, modes: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "kb.cli"]
    if kb_dir is not None:
        cmd += ["--kb", str(kb_dir)]
    cmd += ["eval", str(directory), "--json", "--modes", modes]
    if limit:
        cmd += ["--limit", str(limit)]
    env = {**os.environ, "KB_QUERY_INT8": "1" if int8 else "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def latency() -> dict[str, Any]:
    from index.e5onnx import ready_query_encoder

    out: dict[str, Any] = {}
    queries = [q["text"] for q in gold_queries()]
    for name, int8 in (("fp32", False), ("int8", True)):
        enc = ready_query_encoder(int8=int8)
        if enc is None:
            raise SystemExit(f"the {name} ONNX copy of e5 is not exported (kb ingest with e5-int8 exports it)")
        enc.embed(["warm up"], "query")
        times = []
        for q in queries:
            t0 = time.perf_counter()
            enc.embed([q], "query")
            times.append(time.perf_counter() - t0)
        out[name] = summary_ms(times)
    out["int8_vs_fp32_p50"] = round(out["int8"]["p50_ms"] / out["fp32"]["p50_ms"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT / "shared")
    ap.add_argument("--xquad", type=Path, default=shared / "data" / "xquad-en-es")
    ap.add_argument("--kb", type=Path, help="a corpus knowledge base (e5) for the gold set corpus/eval")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--modes", default="dense,hybrid")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    sets = [("xquad", args.xquad, None)] if args.xquad.exists() else []
    if args.kb:
        sets.append(("gold", ROOT / "corpus" / "eval", args.kb))
    for name, directory, kb_dir in sets:
        for int8 in (False, True):
            log(f"{name} {'int8' if int8 else 'fp32'}")
            res = kb_eval(directory, kb_dir, int8, args.limit, args.modes)
            for mode, splits in res["modes"].items():
                for split in ("same", "cross", "all"):
                    m = splits.get(split) or {}
                    if m:
                        q = "int8" if int8 else "fp32"
                        rows.append({"set": name, "queries": q, "mode": mode, "split": split,
                                     "R@1": m["R@1"], "nDCG@10": m["nDCG@10"], "n": m["n"]})  # fmt: skip
    verdict = []
    for r in rows:
        if r["queries"] == "int8":
            base = next(
                b for b in rows if b["queries"] == "fp32" and all(b[k] == r[k] for k in ("set", "mode", "split"))
            )
            r["dR@1"], r["dnDCG@10"] = round(r["R@1"] - base["R@1"], 4), round(r["nDCG@10"] - base["nDCG@10"], 4)
            verdict.append(abs(r["dR@1"]) <= TOLERANCE and abs(r["dnDCG@10"]) <= TOLERANCE)
    print(table(rows, ["set", "queries", "mode", "split", "R@1", "nDCG@10", "dR@1", "dnDCG@10", "n"],
                "Query encoder int8 vs fp32 (passages fp32)"))  # fmt: skip
    lat = latency()
    print(f"one query embedding, p50 ms: fp32 {lat['fp32']['p50_ms']}, int8 {lat['int8']['p50_ms']} "
          f"(int8/fp32 {lat['int8_vs_fp32_p50']})")  # fmt: skip
    ok = bool(verdict) and all(verdict)
    print(f"within {TOLERANCE} of fp32 everywhere: {ok} -> int8 queries {'can be' if ok else 'stay an option, not'} "
          "the default")  # fmt: skip
    write_result("query_int8", {"rows": rows, "latency": lat, "within_tolerance": ok, "limit": args.limit})


if __name__ == "__main__":
    main()
