"""The embedding cache: vectors keyed by (vector family, text hash) in ``<kb>/cache/embeddings.sqlite``.

It lives with the store because it is a knowledge base's file; :func:`index.embed.embed_cached` uses it
through the small ``VectorCache`` protocol, so ``index`` needs nothing from ``kb``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class EmbeddingCache:
    """Vectors keyed by (vector family, text hash) in a small SQLite file, so nothing is embedded twice.

    The cache is an optimisation, never the source of truth: a lost or stale cache only costs time.
    """

    def __init__(self, path: Path) -> None:
        # One connection shared by threads, every use under ``_lock`` and committed before the
        # lock is released: no thread can see another's uncommitted write. Private like the
        # knowledge base it sits in (0700 folder, 0600 file; SQLite gives -wal/-shm the same mode).
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, mode=0o700)
            os.chmod(path.parent, 0o700)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (family TEXT, hash BLOB, vec BLOB, PRIMARY KEY (family, hash))"
        )
        self._db.commit()
        self._lock = threading.Lock()

    def get_many(self, family: str, hashes: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                part = list(hashes[start : start + 500])
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT hash, vec FROM vectors WHERE family=? AND hash IN ({marks})", [family, *part]
                )
                for h, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] == dim:
                        found[bytes(h)] = vec
        return found

    def put_many(self, family: str, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
                [(family, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items],
            )
            self._db.commit()

    def discard(self, hashes: Sequence[bytes]) -> None:
        """Forget the vectors of these text hashes in every family: no live chunk has that text now.

        The caller decides which hashes are unused (it knows the knowledge base's chunks); the
        cache only forgets them, so a removed document's text leaves no vector behind.
        """
        with self._lock:
            self._db.executemany("DELETE FROM vectors WHERE hash=?", [(h,) for h in hashes])
            self._db.commit()

    def close(self) -> None:
        self._db.close()
