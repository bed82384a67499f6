"""``kb snapshot``: one committed generation of a knowledge base as a tar file, taken while ingest goes on.

A replica is a copy of the directory, because segments and originals never change once written and
the generation is one SQLite commit. The snapshot reads the database through SQLite's backup API
(one consistent copy, whatever the writer commits meanwhile), then adds exactly what that copy
names: its live segments and its documents' originals, then the database, then a manifest derived
from the copy, last. A compaction that deletes a segment of that generation before it is copied
makes the snapshot start again from the newer generation (as a reader's refresh does).

The archive's order is the order to update a replica in: segments and originals first, the
database, the manifest last. The database in the archive is in rollback-journal mode with no
``-wal`` beside it, so it can be dropped into a fresh directory.
"""

from __future__ import annotations

import os
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from kb.store.db import Store
from kb.store.manifest import MANIFEST, read_manifest, write_manifest
from kb.types import KBError

TRIES = 5


def write_snapshot(store: Store, out: Path) -> int:
    """Write ``out`` (a tar) holding one committed generation of ``store``; returns that generation."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(TRIES):
        with tempfile.TemporaryDirectory(prefix=".kb-snapshot-", dir=out.parent) as tmp:
            try:
                gen = _write(store, Path(tmp), out.with_name(out.name + ".part"))
            except FileNotFoundError:
                continue  # a compaction retired a segment of that generation: take the newer one
            os.replace(out.with_name(out.name + ".part"), out)
            return gen
    raise KBError(f"{store.root}: the segments kept changing while taking the snapshot ({TRIES} tries); try again")


def _write(store: Store, tmp: Path, part: Path) -> int:
    embedder = (read_manifest(store.root) or {}).get("embedder")
    copy_db = tmp / "store.sqlite"
    dest = sqlite3.connect(str(copy_db))
    try:
        store.db.backup(dest)  # one read transaction: a commit meanwhile is either all in or all out
    finally:
        dest.close()
    copy = Store(tmp)  # the copy's own view: its generation, live segments and documents
    try:
        gen = copy.generation
        segments = [copy.segment_dir(s).name for s in copy.live_segments()]
        files = sorted({r[0] for r in copy.db.execute("SELECT DISTINCT file FROM documents WHERE file IS NOT NULL")})
        write_manifest(copy, embedder)
    finally:
        copy.close()
    dest = sqlite3.connect(str(copy_db))
    dest.execute("PRAGMA journal_mode=DELETE")  # opening it as a Store switched it to WAL
    dest.close()
    with tarfile.open(part, "w") as tar:
        for name in segments:
            tar.add(store.root / "segments" / name, arcname=f"segments/{name}")
        for rel in files:
            tar.add(store.root / rel, arcname=rel)
        tar.add(copy_db, arcname="store.sqlite")
        if (store.root / "kb.toml").is_file():
            tar.add(store.root / "kb.toml", arcname="kb.toml")
        tar.add(tmp / MANIFEST, arcname=MANIFEST)
    return gen
