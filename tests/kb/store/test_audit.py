"""The audit trail's hash chain: intact when appended to, broken by any edit or deletion."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kb.store import Store, audit


@pytest.fixture
def trail(tmp_path: Path) -> Store:
    store = Store(tmp_path / "kb")
    for i in range(5):
        audit.append(store.db, {"at": f"2026-11-30T10:0{i}:00Z", "user": "alice", "action": "search",
                                "query": f"q{i}", "filters": {"lang": ["es"]}, "ids": [f"d{i}"]})  # fmt: skip
    return store


def test_an_untouched_trail_verifies_and_names_its_head(trail: Store) -> None:
    ok, problems, head = audit.verify(trail.db)
    assert ok and problems == [] and head.startswith("5:")
    rows = audit.rows(trail.db)
    assert [r.query for r in rows] == ["q0", "q1", "q2", "q3", "q4"]
    assert rows[1].prev == rows[0].hash and rows[0].as_dict()["filters"] == {"lang": ["es"]}


def test_filters_on_user_time_and_count(trail: Store) -> None:
    audit.append(trail.db, {"at": "2026-12-01T00:00:00Z", "user": "bob", "action": "view"})
    assert [r.user for r in audit.rows(trail.db, user="bob")] == ["bob"]
    assert [r.query for r in audit.rows(trail.db, since="2026-11-30T10:03")] == ["q3", "q4", None]
    assert [r.query for r in audit.rows(trail.db, limit=2)] == ["q4", None]


def _tamper(store: Store, sql: str) -> None:
    with sqlite3.connect(store.root / "store.sqlite") as other:  # as an attacker with the file would
        other.execute(sql)


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("UPDATE audit SET query = 'nothing to see' WHERE id = 2", "edited"),
        ("UPDATE audit SET user = 'bob' WHERE id = 5", "edited"),
        ("UPDATE audit SET ids = '[]' WHERE id = 1", "edited"),
        ("DELETE FROM audit WHERE id = 3", "deleted"),
        ("DELETE FROM audit WHERE id = 5", "removed"),
        ("DELETE FROM audit", "removed"),
    ],
)
def test_an_edited_or_deleted_row_breaks_the_chain(trail: Store, sql: str, says: str) -> None:
    _tamper(trail, sql)
    ok, problems, _head = audit.verify(trail.db)
    assert not ok and any(says in p for p in problems), problems


def test_a_row_edited_with_its_own_hash_recomputed_still_breaks_the_next_link(trail: Store) -> None:
    row = trail.db.execute("SELECT * FROM audit WHERE id = 2").fetchone()
    values = [row[f] for f in audit.FIELDS]
    values[audit.FIELDS.index("query")] = "forged"
    forged = audit.row_hash(row["prev"], values)
    _tamper(trail, f"UPDATE audit SET query = 'forged', hash = '{forged}' WHERE id = 2")
    ok, problems, _ = audit.verify(trail.db)
    assert not ok and any("row 3" in p for p in problems)
