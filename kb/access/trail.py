"""Writing the audit trail: one call per audited action (:mod:`kb.store.audit` keeps the chain)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from kb.store import audit

#: the actions the trail records (``kb audit --action`` and the admin page filter on these)
ACTIONS = (
    "login", "login_failed", "login_locked", "lockout", "logout", "search", "similar", "view", "download",
    "export", "brief", "compare", "entity", "upload", "ingest", "remove", "set", "relink", "grant", "revoke",
    "user_add", "user_disable", "user_enable", "passwd", "group_add", "group_join", "group_leave",
    "token_create", "token_revoke", "watch", "note",
)  # fmt: skip


def record(
    db: sqlite3.Connection,
    clock: Callable[[], float],
    user: str,
    action: str,
    *,
    query: str | None = None,
    filters: dict[str, Any] | None = None,
    collections: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
    detail: str | None = None,
) -> str:
    """Append one row; its hash. ``collections`` is what the user could read when it acted."""
    if action not in ACTIONS:
        raise ValueError(f"not an audited action: {action!r}")
    at = datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = {
        "at": at, "user": user, "action": action, "query": query,
        "filters": filters or None, "collections": sorted(collections) if collections is not None else None,
        "ids": list(ids) if ids is not None else None, "detail": detail,
    }  # fmt: skip
    return audit.append(db, values)
