"""The knowledge base's storage: SQLite, the manifest and segment files (the only code that runs SQL)."""

from kb.store.db import FORMAT_VERSION, KBError, LockHeld, Store, atomic_write, fsync_dir, private_tree

__all__ = ["FORMAT_VERSION", "KBError", "LockHeld", "Store", "atomic_write", "fsync_dir", "private_tree"]
