"""What users make on top of the documents: watched searches, notes, batch look-ups and exports.

One mixin gathering :mod:`kb.service_watch`, :mod:`kb.service_notes` and :mod:`kb.service_bulk`,
so the facade (:mod:`kb.service`) names them once. Each belongs to a principal and obeys its
current permissions.
"""

from __future__ import annotations

from kb.service_bulk import BulkVerbs
from kb.service_notes import NoteVerbs
from kb.service_watch import WatchVerbs


class UserDataVerbs(WatchVerbs, NoteVerbs, BulkVerbs):
    """Watches, notes, batch look-ups and bulk export (mixed into ``KnowledgeBase``)."""
