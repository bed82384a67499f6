"""Notes on documents: a passage (page, quoted text) and what a user wrote about it.

Notes name a document, so they are document data: a scoped connection (:mod:`kb.store.scope`)
shows only the notes on documents its principal may read. Every read joins the documents table,
so a note on a removed document disappears with it (for the owner too). The search is a plain
``LIKE`` per word (every word must appear in the note or its quote): a team writes hundreds of
notes, not millions, and this needs no second index to keep in step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

NOTES_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, page INTEGER, quote TEXT, text TEXT NOT NULL,
    author TEXT NOT NULL, created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_doc ON notes(doc_id);
"""

_SELECT = (
    "SELECT n.id, n.doc_id, d.title, n.page, n.quote, n.text, n.author, n.created "
    "FROM notes n JOIN documents d ON d.id = n.doc_id"
)


def add(
    db: sqlite3.Connection, doc_id: str, text: str, author: str, now: str, page: int | None, quote: str | None
) -> int:
    """Store a note (the caller checked the author may read ``doc_id``); its id."""
    with db:
        cur = db.execute(
            "INSERT INTO notes (doc_id, page, quote, text, author, created) VALUES (?, ?, ?, ?, ?, ?)",
            (doc_id, page, quote, text, author, now),
        )
    return int(cur.lastrowid or 0)


def of_documents(db: sqlite3.Connection, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The readable notes on these documents, oldest first."""
    if not doc_ids:
        return []
    marks = ",".join("?" * len(doc_ids))
    rows = db.execute(f"{_SELECT} WHERE n.doc_id IN ({marks}) ORDER BY n.id", list(doc_ids))
    return [dict(r) for r in rows]


def search(db: sqlite3.Connection, words: Sequence[str], limit: int) -> list[dict[str, Any]]:
    """Readable notes whose text or quote contains every word (case-insensitive for ASCII), newest first."""
    where, args = [], []
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(n.text LIKE ? ESCAPE '\\' OR COALESCE(n.quote, '') LIKE ? ESCAPE '\\')")
        args += [pattern, pattern]
    sql = f"{_SELECT} {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY n.id DESC LIMIT ?"
    return [dict(r) for r in db.execute(sql, (*args, limit))]


def get(db: sqlite3.Connection, note_id: int) -> dict[str, Any] | None:
    row = db.execute(f"{_SELECT} WHERE n.id=?", (note_id,)).fetchone()
    return dict(row) if row is not None else None


def remove(db: sqlite3.Connection, note_id: int) -> None:
    with db:
        db.execute("DELETE FROM notes WHERE id=?", (note_id,))
