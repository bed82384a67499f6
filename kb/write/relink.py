"""``kb relink`` and ``kb set``: re-run entity linking and metadata rules without re-embedding anything.

After the gazetteer changes (a new alias, a new crossing) or a document's metadata is corrected,
mentions, entities, affiliations, action items, countries, crossings, regions and document types
are rebuilt from the stored chunk and page texts (a type set with ``kb set`` stays). Vectors and BM25
segments are untouched, so it takes seconds.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.analyse import document_structure
from ingest.metadata import classify_type
from kb.store import filters
from kb.store import writes as w
from kb.store.lookups import all_documents, document_chunks, document_pages
from kb.store.manifest import commit_generation
from kb.types import EDITABLE, Chunk, KBError, Page, Progress, RawDocument
from kb.write.context import WriteContext
from kb.write.curation import Overlay, entity_rows, load_overlay, store_entities


def set_metadata(ctx: WriteContext, doc_id: str, values: dict[str, str]) -> None:
    """Correct a document's metadata; the correction survives ``kb relink`` and re-ingest of the same file."""
    bad = set(values) - set(EDITABLE)
    if bad:
        raise KBError(f"cannot set {', '.join(sorted(bad))}; editable fields: {', '.join(EDITABLE)}")
    store = ctx.store
    with store.writer_lock():
        store.remove_orphans()  # a killed writer's filter files first: this commit's generation reuses its number
        with commit_generation(store) as (db, gen):  # a generation: readers see the new filter files with it
            if not w.set_overrides(store, doc_id, values, EDITABLE):
                raise KBError(f"no document {doc_id!r}")
            filters.write_for(db, store.segment_dir, filters.segments_of_document(db, doc_id), gen)


def relink(ctx: WriteContext, progress: Progress | None = None) -> dict[str, int]:
    """Rebuild every document's entity links, places and structure from its stored text.

    Each document is rewritten in its own transaction; the last one, which drops entities nothing
    mentions any more, commits a new generation so the manifest's counts follow.
    """
    analyser = ctx.analyser
    analyser.reload_gazetteer()  # pick up edits to the gazetteer file
    store = ctx.store
    docs = all_documents(store)
    total_mentions = 0
    with store.writer_lock():
        store.remove_orphans()  # a killed writer's filter files (see set_metadata)
        overlay = load_overlay(ctx)
        for n, d in enumerate(docs):
            total_mentions += _relink_document(ctx, d, overlay)
            if progress:
                progress("relink", n + 1, len(docs))
        if not docs:
            with store.transaction():
                w.refresh_gazetteer_entities(store, analyser.gazetteer.entities.values())
            return {"documents": 0, "mentions": 0}
        with commit_generation(store) as (db, gen):
            w.refresh_gazetteer_entities(store, analyser.gazetteer.entities.values())
            store_entities(ctx, overlay, (), entity_rows(analyser))  # curated names, types, aliases
            filters.write_for(db, store.segment_dir, store.live_segments(), gen)  # entities, places, regions
    return {"documents": len(docs), "mentions": total_mentions}


def _relink_document(ctx: WriteContext, d: Any, overlay: Overlay) -> int:
    """Re-extract one document's mentions and rewrite what follows from them; returns the mention count."""
    store, analyser = ctx.store, ctx.analyser
    rows = document_chunks(store, d["id"])
    if not rows:
        return 0
    chunks = tuple(
        Chunk(
            r["ordinal"],
            r["text"],
            r["char_start"],
            r["char_end"],
            r["page_start"],
            r["page_end"],
            r["heading"],
            r["lang"],
        )  # fmt: skip
        for r in rows
    )
    texts = [c.text for c in chunks]
    mentions = analyser.extractor.link_document(texts, analyser.extractor.extract(texts, [c.lang for c in chunks]))
    countries, crossings, region = analyser.places(mentions)
    pages = tuple(Page(p["number"], p["text"], (), p["ocr_confidence"]) for p in document_pages(store, d["id"]))
    raw = RawDocument(d["source"], d["format"], pages)
    actions, affiliations = document_structure(raw, chunks, mentions)
    overrides = json.loads(d["meta"] or "{}").get("overrides", {})
    doc_region = overrides.get("region", region)
    doc_type = overrides.get("doc_type") or classify_type(d["title"] or "", raw.text, d["lang"])
    ids = [r["id"] for r in rows]
    regions = analyser.passage_regions(mentions, doc_region)
    if overlay:
        mentions = list(overlay.apply(d["id"], [c.text for c in chunks], mentions))
    with store.transaction():
        w.replace_passage_links(store, ids, mentions, regions)
        w.upsert_entities(store, {m.entity_id for ms in mentions for m in ms}, overlay.describe(entity_rows(analyser)))
        w.replace_structure(store, d["id"], ids, actions, affiliations)
        w.set_places(store, d["id"], countries, crossings, doc_region, doc_type)
    return sum(len(ms) for ms in mentions)
