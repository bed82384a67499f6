"""The facade's principal: who a ``KnowledgeBase`` acts for, and the account verbs.

:class:`kb.service.KnowledgeBase` inherits these. A knowledge base opened plainly acts for the
local owner (:data:`kb.types.OWNER`: every collection, as before accounts existed).
``kb.as_user("alice")`` (or ``for_token``) returns a view of the same open knowledge base — same
models, same segments, same caches — whose every read goes through a connection scoped to
alice's readable collections (:mod:`kb.store.scope`) and whose searches take those collections as
a filter before ranking. Reads never raise for a hidden document: it is not found, exactly like
one that does not exist. Writes and administration raise :class:`kb.types.Forbidden`.

With at least one user (multi-user mode) every audited action is appended to the hash-chained
trail (:mod:`kb.store.audit`); a knowledge base without users keeps no trail, as before.
"""

from __future__ import annotations

import copy
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from kb.types import ALL_COLLECTIONS, OWNER, Filters, Forbidden, LoginFailed, Principal


class AccessVerbs:
    """Principals, accounts, grants, tokens and the audit trail (mixed into ``KnowledgeBase``)."""

    store: Any
    config: Any
    _base: Any
    principal: Principal = OWNER
    clock = staticmethod(time.time)  # tests replace it to pass time (session expiry, lockout)

    # -- acting for someone -------------------------------------------------------------------
    def as_principal(self, principal: Principal) -> Any:
        """This knowledge base seen by ``principal`` (shares everything loaded; cheap to make per request)."""
        view = copy.copy(self)
        view.principal = principal
        view._base = getattr(self, "_base", None) or self  # loads models and segments once, for all views
        return view

    def as_user(self, name: str) -> Any:
        """This knowledge base as the user ``name`` sees it (its grants and its groups').

        The trail records the principal acting now (the owner, an administrator) as the one who
        acted, "as" ``name``: checking what alice sees is not alice's own search.

        Raises:
            NotFound: no such user.  LoginFailed: the account is disabled.
        """
        return self.as_principal(replace(self._accounts().principal(name), via=self.principal.name))

    def for_token(self, token: str) -> Any:
        """This knowledge base as the owner of a live session or API token sees it.

        Raises:
            LoginFailed: the token is unknown, expired or revoked, or its user is disabled.
        """
        user = self._accounts().authenticate(token)
        if user is None:
            raise LoginFailed("the token is not valid (unknown, expired or revoked)")
        return self.as_principal(self._accounts().principal(user))

    @property
    def _actor(self) -> str:
        """Who the trail names for what this view does (the owner or admin acting as a user, else the user)."""
        return self.principal.via or self.principal.name

    @property
    def readable(self) -> frozenset[str] | None:
        """The collections this principal may read (``None``: all of them)."""
        return self.principal.read

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection for reads, scoped to what the principal may read."""
        return self.store.reader(self.principal.read)  # type: ignore[no-any-return]

    def _scoped(self, f: Filters) -> Filters | None:
        """``f`` restricted to the readable collections (``None``: the principal can read none of them)."""
        readable = self.principal.read
        if readable is None:
            return f
        wanted = tuple(c for c in f.collection if c in readable) if f.collection else tuple(sorted(readable))
        return replace(f, collection=wanted) if wanted else None

    def _require(self, role: str, collection: str | None) -> None:
        if not self.principal.can(role, collection):
            raise Forbidden(f"{self.principal.name} may not {role} the collection {collection or 'default'!r}")

    def _require_admin(self, what: str) -> None:
        if not self.principal.admin:
            raise Forbidden(f"only an administrator may {what}")

    def _audit(self, action: str, **fields: Any) -> None:
        """Append to the trail in multi-user mode (a knowledge base without users keeps none)."""
        accounts = self._accounts()
        if not accounts.multi_user():
            return
        from kb.access.trail import record

        p = self.principal
        collections = sorted(p.read) if p.read is not None else [ALL_COLLECTIONS]
        if p.via:
            fields["detail"] = f"as {p.name}" + (f"; {fields['detail']}" if fields.get("detail") else "")
        record(accounts.db, self.clock, p.via or p.name, action, collections=collections, **fields)

    def _accounts(self) -> Any:
        from kb.access.accounts import Accounts

        return Accounts(self.store.db, self.clock)

    # -- accounts -----------------------------------------------------------------------------
    @property
    def multi_user(self) -> bool:
        """Whether the knowledge base has users (then the app and the REST API ask for a login)."""
        return bool(self._accounts().multi_user())

    def add_user(self, name: str, password: str, *, admin: bool = False) -> None:
        """Add a user; the first one must be an administrator, and switches on multi-user mode."""
        if self.multi_user:
            self._require_admin("add users")
        self._accounts().add_user(name, password, admin=admin, by=self._actor)

    def users(self) -> list[dict[str, Any]]:
        """Every user: name, admin, disabled, created, groups."""
        self._require_admin("list users")
        return list(self._accounts().users())

    def set_password(self, name: str, password: str) -> None:
        """Change a password (an administrator, or the user itself); ends the user's sessions and tokens."""
        if name != self.principal.name:
            self._require_admin("change another user's password")
        self._accounts().set_password(name, password, by=self._actor)

    def disable_user(self, name: str, disabled: bool = True) -> None:
        """Disable (or enable again) a user: a disabled user cannot log in and its tokens stop working."""
        self._require_admin("disable users")
        self._accounts().set_disabled(name, disabled, by=self._actor)

    def add_group(self, name: str) -> None:
        """Add a group (grants to a group reach its members)."""
        self._require_admin("add groups")
        self._accounts().add_group(name, by=self._actor)

    def set_member(self, group: str, user: str, member: bool = True) -> None:
        """Put a user in a group, or take it out."""
        self._require_admin("change groups")
        self._accounts().set_member(group, user, member, by=self._actor)

    def groups(self) -> list[tuple[str, list[str]]]:
        """``(group, members)`` of every group."""
        self._require_admin("list groups")
        return list(self._accounts().groups())

    def grant(self, subject: str, collection: str, role: str) -> None:
        """Give a user or group ``read``, ``write`` or ``admin`` on a collection (``*``: every collection).

        Raises:
            Forbidden: the principal is neither an administrator nor holds ``admin`` on the collection.
        """
        self._accounts().grant(subject, collection, role, by=self.principal)

    def revoke(self, subject: str, collection: str) -> bool:
        """Take back a user's or group's grant on a collection; ``False`` when there was no such grant."""
        return bool(self._accounts().grant(subject, collection, None, by=self.principal))

    def grants(self) -> list[dict[str, str]]:
        """Every grant (administrators), or those on the collections the principal manages."""
        rows = self._accounts().grants()
        manage = None if self.principal.admin else (self.principal.manage or frozenset())
        return [g for g in rows if manage is None or g["collection"] in manage]

    def collections(self) -> list[dict[str, Any]]:
        """The collections the principal may read: name, documents, its role, and the grants it may see."""
        from kb.store.accounts import collection_counts

        counts = collection_counts(self._db)
        grants = self.grants() if (self.principal.admin or self.principal.manage) else []
        names = set(counts) | (set(self.principal.read) if self.principal.read is not None else set())
        if self.principal.read is None:  # granted but still empty collections, for whoever reads all
            names |= {g["collection"] for g in grants if g["collection"] != ALL_COLLECTIONS}
        out = []
        for name in sorted(names):
            role = next((r for r in ("admin", "write", "read") if self.principal.can(r, name)), None)
            out.append(
                {"name": name, "documents": counts.get(name, 0), "role": role,
                 "grants": [g for g in grants if g["collection"] in (name, ALL_COLLECTIONS)]}
            )  # fmt: skip
        return out

    # -- logins and tokens --------------------------------------------------------------------
    def login(self, name: str, password: str) -> dict[str, str]:
        """A session for a user's password: ``{"access_token", "token_type", "expires_at"}``.

        Raises:
            LoginFailed: wrong name or password, disabled, or locked (``locked_until`` set).
        """
        token, expires = self._accounts().login(name, password, float(self.config.session_hours))
        return {"access_token": token, "token_type": "bearer", "expires_at": expires}

    def logout(self, token: str) -> None:
        """End a session (or revoke the API token given)."""
        self._accounts().logout(token)
        self._audit("logout")

    def create_token(self, user: str, label: str | None = None, days: float | None = None) -> str:
        """A new API token for ``user`` (an administrator, or the user for itself); shown once."""
        if user != self.principal.name:
            self._require_admin("create tokens for another user")
        return str(self._accounts().create_token(user, label, days, by=self._actor))

    def tokens(self, user: str | None = None) -> list[dict[str, Any]]:
        """API tokens (never the secret): id, user, label, created, expires, revoked."""
        if user != self.principal.name:
            self._require_admin("list other users' tokens")
        return list(self._accounts().tokens(user))

    def revoke_token(self, token_id: int) -> bool:
        """Revoke an API token by its id; ``False`` when there is no such live token."""
        own = {t["id"] for t in self._accounts().tokens(self.principal.name)}
        if token_id not in own:
            self._require_admin("revoke other users' tokens")
        return bool(self._accounts().revoke_token(token_id, by=self._actor))

    # -- the audit trail ----------------------------------------------------------------------
    def audit_export(self, doc_ids: Sequence[str], what: str) -> None:
        """Record that the principal exported ``doc_ids`` (a ZIP, a CSV, a report file: ``what``).

        The facade records its own reads; a front end that writes results out calls this once.
        """
        self._audit("export", ids=list(doc_ids), detail=what[:200])

    def audit_log(
        self,
        user: str | None = None,
        since: str | None = None,
        limit: int | None = None,
        actions: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Audit rows oldest first (administrators only): time, user, action, query, filters, collections, ids."""
        from kb.store import audit

        self._require_admin("read the audit trail")
        rows = audit.rows(self.store.db, user=user, since=since, limit=limit, actions=actions)
        return [r.as_dict() for r in rows]

    def verify_audit(self) -> tuple[bool, list[str], str]:
        """Check the trail's hash chain: (intact, problems, the head to record elsewhere)."""
        from kb.store import audit

        self._require_admin("verify the audit trail")
        return audit.verify(self.store.db)

    def _doc_ids(self, results: Sequence[Any]) -> list[str]:
        return [r.doc_id for r in results]
