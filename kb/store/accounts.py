"""Users, groups, grants, sessions and API tokens: their tables and every statement on them.

Additive: a knowledge base made before accounts existed gains these (empty) tables when it is
opened, and with no user it stays in single-user mode. Secrets are never stored: passwords as
argon2id hashes (:mod:`kb.access.passwords`), session and API tokens as SHA-256 digests (they
are 256-bit random strings, so a fast hash loses nothing). The logic — who may do what, the
lockout, expiry — lives in :mod:`kb.access`; this module only reads and writes rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

ACCOUNTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_members (grp TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (grp, user));
CREATE TABLE IF NOT EXISTS grants (
    subject TEXT NOT NULL, kind TEXT NOT NULL, collection TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (subject, kind, collection)
);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY, user TEXT NOT NULL, kind TEXT NOT NULL, label TEXT, created TEXT NOT NULL,
    expires TEXT, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE TABLE IF NOT EXISTS login_failures (user TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_user ON login_failures(user, at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL,
    query TEXT, filters TEXT, collections TEXT, ids TEXT, detail TEXT, prev TEXT NOT NULL, hash TEXT NOT NULL
);
"""


# -- users ------------------------------------------------------------------------------------
def user_count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COUNT(*) FROM users").fetchone()[0])


def user_row(db: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()  # type: ignore[no-any-return]


def user_rows(db: sqlite3.Connection) -> list[sqlite3.Row]:
    return db.execute("SELECT * FROM users ORDER BY name").fetchall()


def insert_user(db: sqlite3.Connection, name: str, password: str, admin: bool, now: str) -> None:
    db.execute("INSERT INTO users (name, password, admin, created) VALUES (?, ?, ?, ?)", (name, password, admin, now))


def set_password(db: sqlite3.Connection, name: str, password: str) -> None:
    db.execute("UPDATE users SET password = ? WHERE name = ?", (password, name))


def set_user_flag(db: sqlite3.Connection, name: str, flag: str, value: bool) -> None:
    if flag not in ("admin", "disabled"):
        raise ValueError(flag)
    db.execute(f"UPDATE users SET {flag} = ? WHERE name = ?", (int(value), name))


# -- groups -----------------------------------------------------------------------------------
def group_exists(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM groups WHERE name = ?", (name,)).fetchone() is not None


def insert_group(db: sqlite3.Connection, name: str, now: str) -> None:
    db.execute("INSERT INTO groups (name, created) VALUES (?, ?)", (name, now))


def group_rows(db: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    groups = [r[0] for r in db.execute("SELECT name FROM groups ORDER BY name")]
    members: dict[str, list[str]] = {g: [] for g in groups}
    for grp, user in db.execute("SELECT grp, user FROM group_members ORDER BY user"):
        members.setdefault(grp, []).append(user)
    return [(g, members[g]) for g in groups]


def set_member(db: sqlite3.Connection, group: str, user: str, member: bool) -> None:
    if member:
        db.execute("INSERT OR IGNORE INTO group_members (grp, user) VALUES (?, ?)", (group, user))
    else:
        db.execute("DELETE FROM group_members WHERE grp = ? AND user = ?", (group, user))


def groups_of(db: sqlite3.Connection, user: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT grp FROM group_members WHERE user = ?", (user,))]


# -- grants -----------------------------------------------------------------------------------
def grants_for(db: sqlite3.Connection, user: str, groups: Sequence[str]) -> list[tuple[str, str]]:
    """``(collection, role)`` of the user's own grants and those of its groups."""
    rows = db.execute("SELECT collection, role FROM grants WHERE kind = 'user' AND subject = ?", (user,)).fetchall()
    if groups:
        marks = ",".join("?" * len(groups))
        rows += db.execute(
            f"SELECT collection, role FROM grants WHERE kind = 'group' AND subject IN ({marks})", list(groups)
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


def grant_rows(db: sqlite3.Connection) -> list[sqlite3.Row]:
    return db.execute("SELECT * FROM grants ORDER BY collection, kind, subject").fetchall()


def put_grant(db: sqlite3.Connection, subject: str, kind: str, collection: str, role: str | None) -> bool:
    """Set (or with ``role=None`` delete) one grant; whether a row changed."""
    if role is None:
        cur = db.execute(
            "DELETE FROM grants WHERE subject = ? AND kind = ? AND collection = ?", (subject, kind, collection)
        )
    else:
        cur = db.execute(
            "INSERT INTO grants (subject, kind, collection, role) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (subject, kind, collection) DO UPDATE SET role = excluded.role",
            (subject, kind, collection, role),
        )
    return cur.rowcount > 0


def collection_counts(db: sqlite3.Connection) -> dict[str, int]:
    """Documents per collection (NULL as the default collection), over what ``db`` can see."""
    from kb.types import DEFAULT_COLLECTION

    rows = db.execute(
        "SELECT COALESCE(collection, ?), COUNT(*) FROM documents GROUP BY 1 ORDER BY 1", (DEFAULT_COLLECTION,)
    )
    return {r[0]: r[1] for r in rows}


# -- sessions and API tokens ------------------------------------------------------------------
def insert_session(
    db: sqlite3.Connection, digest: str, user: str, kind: str, label: str | None, now: str, expires: str | None
) -> None:
    db.execute(
        "INSERT INTO sessions (digest, user, kind, label, created, expires) VALUES (?, ?, ?, ?, ?, ?)",
        (digest, user, kind, label, now, expires),
    )


def session_row(db: sqlite3.Connection, digest: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM sessions WHERE digest = ?", (digest,)).fetchone()  # type: ignore[no-any-return]


def session_rows(db: sqlite3.Connection, kind: str, user: str | None) -> list[sqlite3.Row]:
    sql = "SELECT rowid AS id, * FROM sessions WHERE kind = ?" + (" AND user = ?" if user else "") + " ORDER BY rowid"
    return db.execute(sql, (kind, user) if user else (kind,)).fetchall()


def revoke_sessions(
    db: sqlite3.Connection, *, digest: str | None = None, rowid: int | None = None, user: str | None = None
) -> int:
    """Revoke one session or token (by digest or id), or every one of a user."""
    if digest is not None:
        cur = db.execute("UPDATE sessions SET revoked = 1 WHERE digest = ? AND revoked = 0", (digest,))
    elif rowid is not None:
        cur = db.execute("UPDATE sessions SET revoked = 1 WHERE rowid = ? AND kind = 'token' AND revoked = 0", (rowid,))
    else:
        cur = db.execute("UPDATE sessions SET revoked = 1 WHERE user = ? AND revoked = 0", (user,))
    return cur.rowcount


def delete_expired_sessions(db: sqlite3.Connection, now: str) -> None:
    db.execute("DELETE FROM sessions WHERE kind = 'session' AND expires IS NOT NULL AND expires < ?", (now,))


# -- failed logins ----------------------------------------------------------------------------
def add_failure(db: sqlite3.Connection, user: str, now: str) -> None:
    db.execute("INSERT INTO login_failures (user, at) VALUES (?, ?)", (user, now))


def failures_since(db: sqlite3.Connection, user: str, since: str) -> list[str]:
    return [
        r[0] for r in db.execute("SELECT at FROM login_failures WHERE user = ? AND at >= ? ORDER BY at", (user, since))
    ]


def clear_failures(db: sqlite3.Connection, user: str) -> None:
    db.execute("DELETE FROM login_failures WHERE user = ?", (user,))
