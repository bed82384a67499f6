"""Merge the writers' parts (parts/*.queries.jsonl, parts/*.qrels.tsv) into queries.jsonl and qrels.tsv."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    queries, qrels = [], ["query_id\tdoc_id\trelevance\tpage"]
    for part in sorted((HERE / "parts").glob("*.queries.jsonl")):
        queries += [ln for ln in part.read_text(encoding="utf-8").splitlines() if ln.strip()]
        rel = part.with_name(part.name.replace(".queries.jsonl", ".qrels.tsv"))
        qrels += [ln for ln in rel.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
    (HERE / "queries.jsonl").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (HERE / "qrels.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    print(f"{len(queries)} queries, {len(qrels) - 1} judgements")


if __name__ == "__main__":
    main()
