"""Read models for results, documents and entities (plain dicts and Hits, ready for JSON)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kb.snippets import make_snippet, match_spans
from kb.types import EntityRef, Hit

if TYPE_CHECKING:
    from kb.service import KnowledgeBase

SHOWN_TYPES = ("BORDER_CROSSING", "COUNTRY", "ORG", "PROGRAMME", "CRIME_TYPE", "LEGAL_INSTRUMENT", "PERSON", "PLACE")


def build_hits(
    kb: KnowledgeBase,
    ranked: Sequence[tuple[int, float]],
    terms: set[str],
    qlang: str | None,
    phrases: Sequence[str],
    *,
    snippets: bool = True,
) -> dict[int, Hit]:
    if not ranked:
        return {}
    db = kb.store.db
    ids = [c for c, _ in ranked]
    marks = ",".join("?" * len(ids))
    rows = {
        r["id"]: r
        for r in db.execute(
            "SELECT c.*, d.source, d.title, d.doc_type, d.date, d.lang AS doc_lang, "
            "COALESCE(cr.region, d.region, 'other') AS region FROM chunks c JOIN documents d ON d.id = c.doc_id "
            f"LEFT JOIN chunk_regions cr ON cr.chunk_id = c.id WHERE c.id IN ({marks})",
            ids,
        )
    }
    ents: dict[int, list[EntityRef]] = {}
    for r in db.execute(
        f"SELECT DISTINCT m.chunk_id, e.id, e.name, e.type FROM mentions m JOIN entities e ON e.id = m.entity_id "
        f"WHERE m.chunk_id IN ({marks}) AND e.type != 'DATE'",
        ids,
    ):
        ents.setdefault(r[0], []).append(EntityRef(r[1], r[2], r[3]))
    hits: dict[int, Hit] = {}
    for cid, score in ranked:
        r = rows.get(cid)
        if r is None:  # purged by a compaction since this reader's generation
            continue
        text = " ".join(r["text"].split())
        if snippets:
            snippet, highlights = make_snippet(text, match_spans(text, terms, r["lang"], phrases))
        else:
            snippet, highlights = text[:200], ()
        chunk_ents = sorted(
            ents.get(cid, []), key=lambda e: (SHOWN_TYPES.index(e.type) if e.type in SHOWN_TYPES else 99, e.name)
        )
        hits[cid] = Hit(
            chunk_id=cid,
            doc_id=r["doc_id"],
            source=r["source"],
            title=r["title"] or "",
            lang=r["lang"] or r["doc_lang"] or "und",
            doc_type=r["doc_type"] or "other",
            date=r["date"],
            page=r["page_start"],
            score=float(score),
            snippet=snippet,
            highlights=highlights,
            entities=tuple(chunk_ents),
            text=r["text"],
            heading=r["heading"],
            region=r["region"],
        )
    return hits


def hit_json(hit: Hit, *, passages: int = 1) -> dict[str, Any]:
    """The search JSON schema (README "JSON output")."""
    return {
        "doc_id": hit.doc_id,
        "source": hit.source,
        "title": hit.title,
        "lang": hit.lang,
        "doc_type": hit.doc_type,
        "date": hit.date,
        "page": hit.page,
        "chunk_id": hit.chunk_id,
        "score": round(hit.score, 6),
        "snippet": hit.snippet,
        "highlights": [list(h) for h in hit.highlights],
        "entities": [{"id": e.id, "name": e.name, "type": e.type} for e in hit.entities],
        "heading": hit.heading,
        "region": hit.region,
        "passages": passages,
    }


def document_view(kb: KnowledgeBase, doc_id: str) -> dict[str, Any] | None:
    db = kb.store.db
    d = db.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone()
    if d is None:
        return None
    pages = [
        {"number": p["number"], "text": p["text"], "ocr_confidence": p["ocr_confidence"]}
        for p in db.execute("SELECT * FROM pages WHERE doc_id=? ORDER BY idx", (doc_id,))
    ]
    ents: dict[str, list[dict[str, Any]]] = {}
    for r in db.execute(
        "SELECT e.id, e.name, e.type, COUNT(*) AS n FROM mentions m JOIN chunks c ON c.id=m.chunk_id "
        "JOIN entities e ON e.id=m.entity_id WHERE c.doc_id=? AND c.deleted_gen IS NULL "
        "GROUP BY e.id ORDER BY n DESC, e.name",
        (doc_id,),
    ):
        ents.setdefault(r["type"], []).append({"id": r["id"], "name": r["name"], "mentions": r["n"]})
    paths = [r[0] for r in db.execute("SELECT path FROM document_paths WHERE doc_id=? ORDER BY path", (doc_id,))]
    chunks = db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id=? AND deleted_gen IS NULL", (doc_id,)).fetchone()[0]
    return {
        "doc_id": d["id"],
        "source": d["source"],
        "paths": paths,
        "title": d["title"],
        "lang": d["lang"],
        "doc_type": d["doc_type"],
        "date": d["date"],
        "format": d["format"],
        "size": d["size"],
        "sha256": d["sha256"],
        "collection": d["collection"],
        "page_count": d["page_count"],
        "region": d["region"],
        "countries": json.loads(d["countries"] or "[]"),
        "crossings": json.loads(d["crossings"] or "[]"),
        "ocr": bool(d["ocr"]),
        "file": str(kb.root / d["file"]) if d["file"] else None,
        "chunks": chunks,
        "entities": ents,
        "pages": pages,
    }


def _entity_row(r: Any) -> dict[str, Any]:
    return {
        "id": r["id"],
        "name": r["name"],
        "type": r["type"],
        "aliases": json.loads(r["aliases"] or "[]"),
        "countries": json.loads(r["countries"] or "[]"),
        "lat": r["lat"],
        "lon": r["lon"],
        "region": r["region"],
    }


def entity_list(kb: KnowledgeBase, type: str | None, limit: int | None) -> list[dict[str, Any]]:
    db = kb.store.db
    sql = (
        "SELECT e.*, COUNT(DISTINCT c.doc_id) AS doc_count FROM entities e JOIN mentions m ON m.entity_id=e.id "
        "JOIN chunks c ON c.id=m.chunk_id AND c.deleted_gen IS NULL "
    )
    args: list[Any] = []
    if type:
        sql += "WHERE e.type = ? "
        args.append(type.upper())
    else:
        sql += "WHERE e.type != 'DATE' "
    sql += "GROUP BY e.id ORDER BY doc_count DESC, e.name"
    if limit:
        sql += f" LIMIT {int(limit)}"
    out = []
    for r in db.execute(sql, args):
        row = _entity_row(r)
        row["doc_count"] = r["doc_count"]
        out.append(row)
    return out


def entity_view(kb: KnowledgeBase, entity_id: str) -> dict[str, Any] | None:
    from kb.query import resolve_entity

    db = kb.store.db
    eid = resolve_entity(kb, entity_id)
    r = db.execute("SELECT * FROM entities WHERE id=?", (eid,)).fetchone()
    if r is None:
        return None
    view = _entity_row(r)
    docs = db.execute(
        "SELECT d.id, d.title, d.lang, d.doc_type, d.date, d.source, COUNT(*) AS mentions, MIN(c.page_start) AS page "
        "FROM mentions m JOIN chunks c ON c.id=m.chunk_id AND c.deleted_gen IS NULL JOIN documents d ON d.id=c.doc_id "
        "WHERE m.entity_id=? GROUP BY d.id ORDER BY mentions DESC, d.date DESC",
        (eid,),
    ).fetchall()
    view["documents"] = [dict(d) for d in docs]
    co = db.execute(
        "SELECT e.id, e.name, e.type, COUNT(DISTINCT c.doc_id) AS docs FROM mentions m1 "
        "JOIN chunks c ON c.id=m1.chunk_id AND c.deleted_gen IS NULL "
        "JOIN mentions m2 ON m2.chunk_id=m1.chunk_id JOIN entities e ON e.id=m2.entity_id "
        "WHERE m1.entity_id=? AND m2.entity_id != ? AND e.type != 'DATE' "
        "GROUP BY e.id ORDER BY docs DESC, e.name LIMIT 25",
        (eid, eid),
    ).fetchall()
    view["co_mentions"] = [dict(c) for c in co]
    years: Counter[str] = Counter()
    for d in docs:
        if d["date"]:
            years[d["date"][:4]] += d["mentions"]
    view["mentions_by_year"] = dict(sorted(years.items()))
    view["doc_count"] = len(docs)
    return view


FACETS = ("doc_type", "lang", "country", "crossing", "entity", "year", "region")


def facet_counts(
    kb: KnowledgeBase, doc_ids: Sequence[str] | None = None, top: int = 15
) -> dict[str, list[tuple[str, str, int]]]:
    """Per facet, ``(value, label, document count)`` over ``doc_ids`` (all documents when None).

    ``value`` is what the matching search filter takes (an ISO code, an entity id, a year).
    """
    db = kb.store.db
    if doc_ids is not None and not doc_ids:
        return {f: [] for f in FACETS}
    where, args = "", list(doc_ids or [])
    if doc_ids is not None:
        where = f"WHERE d.id IN ({','.join('?' * len(args))})"
    docs = db.execute(
        f"SELECT d.id, d.doc_type, d.lang, d.countries, d.crossings, d.date, d.region FROM documents d {where}", args
    ).fetchall()
    counters: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    for d in docs:
        counters["doc_type"][d["doc_type"] or "other"] += 1
        counters["lang"][d["lang"] or "und"] += 1
        if d["date"]:
            counters["year"][d["date"][:4]] += 1
        for c in json.loads(d["countries"] or "[]"):
            counters["country"][c] += 1
        for c in json.loads(d["crossings"] or "[]"):
            counters["crossing"][c] += 1
    ents = db.execute(
        "SELECT m.entity_id, COUNT(DISTINCT c.doc_id) FROM mentions m JOIN chunks c ON c.id = m.chunk_id "
        f"AND c.deleted_gen IS NULL JOIN documents d ON d.id = c.doc_id {where} "
        f"{'AND' if where else 'WHERE'} m.entity_id NOT LIKE 'date:%' AND m.entity_id NOT LIKE 'country:%' "
        "AND m.entity_id NOT LIKE 'bc:%' GROUP BY m.entity_id",
        args,
    ).fetchall()
    for eid, n in ents:
        counters["entity"][eid] = n
    # documents with at least one passage in the region: what the (passage-level) region filter returns
    for region, n in db.execute(
        "SELECT COALESCE(cr.region, d.region, 'other'), COUNT(DISTINCT c.doc_id) FROM chunks c "
        "JOIN documents d ON d.id = c.doc_id LEFT JOIN chunk_regions cr ON cr.chunk_id = c.id "
        f"{where} {'AND' if where else 'WHERE'} c.deleted_gen IS NULL GROUP BY 1",
        args,
    ):
        counters["region"][region] = n
    names = _entity_names(kb, [e for e in counters["entity"]] + [c for c in counters["crossing"]])
    country_names = _country_names(kb)
    out: dict[str, list[tuple[str, str, int]]] = {}
    for facet, counter in counters.items():
        items = counter.most_common(top) if facet in ("entity", "crossing", "country") else sorted(counter.items())
        if facet == "year":
            items = sorted(counter.items(), reverse=True)
        label = {"entity": names, "crossing": names, "country": country_names}.get(facet, {})
        out[facet] = [(v, label.get(v, v), n) for v, n in items]
    return out


def _entity_names(kb: KnowledgeBase, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return dict(kb.store.db.execute(f"SELECT id, name FROM entities WHERE id IN ({marks})", list(ids)).fetchall())


def _country_names(kb: KnowledgeBase) -> dict[str, str]:
    out: dict[str, str] = {}
    for ent in kb.gazetteer.entities.values():
        if ent.type == "COUNTRY":
            out[ent.countries[0] if ent.countries else ent.id.split(":")[-1].upper()] = ent.name
    return out
