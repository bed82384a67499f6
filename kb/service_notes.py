"""The facade's notes on documents: a highlighted passage and what a colleague wrote about it.

:class:`kb.service.KnowledgeBase` inherits these. A note belongs to a document, not to its author:
whoever may read the document's collection sees it (notes are read through the principal's scoped
connection, :mod:`kb.store.scope`), and whoever may read a document may annotate it. A note on a
document the principal cannot read answers exactly like a note on a missing document.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from kb.types import Forbidden, NotFound

#: the longest note and quoted passage accepted (a note is a remark, not a document)
MAX_NOTE = 10_000
MAX_QUOTE = 2_000


class NoteVerbs:
    """Notes on documents (mixed into ``KnowledgeBase``)."""

    store: Any
    principal: Any
    clock: Any
    _db: Any
    _audit: Any

    def note_add(self, doc_id: str, text: str, *, page: int | None = None, quote: str | None = None) -> dict[str, Any]:
        """Attach a note (optionally on a page and a quoted passage) to a document the principal may read.

        Raises:
            NotFound: no such document, or none the principal may read.
            ValueError: an empty or too long note or quote, or a page the document does not have.
        """
        from kb.store import notes, reads

        row = reads.document_row(self._db, doc_id)
        if row is None:
            raise NotFound(f"no document {doc_id!r}")
        text, quote = text.strip(), " ".join((quote or "").split()) or None
        if not text or len(text) > MAX_NOTE:
            raise ValueError(f"a note is 1 to {MAX_NOTE} characters")
        if quote is not None and len(quote) > MAX_QUOTE:
            raise ValueError(f"a quoted passage is at most {MAX_QUOTE} characters")
        if page is not None and (page < 1 or (row["page_count"] and page > row["page_count"])):
            raise ValueError(f"{doc_id} has no page {page}")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
        note_id = notes.add(self.store.db, doc_id, text, self.principal.name, now, page, quote)
        self._audit("note", ids=[doc_id], detail=f"add {note_id}")
        found = notes.get(self._db, note_id)
        assert found is not None
        return found

    def notes(self, doc_id: str) -> list[dict[str, Any]]:
        """The notes on one document, oldest first (empty when the principal cannot read it)."""
        return self.notes_for([doc_id])

    def notes_for(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The notes on these documents that the principal may read: id, doc_id, title, page, quote, text,
        author, created (oldest first). The visit brief's "Team notes" section reads them here."""
        from kb.store import notes

        return notes.of_documents(self._db, list(dict.fromkeys(doc_ids)))

    def notes_search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        """Readable notes whose text or quoted passage contains every word of ``query``, newest first."""
        from kb.store import notes

        words = [w for w in re.split(r"\s+", query.strip()) if w]
        if not words:
            return []
        return notes.search(self._db, words, max(1, min(int(limit), 1000)))

    def note_remove(self, note_id: int) -> bool:
        """Delete a note (its author or an administrator); ``False`` when there is no such readable note.

        Raises:
            Forbidden: the note is someone else's and the principal is not an administrator.
        """
        from kb.store import notes

        found = notes.get(self._db, note_id)
        if found is None:
            return False
        if found["author"] != self.principal.name and not self.principal.admin:
            raise Forbidden("only a note's author or an administrator may delete it")
        notes.remove(self.store.db, note_id)
        self._audit("note", ids=[found["doc_id"]], detail=f"remove {note_id}")
        return True
