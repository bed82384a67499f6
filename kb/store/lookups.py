"""The few reads the write path makes: is this path known, what comes next, what is still in use.

Searches and views read through ``kb.store.reads``; these serve writers only (under the writer
lock), to decide what to write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.store.db import Store


def next_report_run(store: Store) -> int:
    return int(store.db.execute("SELECT COALESCE(MAX(run), 0) + 1 FROM report").fetchone()[0])


def next_chunk_id(store: Store) -> int:
    return int(store.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM chunks").fetchone()[0])


def next_segment_id(store: Store) -> int:
    return int(store.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM segments").fetchone()[0])


def known_path(store: Store, path: str, collection: str | None) -> tuple[str, str] | None:
    """``(doc_id, sha256)`` of the document stored for ``path`` in ``collection``."""
    row = store.db.execute(
        "SELECT d.id, d.sha256 FROM document_paths p JOIN documents d ON d.id = p.doc_id "
        "WHERE p.path=? AND p.collection IS ?",
        (path, collection),
    ).fetchone()
    return (row["id"], row["sha256"]) if row else None


def document_with_content(store: Store, sha256: str, collection: str | None) -> str | None:
    """A stored document with exactly these bytes in ``collection``.

    Per collection, not across: collections are what permissions grant, so a file already stored
    in a collection the uploader cannot read must not come back as "duplicate of <that id>" (that
    would tell them it exists), and each collection stays complete for its own readers.
    """
    row = store.db.execute(
        "SELECT id FROM documents WHERE sha256=? AND collection IS ? LIMIT 1", (sha256, collection)
    ).fetchone()
    return row["id"] if row else None


def find_document(store: Store, doc_id: str, path: str) -> tuple[str, str | None] | None:
    """``(doc_id, original file)`` of the document with this id, else of the one stored for this path."""
    db = store.db
    row = db.execute("SELECT id, file FROM documents WHERE id=?", (doc_id,)).fetchone()
    if row is None:
        row = db.execute(
            "SELECT d.id, d.file FROM document_paths x JOIN documents d ON d.id=x.doc_id WHERE x.path=?", (path,)
        ).fetchone()
    return (row["id"], row["file"]) if row else None


def live_text_hashes(store: Store, doc_id: str) -> list[bytes]:
    rows = store.db.execute("SELECT text_hash FROM chunks WHERE doc_id=? AND deleted_gen IS NULL", (doc_id,))
    return [bytes(r[0]) for r in rows]


def document_paths(store: Store, doc_id: str) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT path FROM document_paths WHERE doc_id=?", (doc_id,))]


def file_in_use(store: Store, file: str) -> bool:
    return store.db.execute("SELECT 1 FROM documents WHERE file=? LIMIT 1", (file,)).fetchone() is not None


def path_in_use(store: Store, path: str) -> bool:
    return store.db.execute("SELECT 1 FROM document_paths WHERE path=? LIMIT 1", (path,)).fetchone() is not None


def unused_hashes(store: Store, hashes: Iterable[bytes]) -> list[bytes]:
    """The text hashes no live chunk has any more (their cached vectors can go)."""
    one = "SELECT 1 FROM chunks WHERE text_hash=? AND deleted_gen IS NULL LIMIT 1"
    return [h for h in hashes if store.db.execute(one, (h,)).fetchone() is None]


def tombstone_count(store: Store) -> int:
    return int(store.db.execute("SELECT COUNT(*) FROM chunks WHERE deleted_gen IS NOT NULL").fetchone()[0])


def live_chunks(store: Store) -> list[sqlite3.Row]:
    """Every live chunk's id, text, language, segment and document title, by id (what a merged segment indexes)."""
    return store.db.execute(
        "SELECT c.id, c.text, c.lang, c.segment, d.title FROM chunks c LEFT JOIN documents d ON d.id = c.doc_id"
        " WHERE c.deleted_gen IS NULL ORDER BY c.id"
    ).fetchall()


def all_documents(store: Store) -> list[sqlite3.Row]:
    return store.db.execute("SELECT * FROM documents").fetchall()


def document_chunks(store: Store, doc_id: str) -> list[sqlite3.Row]:
    """A document's live chunks, in order."""
    return store.db.execute(
        "SELECT * FROM chunks WHERE doc_id=? AND deleted_gen IS NULL ORDER BY ordinal", (doc_id,)
    ).fetchall()


def document_pages(store: Store, doc_id: str) -> list[sqlite3.Row]:
    return store.db.execute("SELECT * FROM pages WHERE doc_id=? ORDER BY idx", (doc_id,)).fetchall()
