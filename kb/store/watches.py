"""Watched searches and their pending hits: the tables and every statement on them.

A watch is a saved search (query, filters, k) owned by one principal. Its hits are found when
documents arrive (:mod:`kb.write.watch` checks each new segment) and stored here as rows that
name a document and a chunk, so they are document data: a scoped connection
(:mod:`kb.store.scope`) shows only the hits on documents its principal may read *now*, however
the grants were when the hit was found. ``seen`` is the id of the last hit the owner was shown:
the hits after it are "new".
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

WATCHES_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL,
    filters TEXT NOT NULL, k INTEGER NOT NULL, notify TEXT, created TEXT NOT NULL, last_run TEXT,
    seen INTEGER NOT NULL DEFAULT 0, UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS watch_hits (
    id INTEGER PRIMARY KEY, watch_id INTEGER NOT NULL, doc_id TEXT NOT NULL, chunk_id INTEGER NOT NULL,
    score REAL, gen INTEGER, found TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS watch_hits_watch ON watch_hits(watch_id, id);
"""

_COLUMNS = "id, owner, name, query, filters, k, notify, created, last_run, seen"


def _watch(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["filters"] = json.loads(out["filters"] or "{}")
    return out


def add(
    db: sqlite3.Connection, owner: str, name: str, query: str, filters: dict[str, Any], k: int,
    notify: str | None, now: str,
) -> None:  # fmt: skip
    """Save a watch; raises ``sqlite3.IntegrityError`` when the owner has one of that name."""
    with db:
        db.execute(
            "INSERT INTO watches (owner, name, query, filters, k, notify, created, seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) FROM main.watch_hits))",
            (owner, name, query, json.dumps(filters, sort_keys=True), k, notify, now),
        )


def of_owner(db: sqlite3.Connection, owner: str) -> list[dict[str, Any]]:
    """The owner's watches, by name."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM main.watches WHERE owner=? ORDER BY name", (owner,))
    return [_watch(r) for r in rows]


def every(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every watch of every owner (the ingest hook matches them all)."""
    return [_watch(r) for r in db.execute(f"SELECT {_COLUMNS} FROM main.watches ORDER BY owner, name")]


def count(db: sqlite3.Connection) -> int:
    """How many watches exist: an ingest with none does no watch work at all."""
    return int(db.execute("SELECT COUNT(*) FROM main.watches").fetchone()[0])


def get(db: sqlite3.Connection, owner: str, name: str) -> dict[str, Any] | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM main.watches WHERE owner=? AND name=?", (owner, name)).fetchone()
    return _watch(row) if row is not None else None


def remove(db: sqlite3.Connection, watch_id: int) -> None:
    with db:
        db.execute("DELETE FROM watch_hits WHERE watch_id=?", (watch_id,))
        db.execute("DELETE FROM watches WHERE id=?", (watch_id,))


def add_hits(db: sqlite3.Connection, watch_id: int, hits: Iterable[tuple[str, int, float]], gen: int, now: str) -> int:
    """Store ``(doc_id, chunk_id, score)`` hits found in generation ``gen``; how many were stored."""
    rows = [(watch_id, d, c, s, gen, now) for d, c, s in hits]
    with db:
        db.executemany(
            "INSERT INTO watch_hits (watch_id, doc_id, chunk_id, score, gen, found) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
    return len(rows)


def hits_after(db: sqlite3.Connection, watch_ids: Sequence[int], after: int = 0) -> list[sqlite3.Row]:
    """Live hits of these watches with an id above ``after``, on the documents ``db`` can read.

    Joined with the live chunks: a hit on a document removed or replaced since is gone.
    """
    if not watch_ids:
        return []
    marks = ",".join("?" * len(watch_ids))
    return db.execute(
        "SELECT h.id, h.watch_id, h.doc_id, h.chunk_id, h.score, h.found FROM watch_hits h "
        "JOIN chunks c ON c.id = h.chunk_id AND c.deleted_gen IS NULL "
        f"WHERE h.watch_id IN ({marks}) AND h.id > ? ORDER BY h.id",
        (*watch_ids, after),
    ).fetchall()


def new_counts(db: sqlite3.Connection, owner: str) -> dict[int, int]:
    """Per watch of ``owner``, how many readable live hits are newer than what it was last shown."""
    rows = db.execute(
        "SELECT w.id, COUNT(h.id) FROM main.watches w "
        "LEFT JOIN (SELECT h.* FROM watch_hits h JOIN chunks c ON c.id = h.chunk_id AND c.deleted_gen IS NULL) h "
        "ON h.watch_id = w.id AND h.id > w.seen WHERE w.owner=? GROUP BY w.id",
        (owner,),
    )
    return {int(r[0]): int(r[1]) for r in rows}


def mark_seen(db: sqlite3.Connection, watch_id: int, now: str) -> None:
    """Everything found so far counts as shown (hits hidden from the owner too: they never surface later)."""
    with db:
        db.execute(
            "UPDATE watches SET last_run=?, seen=(SELECT COALESCE(MAX(id), 0) FROM watch_hits WHERE watch_id=?) "
            "WHERE id=?",
            (now, watch_id, watch_id),
        )


def last_hit_id(db: sqlite3.Connection) -> int:
    """The newest hit's id (hits stored after it are an ingest's own)."""
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM main.watch_hits").fetchone()[0])
