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
manifest. A writer killed earlier leaves only unreferenced segment directories and originals,
removed by the next writer.

Every thread gets its own SQLite connection, so a reader never sees another thread's
uncommitted write; writes are serialised by the writer lock. A new knowledge base is private to
its owner: the directory is created 0700 and every file the kb writes 0600.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kb.types import KBError, LockHeld  # defined with the result types (the CLI and app catch them)

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


PRIVATE_DIR = 0o700  # a knowledge base holds the full text of its documents: owner only
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with the new leaf directory readable by its owner only."""
    if not path.is_dir():
        path.mkdir(parents=True, mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode passes through the umask; say it exactly


def private_tree(path: Path) -> None:
    """Make every directory under ``path`` 0700 and every file 0600 (files written by FAISS, NumPy, bm25s)."""
    os.chmod(path, PRIVATE_DIR)
    for base, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(base, name), PRIVATE_DIR)
        for name in files:
            os.chmod(os.path.join(base, name), PRIVATE_FILE)


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """``os.open`` that creates the file 0600 whatever the umask (an existing file keeps its mode)."""
    fd = os.open(path, flags, PRIVATE_FILE)
    if flags & os.O_CREAT and flags & os.O_TRUNC:
        os.fchmod(fd, PRIVATE_FILE)
    return fd


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside, fsync, then ``os.replace``: readers see the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(open_private(tmp), "wb") as fh:
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
    """SQLite access plus the directory conventions. One instance per open knowledge base.

    ``db`` is the calling thread's own connection. One instance is shared by the app's sessions
    (threads): a shared connection would let one session read another's uncommitted upload.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        private_dir(root)
        private_dir(root / "segments")
        private_dir(root / "files")
        os.close(open_private(root / "store.sqlite", os.O_RDWR | os.O_CREAT))  # SQLite gives -wal/-shm its mode
        self._local = threading.local()
        self._conns: dict[int, tuple[threading.Thread, sqlite3.Connection]] = {}
        self._conns_lock = threading.Lock()
        with self.db:
            self.db.executescript(SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
        return conn

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so that close() may close every thread's connection;
        # each connection is used by the one thread that opened it.
        conn = sqlite3.connect(str(self.root / "store.sqlite"), timeout=60, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA secure_delete=ON")  # deleted text is overwritten, not left in free pages
        with self._conns_lock:
            for ident, (thread, old) in list(self._conns.items()):
                if not thread.is_alive():  # the app runs each script rerun in a new thread
                    old.close()
                    del self._conns[ident]
            self._conns[threading.get_ident()] = (threading.current_thread(), conn)
        self._local.conn = conn
        return conn

    def snapshot(self, known_generation: int) -> tuple[int, list[int], list[int]] | None:
        """Generation, live segment ids and tombstoned chunk ids, read in one transaction.

        Returns ``None`` when the generation is still ``known_generation`` (nothing to reload).
        One read transaction makes the three agree: a commit between the queries cannot mix two
        generations (a compaction deletes tombstone rows in the commit that retires segments).
        """
        db = self.db
        own = not db.in_transaction  # the writer's thread may look inside its own transaction
        if own:
            db.execute("BEGIN")
        try:
            gen = int(self.meta("generation", "0") or 0)
            if gen == known_generation:
                return None
            live = self.live_segments()
            dead = [r[0] for r in db.execute("SELECT id FROM chunks WHERE deleted_gen IS NOT NULL ORDER BY id")]
            return gen, live, dead
        finally:
            if own:
                db.commit()

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
        fh = open(open_private(self.root / "lock", os.O_RDWR | os.O_CREAT), "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.close()
            raise LockHeld(
                f"{self.root} is being written by another process "
                "(an ingest, remove, compact, relink, reindex or set is running); try again when it finishes"
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
            private_dir(dest.parent)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            with open(source, "rb") as src, open(open_private(tmp), "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
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

    def purge_wal(self) -> None:
        """Copy the write-ahead log into the database and truncate it to zero bytes.

        After a remove or a compaction: the log still holds page images with the removed text.
        Skipped quietly while another connection reads an older snapshot (the next one purges).
        """
        with contextlib.suppress(sqlite3.OperationalError):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        with self._conns_lock:
            for _thread, conn in self._conns.values():
                conn.close()
            self._conns.clear()
        self._local = threading.local()
