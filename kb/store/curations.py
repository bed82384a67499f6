"""Entity curations (merge, split, alias, rename, retype, wrong mention) and rejected duplicate pairs.

A curation is an overlay on the gazetteer kept in the knowledge base: rows applied in order (by
``id``) wherever entity linking happens (ingest, ``kb relink``), so they survive both. Only rows
live here; what a row means is :mod:`kb.write.curation`. A row names entities and maybe a
document of some collections, so the table has a scoped view (:mod:`kb.store.scope`): a principal
sees a row when it reads its document and every collection the curation affected when it was made
(``collections``, a JSON list; ``["*"]`` for an imported row: only the owner and full readers see it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

CURATIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS curations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, entity TEXT NOT NULL, target TEXT,
    value TEXT, doc_id TEXT, at TEXT NOT NULL, user TEXT NOT NULL, collections TEXT NOT NULL DEFAULT '["*"]'
);
CREATE TABLE IF NOT EXISTS duplicate_rejections (
    a TEXT NOT NULL, b TEXT NOT NULL, at TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (a, b)
);
"""

#: the columns of a curation row, in export order
FIELDS = ("kind", "entity", "target", "value", "doc_id", "at", "user")


def curation_rows(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every curation the connection sees, oldest first."""
    return [dict(r) for r in db.execute("SELECT * FROM curations ORDER BY id")]


def add_curation(db: sqlite3.Connection, row: dict[str, Any], collections: Sequence[str] = ("*",)) -> int:
    """Append one curation (``FIELDS``) that affected ``collections``; returns its id."""
    cur = db.execute(
        "INSERT INTO curations (kind, entity, target, value, doc_id, at, user, collections) VALUES (?,?,?,?,?,?,?,?)",
        (*(row.get(f) for f in FIELDS), json.dumps(sorted(collections))),
    )
    return int(cur.lastrowid or 0)


def reject_pair(db: sqlite3.Connection, a: str, b: str, at: str, user: str) -> None:
    """Remember that ``a`` and ``b`` are not the same entity (stored sorted, so the pair is unordered)."""
    x, y = sorted((a, b))
    db.execute("INSERT OR REPLACE INTO duplicate_rejections VALUES (?,?,?,?)", (x, y, at, user))


def rejected_pairs(db: sqlite3.Connection) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in db.execute("SELECT a, b FROM duplicate_rejections")}


def collections_mentioning(db: sqlite3.Connection, entity_ids: Iterable[str]) -> set[str | None]:
    """The collections of the documents that mention any of ``entity_ids`` (``None``: the default one)."""
    ids = sorted(set(entity_ids))
    marks = ",".join("?" * len(ids))
    sql = (
        "SELECT DISTINCT d.collection FROM mentions m JOIN chunks c ON c.id = m.chunk_id "
        f"JOIN documents d ON d.id = c.doc_id WHERE m.entity_id IN ({marks})"
    )
    return {r[0] for r in db.execute(sql, ids)} if ids else set()


def entity_row(db: sqlite3.Connection, entity_id: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM entities WHERE id = ?", (entity_id,)).fetchone()  # type: ignore[no-any-return]


def chunks_for(db: sqlite3.Connection, entity_ids: Sequence[str] | None) -> list[sqlite3.Row]:
    """Live chunks (id, doc_id, text) that mention any of ``entity_ids``; every live chunk for ``None``."""
    if entity_ids is None:
        return db.execute("SELECT id, doc_id, text FROM chunks WHERE deleted_gen IS NULL ORDER BY id").fetchall()
    marks = ",".join("?" * len(entity_ids))
    return db.execute(
        "SELECT id, doc_id, text FROM chunks WHERE deleted_gen IS NULL AND id IN "
        f"(SELECT chunk_id FROM mentions WHERE entity_id IN ({marks})) ORDER BY id",
        list(entity_ids),
    ).fetchall()


def chunk_mentions(db: sqlite3.Connection, chunk_id: int) -> list[sqlite3.Row]:
    return db.execute("SELECT * FROM mentions WHERE chunk_id = ? ORDER BY start, end", (chunk_id,)).fetchall()


def entity_names(db: sqlite3.Connection, limit: int) -> list[sqlite3.Row]:
    """Named entities (no dates) with their mention counts, most mentioned first: the duplicate candidates."""
    return db.execute(
        "SELECT e.id, e.name, e.type, e.aliases, COUNT(m.entity_id) AS n FROM entities e "
        "JOIN mentions m ON m.entity_id = e.id WHERE e.type IS NOT 'DATE' GROUP BY e.id ORDER BY n DESC, e.id LIMIT ?",
        (limit,),
    ).fetchall()


def replace_chunk_mentions(db: sqlite3.Connection, chunk_id: int, mentions: Iterable[Any]) -> None:
    """One chunk's mentions (``ingest.types.Mention``), replacing what it had."""
    db.execute("DELETE FROM mentions WHERE chunk_id = ?", (chunk_id,))
    db.executemany(
        "INSERT INTO mentions VALUES (?,?,?,?,?,?)",
        [(chunk_id, m.entity_id, m.start, m.end, m.surface, m.value) for m in mentions],
    )


def update_entities(db: sqlite3.Connection, rows: dict[str, Sequence[Any]]) -> None:
    """Rewrite the name, type and aliases of stored entities (``kb.store.writes.EntityRow`` tuples)."""
    db.executemany(
        "UPDATE entities SET name = ?, type = ?, aliases = ? WHERE id = ?",
        [(r[0], r[1], json.dumps(list(r[2]), ensure_ascii=False), eid) for eid, r in rows.items()],
    )


def collections_of(db: sqlite3.Connection, doc_ids: Iterable[str]) -> set[str | None]:
    """The collections of these documents (``None``: the default one)."""
    ids = sorted(set(doc_ids))
    marks = ",".join("?" * len(ids))
    return {r[0] for r in db.execute(f"SELECT DISTINCT collection FROM documents WHERE id IN ({marks})", ids)}


def entity_type(db: sqlite3.Connection, entity_id: str) -> str | None:
    """The stored type of an entity the connection sees (``None``: it sees no such entity)."""
    row = db.execute("SELECT type FROM entities WHERE id = ?", (entity_id,)).fetchone()
    return None if row is None else str(row[0] or "")


def entity_id_taken(db: sqlite3.Connection, entity_id: str) -> bool:
    """Whether any entity has this id, in any collection (a new id must not collide with a hidden one)."""
    return db.execute("SELECT 1 FROM main.entities WHERE id = ?", (entity_id,)).fetchone() is not None


def merged_into(db: sqlite3.Connection, entity_id: str) -> str:
    """The entity ``entity_id`` was last merged into (following chains), as far as ``db`` sees the
    curations; ``entity_id`` itself when it was never merged."""
    seen = {entity_id}
    while True:
        row = db.execute(
            "SELECT target FROM curations WHERE kind = 'merge' AND entity = ? ORDER BY id DESC LIMIT 1", (entity_id,)
        ).fetchone()
        if row is None or row[0] in seen:
            return entity_id
        entity_id = row[0]
        seen.add(entity_id)
