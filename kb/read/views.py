"""Views of documents, entities and facets: plain dicts, ready for JSON and the app."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kb.read.context import ReadContext
from kb.read.search import resolve_entity
from kb.store import reads

FACETS = ("doc_type", "lang", "country", "crossing", "entity", "year", "region")


def document_view(db: sqlite3.Connection, root: Path, doc_id: str) -> dict[str, Any] | None:
    """A document's metadata, paths, entities (by type, most mentioned first) and pages."""
    d = reads.document_row(db, doc_id)
    if d is None:
        return None
    pages = [
        {"number": p["number"], "text": p["text"], "ocr_confidence": p["ocr_confidence"]}
        for p in reads.pages(db, doc_id)
    ]
    ents: dict[str, list[dict[str, Any]]] = {}
    for r in reads.document_entities(db, doc_id):
        ents.setdefault(r["type"], []).append({"id": r["id"], "name": r["name"], "mentions": r["n"]})
    return {
        "doc_id": d["id"],
        "source": d["source"],
        "paths": reads.document_paths(db, doc_id),
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
        "file": str(root / d["file"]) if d["file"] else None,
        "chunks": reads.live_chunk_count(db, doc_id),
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


def entity_list(db: sqlite3.Connection, type: str | None, limit: int | None) -> list[dict[str, Any]]:
    """Entities (of ``type``, else all but dates) with the number of documents naming each, most first."""
    out = []
    for r in reads.entities_by_documents(db, type, limit):
        row = _entity_row(r)
        row["doc_count"] = r["doc_count"]
        out.append(row)
    return out


def entity_view(ctx: ReadContext, entity_id: str) -> dict[str, Any] | None:
    """One entity (by id, name or alias): its documents, co-mentioned entities and mentions per year."""
    eid = resolve_entity(ctx, entity_id)
    r = reads.entity_row(ctx.db, eid)
    if r is None:
        return None
    view = _entity_row(r)
    docs = reads.entity_documents(ctx.db, eid)
    view["documents"] = [dict(d) for d in docs]
    view["co_mentions"] = [dict(c) for c in reads.co_mentions(ctx.db, eid)]
    years: Counter[str] = Counter()
    for d in docs:
        if d["date"]:
            years[d["date"][:4]] += d["mentions"]
    view["mentions_by_year"] = dict(sorted(years.items()))
    view["doc_count"] = len(docs)
    return view


def facet_counts(
    ctx: ReadContext, doc_ids: Sequence[str] | None = None, top: int = 15
) -> dict[str, list[tuple[str, str, int]]]:
    """Per facet, ``(value, label, document count)`` over ``doc_ids`` (all documents when None).

    ``value`` is what the matching search filter takes (an ISO code, an entity id, a year).
    """
    if doc_ids is not None and not doc_ids:
        return {f: [] for f in FACETS}
    counters: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    for d in reads.facet_documents(ctx.db, doc_ids):
        counters["doc_type"][d["doc_type"] or "other"] += 1
        counters["lang"][d["lang"] or "und"] += 1
        if d["date"]:
            counters["year"][d["date"][:4]] += 1
        for c in json.loads(d["countries"] or "[]"):
            counters["country"][c] += 1
        for c in json.loads(d["crossings"] or "[]"):
            counters["crossing"][c] += 1
    for eid, n in reads.facet_entities(ctx.db, doc_ids):
        counters["entity"][eid] = n
    # documents with at least one passage in the region: what the (passage-level) region filter returns
    for region, n in reads.facet_regions(ctx.db, doc_ids):
        counters["region"][region] = n
    names = reads.entity_names(ctx.db, [e for e in counters["entity"]] + [c for c in counters["crossing"]])
    labels = {"entity": names, "crossing": names, "country": country_names(ctx.gazetteer)}
    out: dict[str, list[tuple[str, str, int]]] = {}
    for facet, counter in counters.items():
        items = counter.most_common(top) if facet in ("entity", "crossing", "country") else sorted(counter.items())
        if facet == "year":
            items = sorted(counter.items(), reverse=True)
        label = labels.get(facet, {})
        out[facet] = [(v, label.get(v, v), n) for v, n in items]
    return out


def country_names(gazetteer: Any) -> dict[str, str]:
    """``{ISO code: name}`` of the gazetteer's countries."""
    out: dict[str, str] = {}
    for ent in gazetteer.entities.values():
        if ent.type == "COUNTRY":
            out[ent.countries[0] if ent.countries else ent.id.split(":")[-1].upper()] = ent.name
    return out
