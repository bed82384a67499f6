"""Ranked chunk ids → :class:`~kb.types.Hit` values (text, snippet, highlights, entities), and their JSON."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from kb.read.snippets import Highlighter, flat, make_snippet
from kb.store import reads
from kb.types import EntityRef, Hit

#: the order in which a passage's entities are shown (other types after these)
SHOWN_TYPES = ("BORDER_CROSSING", "COUNTRY", "ORG", "PROGRAMME", "CRIME_TYPE", "LEGAL_INSTRUMENT", "PERSON", "PLACE")


def build_hits(
    db: sqlite3.Connection,
    ranked: Sequence[tuple[int, float]],
    terms: set[str],
    qlang: str | None,
    phrases: Sequence[str],
    *,
    snippets: bool = True,
    only: set[int] | None = None,
) -> dict[int, Hit]:
    """A hit per ranked chunk still stored; ``terms`` and ``phrases`` are highlighted in its snippet.

    With ``only``, just those chunks get a highlighted snippet and their entities; the others keep
    their first 200 characters and no entity list (what a results page shows of a document's further
    passages: a count). On a page of ten documents that halves the work of building hits.
    """
    if not ranked:
        return {}
    ids = [c for c, _ in ranked]
    rows = reads.hit_rows(db, ids)
    ents: dict[int, list[EntityRef]] = {}
    for cid, eid, name, etype in reads.hit_entities(db, ids if only is None else [c for c in ids if c in only]):
        ents.setdefault(cid, []).append(EntityRef(eid, name, etype))
    hits: dict[int, Hit] = {}
    marker = Highlighter(terms, phrases)
    for cid, score in ranked:
        r = rows.get(cid)
        if r is None:  # purged by a compaction since this reader's generation
            continue
        if snippets and (only is None or cid in only):
            text = flat(r["text"])
            snippet, highlights = make_snippet(text, marker.spans(text, r["lang"]))
        else:
            snippet, highlights = _opening(r["text"]), ()
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


def _opening(text: str, width: int = 200) -> str:
    """The first ``width`` characters of ``text`` with its whitespace runs made single spaces, without
    normalising the whole passage."""
    head = " ".join(text[: width * 5].split())
    return (head if len(head) > width or len(text) <= width * 5 else " ".join(text.split()))[:width]


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
