"""Merge the writers' parts and the pooled judgments into queries.jsonl and qrels.tsv.

``parts/*.queries.jsonl`` and ``parts/*.qrels.tsv`` are the questions with the answers their writers knew;
``pooled.tsv`` and ``pooled-2.tsv`` hold the blind judgments of the documents that the ranking methods pooled
for each question, one file per round (``pool.py``), zeros and the judge's reason included. ``qrels.tsv`` gets
every judgment with relevance 1 or 2.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pool import POOLED

HERE = Path(__file__).parent


def pooled_rows(path: Path) -> list[str]:
    """The pooled judgments that found a document relevant, as qrels lines."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [f"{r['query_id']}\t{r['doc_id']}\t{r['relevance']}\t{r['page']}" for r in rows if r["relevance"] != "0"]


def main() -> None:
    queries, qrels = [], ["query_id\tdoc_id\trelevance\tpage"]
    for part in sorted((HERE / "parts").glob("*.queries.jsonl")):
        queries += [ln for ln in part.read_text(encoding="utf-8").splitlines() if ln.strip()]
        rel = part.with_name(part.name.replace(".queries.jsonl", ".qrels.tsv"))
        qrels += [ln for ln in rel.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
    written = len(qrels) - 1
    for name in POOLED:
        qrels += pooled_rows(HERE / name)
    (HERE / "queries.jsonl").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (HERE / "qrels.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    print(f"{len(queries)} queries, {written} judgements from the parts, {len(qrels) - 1 - written} from pooling")


if __name__ == "__main__":
    main()
