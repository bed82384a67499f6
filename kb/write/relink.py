"""``kb relink``: re-run entity linking and metadata rules without re-embedding anything.

After the gazetteer changes (a new alias, a new crossing) or a document's metadata is corrected,
mentions, entities, affiliations, action items, countries, crossings and regions are rebuilt
from the stored chunk texts. Vectors and BM25 segments are untouched, so it takes seconds.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kb.pipeline import Analysed
from kb.types import Chunk, Page, RawDocument

if TYPE_CHECKING:
    from kb.service import KnowledgeBase

EDITABLE = ("title", "doc_type", "date", "lang", "region", "collection")


def set_metadata(kb: KnowledgeBase, doc_id: str, values: dict[str, str]) -> None:
    """Correct a document's metadata; the correction survives ``kb relink`` and re-ingest of the same file."""
    from kb.store import KBError

    bad = set(values) - set(EDITABLE)
    if bad:
        raise KBError(f"cannot set {', '.join(sorted(bad))}; editable fields: {', '.join(EDITABLE)}")
    db = kb.store.db
    with kb.store.writer_lock(), db:
        row = db.execute("SELECT meta FROM documents WHERE id=?", (doc_id,)).fetchone()
        if row is None:
            raise KBError(f"no document {doc_id!r}")
        meta = json.loads(row["meta"] or "{}")
        meta.setdefault("overrides", {}).update(values)
        db.execute("UPDATE documents SET meta=? WHERE id=?", (json.dumps(meta), doc_id))
        for key, value in values.items():
            db.execute(f"UPDATE documents SET {key}=? WHERE id=?", (value, doc_id))


def relink(kb: KnowledgeBase, progress: Any = None) -> dict[str, int]:
    from ingest.gazetteer import Gazetteer
    from kb.ingest import _upsert_entities, insert_structure

    kb.analyser.gazetteer = Gazetteer.load()  # pick up edits to the gazetteer file
    from ingest.entities import EntityExtractor

    kb.analyser.extractor = EntityExtractor(kb.analyser.gazetteer, use_ner=kb.config.use_ner)
    db = kb.store.db
    docs = db.execute("SELECT * FROM documents").fetchall()
    total_mentions = 0
    with kb.store.writer_lock():
        for n, d in enumerate(docs):
            rows = db.execute(
                "SELECT * FROM chunks WHERE doc_id=? AND deleted_gen IS NULL ORDER BY ordinal", (d["id"],)
            ).fetchall()
            if not rows:
                continue
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
                )
                for r in rows
            )
            mentions = kb.analyser.extractor.extract([c.text for c in chunks], [c.lang for c in chunks])
            countries, crossings, region = kb.analyser._places(mentions)
            pages = tuple(
                Page(p["number"], p["text"], (), p["ocr_confidence"])
                for p in db.execute("SELECT * FROM pages WHERE doc_id=? ORDER BY idx", (d["id"],))
            )
            raw = RawDocument(d["source"], d["format"], pages)
            a = Analysed(
                d["id"],
                d["source"],
                d["sha256"],
                d["size"],
                raw,
                d["title"],
                d["lang"],
                d["doc_type"],
                d["date"],
                chunks,
                tuple(mentions),
                countries,
                crossings,
                region,
            )  # type: ignore[arg-type]
            overrides = json.loads(d["meta"] or "{}").get("overrides", {})
            with db:
                ids = [r["id"] for r in rows]
                db.executemany("DELETE FROM mentions WHERE chunk_id=?", [(i,) for i in ids])
                for cid, ms in zip(ids, mentions, strict=True):
                    db.executemany(
                        "INSERT INTO mentions VALUES (?,?,?,?,?,?)",
                        [(cid, m.entity_id, m.start, m.end, m.surface, m.value) for m in ms],
                    )
                    total_mentions += len(ms)
                _upsert_entities(kb, {m.entity_id for ms in mentions for m in ms})
                doc_region = overrides.get("region", region)
                db.executemany("DELETE FROM chunk_regions WHERE chunk_id=?", [(i,) for i in ids])
                db.executemany(
                    "INSERT INTO chunk_regions VALUES (?,?)",
                    [(i, r) for i, r in zip(ids, kb.analyser.passage_regions(mentions, doc_region), strict=True) if r],
                )
                insert_structure(kb, a, ids[0])
                db.execute(
                    "UPDATE documents SET countries=?, crossings=?, region=? WHERE id=?",
                    (json.dumps(countries), json.dumps(crossings), overrides.get("region", region), d["id"]),
                )
            if progress:
                progress("relink", n + 1, len(docs))
        with db:
            db.execute("DELETE FROM entities WHERE id NOT IN (SELECT DISTINCT entity_id FROM mentions)")
            for e in kb.analyser.gazetteer.entities.values():  # refresh names and aliases of gazetteer entities
                db.execute(
                    "UPDATE entities SET name=?, aliases=?, lat=?, lon=?, region=? WHERE id=?",
                    (e.name, json.dumps(list(e.aliases), ensure_ascii=False), e.lat, e.lon, e.region, e.id),
                )
    return {"documents": len(docs), "mentions": total_mentions}
