"""Query encoder int8 (or block copy) vs fp32: XQuAD same/cross R@1, gold nDCG@10, query latency (documents fp32).

Usage: .venv/bin/python bench/bench_query_int8.py [--xquad ../shared/data/xquad-en-es] [--kb CORPUS_KB]
       [--limit N] [--modes dense,hybrid] [--copy int8|nbits]

Runs ``kb eval`` twice per set, once with queries through the fp32 ONNX copy of e5 (the default)
and once through its int8 copy (``KB_QUERY_INT8=1``, the ``query_int8`` setting); the knowledge
bases (the XQuAD corpus, a corpus knowledge base such as a copy of /work/kbc) are the same fp32
passages both times. Then times one query's embedding with each encoder in this process, one
encoder thread each as a worker of ``kb serve --workers 2`` has, wall and CPU time (the ratio
int8/fp32 is the figure). int8 becomes the default only if R@1 and nDCG@10 stay within 0.005 of
fp32 (issue 19: XQuAD R@1 — here also its nDCG@10 — and gold nDCG@10; gold R@1 is printed, not ruled on).
Writes ``bench/results/query_int8.json``.

``--copy nbits`` compares the block copy of :mod:`index.e5nbits` (``KB_QUERY_NBITS=1``) with the fp32
copy instead (``KB_QUERY_NBITS=0``), under the same rule; it writes ``bench/results/query_nbits.json``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from common import ROOT, gold_queries, kb_eval_json, log, summary_ms, table, write_result

TOLERANCE = 0.005


def kb_eval(directory: Path, kb_dir: Path | None, copy: str, limit: int | None, modes: str) -> dict[str, Any]:
    args = ["--kb", str(kb_dir)] if kb_dir is not None else []
    args += ["eval", str(directory), "--modes", modes, *(["--limit", str(limit)] if limit else [])]
    env = {"KB_QUERY_INT8": "1" if copy == "int8" else "0", "KB_QUERY_NBITS": "1" if copy == "nbits" else "0"}
    return kb_eval_json(args, env)


def latency(copy: str) -> dict[str, Any]:
    from index.e5onnx import ready_query_encoder

    out: dict[str, Any] = {}
    queries = [q["text"] for q in gold_queries()]
    # one thread each, as a `kb serve --workers 2` worker has on two cores: CPU time is then the cost per query
    encoders = {
        name: ready_query_encoder(int8=name == "int8", nbits=name == "nbits", threads=1) for name in ("fp32", copy)
    }
    if any(enc is None or enc.info.runtime != f"onnx-{name}" for name, enc in encoders.items()):
        raise SystemExit(f"the fp32 or {copy} ONNX copy of e5 is not built (scripts/install.sh builds fp32 and nbits)")
    for enc in encoders.values():
        enc.embed(["warm up"], "query")  # type: ignore[union-attr]
    times: dict[str, list[float]] = {name: [] for name in encoders}
    cpu: dict[str, float] = dict.fromkeys(encoders, 0.0)
    for q in queries:  # alternately, so that the machine's load falls on both alike
        for name, enc in encoders.items():
            t0, c0 = time.perf_counter(), time.process_time()
            enc.embed([q], "query")  # type: ignore[union-attr]
            times[name].append(time.perf_counter() - t0)
            cpu[name] += time.process_time() - c0
    for name in encoders:
        out[name] = summary_ms(times[name]) | {"cpu_ms_per_query": round(1000 * cpu[name] / len(queries), 2)}
    out[f"{copy}_vs_fp32_p50"] = round(out[copy]["p50_ms"] / out["fp32"]["p50_ms"], 2)
    out[f"{copy}_vs_fp32_cpu"] = round(out[copy]["cpu_ms_per_query"] / out["fp32"]["cpu_ms_per_query"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT / "shared")
    ap.add_argument("--xquad", type=Path, default=shared / "data" / "xquad-en-es")
    ap.add_argument("--kb", type=Path, help="a corpus knowledge base (e5) for the gold set corpus/eval")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--modes", default="dense,hybrid")
    ap.add_argument("--copy", choices=("int8", "nbits"), default="int8", help="the query encoder compared with fp32")
    args = ap.parse_args()
    copy = args.copy
    rows: list[dict[str, Any]] = []
    sets = [("xquad", args.xquad, None)] if args.xquad.exists() else []
    if args.kb:
        sets.append(("gold", ROOT / "corpus" / "eval", args.kb))
    for name, directory, kb_dir in sets:
        for q in ("fp32", copy):
            log(f"{name} {q}")
            res = kb_eval(directory, kb_dir, q, args.limit, args.modes)
            for mode, splits in res["modes"].items():
                for split in ("same", "cross", "all"):
                    m = splits.get(split) or {}
                    if m:
                        rows.append({"set": name, "queries": q, "mode": mode, "split": split,
                                     "R@1": m["R@1"], "nDCG@10": m["nDCG@10"], "n": m["n"]})  # fmt: skip
    verdict = []
    for r in rows:
        if r["queries"] == copy:
            base = next(
                b for b in rows if b["queries"] == "fp32" and all(b[k] == r[k] for k in ("set", "mode", "split"))
            )
            r["dR@1"], r["dnDCG@10"] = round(r["R@1"] - base["R@1"], 4), round(r["nDCG@10"] - base["nDCG@10"], 4)
            # Issue 19's rule: XQuAD R@1 (and here its nDCG@10 too) and gold nDCG@10 within the tolerance;
            # gold R@1 is printed but not ruled on: on its 90 cross-language questions one swap is 0.011.
            ruled = ("dnDCG@10",) if r["set"] == "gold" else ("dR@1", "dnDCG@10")
            verdict.append(all(abs(r[key]) <= TOLERANCE for key in ruled))
    print(table(rows, ["set", "queries", "mode", "split", "R@1", "nDCG@10", "dR@1", "dnDCG@10", "n"],
                f"Query encoder {copy} vs fp32 (passages fp32)"))  # fmt: skip
    lat = latency(copy)
    print(f"one query embedding, one thread, p50 ms: fp32 {lat['fp32']['p50_ms']}, {copy} {lat[copy]['p50_ms']} "
          f"({copy}/fp32 {lat[f'{copy}_vs_fp32_p50']}); CPU ms per query: fp32 {lat['fp32']['cpu_ms_per_query']}, "
          f"{copy} {lat[copy]['cpu_ms_per_query']} ({copy}/fp32 {lat[f'{copy}_vs_fp32_cpu']})")  # fmt: skip
    ok = bool(verdict) and all(verdict)
    print(f"within {TOLERANCE} of fp32 everywhere: {ok} -> {copy} queries {'can be' if ok else 'stay an option, not'} "
          "the default")  # fmt: skip
    write_result(f"query_{copy}", {"rows": rows, "latency": lat, "within_tolerance": ok, "limit": args.limit})


if __name__ == "__main__":
    main()
