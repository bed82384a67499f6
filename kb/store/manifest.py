"""``manifest.json``, and the one way a write becomes the live generation: :func:`commit_generation`.

The SQLite commit is the commit point; the manifest is derived from it and replaced atomically
right after. A writer killed between the two leaves a store one generation ahead of its
manifest with every segment file already on disk, so opening rolls forward by rewriting the
manifest (``KnowledgeBase`` open). Ingest, remove, compaction, reindex and relink all commit
through :func:`commit_generation`, so the manifest is written one way only.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from kb.faults import checkpoint
from kb.store.files import atomic_write
from kb.types import KBError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"

__all__ = ["FORMAT_VERSION", "MANIFEST", "KBError", "commit_generation", "read_manifest", "write_manifest"]


class Store(Protocol):
    """What a commit needs of ``kb.store.db.Store`` (a protocol: ``db`` imports this module)."""

    root: Path

    @property
    def generation(self) -> int: ...

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def segment_dir(self, seg_id: int) -> Path: ...

    def live_segment_rows(self) -> list[sqlite3.Row]: ...

    def counts(self) -> dict[str, int]: ...


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The manifest in ``root``, or ``None`` when there is none yet."""
    path = root / MANIFEST
    try:
        return dict(json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise KBError(f"{path}: unreadable manifest ({exc})") from exc


def write_manifest(store: Store, embedder: Mapping[str, Any] | None = None) -> None:
    """Describe the store's committed generation in ``manifest.json`` (write beside, then replace).

    ``embedder`` is the embedder the live segments were built with; ``None`` keeps the one the
    manifest already names (a remove, a compaction or a relink embeds nothing).
    """
    if embedder is None:
        embedder = (read_manifest(store.root) or {}).get("embedder") or {}
    manifest = {
        "format_version": FORMAT_VERSION,
        "kb_version": __import__("kb").__version__,
        "generation": store.generation,
        "embedder": dict(embedder),
        "segments": [
            {
                "id": r["id"],
                "dir": store.segment_dir(r["id"]).name,
                "n": r["n_chunks"],
                "params": json.loads(r["params"] or "{}"),
            }
            for r in store.live_segment_rows()
        ],
        "counts": store.counts(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write(store.root / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))


@contextlib.contextmanager
def commit_generation(
    store: Store,
    embedder: Mapping[str, Any] | None = None,
    *,
    points: tuple[str, str] | None = None,
) -> Iterator[tuple[sqlite3.Connection, int]]:
    """One SQLite transaction that becomes generation n+1, then the manifest that names it.

    Yields ``(connection, n+1)``; the caller's writes inside the block join the transaction,
    which also records the new generation. Segment files and originals must be on disk before
    the block (they are what the committed rows name). ``points`` are the fault-injection
    checkpoints after the SQLite commit and after the manifest (see ``kb.faults``). Raising in
    the block rolls everything back: the previous generation stays live.
    """
    gen = store.generation + 1
    with store.transaction() as conn:
        yield conn, gen
        store.set_meta("generation", str(gen))
    if points:
        checkpoint(points[0])
    write_manifest(store, embedder)
    if points:
        checkpoint(points[1])
