"""A query: filters → allowed ids → dense and sparse over one generation's segments → fusion → hits.

Filters are applied first, as the set of chunk ids the retrievers may return. Each live segment
is searched densely (FAISS) and sparsely (BM25, with the gazetteer aliases of the names in the
query added, so that names match across languages, and the glossary terms of the concepts it names,
weighted lower: :mod:`kb.read.expand`; each passage also matches its document's title, ``title_weight``);
the per-segment lists are merged and fused: by a language-aware convex combination of normalised scores
(:func:`index.fusion.fuse_scores`, ``score_fusion``), or, when the query names a specific entity, by
language-aware reciprocal-rank fusion of passage ranks (:func:`index.fusion.fuse`; document ranks with
``document_fusion``, :func:`index.fusion.fuse_documents`) — the rules below were built on ranks for those
queries, and their BM25 scores carry the aliases of the name in every language, which scores would count as
lexical certainty. When the query names a specific entity (:func:`names_specific_entity`), BM25 weighs more
(:func:`fusion_sparse_weight`) and a passage in another language counts its better rank in both rankings
(``foreign_name_rank``: BM25 found the name through its aliases, while the dense ranking favours passages
in the query's language: on the gold dev half, Portuguese questions had their English answers at BM25 rank 1
and dense ranks 12, 13 or beyond 20; hybrid nDCG@10 0.877 → 0.898, cross-language R@1 0.913 → 0.957; only
2 of XQuAD's 2,380 questions name such an entity, and its figures do not move). The ranking is grouped by document,
turned into hits with snippets, and near-duplicate documents are folded into the first shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from index.fusion import Fusion, fuse, fuse_documents, fuse_scores, group_by_document, merge_topk
from kb.faults import checkpoint
from kb.read.context import ReadContext
from kb.read.dense_rank import dense_ranking
from kb.read.expand import glossary_expansion
from kb.read.feedback import feedback_terms
from kb.read.hits import build_hits
from kb.store import reads
from kb.store.curations import merged_into
from kb.types import Filters, Hit, SearchResult

QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|«([^»]+)»')
Ranked = list[tuple[int, float]]
#: Entity types too broad to make BM25 the better judge: many documents name a country, a city, the UN or the EU.
BROAD_TYPES = frozenset({"COUNTRY", "PLACE", "ORG"})
Groups = list[tuple[str, float, list[tuple[int, float]]]]


def parse_query(query: str) -> tuple[str, list[str]]:
    """Split a query into its free text and its "quoted phrases"."""
    phrases = [next(g for g in m.groups() if g) for m in QUOTED.finditer(query)]
    return query.replace('"', " ").replace("“", " ").replace("”", " ").replace("«", " ").replace("»", " "), phrases


def resolve_entity(ctx: ReadContext, value: str) -> str:
    """An entity id from an id, a canonical name or an alias (any language)."""
    if ":" in value:
        return value
    ent = ctx.gazetteer.lookup(value)
    if ent is not None:
        return merged_into(ctx.db, str(ent.id))  # "SUNAT" after org:sunat was merged into another entity
    return reads.entity_id_named(ctx.db, value) or value


def resolve_country(ctx: ReadContext, value: str) -> str:
    """An ISO country code from a code or a country's name (any language)."""
    if len(value) == 2:
        return value.upper()
    ent = ctx.gazetteer.lookup(value)
    if ent is not None and ent.countries:
        return str(ent.countries[0])
    return value.upper()


def expand_query(ctx: ReadContext, text: str, named: Sequence[Any] | None = None) -> str:
    """Add the aliases (other languages, acronyms) of the gazetteer entities named in the query
    (``named``: the gazetteer's matches in ``text``, when the caller has them already)."""
    gaz = ctx.gazetteer
    extra: list[str] = []
    for _start, _end, ent in gaz.find(text) if named is None else named:
        extra.extend(a for a in gaz.aliases_in_other_languages(ent.id) if a.lower() not in text.lower())
    return text if not extra else text + " " + " ".join(dict.fromkeys(extra))


def allowed_ids(ctx: ReadContext, f: Filters, phrases: Sequence[str]) -> np.ndarray | None:
    """Chunk ids that pass the filters and contain every phrase (``None`` when nothing restricts)."""
    if not f and not phrases:
        return None
    from index.analyze import fold
    from kb.read import bitmaps

    countries = tuple(resolve_country(ctx, c) for c in f.country)
    crossings = tuple(resolve_entity(ctx, c) for c in f.crossing)
    entities = tuple(resolve_entity(ctx, e) for e in f.entity)
    if not phrases:  # the segments' filter bitmaps, else (no filter files yet, or phrases) SQL
        found = bitmaps.allowed(ctx.view, f, countries=countries, crossings=crossings, entities=entities)
        if found is not None:
            return found
    ids = reads.allowed_chunk_ids(
        ctx.db, f, countries=countries, crossings=crossings, entities=entities, phrases=[fold(p) for p in phrases],
        fold=fold,
    )  # fmt: skip
    return np.array(ids, dtype=np.int64)


def phrase_scope(ctx: ReadContext, f: Filters, phrases: Sequence[str]) -> tuple[np.ndarray | None, list[str]]:
    """The allowed ids and the phrases they were restricted to: ``phrases`` when some passage passing ``f``
    holds them all, else none — no passage holds them exactly (a translation never does), so the search
    ranks on their words instead, as a web search does, and the front ends say so (:func:`unmatched_phrases`)."""
    allowed = allowed_ids(ctx, f, phrases)
    if phrases and allowed is not None and len(allowed) == 0:
        return allowed_ids(ctx, f, []), []
    return allowed, list(phrases)


def unmatched_phrases(ctx: ReadContext, query: str, f: Filters) -> tuple[str, ...]:
    """The query's quoted phrases when no passage passing ``f`` holds them all (:func:`phrase_scope`), else ``()``."""
    _, phrases = parse_query(query)
    return tuple(phrases) if phrases and not phrase_scope(ctx, f, phrases)[1] else ()


def search(
    ctx: ReadContext,
    query: str,
    k: int,
    f: Filters,
    *,
    mode: str = "hybrid",
    per_doc: int = 5,
    snippets: bool | str = True,
) -> list[SearchResult]:
    """Results grouped by document, best passage first in each; ``mode`` is hybrid, dense or sparse.

    ``snippets``: True for every passage, ``"best"`` for each document's best passage only, False for none.
    """
    from index.analyze import query_terms
    from ingest.language import query_language

    checkpoint("search_view")  # the generation is taken (ctx.view): commits from here on are not seen
    text, phrases = parse_query(query)
    if not text.strip() and not phrases:
        return []
    qlang = query_language(text)
    allowed, phrases = phrase_scope(ctx, f, phrases)
    if allowed is not None and len(allowed) == 0:
        return []
    n = max(ctx.config.candidates, k * per_doc * 2)
    ranked = _rank(ctx, text, qlang, mode, n, allowed)
    groups = group_by_document(ranked, reads.chunk_column(ctx.db, "doc_id", [c for c, _ in ranked]), k, per_doc)
    wanted = [(c, s) for _, _, items in groups for c, s in items]
    terms = set(query_terms(text, qlang)) | {t for p in phrases for t in query_terms(p, qlang)}
    marked = {items[0][0] for _, _, items in groups if items} if snippets == "best" else None
    hits = build_hits(ctx.db, wanted, terms, qlang, phrases, snippets=bool(snippets), only=marked)
    return group_results(groups, hits, reads.near_duplicates(ctx.db, [d for d, _, _ in groups]))


def _rank(ctx: ReadContext, text: str, qlang: str | None, mode: str, n: int, allowed: np.ndarray | None) -> Ranked:
    """The chunk ranking of one mode: dense, sparse, or both fused."""
    view, cfg = ctx.view, ctx.config
    exclude = view.tombstones if len(view.tombstones) else None
    segments = list(view.segments.values())
    dense_ids = sparse_ids = np.zeros(0, dtype=np.int64)
    dense_scores: dict[int, float] = {}
    langs: dict[int, str] = {}  # passage languages the dense ranking read (for centring); the fusion reads the rest
    scores: np.ndarray = np.zeros(0)
    if mode in ("hybrid", "dense"):
        dense_ids, dense_scores, langs = dense_ranking(ctx, text, qlang, n, allowed, exclude)
    named = ctx.gazetteer.find(text) if mode != "dense" else []  # once: BM25 expansion and fusion both use it
    if mode in ("hybrid", "sparse"):
        sq = expand_query(ctx, text, named)
        extra = glossary_expansion(text, qlang, cfg.glossary_weight).terms + feedback_terms(
            ctx, dense_ids, qlang, passages=cfg.feedback_passages, terms=cfg.feedback_terms, weight=cfg.feedback_weight
        )
        sparts = [
            seg.sparse.search(
                sq, qlang, n, allowed=allowed, exclude=exclude, extra=extra, title_weight=cfg.title_weight
            )
            for seg in segments
        ]
        scores, sparse_ids = merge_topk(list(sparts), n) if sparts else (np.zeros(0), sparse_ids)
    if mode == "dense":
        return [(int(i), dense_scores[int(i)]) for i in dense_ids]
    if mode == "sparse":
        return [(int(i), float(s)) for s, i in zip(scores, sparse_ids, strict=False)]
    dense = (dense_ids, np.array([dense_scores[int(i)] for i in dense_ids], dtype=np.float32))
    return _fuse(ctx, text, qlang, dense, (sparse_ids, scores), named, langs)


def _fuse(
    ctx: ReadContext,
    text: str,
    qlang: str | None,
    dense: tuple[np.ndarray, np.ndarray],
    sparse: tuple[np.ndarray, np.ndarray],
    matches: Sequence[Any],
    known_langs: Mapping[int, str],
) -> Ranked:
    """The dense and BM25 rankings (``(ids, scores)``, best first) fused: by normalised scores
    (``score_fusion``), unless the query names a specific entity; else by passage ranks or (``document_fusion``)
    document ranks. ``known_langs``: passage languages the dense ranking already read."""
    cfg = ctx.config
    dense_ids, sparse_ids = dense[0], sparse[0]
    found = [int(i) for i in np.union1d(dense_ids, sparse_ids)]
    langs = {**known_langs, **reads.chunk_column(ctx.db, "lang", [i for i in found if i not in known_langs])}
    named = names_specific_entity(ctx, text, matches)
    how = Fusion(
        k=cfg.rrf_k,
        dense_weight=cfg.dense_weight,
        sparse_weight=fusion_sparse_weight(ctx, text, named),
        foreign_best=cfg.foreign_name_rank and named,
        unseen_offset=cfg.foreign_unseen_offset,
        unseen_score=cfg.foreign_unseen_score,
        depth=cfg.candidates,
    )
    if cfg.score_fusion and not named and not cfg.document_fusion:
        ids, fused = fuse_scores(dense, sparse, langs, qlang, how)
    elif cfg.document_fusion:
        doc_of = reads.chunk_column(ctx.db, "doc_id", found)
        ids, fused = fuse_documents(dense_ids, sparse_ids, doc_of, langs, qlang, how)
    else:
        ids, fused = fuse(dense_ids, sparse_ids, langs, qlang, how)
    return [(int(i), float(s)) for i, s in zip(ids, fused, strict=True)]


def names_specific_entity(ctx: ReadContext, text: str, found: Sequence[Any] | None = None) -> bool:
    """Whether the query names a gazetteer entity other than a country, a place or an organisation
    (:data:`BROAD_TYPES`): a crossing, a programme, a legal instrument, a crime type. ``found``: the
    gazetteer's matches in ``text``, when the caller has them already."""
    matches = ctx.gazetteer.find(text) if found is None else found
    return any(e.type not in BROAD_TYPES for _, _, e in matches)


def fusion_sparse_weight(ctx: ReadContext, text: str, named: bool | None = None) -> float:
    """The BM25 ranking's weight in fusion: higher when the query names a specific known entity.

    A name (a crossing, an institution, a programme) is matched exactly by BM25, in every language
    through its gazetteer aliases, while the dense vector of a long question blurs it among
    documents about similar places; on the dev half, such queries' BM25 ranking alone beat the
    fused one (nDCG@10 0.885 against 0.787 for long questions), and doubling its weight for them
    raised hybrid nDCG@10 from 0.835 to 0.861. Query length did not add anything once names
    were accounted for. Countries, places and organisations (:data:`BROAD_TYPES`) do not count: many
    documents name them (on XQuAD, Wikipedia questions about Warsaw, France, the UN or the EU lost
    same-language R@1 with them; without them dev nDCG@10 is 0.861 instead of 0.865). ``named``:
    whether it does (:func:`names_specific_entity`), when the caller knows already.
    """
    cfg = ctx.config
    if named is None:
        named = cfg.entity_sparse_weight != cfg.sparse_weight and names_specific_entity(ctx, text)
    return cfg.entity_sparse_weight if named else cfg.sparse_weight


def similar(ctx: ReadContext, doc_id_or_text: str, k: int, f: Filters) -> list[SearchResult]:
    """More like this: the mean of a document's chunk vectors (or a pasted text's) as the query."""
    view = ctx.view
    own = reads.live_chunks_of(ctx.db, doc_id_or_text)
    skip_doc: str | None = None
    if own:
        vecs = [
            view.segments[seg].dense.reconstruct(np.array([cid], dtype=np.int64))[0]
            for cid, seg in own
            if seg in view.segments
        ]
        if not vecs:
            return []
        q = np.mean(np.stack(vecs), axis=0, keepdims=True).astype(np.float32)
        skip_doc = doc_id_or_text
    else:
        from ingest.chunk import chunk_document
        from kb.types import Page, RawDocument

        assert ctx.embed_passages is not None
        raw = RawDocument("<text>", "text", (Page(None, doc_id_or_text),))
        pieces = [c.text for c in chunk_document(raw)] or [doc_id_or_text]
        q = np.mean(ctx.embed_passages(pieces[:32]), axis=0, keepdims=True).astype(np.float32)
    q /= max(float(np.linalg.norm(q)), 1e-9)
    allowed = allowed_ids(ctx, f, [])
    exclude = view.tombstones if len(view.tombstones) else None
    n = max(ctx.config.candidates, k * 10)
    parts = [seg.dense.search(q, n, allowed=allowed, exclude=exclude) for seg in view.segments.values()]
    scores, ids = (
        merge_topk([(s[0], i[0]) for s, i in parts], n) if parts else (np.zeros(0), np.zeros(0, dtype=np.int64))
    )
    ranked = [(int(i), float(s)) for s, i in zip(scores, ids, strict=False) if i >= 0]
    doc_of = {c: d for c, d in reads.chunk_column(ctx.db, "doc_id", [c for c, _ in ranked]).items() if d != skip_doc}
    groups = group_by_document(ranked, doc_of, k, 3)
    hits = build_hits(ctx.db, [(c, s) for _, _, items in groups for c, s in items], set(), None, ())
    return group_results(groups, hits)


def group_results(
    groups: Groups, hits: Mapping[int, Hit], dup_of: Mapping[str, str] | None = None
) -> list[SearchResult]:
    """Build results; a near-duplicate of a document already shown is folded into it."""
    dup_of = dup_of or {}
    out: list[SearchResult] = []
    index: dict[str, int] = {}
    for doc, score, items in groups:
        found = tuple(hits[c] for c, _ in items if c in hits)
        if not found:
            continue
        root = dup_of.get(doc) or doc
        if root in index:
            prev = out[index[root]]
            out[index[root]] = SearchResult(prev.doc_id, prev.score, prev.hits, (*prev.duplicates, doc))
            continue
        index[root] = len(out)
        index[doc] = len(out)
        out.append(SearchResult(doc, score, found))
    return out
