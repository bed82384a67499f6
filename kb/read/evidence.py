"""The stored facts that extractive reports cite: documents, pages, mentions, roles, action items.

A report (``kb.reports``) asks the facade for an :class:`Evidence` (``KnowledgeBase.evidence``)
and builds its sections from these answers only, so it never needs SQL or the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from kb.store import evidence, reads


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
        r = evidence.first_mention(self._db, doc_id, entity_id)
        return None if r is None else (r["text"], r["page_start"], r["start"], r["end"])

    def co_entities(self, doc_ids: Sequence[str], types: Sequence[str]) -> list[tuple[str, str, str, int]]:
        """``(id, name, type, documents)`` of entities of ``types`` named in ``doc_ids``, most documents first."""
        return evidence.co_entities(self._db, list(doc_ids), list(types))

    def affiliations(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Stated roles (``person_id``, ``person``, ``role``, ``org``, ``sentence``, ``page``, ``doc_id``)."""
        return [dict(r) for r in evidence.affiliations(self._db, list(doc_ids))]

    def action_items(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Action items (``heading``, ``text``, ``owner``, ``deadline``, ``page``, ``doc_id``), newest first."""
        return [dict(r) for r in evidence.action_items(self._db, list(doc_ids))]

    def mentions_of_type(self, doc_ids: Sequence[str], type: str) -> list[tuple[str, str, str]]:
        """``(entity id, name, doc id)`` per live mention of an entity of ``type`` in ``doc_ids``."""
        return evidence.typed_mentions(self._db, list(doc_ids), type)

    def document_languages(self) -> dict[str, str]:
        """``{source path: language}`` of every document."""
        return dict(reads.document_languages(self._db))

    def document_list(self) -> list[tuple[str, str, str | None]]:
        """``(id, source, doc_type)`` of every document, by source."""
        return evidence.document_list(self._db)

    def page_mentions(self, doc_id: str) -> list[dict[str, Any]]:
        """Each distinct live mention of an entity (not a date) in a document, placed on its page:
        ``entity_id``, ``name``, ``type``, ``origin`` (``gazetteer`` or ``ner``), ``surface``, ``page``
        (number) and ``start``/``end`` offsets in that page's text."""
        starts = [(r["char_start"] or 0, r["number"]) for r in reads.pages(self._db, doc_id)]
        seen: set[tuple[str, int, int]] = set()
        out: list[dict[str, Any]] = []
        for r in evidence.document_mentions(self._db, doc_id):
            key = (r["entity_id"], r["start"], r["end"])
            if key in seen:
                continue
            seen.add(key)
            base, number = next(((s, n) for s, n in reversed(starts) if s <= r["start"]), (0, None))
            out.append(dict(r) | {"page": number, "start": r["start"] - base, "end": r["end"] - base})
        return out
