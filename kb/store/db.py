"""The knowledge base directory: SQLite store, manifest, originals and the writer lock.

Layout (see docs/format.md)::

    manifest.json        the live generation: format version, embedder, segments, counts
    store.sqlite         documents, pages, chunks, entities, mentions, segments, ingest report
    segments/<n>/        one immutable FAISS + BM25 segment per ingest batch
    files/<sha[:2]>/<sha><ext>   the originals, content-addressed
    cache/embeddings.sqlite      embedding cache (an optimisation; safe to delete)
    lock                 held by the one writer

The SQLite commit is the commit point (see :mod:`kb.store.manifest`). A writer killed before it
leaves only unreferenced segment directories and originals, removed by the next writer
(:meth:`Store.remove_orphans`).

Every thread gets its own SQLite connection, so a reader never sees another thread's
uncommitted write; writes are serialised by the writer lock. A new knowledge base is private to
its owner: the directory is created 0700 and every file the kb writes 0600.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kb.store.accounts import ACCOUNTS_SCHEMA
from kb.store.curations import CURATIONS_SCHEMA
from kb.store.files import open_private, private_dir
from kb.store.manifest import FORMAT_VERSION, MANIFEST, read_manifest
from kb.store.notes import NOTES_SCHEMA
from kb.store.scope import ScopedConnections
from kb.store.watches import WATCHES_SCHEMA
from kb.types import KBError, LockHeld

__all__ = ["FORMAT_VERSION", "KBError", "LockHeld", "Store"]

SCHEMA = (
    """
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
    + ACCOUNTS_SCHEMA
    + WATCHES_SCHEMA
    + NOTES_SCHEMA
    + CURATIONS_SCHEMA
)


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
        self._scoped = ScopedConnections(self._open, self.file_identity)
        with self.db:
            self.db.executescript(SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use): for code inside ``kb.store`` only."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.in_transaction and self._replaced():
            conn = None  # a replica swapped in a new generation's directory: read the new database
        if conn is None:
            conn = self._connect()
        return conn

    def reader(self, readable: frozenset[str] | None) -> sqlite3.Connection:
        """This thread's connection for a read that may see only ``readable`` collections (``None``: all).

        See :mod:`kb.store.scope`: the connection's views hide every row of another collection.
        """
        return self.db if readable is None else self._scoped.get(readable)

    def _replaced(self) -> bool:
        """Whether ``store.sqlite`` is now another file than this thread's connection opened.

        A replica switches generations by pointing its directory (a symlink) at a newer snapshot;
        serving processes notice here, between transactions, and reconnect without a restart.
        """
        now = self.file_identity()
        return now is not None and now != self._local.ino

    def file_identity(self) -> int | None:
        """The inode of ``store.sqlite`` (a replica's swap makes it another file), ``None`` when missing."""
        try:
            return os.stat(self.root / "store.sqlite").st_ino
        except FileNotFoundError:
            return None

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False only so that close() may close every thread's connection;
        # each connection is used by the one thread that opened it.
        conn = sqlite3.connect(str(self.root / "store.sqlite"), timeout=60, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA secure_delete=ON")  # deleted text is overwritten, not left in free pages
        return conn

    def _connect(self) -> sqlite3.Connection:
        self._local.ino = self.file_identity()
        conn = self._open()
        with self._conns_lock:
            for ident, (thread, old) in list(self._conns.items()):
                if not thread.is_alive():  # the app runs each script rerun in a new thread
                    old.close()
                    del self._conns[ident]
            self._conns[threading.get_ident()] = (threading.current_thread(), conn)
        self._local.conn = conn
        return conn

    def live_state(self, known_generation: int) -> tuple[int, list[int], list[int]] | None:
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

    # -- manifest and meta -------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest of the last committed generation, or ``None`` for a new knowledge base."""
        return read_manifest(self.root)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction on this thread's connection: committed when the block ends, rolled back if it raises."""
        with self.db as conn:
            yield conn

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

    def live_segment_rows(self) -> list[sqlite3.Row]:
        """The live segments' rows (id, gen, n_chunks, live, params), by id."""
        return self.db.execute("SELECT * FROM segments WHERE live=1 ORDER BY id").fetchall()

    def live_segments(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT id FROM segments WHERE live=1 ORDER BY id")]

    def counts(self, db: sqlite3.Connection | None = None) -> dict[str, int]:
        """Row counts, over what ``db`` (a scoped reader) can see, else over everything."""
        one = (db or self.db).execute
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

    def remove_orphans(self) -> None:
        """Remove what no committed generation references: segment directories and originals.

        Run by every writer (under the writer lock) before it writes, and after a compaction:
        a writer killed before its commit leaves a segment directory and copied originals, and
        a compaction or an updated document leaves retired segments and replaced originals.
        """
        from kb.store.filters import drop_uncommitted

        live = {self.segment_dir(s).name for s in self.live_segments()}
        for d in (self.root / "segments").iterdir():
            if d.name not in live:
                shutil.rmtree(d, ignore_errors=True)
        drop_uncommitted((self.segment_dir(s) for s in self.live_segments()), self.generation)
        files = self.root / "files"
        kept = {r[0] for r in self.db.execute("SELECT DISTINCT file FROM documents WHERE file IS NOT NULL")}
        for path in sorted(files.rglob("*"), reverse=True):  # files before the folders holding them
            if path.is_dir():
                with contextlib.suppress(OSError):
                    path.rmdir()  # only when empty
            elif str(path.relative_to(self.root)) not in kept:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        self._scoped.close()
        with self._conns_lock:
            for _thread, conn in self._conns.values():
                conn.close()
            self._conns.clear()
        self._local = threading.local()
