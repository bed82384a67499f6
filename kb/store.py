"""The knowledge base directory: SQLite store, manifest, originals and the writer lock.

Layout (see docs/format.md)::

    manifest.json        the live generation: format version, embedder, segments, counts
    store.sqlite         documents, pages, chunks, entities, mentions, segments, ingest report
    segments/<n>/        one immutable FAISS + BM25 segment per ingest batch
    files/<sha[:2]>/<sha><ext>   the originals, content-addressed
    cache/embeddings.sqlite      embedding cache (an optimisation; safe to delete)
    lock                 held by the one writer

The SQLite commit is the commit point; the manifest is derived from it and replaced atomically
right after. A writer killed between the two leaves a store one generation ahead of its
manifest with every segment file already on disk, so opening rolls forward by rewriting the
manifest. A writer killed earlier leaves only unreferenced segment directories, removed on the
next write.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER, format TEXT,
    title TEXT, lang TEXT, doc_type TEXT, date TEXT, collection TEXT, page_count INTEGER,
    region TEXT, countries TEXT, crossings TEXT, file TEXT, ocr INTEGER DEFAULT 0,
    near_dup_of TEXT, added_gen INTEGER, meta TEXT
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE TABLE IF NOT EXISTS document_paths (doc_id TEXT, path TEXT, collection TEXT, PRIMARY KEY (path, collection));
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT, idx INTEGER, number INTEGER, text TEXT, char_start INTEGER, ocr_confidence REAL,
    PRIMARY KEY (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER, text TEXT, char_start INTEGER,
    char_end INTEGER, page_start INTEGER, page_end INTEGER, heading TEXT, lang TEXT, text_hash BLOB,
    segment INTEGER, deleted_gen INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_segment ON chunks(segment);
CREATE TABLE IF NOT EXISTS chunk_regions (chunk_id INTEGER PRIMARY KEY, region TEXT);
CREATE TABLE IF NOT EXISTS entities (
    id TEXT PRIMARY KEY, name TEXT, type TEXT, aliases TEXT, countries TEXT, lat REAL, lon REAL,
    region TEXT, origin TEXT
);
CREATE TABLE IF NOT EXISTS mentions (
    chunk_id INTEGER, entity_id TEXT, start INTEGER, end INTEGER, surface TEXT, value TEXT
);
CREATE INDEX IF NOT EXISTS mentions_chunk ON mentions(chunk_id);
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity_id);
CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, gen INTEGER, n_chunks INTEGER, live INTEGER, params TEXT);
CREATE TABLE IF NOT EXISTS actions (
    doc_id TEXT, page INTEGER, heading TEXT, kind TEXT, text TEXT, owner TEXT, deadline TEXT
);
CREATE INDEX IF NOT EXISTS actions_doc ON actions(doc_id);
CREATE TABLE IF NOT EXISTS affiliations (
    doc_id TEXT, chunk_id INTEGER, page INTEGER, person_id TEXT, org_id TEXT, role TEXT, sentence TEXT
);
CREATE INDEX IF NOT EXISTS affiliations_doc ON affiliations(doc_id);
CREATE TABLE IF NOT EXISTS fingerprints (doc_id TEXT PRIMARY KEY, sig BLOB);
CREATE TABLE IF NOT EXISTS report (
    run INTEGER, path TEXT, status TEXT, reason TEXT, detail TEXT, doc_id TEXT, at REAL
);
"""


class KBError(Exception):
    """A user-facing problem with a knowledge base (wrong embedder, damaged store, lock held)."""


class LockHeld(KBError):
    pass


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside, fsync, then ``os.replace``: readers see the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Store:
    """SQLite access plus the directory conventions. One instance per open knowledge base."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "segments").mkdir(exist_ok=True)
        (root / "files").mkdir(exist_ok=True)
        self.db = sqlite3.connect(str(root / "store.sqlite"), timeout=60, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        with self.db:
            self.db.executescript(SCHEMA)
        self._lock_fh: Any = None

    # -- manifest ---------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.manifest_path.read_text("utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise KBError(f"{self.manifest_path}: unreadable manifest ({exc})") from exc

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.meta("generation", "0") or 0)

    # -- locking ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Exclusive writer lock (flock): a second writer is refused, never allowed to interleave."""
        fh = open(self.root / "lock", "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.close()
            raise LockHeld(
                f"{self.root} is being written by another process (an ingest, remove or compact is running); "
                "try again when it finishes"
            ) from exc
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()} {time.time():.0f}\n")
            fh.flush()
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()

    # -- files ------------------------------------------------------------------------------
    def keep_original(self, source: Path, sha256: str) -> str:
        """Copy a source file under ``files/`` by content hash; returns the relative path."""
        rel = Path("files") / sha256[:2] / f"{sha256}{source.suffix.lower()[:10]}"
        dest = self.root / rel
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            shutil.copyfile(source, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        return str(rel)

    def segment_dir(self, seg_id: int) -> Path:
        return self.root / "segments" / f"{seg_id:06d}"

    def live_segments(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT id FROM segments WHERE live=1 ORDER BY id")]

    def counts(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "documents": one("SELECT COUNT(*) FROM documents").fetchone()[0],
            "chunks": one("SELECT COUNT(*) FROM chunks WHERE deleted_gen IS NULL").fetchone()[0],
            "tombstones": one("SELECT COUNT(*) FROM chunks WHERE deleted_gen IS NOT NULL").fetchone()[0],
            "entities": one("SELECT COUNT(*) FROM entities").fetchone()[0],
            "mentions": one("SELECT COUNT(*) FROM mentions").fetchone()[0],
        }

    def close(self) -> None:
        self.db.close()
