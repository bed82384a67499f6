"""The facade's replica verb: a consistent snapshot of one generation, for read replicas and backups.

:class:`kb.service.KnowledgeBase` inherits it. How a replica is made from a snapshot, and in which
order its files are copied, is in docs/scaling.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.store import Store


class ReplicaVerbs:
    """Snapshots of this knowledge base (mixed into ``KnowledgeBase``)."""

    store: Store
    _require_admin: Any
    _audit: Any

    def snapshot(self, out: str | Path) -> int:
        """Write one committed generation (taken while ingest may go on) to the tar ``out``; returns it.

        The archive holds the live segments and originals first, the database, then the manifest:
        extracted into a new directory it opens as a knowledge base of that generation. It holds every
        collection (and the accounts): only an administrator may take one, and it is audited.

        Raises:
            Forbidden: the principal is not an administrator.
        """
        from kb.store.snapshot import write_snapshot

        self._require_admin("take a snapshot of the whole knowledge base")
        generation = write_snapshot(self.store, Path(out))
        self._audit("export", detail=f"snapshot of generation {generation} to {Path(out).name}")
        return generation
