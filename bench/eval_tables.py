"""``make eval-tables``: the README's search-quality tables, printed as the Markdown the README shows.

Usage: .venv/bin/python bench/eval_tables.py [--kb DIR] [--xquad DIR] [--no-xquad]

Three tables, every figure measured by this run (``kb eval``'s own code, ``KnowledgeBase.evaluate``):

1. XQuAD EN/ES (``../shared/data/xquad-en-es``; skipped with a note when absent): R@1/5/10, MRR@10,
   nDCG@10 for dense, BM25 and hybrid, same- and cross-language.
2. The bundled gold set (``corpus/eval``) on the knowledge base ``--kb`` (default ``.kb/corpus``,
   built by ``make run``), before pooling, after the first round and after the second: "before" scores
   only the writers' judgments (``qrels.tsv`` less the relevant pairs that pooling added), "round 1" adds
   ``pooled.tsv``'s, "round 2" is the whole ``qrels.tsv`` (``pooled-2.tsv`` too).
3. The gold set's dev half (what the search was tuned on) and test half (only reported), hybrid, with
   the search settings of before issue 17 (``BEFORE_17``) and now.
4. The same halves with today's search, after pooling round 1 → after round 2.

The Markdown goes to stdout (paste it into the README as is); the raw results go to
``bench/results/eval_tables.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import RESULTS, ROOT

MODES = ("dense", "sparse", "hybrid")
COLS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10")
GOLD = ROOT / "corpus" / "eval"
sys.path.insert(0, str(GOLD))  # the gold set's own scripts: its pooling rounds and how they become qrels
from merge_parts import pooled_rows  # noqa: E402
from pool import POOLED  # noqa: E402

#: The search settings of before issue 17 (no glossary expansion, no feedback, one BM25 fusion weight, no BM25
#: title field, no better-rank stand-in for foreign passages, no offset for foreign passages BM25 did not find,
#: no language centring, rank fusion for every query).
BEFORE_17 = {
    "glossary_weight": 0.0,
    "feedback_passages": 0,
    "entity_sparse_weight": 1.0,
    "title_weight": 0.0,
    "foreign_name_rank": False,
    "foreign_unseen_offset": 0,
    "language_centring": 0.0,
    "score_fusion": False,
}


def _f(x: float) -> str:
    return f"{x:.3f}"


def xquad_table(result: dict[str, Any]) -> str:
    lines = ["| mode | split | " + " | ".join(COLS) + " | queries |", "|---" * (len(COLS) + 3) + "|"]
    for mode in MODES:
        for split in ("same", "cross"):
            m = result["modes"][mode][split]
            lines.append(f"| {mode} | {split} | " + " | ".join(_f(m[c]) for c in COLS) + f" | {m['n']} |")
    return "\n".join(lines)


def _blocks(result: dict[str, Any], mode: str) -> list[str]:
    block = result["modes"][mode]
    return ["all", "same", "cross", *sorted(k for k in block if k.startswith("lang:"))]


def pooling_table(stages: list[dict[str, Any]]) -> str:
    """One row per mode and split; each cell the figure at every stage (writers only → round 1 → round 2)."""
    cols = ("R@1", "R@5", "MRR@10", "nDCG@10")
    arrow = " → ".join(("before", "round 1", "round 2")[: len(stages)])
    lines = ["| mode | split | " + " | ".join(f"{c} {arrow}" for c in cols) + " | questions |"]
    lines.append("|---" * (len(cols) + 3) + "|")
    last = stages[-1]
    for mode in MODES:
        for split in _blocks(last, mode):
            cells = " | ".join(
                " → ".join(_f((s["modes"][mode].get(split) or {}).get(c, 0.0)) for s in stages) for c in cols
            )
            lines.append(f"| {mode} | {split} | {cells} | {last['modes'][mode][split]['n']} |")
    return "\n".join(lines)


def halves_table(
    halves: dict[str, tuple[dict[str, Any], dict[str, Any]]], mode: str = "hybrid", arrow: str = "before → now"
) -> str:
    """``halves``: name -> (result before, result now): by default with the settings of before issue 17 and
    today's; ``arrow`` names the two in the header."""
    cols = ("R@1", "R@5", "MRR@10", "nDCG@10")
    lines = [
        "| half | split | " + " | ".join(f"{c} {arrow}" for c in cols) + " | questions |",
        "|---" * (len(cols) + 3) + "|",
    ]
    for name, (before, now) in halves.items():
        for split in _blocks(now, mode):
            b, m = before["modes"][mode][split], now["modes"][mode][split]
            cells = " | ".join(f"{_f(b[c])} → {_f(m[c])}" for c in cols)
            lines.append(f"| {name} | {split} | {cells} | {m['n']} |")
    return "\n".join(lines)


def without_pooled(directory: Path, into: Path, rounds: tuple[str, ...] = POOLED) -> Path:
    """A copy of the gold set whose qrels lack what the pooling ``rounds`` added (all: the writers' alone)."""
    added = {tuple(line.split("\t")[:2]) for name in rounds for line in pooled_rows(directory / name)}
    for name in ("queries.jsonl", "split.tsv"):
        shutil.copy(directory / name, into / name)
    with open(directory / "qrels.tsv", encoding="utf-8") as src, open(into / "qrels.tsv", "w", encoding="utf-8") as out:
        rows = list(csv.reader(src, delimiter="\t"))
        out.writelines("\t".join(r) + "\n" for r in rows[:1] + [r for r in rows[1:] if (r[0], r[1]) not in added])
    return into


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=Path, default=ROOT / ".kb" / "corpus", help="knowledge base of the bundled corpus")
    ap.add_argument("--xquad", type=Path, default=ROOT.parent / "shared" / "data" / "xquad-en-es")
    ap.add_argument("--no-xquad", action="store_true", help="skip XQuAD (the slowest part: 4,760 searches per mode)")
    args = ap.parse_args()
    from kb.service import KnowledgeBase

    raw: dict[str, Any] = {}
    if not args.no_xquad and (args.xquad / "queries.jsonl").exists():
        xkb = KnowledgeBase.open_for_eval(args.xquad)
        raw["xquad"] = xkb.evaluate(args.xquad, modes=MODES)
        xkb.close()
        print(f"**XQuAD EN/ES** (`kb eval {args.xquad.name}`)\n\n{xquad_table(raw['xquad'])}\n")
    elif not args.no_xquad:
        print(f"(XQuAD skipped: {args.xquad} not found)\n", file=sys.stderr)
    if not (args.kb / "manifest.json").exists():
        print(f"{args.kb} is not a knowledge base: build it with `make kb` or pass --kb", file=sys.stderr)
        return 2
    kb = KnowledgeBase.open(args.kb)
    with tempfile.TemporaryDirectory() as writers, tempfile.TemporaryDirectory() as first:
        raw["gold_before"] = kb.evaluate(without_pooled(GOLD, Path(writers)), modes=MODES)
        round1 = without_pooled(GOLD, Path(first), POOLED[1:])
        raw["gold_round1"] = kb.evaluate(round1, modes=MODES)
        for half in ("dev", "test"):
            raw[f"{half}_round1"] = kb.evaluate(round1, modes=("hybrid",), half=half)
    raw["gold"] = kb.evaluate(GOLD, modes=MODES)
    old = KnowledgeBase.open(args.kb, **BEFORE_17)
    for half in ("dev", "test"):
        raw[half] = kb.evaluate(GOLD, modes=("hybrid",), half=half)
        raw[f"{half}_before_17"] = old.evaluate(GOLD, modes=("hybrid",), half=half)
    kb.close()
    old.close()
    stages = [raw["gold_before"], raw["gold_round1"], raw["gold"]]
    print(f"**Gold set before pooling → round 1 → round 2** (`kb eval`)\n\n{pooling_table(stages)}\n")
    halves = {h: (raw[f"{h}_before_17"], raw[h]) for h in ("dev", "test")}
    print("**Dev and test halves, hybrid, before issue 17's search → now** (`kb eval --split dev|test`)\n")
    print(halves_table(halves) + "\n")
    print("**Dev and test halves, hybrid, today's search: judgments after round 1 → after round 2**\n")
    rounds = {h: (raw[f"{h}_round1"], raw[h]) for h in ("dev", "test")}
    print(halves_table(rounds, arrow="round 1 → round 2"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_tables.json").write_text(json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
