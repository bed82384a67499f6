"""Every SELECT behind the reports' evidence: first mentions, co-mentions, affiliations, action items.

Split from :mod:`kb.store.reads` (same conventions: a connection in, plain rows out; a scoped
connection sees only a principal's collections). :class:`kb.read.evidence.Evidence` wraps these.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from kb.store.reads import _marks
from kb.types import ENTITY_TYPES


# -- evidence for reports (the visit brief) --------------------------------------------------
def first_mention(db: sqlite3.Connection, doc_id: str, entity_id: str) -> sqlite3.Row | None:
    """``text, page_start, start, end`` of a document's first live passage naming the entity."""
    row: sqlite3.Row | None = db.execute(
        "SELECT c.text, c.page_start, m.start, m.end FROM mentions m JOIN chunks c ON c.id=m.chunk_id "
        "WHERE c.doc_id=? AND m.entity_id=? AND c.deleted_gen IS NULL ORDER BY c.ordinal, m.start LIMIT 1",
        (doc_id, entity_id),
    ).fetchone()
    return row


def co_entities(
    db: sqlite3.Connection, doc_ids: Sequence[str], types: Sequence[str]
) -> list[tuple[str, str, str, int]]:
    """``(id, name, type, documents)`` of the entities of ``types`` that ``doc_ids`` mention."""
    if not doc_ids:
        return []
    rows = db.execute(
        f"SELECT e.id, e.name, e.type, COUNT(DISTINCT c.doc_id) AS n FROM mentions m "
        f"JOIN chunks c ON c.id=m.chunk_id AND c.deleted_gen IS NULL JOIN entities e ON e.id=m.entity_id "
        f"WHERE c.doc_id IN ({_marks(doc_ids)}) AND e.type IN ({_marks(types)}) GROUP BY e.id ORDER BY n DESC, e.name",
        [*doc_ids, *types],
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def affiliations(db: sqlite3.Connection, doc_ids: Sequence[str]) -> list[sqlite3.Row]:
    """People's roles stated in ``doc_ids`` (affiliation rows plus ``person``, ``org``), newest documents first."""
    if not doc_ids:
        return []
    return db.execute(
        f"SELECT a.*, p.name AS person, o.name AS org FROM affiliations a JOIN entities p ON p.id=a.person_id "
        "LEFT JOIN entities o ON o.id=a.org_id JOIN documents d ON d.id=a.doc_id "
        f"WHERE a.doc_id IN ({_marks(doc_ids)}) "
        f"ORDER BY d.date DESC, a.chunk_id",
        list(doc_ids),
    ).fetchall()


def action_items(db: sqlite3.Connection, doc_ids: Sequence[str]) -> list[sqlite3.Row]:
    """Action items recorded in ``doc_ids``, newest documents first."""
    if not doc_ids:
        return []
    return db.execute(
        f"SELECT a.* FROM actions a JOIN documents d ON d.id=a.doc_id WHERE a.doc_id IN ({_marks(doc_ids)}) "
        f"ORDER BY d.date DESC, a.rowid",
        list(doc_ids),
    ).fetchall()


def typed_mentions(db: sqlite3.Connection, doc_ids: Sequence[str], type: str) -> list[tuple[str, str, str]]:
    """``(entity id, name, doc id)``, one per live mention of an entity of ``type`` in ``doc_ids``."""
    if not doc_ids:
        return []
    if type not in ENTITY_TYPES:
        raise ValueError(f"not an entity type: {type!r}")
    rows = db.execute(
        f"SELECT e.id, e.name, c.doc_id FROM mentions m JOIN chunks c ON c.id=m.chunk_id AND c.deleted_gen IS NULL "
        f"JOIN entities e ON e.id=m.entity_id WHERE e.type='{type}' AND c.doc_id IN ({_marks(doc_ids)})",
        list(doc_ids),
    )
    return [(r[0], r[1], r[2]) for r in rows]


def document_list(db: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    """``(id, source, doc_type)`` of every document."""
    return [(r[0], r[1], r[2]) for r in db.execute("SELECT id, source, doc_type FROM documents ORDER BY source")]


def document_mentions(db: sqlite3.Connection, doc_id: str) -> list[sqlite3.Row]:
    """Live mentions of entities (not dates) in a document, with document offsets:
    ``entity_id, name, type, origin, surface, start, end`` (chunks overlap, so a mention may repeat)."""
    return db.execute(
        "SELECT e.id AS entity_id, e.name, e.type, e.origin, m.surface, c.char_start + m.start AS start, "
        "c.char_start + m.end AS end FROM mentions m JOIN chunks c ON c.id=m.chunk_id AND c.deleted_gen IS NULL "
        "JOIN entities e ON e.id=m.entity_id WHERE c.doc_id=? AND e.type != 'DATE' ORDER BY start",
        (doc_id,),
    ).fetchall()
