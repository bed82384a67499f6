"""Every SELECT of the read path: searches, views, reports, evaluation and filter checks.

Functions take a SQLite connection (``Store.db``, or ``Store.reader``: scoped to a principal's
collections, see :mod:`kb.store.scope`; one per thread) and return plain rows, dicts and tuples.
They know the schema (see :mod:`kb.store.db`) and nothing of ranking or display; :mod:`kb.read`
composes them (the reports' evidence queries are in :mod:`kb.store.evidence`). A chunk with
``deleted_gen`` set is tombstoned: the views skip it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence, Sized
from typing import Any

from kb.types import DEFAULT_COLLECTION, Filters, ReportRow

#: SQLite's default limit on host parameters is 999: id lists are sent in parts of this size
PART = 900


def _marks(values: Sized) -> str:
    """``?,?,?``: one placeholder per value."""
    return ",".join("?" * len(values))


# -- search ----------------------------------------------------------------------------------
def allowed_chunk_ids(
    db: sqlite3.Connection,
    f: Filters,
    *,
    countries: tuple[str, ...] = (),
    crossings: tuple[str, ...] = (),
    entities: tuple[str, ...] = (),
    phrases: Sequence[str] = (),
    fold: Callable[[str], str] | None = None,
) -> list[int]:
    """Ids of live chunks that pass ``f``, with country, crossing and entity values already resolved.

    ``phrases`` are matched in ``fold``-ed chunk text (the caller folds them the same way).
    """
    where = ["c.deleted_gen IS NULL"]
    args: list[Any] = []

    def any_of(column: str, values: tuple[str, ...]) -> None:
        where.append(f"{column} IN ({_marks(values)})")
        args.extend(values)

    def json_any(column: str, values: tuple[str, ...]) -> None:
        where.append(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value IN ({_marks(values)}))")
        args.extend(values)

    if f.lang:
        any_of("c.lang", f.lang)
    if f.doc_type:
        any_of("d.doc_type", f.doc_type)
    if f.collection:  # a document stored without a collection is in the default one
        any_of(f"COALESCE(d.collection, '{DEFAULT_COLLECTION}')", f.collection)
    if f.doc_id:
        any_of("d.id", f.doc_id)
    if f.region:  # the passage's own region, else its document's (see Analyser.passage_regions)
        any_of("COALESCE(cr.region, d.region, 'other')", f.region)
    if countries:
        json_any("d.countries", countries)
    if crossings:
        json_any("d.crossings", crossings)
    if f.since:
        where.append("d.date >= ?")
        args.append(f.since)
    if f.until:
        where.append("d.date <= ?")
        args.append(f.until + "\uffff")
    for ent in entities:
        where.append(
            "EXISTS (SELECT 1 FROM mentions m JOIN chunks c2 ON c2.id = m.chunk_id "
            "WHERE c2.doc_id = d.id AND m.entity_id = ?)"
        )
        args.append(ent)
    if phrases and fold is not None:
        db.create_function("kbfold", 1, fold, deterministic=True)
        for phrase in phrases:
            where.append("instr(kbfold(c.text), ?) > 0")
            args.append(phrase)
    regions = "LEFT JOIN chunk_regions cr ON cr.chunk_id = c.id " if f.region else ""  # only when filtered on
    sql = f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id {regions}WHERE {' AND '.join(where)}"
    return [r[0] for r in db.execute(sql, args)]


def entity_id_named(db: sqlite3.Connection, name: str) -> str | None:
    """The id of the stored entity called ``name`` (any case), if any."""
    row = db.execute("SELECT id FROM entities WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    return row[0] if row else None


def near_duplicates(db: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, str]:
    """``{doc: the document it nearly duplicates}`` for those of ``doc_ids`` that are near-duplicates."""
    if not doc_ids:
        return {}
    rows = db.execute(
        f"SELECT id, near_dup_of FROM documents WHERE id IN ({_marks(doc_ids)}) AND near_dup_of IS NOT NULL",
        list(doc_ids),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def chunk_column(db: sqlite3.Connection, column: str, ids: Sequence[int]) -> dict[int, str]:
    """``{chunk id: value}`` of one column of ``chunks`` (``lang``, ``doc_id`` or ``text``)."""
    if column not in ("lang", "doc_id", "text"):
        raise ValueError(f"not a chunk column to look up: {column!r}")
    out: dict[int, str] = {}
    for s in range(0, len(ids), PART):
        part = list(ids[s : s + PART])
        out.update(db.execute(f"SELECT id, {column} FROM chunks WHERE id IN ({_marks(part)})", part).fetchall())
    return out


def live_chunks_of(db: sqlite3.Connection, doc_id: str) -> list[tuple[int, int]]:
    """``(chunk id, segment id)`` of a document's live chunks."""
    rows = db.execute("SELECT id, segment FROM chunks WHERE doc_id=? AND deleted_gen IS NULL", (doc_id,))
    return [(r[0], r[1]) for r in rows]


def hit_rows(db: sqlite3.Connection, ids: Sequence[int]) -> dict[int, sqlite3.Row]:
    """Chunk rows with their document's fields and the passage's region, by chunk id."""
    return {
        r["id"]: r
        for r in db.execute(
            "SELECT c.*, d.source, d.title, d.doc_type, d.date, d.lang AS doc_lang, "
            "COALESCE(cr.region, d.region, 'other') AS region FROM chunks c JOIN documents d ON d.id = c.doc_id "
            f"LEFT JOIN chunk_regions cr ON cr.chunk_id = c.id WHERE c.id IN ({_marks(ids)})",
            list(ids),
        )
    }


def hit_entities(db: sqlite3.Connection, ids: Sequence[int]) -> list[tuple[int, str, str, str]]:
    """``(chunk id, entity id, name, type)`` of the entities (not dates) each chunk mentions."""
    rows = db.execute(
        "SELECT DISTINCT m.chunk_id, e.id, e.name, e.type FROM mentions m JOIN entities e ON e.id = m.entity_id "
        f"WHERE m.chunk_id IN ({_marks(ids)}) AND e.type != 'DATE'",
        list(ids),
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


# -- documents -------------------------------------------------------------------------------
def document_row(db: sqlite3.Connection, doc_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone()
    return row


def documents(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, sqlite3.Row]:
    """Document rows by id, in the order SQLite returns them."""
    if not ids:
        return {}
    return {r["id"]: r for r in db.execute(f"SELECT * FROM documents WHERE id IN ({_marks(ids)})", list(ids))}


def pages(db: sqlite3.Connection, doc_id: str) -> list[sqlite3.Row]:
    """A document's pages in order (``number``, ``text``, ``ocr_confidence``...)."""
    return db.execute("SELECT * FROM pages WHERE doc_id=? ORDER BY idx", (doc_id,)).fetchall()


def document_entities(db: sqlite3.Connection, doc_id: str) -> list[sqlite3.Row]:
    """``id, name, type, n`` (mentions) of the entities a document mentions, most mentioned first."""
    return db.execute(
        "SELECT e.id, e.name, e.type, COUNT(*) AS n FROM mentions m JOIN chunks c ON c.id=m.chunk_id "
        "JOIN entities e ON e.id=m.entity_id WHERE c.doc_id=? AND c.deleted_gen IS NULL "
        "GROUP BY e.id ORDER BY n DESC, e.name",
        (doc_id,),
    ).fetchall()


def document_paths(db: sqlite3.Connection, doc_id: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT path FROM document_paths WHERE doc_id=? ORDER BY path", (doc_id,))]


def live_chunk_count(db: sqlite3.Connection, doc_id: str) -> int:
    return int(
        db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id=? AND deleted_gen IS NULL", (doc_id,)).fetchone()[0]
    )


def has_documents(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is not None


def count_by(db: sqlite3.Connection, column: str) -> dict[Any, int]:
    """Documents per value of ``lang``, ``doc_type`` or ``format``."""
    if column not in ("lang", "doc_type", "format"):
        raise ValueError(f"not a document column to count by: {column!r}")
    return dict(db.execute(f"SELECT {column}, COUNT(*) FROM documents GROUP BY {column}").fetchall())


def document_languages(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(source, lang)`` of every document."""
    return [(r[0], r[1]) for r in db.execute("SELECT source, lang FROM documents")]


def document_values(db: sqlite3.Connection, column: str) -> set[str]:
    """The distinct values of a JSON list column (``countries``, ``crossings``) or of ``collection``."""
    if column == "collection":
        return {
            r[0] for r in db.execute("SELECT DISTINCT COALESCE(collection, ?) FROM documents", (DEFAULT_COLLECTION,))
        }
    if column not in ("countries", "crossings"):
        raise ValueError(f"not a document list column: {column!r}")
    return {str(r[0]) for r in db.execute(f"SELECT DISTINCT j.value FROM documents d, json_each(d.{column}) j")}


# -- entities --------------------------------------------------------------------------------
def entity_row(db: sqlite3.Connection, entity_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute("SELECT * FROM entities WHERE id=?", (entity_id,)).fetchone()
    return row


def entities_by_documents(db: sqlite3.Connection, type: str | None, limit: int | None) -> list[sqlite3.Row]:
    """Entity rows (of ``type``, else every type but dates) with ``doc_count``, most documents first."""
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
    return db.execute(sql, args).fetchall()


def entity_documents(db: sqlite3.Connection, entity_id: str) -> list[sqlite3.Row]:
    """The documents mentioning an entity: ``id, title, lang, doc_type, date, source, mentions, page``."""
    return db.execute(
        "SELECT d.id, d.title, d.lang, d.doc_type, d.date, d.source, COUNT(*) AS mentions, MIN(c.page_start) AS page "
        "FROM mentions m JOIN chunks c ON c.id=m.chunk_id AND c.deleted_gen IS NULL JOIN documents d ON d.id=c.doc_id "
        "WHERE m.entity_id=? GROUP BY d.id ORDER BY mentions DESC, d.date DESC",
        (entity_id,),
    ).fetchall()


def co_mentions(db: sqlite3.Connection, entity_id: str, limit: int = 25) -> list[sqlite3.Row]:
    """Entities named in the same passages as ``entity_id``: ``id, name, type, docs``."""
    return db.execute(
        "SELECT e.id, e.name, e.type, COUNT(DISTINCT c.doc_id) AS docs FROM mentions m1 "
        "JOIN chunks c ON c.id=m1.chunk_id AND c.deleted_gen IS NULL "
        "JOIN mentions m2 ON m2.chunk_id=m1.chunk_id JOIN entities e ON e.id=m2.entity_id "
        "WHERE m1.entity_id=? AND m2.entity_id != ? AND e.type != 'DATE' "
        f"GROUP BY e.id ORDER BY docs DESC, e.name LIMIT {int(limit)}",
        (entity_id, entity_id),
    ).fetchall()


def entity_names(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str]:
    """``{entity id: name}`` of those of ``ids`` that are stored."""
    if not ids:
        return {}
    return dict(db.execute(f"SELECT id, name FROM entities WHERE id IN ({_marks(ids)})", list(ids)).fetchall())


def named_entities(db: sqlite3.Connection) -> list[sqlite3.Row]:
    """``id, name, aliases`` of every entity but dates."""
    return db.execute("SELECT id, name, aliases FROM entities WHERE type != 'DATE'").fetchall()


def is_mentioned(db: sqlite3.Connection, entity_id: str) -> bool:
    return db.execute("SELECT 1 FROM mentions WHERE entity_id=? LIMIT 1", (entity_id,)).fetchone() is not None


# -- facets ----------------------------------------------------------------------------------
def _within(doc_ids: Sequence[str] | None) -> tuple[str, list[str]]:
    if doc_ids is None:
        return "", []
    return f"WHERE d.id IN ({_marks(doc_ids)})", list(doc_ids)


def facet_documents(db: sqlite3.Connection, doc_ids: Sequence[str] | None) -> list[sqlite3.Row]:
    """``id, doc_type, lang, countries, crossings, date, region`` of ``doc_ids`` (every document when None)."""
    where, args = _within(doc_ids)
    return db.execute(
        f"SELECT d.id, d.doc_type, d.lang, d.countries, d.crossings, d.date, d.region FROM documents d {where}", args
    ).fetchall()


def facet_entities(db: sqlite3.Connection, doc_ids: Sequence[str] | None) -> list[tuple[str, int]]:
    """``(entity id, documents)`` for entities other than dates, countries and crossings."""
    where, args = _within(doc_ids)
    rows = db.execute(
        "SELECT m.entity_id, COUNT(DISTINCT c.doc_id) FROM mentions m JOIN chunks c ON c.id = m.chunk_id "
        f"AND c.deleted_gen IS NULL JOIN documents d ON d.id = c.doc_id {where} "
        f"{'AND' if where else 'WHERE'} m.entity_id NOT LIKE 'date:%' AND m.entity_id NOT LIKE 'country:%' "
        "AND m.entity_id NOT LIKE 'bc:%' GROUP BY m.entity_id",
        args,
    )
    return [(r[0], r[1]) for r in rows]


def facet_regions(db: sqlite3.Connection, doc_ids: Sequence[str] | None) -> list[tuple[str, int]]:
    """``(region, documents with at least one live passage in it)``: what the region filter returns."""
    where, args = _within(doc_ids)
    rows = db.execute(
        "SELECT COALESCE(cr.region, d.region, 'other'), COUNT(DISTINCT c.doc_id) FROM chunks c "
        "JOIN documents d ON d.id = c.doc_id LEFT JOIN chunk_regions cr ON cr.chunk_id = c.id "
        f"{where} {'AND' if where else 'WHERE'} c.deleted_gen IS NULL GROUP BY 1",
        args,
    )
    return [(r[0], r[1]) for r in rows]


# -- documents by id or path, ingest reports ------------------------------------------------
def document_id_for(db: sqlite3.Connection, doc_id_or_path: str) -> tuple[str, str | None] | None:
    """``(doc_id, collection)`` of the document with this id or stored source path, as ``db`` sees it."""
    row = db.execute(
        "SELECT id, collection FROM documents WHERE id = ? UNION ALL SELECT d.id, d.collection "
        "FROM document_paths p JOIN documents d ON d.id = p.doc_id WHERE p.path = ? LIMIT 1",
        (doc_id_or_path, doc_id_or_path),
    ).fetchone()
    return (row[0], row[1]) if row else None


def report_rows(db: sqlite3.Connection, run: int | None) -> list[ReportRow]:
    """One ingest run's report (the last run when ``run`` is ``None``), the rows ``db`` can see."""
    if run is None:
        row = db.execute("SELECT MAX(run) FROM main.report").fetchone()
        run = row[0] if row and row[0] is not None else 0
    return [
        ReportRow(r["path"], r["status"], r["reason"], r["detail"], r["doc_id"])
        for r in db.execute("SELECT * FROM report WHERE run=? ORDER BY rowid", (run,))
    ]
