"""Score one search setting at several values: ``kb eval`` on the gold dev half and on XQuAD, one run per value.

Usage: .venv/bin/python bench/sweep_setting.py --setting language_centring --values 0,0.2,0.3,0.5
       [--kb CORPUS_KB] [--split dev] [--xquad ../shared/data/xquad-en-es | --no-xquad]

Each value is set through its ``KB_<NAME>`` variable for a fresh ``kb eval`` process (so nothing is
cached between values); the gold half is scored on ``--kb`` (default ``.kb/corpus``), XQuAD on the
knowledge base ``kb eval`` builds for it. Prints hybrid nDCG@10 (all and cross-language) and
cross-language R@1 on the half, and hybrid and dense R@1 same/cross on XQuAD, one row per value;
writes ``bench/results/sweep_<setting>.json``. Settings are chosen on the dev half and XQuAD only.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from common import ROOT, kb_eval_json, log, table, write_result


def kb_eval(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    return kb_eval_json([*args, "--modes", "dense,hybrid"], env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT / "shared")
    ap.add_argument("--setting", required=True, help="a Config field, e.g. language_centring")
    ap.add_argument("--values", required=True, help="comma-separated values")
    ap.add_argument("--kb", type=Path, default=ROOT / ".kb" / "corpus")
    ap.add_argument("--split", default="dev", choices=("dev", "test"))
    ap.add_argument("--xquad", type=Path, default=shared / "data" / "xquad-en-es")
    ap.add_argument("--no-xquad", action="store_true")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    for value in args.values.split(","):
        env = {f"KB_{args.setting.upper()}": value}
        log(f"{args.setting}={value}: gold {args.split}")
        gold = kb_eval(["--kb", str(args.kb), "eval", str(ROOT / "corpus" / "eval"), "--split", args.split], env)
        h = gold["modes"]["hybrid"]
        row: dict[str, Any] = {
            args.setting: value,
            f"{args.split} nDCG@10": h["all"]["nDCG@10"],
            f"{args.split} cross nDCG@10": h["cross"]["nDCG@10"],
            f"{args.split} cross R@1": h["cross"]["R@1"],
        }
        if not args.no_xquad and args.xquad.exists():
            log(f"{args.setting}={value}: XQuAD")
            xq = kb_eval(["eval", str(args.xquad)], env)["modes"]
            for mode in ("hybrid", "dense"):
                same, cross = xq[mode]["same"]["R@1"], xq[mode]["cross"]["R@1"]
                row[f"XQuAD {mode} R@1 same / cross"] = f"{same:.4f} / {cross:.4f}"
        rows.append(row)
    print(table(rows, list(rows[0]), f"{args.setting}: gold {args.split} half (hybrid) and XQuAD"))
    write_result(f"sweep_{args.setting}", {"rows": rows, "kb": str(args.kb), "split": args.split})


if __name__ == "__main__":
    main()
