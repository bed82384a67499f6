"""The facade's replica verb: a consistent snapshot of one generation, for read replicas and backups.

:class:`kb.service.KnowledgeBase` inherits it. How a replica is made from a snapshot, and in which
order its files are copied, is in docs/scaling.md.
"""

from __future__ import annotations

from pathlib import Path

from kb.store import Store


class ReplicaVerbs:
    """Snapshots of this knowledge base (mixed into ``KnowledgeBase``)."""

    store: Store

    def snapshot(self, out: str | Path) -> int:
        """Write one committed generation (taken while ingest may go on) to the tar ``out``; returns it.

        The archive holds the live segments and originals first, the database, then the manifest:
        extracted into a new directory it opens as a knowledge base of that generation.
        """
        from kb.store.snapshot import write_snapshot

        return write_snapshot(self.store, Path(out))
