"""The facade's watched searches: save a search, find its new hits as documents arrive, show them.

:class:`kb.service.KnowledgeBase` inherits these. A watch belongs to the principal that saved it
(``principal.name``; the local owner is ``"owner"``) and every other principal ignores it. New
documents are matched at ingest against the segment their batch wrote (:class:`WatchHook`,
:mod:`kb.write.watch`), with the owner's grants at that moment, and stored as pending hits;
they are read back through the owner's scoped connection, so a hit on a collection the owner
has lost since is not shown (and is never shown later either).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kb.types import OWNER, Filters, KBError, NotFound, check_k

#: the longest watch name (a name is shown in lists and URLs, not a description)
MAX_NAME = 80


def _now(clock: Any) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))


class WatchVerbs:
    """Watched searches (mixed into ``KnowledgeBase``)."""

    store: Any
    config: Any
    principal: Any
    clock: Any
    _db: Any
    _audit: Any
    _accounts: Any
    _reading: Any
    _scoped: Any
    as_principal: Any

    def watch_add(
        self, name: str, query: str, filters: Mapping[str, Any] | None = None, *, k: int = 10, notify: str | None = None
    ) -> dict[str, Any]:
        """Save a search under ``name`` for this principal; only documents that arrive from now on are hits.

        ``notify``: a webhook URL (host in the setting ``watch_hook_hosts``) or, for the owner or an
        administrator, a command; it gets the JSON of the new hits after each ingest that found some.

        Raises:
            ValueError: an empty or too long name or query, a bad filter, ``k`` out of range, a refused
                notification target, or a watch of that name exists.
        """
        from kb.store import watches
        from kb.write.watch import check_target, hook_hosts

        name, query = name.strip(), query.strip()
        if not name or len(name) > MAX_NAME or any(c in name for c in "/\\\n"):
            raise ValueError(f"a watch name is 1 to {MAX_NAME} characters, without slashes or line breaks")
        if not query:
            raise ValueError("a watch needs a query")
        try:
            f = Filters.from_mapping(filters)
        except TypeError as exc:
            raise ValueError(f"unknown filter: {exc}") from None
        if notify:
            commands = self.principal.owner or self.principal.admin
            notify = check_target(notify, hook_hosts(self.config.watch_hook_hosts), commands=commands)
        try:
            watches.add(
                self.store.db, self.principal.name, name, query, f.as_dict(), check_k(k), notify or None,
                _now(self.clock),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            raise ValueError(f"you already watch a search named {name!r}") from None
        self._audit("watch", query=query, filters=f.as_dict(), detail=f"add {name}")
        return self._watch(name)

    def watches(self) -> list[dict[str, Any]]:
        """This principal's watches: name, query, filters, k, notify, created, last_run and ``new`` (the badge)."""
        from kb.store import watches

        counts = watches.new_counts(self._db, self.principal.name)
        out = []
        for w in watches.of_owner(self.store.db, self.principal.name):
            out.append({**_public(w), "new": counts.get(w["id"], 0)})
        return out

    def watch_remove(self, name: str) -> bool:
        """Forget one of this principal's watches and its pending hits; ``False`` when there is none."""
        from kb.store import watches

        w = watches.get(self.store.db, self.principal.name, name)
        if w is None:
            return False
        watches.remove(self.store.db, w["id"])
        self._audit("watch", detail=f"remove {name}")
        return True

    def watch_new(self, name: str, *, mark_seen: bool = True) -> dict[str, Any]:
        """The hits of watch ``name`` found since it was last shown, with citations (the search JSON schema
        plus ``found``), best first; ``mark_seen`` makes them old (``kb watch run``; the app's badge resets).

        Raises:
            NotFound: this principal has no watch of that name.
        """
        from kb.store import watches

        w = watches.get(self.store.db, self.principal.name, name)
        if w is None:
            raise NotFound(f"no watch named {name!r}")
        hits = self._watch_hits(w, watches.hits_after(self._db, [w["id"]], w["seen"]))
        if mark_seen:
            watches.mark_seen(self.store.db, w["id"], _now(self.clock))
        self._audit("watch", query=w["query"], ids=sorted({h["doc_id"] for h in hits}), detail=f"run {name}")
        return {**_public(w), "since": w["last_run"], "hits": hits}

    def _watch(self, name: str) -> dict[str, Any]:
        return next(w for w in self.watches() if w["name"] == name)

    def _watch_hits(self, w: Mapping[str, Any], rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        """Hit JSON (snippet, page, entities...) for stored hit rows, read through this principal's scope."""
        from index.analyze import query_terms
        from ingest.language import query_language
        from kb.read.hits import build_hits, hit_json
        from kb.read.search import parse_query

        text, phrases = parse_query(w["query"])
        qlang = query_language(text)
        terms = set(query_terms(text, qlang)) | {t for p in phrases for t in query_terms(p, qlang)}
        built = build_hits(self._db, [(r["chunk_id"], r["score"]) for r in rows], terms, qlang, phrases)
        found = {r["chunk_id"]: r["found"] for r in rows}
        out = [{**hit_json(h), "found": found[c]} for c, h in built.items()]
        return sorted(out, key=lambda h: (-h["score"], h["chunk_id"]))

    def _watch_hook(self) -> WatchHook | None:
        """The ingest's post-commit hook, or ``None`` when nobody watches anything (then ingest does no watch work)."""
        from kb.store import watches

        return WatchHook(self) if watches.count(self.store.db) else None


class WatchHook:
    """Matches every watch against each segment an ingest commits, then notifies the owners once."""

    def __init__(self, kb: Any) -> None:
        from kb.store import watches

        self.kb = kb
        self.watches = watches.every(kb.store.db)
        self.found: dict[int, int] = {}  # watch id -> hits stored by this ingest
        self.first_hit = watches.last_hit_id(kb.store.db)
        self._views: dict[str, Any] = {}

    def __call__(self, committed: Any) -> None:
        from kb.store import watches
        from kb.write.watch import match_segment, segment_snapshot

        kb = self.kb
        snapshot = segment_snapshot(kb.store, committed.segment, committed.generation)
        now = _now(kb.clock)
        for w in self.watches:
            view = self._view_of(w["owner"])
            f = view._scoped(Filters.from_mapping(w["filters"])) if view is not None else None
            if f is None:
                continue
            # the batch's documents as a filter too: the allowed ids are then read from them, not from
            # every chunk of the owner's collections (the cost follows the batch, not the knowledge base)
            new = tuple(d for d in committed.doc_ids if not f.doc_id or d in f.doc_id)
            if not new:
                continue
            f = replace(f, doc_id=new)
            ctx = replace(view._reading(view=False), view=snapshot)
            hits = match_segment(ctx, w["query"], w["k"], f, float(kb.config.watch_min_similarity))
            if hits:
                self.found[w["id"]] = self.found.get(w["id"], 0) + watches.add_hits(
                    kb.store.db, w["id"], hits, committed.generation, now
                )

    def _view_of(self, owner: str) -> Any:
        """The owner's view with its grants as they are now (``None``: the user is gone or disabled)."""
        if owner not in self._views:
            try:
                self._views[owner] = self.kb.as_principal(OWNER) if owner == OWNER.name else self.kb.as_user(owner)
            except KBError:
                self._views[owner] = None
        return self._views[owner]

    def notify(self) -> dict[str, str | None]:
        """Send each watch with a notification target the JSON of the hits this ingest found for it."""
        from kb.store import watches
        from kb.write.watch import hook_hosts, notify

        sent: dict[str, str | None] = {}
        for w in self.watches:
            if not w["notify"] or not self.found.get(w["id"]):
                continue
            view = self._view_of(w["owner"])
            if view is None:
                continue
            hits = view._watch_hits(w, watches.hits_after(view._db, [w["id"]], self.first_hit))
            if hits:
                payload = {"watch": w["name"], "owner": w["owner"], "query": w["query"], "hits": hits}
                sent[w["name"]] = notify(w["notify"], payload, hook_hosts(self.kb.config.watch_hook_hosts))
        return sent


def _public(w: Mapping[str, Any]) -> dict[str, Any]:
    return {key: w[key] for key in ("name", "query", "filters", "k", "notify", "created", "last_run")}
