"""Running a query: filters → allowed ids → dense and sparse over every live segment → fusion."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.faults import checkpoint
from kb.search import Filters, fuse, group_by_document
from kb.types import SearchResult

if TYPE_CHECKING:
    from kb.service import KnowledgeBase

QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|«([^»]+)»')


def parse_query(query: str) -> tuple[str, list[str]]:
    """Split a query into its free text and its "quoted phrases"."""
    phrases = [next(g for g in m.groups() if g) for m in QUOTED.finditer(query)]
    return query.replace('"', " ").replace("“", " ").replace("”", " ").replace("«", " ").replace("»", " "), phrases


def allowed_ids(kb: KnowledgeBase, f: Filters, phrases: list[str]) -> np.ndarray | None:
    """Chunk ids that pass the filters (``None`` when nothing restricts)."""
    if not f and not phrases:
        return None
    from index.analyze import fold

    where = ["c.deleted_gen IS NULL"]
    args: list[Any] = []

    def any_of(column: str, values: tuple[str, ...]) -> None:
        where.append(f"{column} IN ({','.join('?' * len(values))})")
        args.extend(values)

    def json_any(column: str, values: tuple[str, ...]) -> None:
        where.append(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value IN ({','.join('?' * len(values))}))")
        args.extend(values)

    if f.lang:
        any_of("c.lang", f.lang)
    if f.doc_type:
        any_of("d.doc_type", f.doc_type)
    if f.collection:
        any_of("d.collection", f.collection)
    if f.doc_id:
        any_of("d.id", f.doc_id)
    if f.region:  # the passage's own region, else its document's (see Analyser.passage_regions)
        any_of("COALESCE(cr.region, d.region, 'other')", f.region)
    if f.country:
        json_any("d.countries", tuple(resolve_country(kb, c) for c in f.country))
    if f.crossing:
        json_any("d.crossings", tuple(resolve_entity(kb, c) for c in f.crossing))
    if f.since:
        where.append("d.date >= ?")
        args.append(f.since)
    if f.until:
        where.append("d.date <= ?")
        args.append(f.until + "\uffff")
    for ent in f.entity:
        where.append(
            "EXISTS (SELECT 1 FROM mentions m JOIN chunks c2 ON c2.id = m.chunk_id "
            "WHERE c2.doc_id = d.id AND m.entity_id = ?)"
        )
        args.append(resolve_entity(kb, ent))
    db = kb.store.db
    db.create_function("kbfold", 1, fold, deterministic=True)
    for phrase in phrases:
        where.append("instr(kbfold(c.text), ?) > 0")
        args.append(fold(phrase))
    regions = "LEFT JOIN chunk_regions cr ON cr.chunk_id = c.id " if f.region else ""  # only when filtered on
    sql = f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id {regions}WHERE {' AND '.join(where)}"
    return np.array([r[0] for r in db.execute(sql, args)], dtype=np.int64)


def resolve_entity(kb: KnowledgeBase, value: str) -> str:
    """An entity id from an id, a canonical name or an alias (any language)."""
    if ":" in value:
        return value
    ent = kb.gazetteer.lookup(value)
    if ent is not None:
        return str(ent.id)
    row = kb.store.db.execute("SELECT id FROM entities WHERE name = ? COLLATE NOCASE", (value,)).fetchone()
    return row[0] if row else value


def resolve_country(kb: KnowledgeBase, value: str) -> str:
    if len(value) == 2:
        return value.upper()
    ent = kb.gazetteer.lookup(value)
    if ent is not None and ent.countries:
        return str(ent.countries[0])
    return value.upper()


def expand_query(kb: KnowledgeBase, text: str) -> str:
    """Add the aliases (other languages, acronyms) of the gazetteer entities named in the query."""
    extra: list[str] = []
    for _start, _end, ent in kb.gazetteer.find(text):
        extra.extend(a for a in kb.gazetteer.aliases_in_other_languages(ent.id) if a.lower() not in text.lower())
    return text if not extra else text + " " + " ".join(dict.fromkeys(extra))


def run_search(
    kb: KnowledgeBase, query: str, k: int, f: Filters, *, mode: str = "hybrid", per_doc: int = 5, snippets: bool = True
) -> list[SearchResult]:
    from index.analyze import query_terms
    from index.fusion import merge_topk
    from ingest.language import query_language
    from kb.service import group

    view = kb._refresh()  # this search reads this one generation, whatever commits meanwhile
    checkpoint("search_view")
    text, phrases = parse_query(query)
    if not text.strip() and not phrases:
        return []
    qlang = query_language(text)
    allowed = allowed_ids(kb, f, phrases)
    if allowed is not None and len(allowed) == 0:
        return []
    exclude = view.tombstones if len(view.tombstones) else None
    n = max(kb.config.candidates, k * per_doc * 2)
    segments = list(view.segments.values())
    dense_ids = sparse_ids = np.zeros(0, dtype=np.int64)
    dense_scores: dict[int, float] = {}
    if mode in ("hybrid", "dense"):
        qv = kb.query_vector(text)
        parts = [seg.dense.search(qv, n, allowed=allowed, exclude=exclude) for seg in segments]
        flat = [(s[0], i[0]) for s, i in parts]
        scores, dense_ids = merge_topk(flat, n) if flat else (np.zeros(0), dense_ids)
        dense_scores = {int(i): float(s) for s, i in zip(scores, dense_ids, strict=False) if i >= 0}
        dense_ids = dense_ids[dense_ids >= 0]
    if mode in ("hybrid", "sparse"):
        sq = expand_query(kb, text)
        parts = [seg.sparse.search(sq, qlang, n, allowed=allowed, exclude=exclude) for seg in segments]
        scores, sparse_ids = merge_topk(list(parts), n) if parts else (np.zeros(0), sparse_ids)
    if mode == "dense":
        ranked = [(int(i), dense_scores[int(i)]) for i in dense_ids]
    elif mode == "sparse":
        ranked = [(int(i), float(s)) for s, i in zip(scores, sparse_ids, strict=False)]
    else:
        candidates = np.union1d(dense_ids, sparse_ids)
        langs = chunk_langs(kb, candidates)
        ids, fused = fuse(
            dense_ids,
            sparse_ids,
            langs,
            qlang,
            k=kb.config.rrf_k,
            dense_weight=kb.config.dense_weight,
            sparse_weight=kb.config.sparse_weight,
        )
        ranked = [(int(i), float(s)) for i, s in zip(ids, fused, strict=True)]
    doc_of = chunk_docs(kb, [c for c, _ in ranked])
    groups = group_by_document(ranked, doc_of, k, per_doc)
    wanted = [(c, s) for _, _, items in groups for c, s in items]
    terms = set(query_terms(text, qlang)) | {t for p in phrases for t in query_terms(p, qlang)}
    hits = kb.hits_for(wanted, terms, qlang, phrases, snippets=snippets)
    return group(groups, hits, near_duplicates(kb, [d for d, _, _ in groups]))


def near_duplicates(kb: KnowledgeBase, doc_ids: list[str]) -> dict[str, str]:
    if not doc_ids:
        return {}
    marks = ",".join("?" * len(doc_ids))
    rows = kb.store.db.execute(
        f"SELECT id, near_dup_of FROM documents WHERE id IN ({marks}) AND near_dup_of IS NOT NULL", doc_ids
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def chunk_langs(kb: KnowledgeBase, ids: np.ndarray) -> dict[int, str]:
    return _column(kb, "lang", [int(i) for i in ids])


def chunk_docs(kb: KnowledgeBase, ids: list[int]) -> dict[int, str]:
    return _column(kb, "doc_id", ids)


def _column(kb: KnowledgeBase, column: str, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    db = kb.store.db
    for s in range(0, len(ids), 900):
        part = ids[s : s + 900]
        marks = ",".join("?" * len(part))
        out.update(db.execute(f"SELECT id, {column} FROM chunks WHERE id IN ({marks})", part).fetchall())
    return out


def run_similar(kb: KnowledgeBase, doc_id_or_text: str, k: int, f: Filters) -> list[SearchResult]:
    """More like this: the mean of a document's chunk vectors (or a pasted text's) as the query."""
    from index.fusion import merge_topk
    from kb.service import group

    view = kb._refresh()
    db = kb.store.db
    own = db.execute(
        "SELECT id, segment FROM chunks WHERE doc_id=? AND deleted_gen IS NULL", (doc_id_or_text,)
    ).fetchall()
    segments = view.segments
    if own:
        vecs = []
        for r in own:
            seg = segments.get(r["segment"])
            if seg is not None:
                vecs.append(seg.dense.reconstruct(np.array([r["id"]], dtype=np.int64))[0])
        if not vecs:
            return []
        q = np.mean(np.stack(vecs), axis=0, keepdims=True).astype(np.float32)
        skip_doc: str | None = doc_id_or_text
    else:
        from ingest.chunk import chunk_document
        from kb.types import Page, RawDocument

        raw = RawDocument("<text>", "text", (Page(None, doc_id_or_text),))
        pieces = [c.text for c in chunk_document(raw)] or [doc_id_or_text]
        q = np.mean(kb.query_embedder.embed(pieces[:32], "passage"), axis=0, keepdims=True).astype(np.float32)
        skip_doc = None
    q /= max(float(np.linalg.norm(q)), 1e-9)
    allowed = allowed_ids(kb, f, [])
    exclude = view.tombstones if len(view.tombstones) else None
    n = max(kb.config.candidates, k * 10)
    parts = [seg.dense.search(q, n, allowed=allowed, exclude=exclude) for seg in segments.values()]
    scores, ids = (
        merge_topk([(s[0], i[0]) for s, i in parts], n) if parts else (np.zeros(0), np.zeros(0, dtype=np.int64))
    )
    ranked = [(int(i), float(s)) for s, i in zip(scores, ids, strict=False) if i >= 0]
    doc_of = {c: d for c, d in chunk_docs(kb, [c for c, _ in ranked]).items() if d != skip_doc}
    groups = group_by_document(ranked, doc_of, k, 3)
    hits = kb.hits_for([(c, s) for _, _, items in groups for c, s in items])
    return group(groups, hits)
