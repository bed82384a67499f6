"""The knowledge base's storage: SQLite, the manifest, originals and segment files.

The only code that runs SQL. ``db`` (the :class:`Store`: connections, schema, meta, writer lock,
originals), ``manifest`` (``manifest.json`` and :func:`~kb.store.manifest.commit_generation`),
``segments`` (segment files and the :class:`~kb.store.segments.Snapshot` readers hold),
``writes`` (every INSERT, UPDATE and DELETE), ``lookups`` (the few reads the write path makes).
"""

from kb.store.db import FORMAT_VERSION, Store
from kb.types import KBError, LockHeld

__all__ = ["FORMAT_VERSION", "KBError", "LockHeld", "Store"]
