"""``kb eval``: retrieval quality on a labelled set, for dense, BM25 and hybrid rankings.

A set is a directory with ``queries.jsonl`` (``id``, ``lang``, ``text``, optional
``cross_lingual``) and ``qrels.tsv`` (``query_id``, ``doc_id``, ``relevance``[, ``page``]).
With a ``corpus.jsonl`` (``id``, ``lang``, ``title``, ``text``) the set brings its own documents:
they are written out as text files and ingested through the real pipeline into a cached
knowledge base of their own. Without it, the current knowledge base is scored and a hit's
document is the file name of its ``source``. The knowledge base is the facade, passed in
(``KnowledgeBase.evaluate`` opens the right one).

Metrics are per query and averaged: R@k is the share of queries with at least one relevant
document in the first k (what a user sees), MRR@10 and nDCG@10 (graded relevance) as usual.
Cross-language figures count only documents in another language than the query; with a
``qrels.cross_lang.tsv`` the search is restricted to the other language's documents, which
measures retrieval across languages without the same-language twin in the way.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

KS = (1, 5, 10)


def load_queries(directory: Path) -> list[dict[str, Any]]:
    with open(directory / "queries.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            rel = int(row.get("relevance") or 1)
            if rel > 0:
                qrels[row["query_id"]][row["doc_id"]] = rel
    return qrels


def metrics(ranked: Sequence[str], relevant: dict[str, int]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in KS:
        out[f"R@{k}"] = float(any(d in relevant for d in ranked[:k]))
    rr = next((1.0 / (i + 1) for i, d in enumerate(ranked[:10]) if d in relevant), 0.0)
    out["MRR@10"] = rr
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    out["nDCG@10"] = dcg / idcg if idcg else 0.0
    return out


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in rows[0]} | {"n": len(rows)}


#: bumped when what ingest writes changes in a way scores depend on (2: chunker's signature and underline
#: rules, segments with language centroids), so that a cached evaluation corpus is built afresh
EVAL_CACHE_VERSION = 2


def has_corpus(directory: Path) -> bool:
    """Whether the set brings its own documents (``corpus.jsonl``)."""
    return (directory / "corpus.jsonl").exists()


def corpus_kb(directory: Path, embedder: str | None, open_kb: Callable[..., Any]) -> Any:
    """Ingest a set's own corpus.jsonl once into a cached knowledge base, opened with ``open_kb``."""
    from platformdirs import user_cache_dir

    corpus = directory / "corpus.jsonl"
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()[:12]
    name = f"{directory.name}-{embedder or 'e5'}-{digest}-v{EVAL_CACHE_VERSION}"
    root = Path(user_cache_dir("kb", appauthor=False)) / "eval" / name
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                body = (rec.get("title") or "").strip()
                body = f"{body}\n\n{rec['text']}" if body else rec["text"]
                target = docs / f"{rec['id']}.txt"
                if not target.exists() or target.read_text("utf-8") != body:
                    target.write_text(body, encoding="utf-8")
    kb = open_kb(root / "kb", embedder=embedder, use_ner=False)
    kb.ingest([docs])
    return kb


def load_half(directory: Path, half: str) -> set[str]:
    """The ids of the questions in one half (``dev`` or ``test``) of the set's ``split.tsv``.

    Raises:
        ValueError: When the set has no ``split.tsv`` or the half is empty.
    """
    path = directory / "split.tsv"
    if not path.exists():
        raise ValueError(f"{directory} has no split.tsv: it is not split into dev and test halves")
    with open(path, encoding="utf-8") as fh:
        ids = {r["query_id"] for r in csv.DictReader(fh, delimiter="\t") if r["half"] == half}
    if not ids:
        raise ValueError(f"{path} lists no question in the {half!r} half")
    return ids


def run_eval(
    kb: Any,
    directory: Path,
    *,
    modes: Sequence[str] = ("dense", "sparse", "hybrid"),
    limit: int | None = None,
    half: str | None = None,
) -> dict[str, Any]:
    """Score ``kb``'s searches on the set in ``directory``: averages per mode and split, the worst questions.

    ``half`` (``dev`` or ``test``) scores only that half of the set's ``split.tsv``: methods are tuned
    on dev and reported on test, so that the figures reported were not fitted to the questions.
    """
    own_corpus = has_corpus(directory)
    queries = load_queries(directory)
    if half is not None:
        wanted = load_half(directory, half)
        queries = [q for q in queries if q["id"] in wanted]
    queries = queries[:limit] if limit else queries
    qrels = load_qrels(directory / "qrels.tsv")
    cross_path = directory / "qrels.cross_lang.tsv"
    cross = load_qrels(cross_path) if cross_path.exists() else None
    same_path = directory / "qrels.same_lang.tsv"
    same = load_qrels(same_path) if same_path.exists() else None
    doc_lang = _doc_langs(kb, own_corpus)

    def key(hit: Any) -> str:
        return Path(hit.source).stem if own_corpus else Path(hit.source).name

    per_query: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in queries:
        qid, lang = q["id"], q.get("lang")
        runs: list[tuple[str, dict[str, int], dict[str, Any] | None]] = []
        if same is not None and cross is not None:
            runs.append(("same", same.get(qid, {}), None))
            other = sorted({doc_lang.get(d, "") for d in cross.get(qid, {})} - {""})
            runs.append(("cross", cross.get(qid, {}), {"lang": other} if other else None))
        else:
            rel = qrels.get(qid, {})
            is_cross = q.get("cross_lingual")
            if is_cross is None:
                is_cross = bool(rel) and all(doc_lang.get(d) not in (None, lang) for d in rel)
            runs.append(("cross" if is_cross else "same", rel, None))
        for split, rel, filters in runs:
            if not rel:
                continue
            for mode in modes:
                results = kb.search(q["text"], k=10, filters=filters, mode=mode, per_doc=1, snippets=False)
                ranked = [key(r.best) for r in results]
                per_query[mode].append(
                    {
                        "id": qid,
                        "lang": lang,
                        "split": split,
                        "text": q["text"],
                        "ranked": ranked[:5],
                        "relevant": sorted(rel),
                        **metrics(ranked, rel),
                    }
                )
    return _summary(directory, len(queries), per_query, half)


def _summary(
    directory: Path, n_queries: int, per_query: dict[str, list[dict[str, Any]]], half: str | None = None
) -> dict[str, Any]:
    name = f"{directory} ({half} half)" if half else str(directory)
    summary: dict[str, Any] = {"set": name, "queries": n_queries, "modes": {}}
    for mode, rows in per_query.items():
        metric_rows = lambda sel: [{k: r[k] for k in r if k.startswith(("R@", "MRR", "nDCG"))} for r in sel]  # noqa: E731
        block: dict[str, Any] = {"all": _mean(metric_rows(rows))}
        for split in ("same", "cross"):
            block[split] = _mean(metric_rows([r for r in rows if r["split"] == split]))
        for lang in sorted({r["lang"] for r in rows if r["lang"]}):
            block[f"lang:{lang}"] = _mean(metric_rows([r for r in rows if r["lang"] == lang]))
        summary["modes"][mode] = block
    if "hybrid" in per_query:
        worst = sorted(per_query["hybrid"], key=lambda r: (r["nDCG@10"], r["id"]))[:10]
        summary["worst"] = [
            {
                "id": r["id"],
                "split": r["split"],
                "text": r["text"],
                "relevant": r["relevant"],
                "ranked": r["ranked"],
                "nDCG@10": round(r["nDCG@10"], 3),
            }
            for r in worst
        ]
    return summary


def _doc_langs(kb: Any, own_corpus: bool) -> dict[str, str]:
    rows = kb.evidence().document_languages().items()
    return {(Path(s).stem if own_corpus else Path(s).name): lang for s, lang in rows}


def format_table(result: dict[str, Any]) -> str:
    cols = ["R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "n"]
    lines = [f"{result['set']}: {result['queries']} queries", ""]
    header = f"{'mode':8} {'split':9} " + " ".join(f"{c:>7}" for c in cols)
    lines += [header, "-" * len(header)]
    for mode, block in result["modes"].items():
        for split, m in block.items():
            if m:
                lines.append(f"{mode:8} {split:9} " + " ".join(f"{m.get(c, 0):>7}" for c in cols))
    if result.get("worst"):
        lines += ["", "Worst hybrid questions (relevant -> ranked instead):"]
        for w in result["worst"]:
            lines.append(f"  {w['id']} [{w['split']}] {w['text'][:70]!r} nDCG={w['nDCG@10']}")
            lines.append(f"      relevant {', '.join(w['relevant'][:3])} -> got {', '.join(w['ranked'][:3])}")
    return "\n".join(lines)
