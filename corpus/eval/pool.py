"""Pool the top documents of several rankings for each gold question, for blind judging.

The gold set was first graded from what its authors knew to be relevant, not by judging every
document for every question, so a relevant document that nobody listed counts as a miss. Pooling
(the TREC way) closes most of that gap: for each question, the union of the top ``--depth``
documents of every ranking method is judged, and what was already judged is left out.

    python corpus/eval/pool.py --kb .kb/corpus --out pool.tsv [--modes dense sparse hybrid]
        [--setting score_fusion=false ...]

``--setting`` opens the knowledge base with other search settings (JSON values), to pool a method that is
not the default (e.g. the settings of before issue 17 that the README compares with). The output lists
``query_id``, ``doc_id`` pairs in a shuffled order without saying which method found them (the judge must
not know). Judgments go into one file per pooling round (``POOLED``: ``query_id``, ``doc_id``, ``relevance``
0/1/2, ``page``, ``why``; zeros record that a pair was judged), and ``merge_parts.py`` copies the relevant
ones into ``qrels.tsv``.

Round 1 (``pooled.tsv``) pooled dense, BM25 and hybrid search as they were before issue 17's methods; round 2
(``pooled-2.tsv``) pooled the search after them (glossary expansion, feedback, title field, score fusion) and
the settings of before issue 17 on today's code, judging only what round 1 had not.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: The pooled judgments, one file per round, in the order they were made.
POOLED = ("pooled.tsv", "pooled-2.tsv")


def judged_pairs(*files: Path) -> set[tuple[str, str]]:
    """Pairs already judged: the writers' qrels and earlier pooled judgments (zeros included)."""
    pairs: set[tuple[str, str]] = set()
    for path in files:
        if path.exists():
            with open(path, encoding="utf-8") as fh:
                pairs |= {(r["query_id"], r["doc_id"]) for r in csv.DictReader(fh, delimiter="\t")}
    return pairs


def pool(kb_path: Path, modes: list[str], depth: int, settings: dict[str, Any] | None = None) -> set[tuple[str, str]]:
    """Every (question, document) pair that some mode ranks in its top ``depth``."""
    from kb.reports.evaluate import load_queries
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(kb_path, **(settings or {}))
    pairs: set[tuple[str, str]] = set()
    for q in load_queries(HERE):
        for mode in modes:
            for r in kb.search(q["text"], k=depth, mode=mode, per_doc=1, snippets=False):
                pairs.add((q["id"], Path(r.best.source).name))
    kb.close()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--modes", nargs="+", default=["dense", "sparse", "hybrid"])
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=JSON", help="a search setting")
    args = parser.parse_args()
    settings = {name: json.loads(value) for name, value in (s.split("=", 1) for s in args.setting)}
    found = pool(args.kb, args.modes, args.depth, settings)
    todo = sorted(found - judged_pairs(HERE / "qrels.tsv", *(HERE / name for name in POOLED)))
    random.Random(0).shuffle(todo)
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t")
        w.writerow(["query_id", "doc_id"])
        w.writerows(todo)
    print(f"{len(todo)} unjudged pairs written to {args.out}")


if __name__ == "__main__":
    main()
