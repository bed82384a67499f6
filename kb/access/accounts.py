"""Users, groups, grants, logins, sessions and API tokens: the rules over :mod:`kb.store.accounts`.

Deny by default: a user reads, writes and manages only what a grant (its own, or one of its
groups') names; a knowledge base administrator manages users and every grant and reads and writes
everything. Names are checked against one plain pattern, so a name can never be mistaken for
markup or a path; queries and filter values are never checked here — they are bound as data.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

from kb.access import passwords
from kb.access.trail import record
from kb.store import accounts as rows
from kb.types import ALL_COLLECTIONS, ROLES, Forbidden, KBError, LoginFailed, NotFound, Principal

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
COLLECTION = re.compile(r"[^\x00-\x1f\x7f/\\]{1,128}")
LOCK_AFTER = 5  # failed logins ...
LOCK_WINDOW_S = 15 * 60  # ... within this many seconds lock the account ...
LOCK_FOR_S = 15 * 60  # ... for this long
TOKEN_PREFIX = "kbt_"

Clock = Callable[[], float]


def iso(t: float) -> str:
    """A UTC time as ISO 8601 to the second: these sort as strings, so SQL compares them directly."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str, what: str = "user") -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(
            f"{what} names are 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit: {name!r}"
        )
    return name


def check_collection(name: str, *, star: bool = True) -> str:
    """A collection name grants and ingest accept (``star``: also ``*``, every collection, for grants)."""
    if not COLLECTION.fullmatch(name or "") or (name == ALL_COLLECTIONS and not star):
        raise ValueError(f"not a collection name: {name!r}")
    return name


class Accounts:
    """The account rules over one knowledge base's store (``db``: a writable, unscoped connection)."""

    def __init__(self, db: sqlite3.Connection, clock: Clock = time.time) -> None:
        self.db = db
        self.clock = clock

    # -- users and groups ---------------------------------------------------------------------
    def multi_user(self) -> bool:
        return rows.user_count(self.db) > 0

    def add_user(self, name: str, password: str, *, admin: bool = False, by: str = "owner") -> None:
        check_name(name)
        if not admin and not self.multi_user():
            raise KBError("the first user must be an administrator (kb users add NAME --admin)")
        if rows.user_row(self.db, name) is not None or rows.group_exists(self.db, name):
            raise KBError(f"{name!r} is already a user or a group")
        with self.db:
            rows.insert_user(self.db, name, passwords.hash_password(password), admin, iso(self.clock()))
        record(self.db, self.clock, by, "user_add", detail=f"{name}{' (admin)' if admin else ''}")

    def set_password(self, name: str, password: str, *, by: str = "owner") -> None:
        self._user(name)
        with self.db:
            rows.set_password(self.db, name, passwords.hash_password(password))
            rows.revoke_sessions(self.db, user=name)  # every open session and token ends with the old password
        record(self.db, self.clock, by, "passwd", detail=name)

    def set_disabled(self, name: str, disabled: bool, *, by: str = "owner") -> None:
        self._user(name)
        with self.db:
            rows.set_user_flag(self.db, name, "disabled", disabled)
            if disabled:
                rows.revoke_sessions(self.db, user=name)
        record(self.db, self.clock, by, "user_disable" if disabled else "user_enable", detail=name)

    def users(self) -> list[dict[str, object]]:
        out = []
        for r in rows.user_rows(self.db):
            groups = rows.groups_of(self.db, r["name"])
            out.append(
                {"name": r["name"], "admin": bool(r["admin"]), "disabled": bool(r["disabled"]),
                 "created": r["created"], "groups": groups}
            )  # fmt: skip
        return out

    def add_group(self, name: str, *, by: str = "owner") -> None:
        check_name(name, "group")
        if rows.user_row(self.db, name) is not None or rows.group_exists(self.db, name):
            raise KBError(f"{name!r} is already a user or a group")
        with self.db:
            rows.insert_group(self.db, name, iso(self.clock()))
        record(self.db, self.clock, by, "group_add", detail=name)

    def set_member(self, group: str, user: str, member: bool = True, *, by: str = "owner") -> None:
        if not rows.group_exists(self.db, group):
            raise NotFound(f"no group {group!r}")
        self._user(user)
        with self.db:
            rows.set_member(self.db, group, user, member)
        record(self.db, self.clock, by, "group_join" if member else "group_leave", detail=f"{user} {group}")

    def groups(self) -> list[tuple[str, list[str]]]:
        return rows.group_rows(self.db)

    def _user(self, name: str) -> sqlite3.Row:
        row = rows.user_row(self.db, name)
        if row is None:
            raise NotFound(f"no user {name!r}")
        return row

    # -- grants -------------------------------------------------------------------------------
    def grant(self, subject: str, collection: str, role: str | None, *, by: Principal) -> bool:
        """Give ``subject`` (a user or a group) ``role`` on ``collection``; ``role=None`` revokes."""
        check_collection(collection)
        if role is not None and role not in ROLES:
            raise ValueError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
        if not (by.admin or (collection != ALL_COLLECTIONS and by.can("admin", collection))):
            raise Forbidden(f"{by.name} may not change the grants of {collection!r}")
        if rows.user_row(self.db, subject) is not None:
            kind = "user"
        elif rows.group_exists(self.db, subject):
            kind = "group"
        else:
            raise NotFound(f"no user or group {subject!r}")
        with self.db:
            changed = rows.put_grant(self.db, subject, kind, collection, role)
        if changed:
            action = "grant" if role else "revoke"
            detail = f"{subject} {role or ''}".strip()
            record(self.db, self.clock, by.via or by.name, action, collections=[collection], detail=detail)
        return changed

    def grants(self) -> list[dict[str, str]]:
        return [dict(r) for r in rows.grant_rows(self.db)]

    def principal(self, name: str) -> Principal:
        """The user's principal, its collections resolved from its and its groups' grants."""
        row = self._user(name)
        if row["disabled"]:
            raise LoginFailed("this account is disabled")
        if row["admin"]:
            return Principal(name, admin=True)
        best: dict[str, int] = {}
        for collection, role in rows.grants_for(self.db, name, rows.groups_of(self.db, name)):
            best[collection] = max(best.get(collection, -1), ROLES.index(role))

        def holding(level: int) -> frozenset[str] | None:
            names = frozenset(c for c, r in best.items() if r >= level)
            return None if ALL_COLLECTIONS in names else names

        return Principal(name, read=holding(0), write=holding(1), manage=holding(2))

    # -- logins, sessions, tokens -------------------------------------------------------------
    def login(self, name: str, password: str, session_hours: float) -> tuple[str, str]:
        """A new session token and its expiry for a correct password; :class:`LoginFailed` otherwise.

        Five failures within 15 minutes lock the account for 15 minutes, correct password or not.
        """
        now = self.clock()
        row = rows.user_row(self.db, name) if isinstance(name, str) and NAME.fullmatch(name) else None
        locked = self._locked_until(name, now) if row is not None else None
        if locked is not None:
            record(self.db, self.clock, name, "login_locked")
            raise LoginFailed(f"too many failed logins: try again after {locked}", locked_until=locked)
        ok, rehash = passwords.verify(row["password"] if row is not None else None, password)
        if not ok or row is None or row["disabled"]:
            if row is not None:
                with self.db:
                    rows.add_failure(self.db, name, iso(now))
            record(
                self.db, self.clock, name if row is not None else "?", "login_failed", detail=None if row else name[:64]
            )
            locked = self._locked_until(name, now) if row is not None else None
            if locked is not None:
                record(self.db, self.clock, name, "lockout", detail=f"until {locked}")
            raise LoginFailed(locked_until=locked)
        with self.db:
            rows.clear_failures(self.db, name)
            if rehash:
                rows.set_password(self.db, name, passwords.HASHER.hash(password))
            rows.delete_expired_sessions(self.db, iso(now))
        token, expires = self._issue(name, "session", None, session_hours * 3600)
        record(self.db, self.clock, name, "login")
        return token, expires or ""

    def _locked_until(self, name: str, now: float) -> str | None:
        recent = rows.failures_since(self.db, name, iso(now - LOCK_WINDOW_S - LOCK_FOR_S))
        # locked from the moment a failure is the LOCK_AFTER-th within a window, for LOCK_FOR_S
        stamps = [datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() for t in recent]
        for i in range(LOCK_AFTER - 1, len(stamps)):
            if stamps[i] - stamps[i - LOCK_AFTER + 1] <= LOCK_WINDOW_S and now < stamps[i] + LOCK_FOR_S:
                return iso(stamps[i] + LOCK_FOR_S)
        return None

    def _issue(self, user: str, kind: str, label: str | None, seconds: float | None) -> tuple[str, str | None]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        expires = iso(now + seconds) if seconds else None
        with self.db:
            rows.insert_session(self.db, digest(token), user, kind, label, iso(now), expires)
        return token, expires

    def create_token(self, user: str, label: str | None = None, days: float | None = None, *, by: str = "owner") -> str:
        """A new API token for ``user``, returned once (only its digest is kept)."""
        if self._user(user)["disabled"]:
            raise KBError(f"{user} is disabled")
        token, _ = self._issue(user, "token", label, days * 86400 if days else None)
        record(self.db, self.clock, by, "token_create", detail=f"{user} {label or ''}".strip())
        return token

    def tokens(self, user: str | None = None) -> list[dict[str, object]]:
        keys = ("id", "user", "label", "created", "expires", "revoked")
        return [{k: r[k] for k in keys} for r in rows.session_rows(self.db, "token", user)]

    def revoke_token(self, token_id: int, *, by: str = "owner") -> bool:
        with self.db:
            n = rows.revoke_sessions(self.db, rowid=int(token_id))
        if n:
            record(self.db, self.clock, by, "token_revoke", detail=str(token_id))
        return n > 0

    def logout(self, token: str) -> None:
        with self.db:
            rows.revoke_sessions(self.db, digest=digest(token))

    def authenticate(self, token: str) -> str | None:
        """The user a session or API token belongs to, if it is live (not revoked, expired or disabled)."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        row = rows.session_row(self.db, digest(token))
        if row is None or row["revoked"] or (row["expires"] and row["expires"] <= iso(self.clock())):
            return None
        user = rows.user_row(self.db, row["user"])
        return None if user is None or user["disabled"] else str(row["user"])
