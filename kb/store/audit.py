"""The audit trail: an append-only, hash-chained table.

Each row stores the SHA-256 of its own fields and the previous row's hash, so editing a row breaks
its own hash and deleting one breaks the next row's link; the count and the last hash are kept in
``meta`` as well, so deleting the newest rows is caught too. This detects tampering by anyone who
edits the file without re-computing the chain; someone who rewrites the whole chain is caught
only against a head recorded elsewhere (``kb audit verify`` prints it to keep).

Appends from several processes (``kb serve --workers N``, the app, the CLI) are serialised by
``BEGIN IMMEDIATE``: the read of the previous hash and the insert are one write transaction.
An append commits with ``synchronous=NORMAL`` (the store's other writes use FULL): in WAL mode
the row survives the process being killed, only an operating-system crash or power loss can
lose the last rows before a checkpoint — and a search in multi-user mode does not wait for an
fsync (measured: ~15 ms per search on this machine's disk under load).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
FIELDS = ("at", "user", "action", "query", "filters", "collections", "ids", "detail")


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: str
    user: str
    action: str
    query: str | None
    filters: str | None
    collections: str | None
    ids: str | None
    detail: str | None
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f: getattr(self, f) for f in ("id", *FIELDS)}
        for key in ("filters", "collections", "ids"):
            out[key] = json.loads(out[key]) if out[key] else None
        return out


def row_hash(prev: str, values: Sequence[Any]) -> str:
    body = json.dumps([prev, *values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(db: sqlite3.Connection, values: dict[str, Any]) -> str:
    """Append one row (``values`` keyed by :data:`FIELDS`; lists and dicts stored as JSON); its hash."""
    row = [values.get(f) for f in FIELDS]
    row = [json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, list | dict | tuple) else v for v in row]
    own = not db.in_transaction
    if own:
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN IMMEDIATE")
    try:
        last = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        prev = last[0] if last else GENESIS
        digest = row_hash(prev, row)
        db.execute(
            f"INSERT INTO audit ({', '.join(FIELDS)}, prev, hash) VALUES ({', '.join('?' * (len(FIELDS) + 2))})",
            [*row, prev, digest],
        )
        count = db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)", (f"{count}:{digest}",))
        if own:
            db.execute("COMMIT")
    except BaseException:
        if own:
            db.execute("ROLLBACK")
        raise
    finally:
        if own:
            db.execute("PRAGMA synchronous=FULL")
    return digest


def rows(
    db: sqlite3.Connection,
    *,
    user: str | None = None,
    since: str | None = None,
    limit: int | None = None,
    actions: Sequence[str] | None = None,
) -> list[AuditRow]:
    """Rows oldest first (the newest ``limit`` of them), optionally of one user, from a time on, of some actions."""
    where: list[str] = []
    args: list[Any] = []
    if actions:
        where.append(f"action IN ({','.join('?' * len(actions))})")
        args.extend(actions)
    if user:
        where.append("user = ?")
        args.append(user)
    if since:
        where.append("at >= ?")
        args.append(since)
    sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    out = [AuditRow(**{k: r[k] for k in r.keys()}) for r in db.execute(sql, args)]
    return out[::-1]


def verify(db: sqlite3.Connection) -> tuple[bool, list[str], str]:
    """Walk the chain: (intact, the problems found, the head ``count:hash`` to keep elsewhere)."""
    problems: list[str] = []
    prev = GENESIS
    count = 0
    for r in db.execute("SELECT * FROM audit ORDER BY id"):
        count += 1
        if r["prev"] != prev:
            problems.append(f"row {r['id']}: does not follow the row before it (a row was deleted or reordered)")
        if row_hash(r["prev"], [r[f] for f in FIELDS]) != r["hash"]:
            problems.append(f"row {r['id']}: its content does not match its hash (the row was edited)")
        prev = r["hash"]
    head = f"{count}:{prev}" if count else f"0:{GENESIS}"
    stored = db.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    if stored is not None and stored[0] != head:
        problems.append(f"the trail ends at {head} but was last written at {stored[0]} (rows were removed)")
    if stored is None and count:
        problems.append("the trail's head record is missing")
    return not problems, problems, head
