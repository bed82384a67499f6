"""Read connections that see only the collections a principal may read.

Permissions are enforced here, under every query, instead of in each read: a scoped connection
has TEMP views named like the tables (``documents``, ``chunks``, ``pages``, ``mentions``,
``entities``, ``watch_hits``, ``notes``, ...) and SQLite resolves an unqualified name in
``temp`` before ``main``. So every statement of :mod:`kb.store.reads` and :mod:`kb.store.lookups`
— the search filters, document and entity views, facets and their counts, the brief's evidence,
the ingest report — runs unchanged and cannot return a row of a collection outside the scope,
including through a side door written later. A reference to a hidden document (a
near-duplicate's ``near_dup_of``) reads as NULL.

The views read the scope from a TEMP table filled with bound parameters (no collection name is
ever spliced into SQL). A scoped connection is read-only by construction: the views cannot be
written, so a write through one fails loudly instead of escaping the scope.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from kb.types import ALL_COLLECTIONS, DEFAULT_COLLECTION

_IN_SCOPE = "COALESCE({col}, '" + DEFAULT_COLLECTION + "') IN (SELECT name FROM temp.kb_scope)"
_DOC_READABLE = "EXISTS (SELECT 1 FROM temp.documents v WHERE v.id = {ref})"
_CHUNK_READABLE = "EXISTS (SELECT 1 FROM main.chunks c JOIN temp.documents v ON v.id = c.doc_id WHERE c.id = {ref})"

VIEWS = f"""
CREATE TEMP TABLE kb_scope (name TEXT PRIMARY KEY);
CREATE TEMP VIEW documents AS
    SELECT id, source, sha256, size, format, title, lang, doc_type, date, collection, page_count, region,
           countries, crossings, file, ocr,
           CASE WHEN near_dup_of IN (SELECT d2.id FROM main.documents d2 WHERE {_IN_SCOPE.format(col="d2.collection")})
                THEN near_dup_of END AS near_dup_of,
           added_gen, meta
    FROM main.documents WHERE {_IN_SCOPE.format(col="collection")};
CREATE TEMP VIEW document_paths AS SELECT * FROM main.document_paths p
    WHERE {_IN_SCOPE.format(col="p.collection")} AND {_DOC_READABLE.format(ref="p.doc_id")};
CREATE TEMP VIEW pages AS SELECT * FROM main.pages p WHERE {_DOC_READABLE.format(ref="p.doc_id")};
CREATE TEMP VIEW chunks AS SELECT * FROM main.chunks c WHERE {_DOC_READABLE.format(ref="c.doc_id")};
CREATE TEMP VIEW chunk_regions AS SELECT * FROM main.chunk_regions r WHERE {_CHUNK_READABLE.format(ref="r.chunk_id")};
CREATE TEMP VIEW mentions AS SELECT * FROM main.mentions m WHERE {_CHUNK_READABLE.format(ref="m.chunk_id")};
CREATE TEMP VIEW entities AS SELECT * FROM main.entities e
    WHERE EXISTS (SELECT 1 FROM temp.mentions m WHERE m.entity_id = e.id);
CREATE TEMP VIEW actions AS SELECT * FROM main.actions a WHERE {_DOC_READABLE.format(ref="a.doc_id")};
CREATE TEMP VIEW affiliations AS SELECT * FROM main.affiliations a WHERE {_DOC_READABLE.format(ref="a.doc_id")};
CREATE TEMP VIEW fingerprints AS SELECT * FROM main.fingerprints f WHERE {_DOC_READABLE.format(ref="f.doc_id")};
CREATE TEMP VIEW curations AS SELECT * FROM main.curations u
    WHERE (u.doc_id IS NULL OR {_DOC_READABLE.format(ref="u.doc_id")})
      AND NOT EXISTS (SELECT 1 FROM json_each(u.collections) j WHERE j.value NOT IN (SELECT name FROM temp.kb_scope));
CREATE TEMP VIEW report AS SELECT * FROM main.report r WHERE {_DOC_READABLE.format(ref="r.doc_id")};
CREATE TEMP VIEW watch_hits AS SELECT * FROM main.watch_hits h WHERE {_DOC_READABLE.format(ref="h.doc_id")};
CREATE TEMP VIEW notes AS SELECT * FROM main.notes n WHERE {_DOC_READABLE.format(ref="n.doc_id")};
"""


def scope_connection(conn: sqlite3.Connection, readable: Iterable[str]) -> sqlite3.Connection:
    """Give ``conn`` the views of :data:`VIEWS` over the collections ``readable`` (a fresh connection)."""
    names = sorted(set(readable))
    if ALL_COLLECTIONS in names:
        raise ValueError("a scope of every collection is no scope: use the store's own connection")
    conn.executescript(VIEWS)
    with conn:
        conn.executemany("INSERT INTO temp.kb_scope (name) VALUES (?)", [(n,) for n in names])
    return conn


class ScopedConnections:
    """This thread's scoped connections, one per distinct scope, the least recently used closed past ``keep``.

    A connection belongs to the thread that opened it (as :class:`kb.store.Store` does for its own),
    so two users served on two threads never share one; a thread serving many users in turn keeps
    a few scopes warm instead of rebuilding views per request.
    """

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], identity: Callable[[], int | None], keep: int = 8
    ) -> None:
        self._connect = connect
        self._identity = identity  # the database file's identity: a replica swaps in a new file
        self._keep = keep
        self._local = threading.local()
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._lock = threading.Lock()

    def get(self, readable: frozenset[str]) -> sqlite3.Connection:
        cache: OrderedDict[frozenset[str], tuple[sqlite3.Connection, int | None]] | None = getattr(
            self._local, "cache", None
        )
        if cache is None:
            cache = self._local.cache = OrderedDict()
        found = cache.get(readable)
        identity = self._identity()
        if found is not None:
            conn, opened_on = found
            if opened_on == identity or conn.in_transaction:
                cache.move_to_end(readable)
                return conn
            del cache[readable]  # the database was swapped for a newer generation: reopen
            conn.close()
        conn = scope_connection(self._connect(), readable)
        cache[readable] = (conn, identity)
        with self._lock:
            self._all = [(t, c) for t, c in self._all if t.is_alive() or _close(c)]
            self._all.append((threading.current_thread(), conn))
        while len(cache) > self._keep:
            _key, (old, _) = cache.popitem(last=False)
            old.close()
        return conn

    def close(self) -> None:
        with self._lock:
            for _thread, conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def _close(conn: sqlite3.Connection) -> bool:
    """Close the connection of a thread that ended (the app runs each rerun on a new thread)."""
    conn.close()
    return False
