"""Every INSERT, UPDATE and DELETE of the write path: documents, passages, structure, entities, tombstones.

Each function runs inside the caller's transaction (``commit_generation`` or ``Store.transaction``):
none commits by itself, so a batch, a removal or a relink lands whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.types import PAGE_JOINER, Chunk, Mention, ReportRow

if TYPE_CHECKING:
    from ingest.analyse import ActionRow, AffiliationRow, Analysed
    from kb.store.db import Store

#: what ``upsert_entities`` stores for an entity id: name, type, aliases, countries, lat, lon, region, origin
EntityRow = tuple[str, str, list[str], list[str], float | None, float | None, str | None, str]


def insert_document(store: Store, a: Analysed, collection: str | None, file: str, gen: int) -> None:
    """The document row, its path in ``collection`` and its pages."""
    db = store.db
    raw = a.raw
    ocr = any(p.ocr_confidence is not None for p in raw.pages)
    meta = {"author": raw.author, "warnings": list(raw.warnings)}
    db.execute(
        "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            a.doc_id, str(a.path), a.sha256, a.size, raw.format, a.title, a.lang, a.doc_type, a.date, collection,
            len(raw.pages) if raw.format == "pdf" else None, a.region, json.dumps(a.countries),
            json.dumps(a.crossings), file, int(ocr), None, gen, json.dumps(meta),
        ),
    )  # fmt: skip
    db.execute("INSERT OR REPLACE INTO document_paths VALUES (?,?,?)", (a.doc_id, str(a.path), collection))
    offset = 0
    for i, page in enumerate(raw.pages):
        db.execute(
            "INSERT OR REPLACE INTO pages VALUES (?,?,?,?,?,?)",
            (a.doc_id, i, page.number, page.text, offset, page.ocr_confidence),
        )
        offset += len(page.text) + len(PAGE_JOINER)


def insert_chunks(store: Store, doc_id: str, chunks: Sequence[Chunk], first_id: int, segment: int) -> list[int]:
    """A document's chunks with consecutive ids from ``first_id``, in ``segment``; returns their ids."""
    from index.embed import text_hash

    ids = list(range(first_id, first_id + len(chunks)))
    store.db.executemany(
        "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
        [
            (
                cid,
                doc_id,
                c.ordinal,
                c.text,
                c.char_start,
                c.char_end,
                c.page_start,
                c.page_end,
                c.heading,
                c.lang,
                text_hash(c.text),
                segment,
            )  # fmt: skip
            for cid, c in zip(ids, chunks, strict=True)
        ],
    )
    return ids


def replace_passage_links(
    store: Store,
    chunk_ids: Sequence[int],
    mentions: Sequence[Sequence[Mention]],
    regions: Sequence[str | None],
) -> None:
    """Each chunk's mentions and region (``None``: no region row), replacing what the chunks had."""
    db = store.db
    db.executemany("DELETE FROM mentions WHERE chunk_id=?", [(i,) for i in chunk_ids])
    db.executemany("DELETE FROM chunk_regions WHERE chunk_id=?", [(i,) for i in chunk_ids])
    db.executemany(
        "INSERT INTO mentions VALUES (?,?,?,?,?,?)",
        [
            (cid, m.entity_id, m.start, m.end, m.surface, m.value)
            for cid, ms in zip(chunk_ids, mentions, strict=True)
            for m in ms
        ],
    )
    db.executemany(
        "INSERT OR REPLACE INTO chunk_regions VALUES (?,?)",
        [(cid, r) for cid, r in zip(chunk_ids, regions, strict=True) if r is not None],
    )


def replace_structure(
    store: Store,
    doc_id: str,
    chunk_ids: Sequence[int],
    actions: Iterable[ActionRow],
    affiliations: Iterable[AffiliationRow],
) -> None:
    """A document's action items and affiliations (``AffiliationRow.chunk`` indexes ``chunk_ids``)."""
    db = store.db
    db.execute("DELETE FROM actions WHERE doc_id=?", (doc_id,))
    db.execute("DELETE FROM affiliations WHERE doc_id=?", (doc_id,))
    db.executemany(
        "INSERT INTO actions VALUES (?,?,?,?,?,?,?)",
        [(doc_id, x.page, x.heading, x.kind, x.text, x.owner, x.deadline) for x in actions],
    )
    db.executemany(
        "INSERT INTO affiliations VALUES (?,?,?,?,?,?,?)",
        [(doc_id, chunk_ids[f.chunk], f.page, f.person_id, f.org_id, f.role, f.sentence) for f in affiliations],
    )


def mark_near_duplicate(
    store: Store,
    doc_id: str,
    sig: np.ndarray,
    similarity: Callable[[np.ndarray, np.ndarray], np.ndarray],
    threshold: float,
) -> None:
    """Point a re-published text at the document it repeats, and keep its signature for later ones.

    Compares with every stored signature, those of this batch's earlier documents included.
    """
    db = store.db
    rows = db.execute("SELECT doc_id, sig FROM fingerprints WHERE doc_id != ?", (doc_id,)).fetchall()
    if rows:
        others = np.stack([np.frombuffer(r["sig"], dtype=np.uint64) for r in rows])
        sims = similarity(sig, others)
        best = int(np.argmax(sims))
        if sims[best] >= threshold:
            target = rows[best]["doc_id"]
            root = db.execute("SELECT near_dup_of FROM documents WHERE id=?", (target,)).fetchone()
            target = root[0] if root and root[0] else target
            db.execute("UPDATE documents SET near_dup_of=? WHERE id=?", (target, doc_id))
    db.execute("INSERT OR REPLACE INTO fingerprints VALUES (?,?)", (doc_id, sig.tobytes()))


def upsert_entities(store: Store, ids: Iterable[str], describe: Callable[[str], EntityRow | None]) -> None:
    """Store the entities among ``ids`` not stored yet; ``describe`` gives each one's row (``None``: skip it)."""
    db = store.db
    known = {r[0] for r in db.execute("SELECT id FROM entities")}
    for eid in sorted(set(ids) - known):
        row = describe(eid)
        if row is None:
            continue
        name, etype, aliases, countries, lat, lon, region, origin = row
        db.execute(
            "INSERT OR REPLACE INTO entities VALUES (?,?,?,?,?,?,?,?,?)",
            (
                eid,
                name,
                etype,
                json.dumps(aliases, ensure_ascii=False),
                json.dumps(countries),
                lat,
                lon,
                region,
                origin,
            ),
        )


def delete_document_rows(store: Store, doc_id: str, gen: int, *, keep_paths: bool) -> None:
    """Tombstone a document's chunks at ``gen`` and drop its rows.

    A tombstone keeps only what searches need to exclude the chunk until compaction (id, segment,
    ``deleted_gen``, and the text hash that frees cached vectors): its text is blanked now, and
    ``secure_delete`` overwrites the freed bytes, so removed text is gone from the store at once.
    ``keep_paths`` (an update of the document) keeps its document row, paths and fingerprint.
    """
    db = store.db
    live = "SELECT id FROM chunks WHERE doc_id=? AND deleted_gen IS NULL"
    db.execute(f"DELETE FROM mentions WHERE chunk_id IN ({live})", (doc_id,))
    db.execute(f"DELETE FROM chunk_regions WHERE chunk_id IN ({live})", (doc_id,))
    db.execute(
        "UPDATE chunks SET deleted_gen=?, text='', heading=NULL WHERE doc_id=? AND deleted_gen IS NULL", (gen, doc_id)
    )
    db.execute("DELETE FROM pages WHERE doc_id=?", (doc_id,))
    db.execute("DELETE FROM actions WHERE doc_id=?", (doc_id,))
    db.execute("DELETE FROM affiliations WHERE doc_id=?", (doc_id,))
    if not keep_paths:
        db.execute("DELETE FROM fingerprints WHERE doc_id=?", (doc_id,))
        db.execute("UPDATE documents SET near_dup_of=NULL WHERE near_dup_of=?", (doc_id,))
        db.execute("DELETE FROM document_paths WHERE doc_id=?", (doc_id,))
        db.execute("DELETE FROM documents WHERE id=?", (doc_id,))


def prune_entities(store: Store) -> None:
    """Drop entities no chunk mentions any more, unless they come from the gazetteer.

    Names found by NER and dates are text of the documents that mentioned them.
    """
    store.db.execute(
        "DELETE FROM entities WHERE origin IS NOT 'gazetteer' AND id NOT IN (SELECT entity_id FROM mentions)"
    )


def insert_segment(store: Store, seg_id: int, gen: int, n_chunks: int, params: Mapping[str, Any]) -> None:
    """Record a new live segment, written at ``gen``."""
    store.db.execute(
        "INSERT INTO segments VALUES (?,?,?,1,?)", (seg_id, gen, n_chunks, json.dumps(params, sort_keys=True))
    )


def merge_into_segment(store: Store, seg_id: int, gen: int, n_chunks: int, params: Mapping[str, Any]) -> None:
    """Every live chunk now lives in ``seg_id``: tombstones purged, the other segments retired."""
    db = store.db
    db.execute("DELETE FROM chunks WHERE deleted_gen IS NOT NULL")
    db.execute("DELETE FROM chunk_regions WHERE chunk_id NOT IN (SELECT id FROM chunks)")
    db.execute("UPDATE chunks SET segment=?", (seg_id,))
    db.execute("UPDATE segments SET live=0 WHERE live=1")
    insert_segment(store, seg_id, gen, n_chunks, params)


def record_duplicate_paths(store: Store, rows: Iterable[ReportRow], collection: str | None) -> None:
    """The paths of files found to duplicate a document, where that document exists (stored, or by this run)."""
    store.db.executemany(
        "INSERT OR IGNORE INTO document_paths SELECT ?,?,? WHERE EXISTS (SELECT 1 FROM documents WHERE id=?)",
        [(r.doc_id, r.path, collection, r.doc_id) for r in rows if r.status == "duplicate" and r.doc_id],
    )


def add_report_rows(store: Store, run: int, rows: Iterable[ReportRow], at: float) -> None:
    """One ingest run's report (``kb report``)."""
    store.db.executemany(
        "INSERT INTO report VALUES (?,?,?,?,?,?,?)",
        [(run, r.path, r.status, r.reason, r.detail, r.doc_id, at) for r in rows],
    )


def set_overrides(store: Store, doc_id: str, values: Mapping[str, str], editable: Sequence[str]) -> bool:
    """Set corrected metadata and remember it as an override; ``False`` when there is no such document."""
    db = store.db
    row = db.execute("SELECT meta FROM documents WHERE id=?", (doc_id,)).fetchone()
    if row is None:
        return False
    meta = json.loads(row["meta"] or "{}")
    meta.setdefault("overrides", {}).update(values)
    db.execute("UPDATE documents SET meta=? WHERE id=?", (json.dumps(meta), doc_id))
    for key, value in values.items():
        if key not in editable:  # the column name goes into the SQL text
            raise ValueError(f"not an editable field: {key}")
        db.execute(f"UPDATE documents SET {key}=? WHERE id=?", (value, doc_id))
    return True


def set_places(
    store: Store,
    doc_id: str,
    countries: Sequence[str],
    crossings: Sequence[str],
    region: str | None,
    doc_type: str | None = None,
) -> None:
    """A document's countries, crossings and region (and its type, when given), as a relink found them."""
    store.db.execute(
        "UPDATE documents SET countries=?, crossings=?, region=?, doc_type=COALESCE(?, doc_type) WHERE id=?",
        (json.dumps(list(countries)), json.dumps(list(crossings)), region, doc_type, doc_id),
    )


def refresh_gazetteer_entities(store: Store, entities: Iterable[Any]) -> None:
    """Drop entities nothing mentions; refresh the names, types, aliases and places of gazetteer entities.

    The origin is set too: a name NER found before the gazetteer listed it has the id the new entry
    takes ("Amapá" -> ``place:amapa``), and must read as a gazetteer entity as after a fresh ingest.
    """
    db = store.db
    db.execute("DELETE FROM entities WHERE id NOT IN (SELECT DISTINCT entity_id FROM mentions)")
    db.executemany(
        "UPDATE entities SET name=?, type=?, aliases=?, countries=?, lat=?, lon=?, region=?, origin='gazetteer' "
        "WHERE id=?",
        [
            (
                e.name,
                e.type,
                json.dumps(list(e.aliases), ensure_ascii=False),
                json.dumps(list(e.countries)),
                e.lat,
                e.lon,
                e.region,
                e.id,
            )
            for e in entities
        ],
    )
