"""Split the gold questions into a dev half (tuned on) and a test half (only reported).

Stratified by question language and kind (same- or cross-language), deterministic: inside each
stratum the questions are ordered by the sha256 of their id and dealt alternately, dev first, so
each half holds half of every stratum (the odd one out goes to dev). Re-running it on the same
``queries.jsonl`` writes the same ``split.tsv``; a new question lands where its hash puts it.

    python corpus/eval/split.py            # writes corpus/eval/split.tsv

``kb eval corpus/eval --split dev|test`` then scores one half.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def split(queries: list[dict[str, object]]) -> dict[str, str]:
    """``{query_id: "dev" | "test"}``, stratified by (language, cross-language)."""
    strata: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for q in queries:
        strata[(str(q.get("lang")), bool(q.get("cross_lingual")))].append(str(q["id"]))
    half: dict[str, str] = {}
    for ids in strata.values():
        ids.sort(key=lambda i: hashlib.sha256(i.encode("utf-8")).hexdigest())
        for n, qid in enumerate(ids):
            half[qid] = "dev" if n % 2 == 0 else "test"
    return half


def main() -> None:
    with open(HERE / "queries.jsonl", encoding="utf-8") as fh:
        queries = [json.loads(line) for line in fh if line.strip()]
    half = split(queries)
    with open(HERE / "split.tsv", "w", encoding="utf-8") as out:
        out.write("query_id\thalf\n")
        for q in queries:
            out.write(f"{q['id']}\t{half[q['id']]}\n")
    print(f"{sum(v == 'dev' for v in half.values())} dev, {sum(v == 'test' for v in half.values())} test")


if __name__ == "__main__":
    main()
