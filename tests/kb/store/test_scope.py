"""Scoped read connections: the views hide every row of a collection outside the scope."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kb.store import Store
from kb.store.scope import scope_connection


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "kb")
    db = s.db
    with db:
        for doc, coll in (("a1", "A"), ("b1", "B"), ("n1", None)):
            db.execute(
                "INSERT INTO documents (id, source, sha256, collection, near_dup_of) VALUES (?, ?, ?, ?, ?)",
                (doc, f"/src/{doc}.md", doc, coll, "b1" if doc == "a1" else None),
            )
            db.execute("INSERT INTO document_paths VALUES (?, ?, ?)", (doc, f"/src/{doc}.md", coll))
            db.execute("INSERT INTO pages (doc_id, idx, text) VALUES (?, 0, ?)", (doc, f"text of {doc}"))
            cid = {"a1": 1, "b1": 2, "n1": 3}[doc]
            db.execute("INSERT INTO chunks (id, doc_id, text) VALUES (?, ?, ?)", (cid, doc, f"chunk of {doc}"))
            db.execute("INSERT INTO chunk_regions VALUES (?, 'latam')", (cid,))
            db.execute("INSERT INTO mentions (chunk_id, entity_id) VALUES (?, ?)", (cid, f"org:{doc}"))
            db.execute("INSERT INTO entities (id, name) VALUES (?, ?)", (f"org:{doc}", doc.upper()))
            for table in ("actions", "affiliations"):
                db.execute(f"INSERT INTO {table} (doc_id) VALUES (?)", (doc,))
            db.execute("INSERT INTO fingerprints VALUES (?, x'00')", (doc,))
            db.execute("INSERT INTO report (run, path, status, doc_id) VALUES (1, ?, 'ingested', ?)", (doc, doc))
            db.execute("INSERT INTO watch_hits (watch_id, doc_id, chunk_id, found) VALUES (1, ?, ?, 'now')", (doc, cid))
            db.execute("INSERT INTO notes (doc_id, text, author, created) VALUES (?, 'n', 'u', 'now')", (doc,))
        db.execute("INSERT INTO report (run, path, status) VALUES (1, 'skipped.pdf', 'skipped')")
    return s


TABLES = {
    "documents": "id", "document_paths": "doc_id", "pages": "doc_id", "chunks": "doc_id",
    "actions": "doc_id", "affiliations": "doc_id", "fingerprints": "doc_id", "report": "doc_id",
    "watch_hits": "doc_id", "notes": "doc_id",
}  # fmt: skip


@pytest.mark.parametrize(
    ("scope", "visible"),
    [({"A"}, {"a1"}), ({"B", "default"}, {"b1", "n1"}), (set(), set()), ({"A", "B", "default"}, {"a1", "b1", "n1"})],
)
def test_each_table_shows_only_the_scope(store: Store, scope: set[str], visible: set[str]) -> None:
    db = store.reader(frozenset(scope))
    for table, column in TABLES.items():
        assert {r[0] for r in db.execute(f"SELECT {column} FROM {table}")} == visible, table
    assert {r[0] for r in db.execute("SELECT entity_id FROM mentions")} == {f"org:{d}" for d in visible}
    assert {r[0] for r in db.execute("SELECT id FROM entities")} == {f"org:{d}" for d in visible}
    assert db.execute("SELECT COUNT(*) FROM chunk_regions").fetchone()[0] == len(visible)


def test_a_reference_to_a_hidden_document_reads_as_null(store: Store) -> None:
    assert store.reader(frozenset({"A"})).execute("SELECT near_dup_of FROM documents").fetchone()[0] is None
    assert (
        store.reader(frozenset({"A", "B"})).execute("SELECT near_dup_of FROM documents WHERE id = 'a1'").fetchone()[0]
        == "b1"
    )


def test_a_scoped_connection_cannot_write(store: Store) -> None:
    db = store.reader(frozenset({"A"}))
    with pytest.raises(sqlite3.OperationalError):
        db.execute("DELETE FROM documents")
    with pytest.raises(sqlite3.OperationalError):
        db.execute("UPDATE chunks SET text = 'x'")


def test_collection_names_are_bound_not_spliced(store: Store) -> None:
    evil = "A') OR 1=1 --"
    db = store.reader(frozenset({evil}))
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0


def test_the_owner_reads_through_the_plain_connection(store: Store) -> None:
    assert store.reader(None) is store.db
    assert store.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 3


def test_the_star_scope_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no scope"):
        scope_connection(sqlite3.connect(":memory:"), {"*"})


def test_connections_are_kept_per_scope_and_the_oldest_closed(store: Store) -> None:
    first = store.reader(frozenset({"A"}))
    assert store.reader(frozenset({"A"})) is first
    for i in range(10):
        store.reader(frozenset({f"c{i}"}))
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")
    assert store.reader(frozenset({"A"})).execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1


def test_every_table_holding_document_data_has_a_scoped_view(store: Store) -> None:
    """A new table with a ``doc_id`` or ``chunk_id`` column must get its view in kb.store.scope, or it leaks."""
    db = store.reader(frozenset({"A"}))
    views = {r[0] for r in db.execute("SELECT name FROM sqlite_temp_master WHERE type = 'view'")}
    tables = [r[0] for r in db.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")]
    columns = {t: {c[1] for c in db.execute(f"PRAGMA main.table_info({t})")} for t in tables}
    holding = {t for t in tables if t in ("documents", "entities") or {"doc_id", "chunk_id"} & columns[t]}
    assert holding - views == set()
    assert {"documents", "chunks", "mentions", "report"} <= holding
