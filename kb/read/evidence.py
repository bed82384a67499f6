"""The stored facts that extractive reports cite: documents, pages, mentions, roles, action items.

A report (``kb.reports``) asks the facade for an :class:`Evidence` (``KnowledgeBase.evidence``)
and builds its sections from these answers only, so it never needs SQL or the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from kb.store import reads


class Evidence:
    """Read-only questions over one thread's connection; rows come back as plain dicts."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def documents(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Document rows (``id``, ``title``, ``source``, ``lang``, ``doc_type``, ``date``...) by id."""
        return {k: dict(r) for k, r in reads.documents(self._db, list(ids)).items()}

    def pages(self, doc_id: str) -> list[tuple[int | None, str]]:
        """``(page number, text)`` of a document's pages, in order."""
        return [(r["number"], r["text"]) for r in reads.pages(self._db, doc_id)]

    def first_mention(self, doc_id: str, entity_id: str) -> tuple[str, int | None, int, int] | None:
        """``(passage text, its first page, start, end)`` of the document's first mention of the entity."""
        r = reads.first_mention(self._db, doc_id, entity_id)
        return None if r is None else (r["text"], r["page_start"], r["start"], r["end"])

    def co_entities(self, doc_ids: Sequence[str], types: Sequence[str]) -> list[tuple[str, str, str, int]]:
        """``(id, name, type, documents)`` of entities of ``types`` named in ``doc_ids``, most documents first."""
        return reads.co_entities(self._db, list(doc_ids), list(types))

    def affiliations(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Stated roles (``person_id``, ``person``, ``role``, ``org``, ``sentence``, ``page``, ``doc_id``)."""
        return [dict(r) for r in reads.affiliations(self._db, list(doc_ids))]

    def action_items(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Action items (``heading``, ``text``, ``owner``, ``deadline``, ``page``, ``doc_id``), newest first."""
        return [dict(r) for r in reads.action_items(self._db, list(doc_ids))]

    def mentions_of_type(self, doc_ids: Sequence[str], type: str) -> list[tuple[str, str, str]]:
        """``(entity id, name, doc id)`` per live mention of an entity of ``type`` in ``doc_ids``."""
        return reads.typed_mentions(self._db, list(doc_ids), type)

    def document_languages(self) -> dict[str, str]:
        """``{source path: language}`` of every document."""
        return dict(reads.document_languages(self._db))
