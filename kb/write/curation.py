"""Entity curations as an overlay on entity linking, and the write that records and applies one.

A curation row (:mod:`kb.store.curations`) is applied to a document's mentions after extraction,
in the order the rows were made, wherever linking happens: at ingest (:mod:`kb.write.commit`), by
``kb relink`` (:mod:`kb.write.relink`), and at once to the stored mentions when it is made. Because
the same function does all three, a merge made today holds after a relink and after the file is
ingested again, and nothing is re-embedded. Kinds:

- ``merge``: ``entity``'s mentions become ``target``'s;
- ``split``: ``entity``'s mentions whose surface is ``value`` become the new entity ``target``;
- ``alias_add``: ``value`` names ``entity`` (found in the text too; ``target`` keeps its type);
- ``alias_remove``: a mention of ``entity`` with the surface ``value`` is dropped;
- ``wrong``: ``entity``'s mentions in document ``doc_id`` (with the surface ``value``, if set) are dropped;
- ``rename`` / ``retype``: ``entity``'s stored name / type becomes ``value``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ingest.gazetteer import Gazetteer, GazetteerEntry, alias_key
from ingest.types import Entity, Mention
from kb.store import curations as cur
from kb.store import writes as w
from kb.store.manifest import commit_generation
from kb.write.context import WriteContext

if TYPE_CHECKING:
    from ingest.analyse import Analyser

KINDS = ("merge", "split", "alias_add", "alias_remove", "wrong", "rename", "retype")

Describe = Callable[[str], "w.EntityRow | None"]


class Overlay:
    """The curation rows of a knowledge base, ready to apply to mentions and entity rows."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rows = tuple(dict(r) for r in rows)
        self._aliases: Gazetteer | bool | None = None  # built on first use; False: no alias added

    def __bool__(self) -> bool:
        return bool(self.rows)

    def touched(self) -> set[str]:
        """The entity ids whose stored row a curation changes."""
        out: set[str] = set()
        for r in self.rows:
            out |= {r["entity"], r["target"]} if r["kind"] in ("merge", "split") else {r["entity"]}
        return out

    def apply(
        self, doc_id: str, texts: Sequence[str], mentions: Sequence[Sequence[Mention]]
    ) -> tuple[tuple[Mention, ...], ...]:
        """Each chunk's mentions after every curation, in the order they were made.

        The added aliases are first looked for in the text in one pass (one matcher for all of them: a
        matcher per alias would fold every chunk's words once per alias); what each row does to the
        mentions then follows in order, so a later removal or merge still applies to what they found.
        """
        out = [list(ms) for ms in mentions]
        finder = self._finder()
        for c, text in enumerate(texts):
            for s, e, ent in finder.find(text) if finder else ():
                if not any(m.start < e and s < m.end for m in out[c]):
                    out[c].append(Mention(ent.id, ent.type, s, e, text[s:e]))
        for row in self.rows:
            for c in range(len(texts)):
                out[c] = self._one(row, doc_id, out[c])
        return tuple(tuple(sorted(ms, key=lambda m: (m.start, m.end))) for ms in out)

    def _one(self, r: Mapping[str, Any], doc_id: str, ms: list[Mention]) -> list[Mention]:
        kind, eid, value = r["kind"], r["entity"], r["value"]
        if kind != "alias_add" and all(m.entity_id != eid for m in ms):
            return ms  # most rows name an entity this chunk does not mention
        key = _alias_key(value) if value else None
        if kind == "merge":
            return [replace(m, entity_id=r["target"]) if m.entity_id == eid else m for m in ms]
        if kind == "split":
            return [replace(m, entity_id=r["target"]) if m.entity_id == eid and _key(m) == key else m for m in ms]
        if kind == "alias_remove":
            return [m for m in ms if not (m.entity_id == eid and _key(m) == key)]
        if kind == "wrong":
            if doc_id != r["doc_id"]:
                return ms
            return [m for m in ms if not (m.entity_id == eid and (key is None or _key(m) == key))]
        if kind == "alias_add":  # a mention already written so (NER's, another entity's) now links here
            return [
                replace(m, entity_id=eid) if _key(m) == key and not m.entity_id.startswith("date:") else m for m in ms
            ]
        return ms

    def _finder(self) -> Gazetteer | None:
        """One gazetteer of every added alias (the latest row wins an alias two rows give), with the
        packaged gazetteer's matcher, so "Policia" finds "Policía"; ``None`` when no alias was added."""
        if self._aliases is None:
            owner = {
                _alias_key(r["value"]): r for r in self.rows if r["kind"] == "alias_add" and _alias_key(r["value"])
            }
            by_entity: dict[str, list[dict[str, Any]]] = {}
            for row in owner.values():
                by_entity.setdefault(row["entity"], []).append(row)
            entries = {
                eid: GazetteerEntry(
                    Entity(eid, rs[0]["value"], rs[0]["target"] or "ORG", tuple(r["value"] for r in rs)), None, ()
                )
                for eid, rs in by_entity.items()
            }
            self._aliases = Gazetteer(entries, "curations") if entries else False
        return self._aliases if isinstance(self._aliases, Gazetteer) else None

    def describe(self, base: Describe) -> Describe:
        """How a curated entity is stored: ``base``'s row with the renames, types and aliases applied."""

        def row(eid: str) -> w.EntityRow | None:
            got = base(eid)
            for r in self.rows:
                if r["kind"] == "split" and r["target"] == eid and got is None:
                    src = row(r["entity"])
                    got = (r["value"], src[1] if src else "ORG", [], [], None, None, None, "curation")
            if got is None:
                return None
            name, etype, aliases, *rest = got
            aliases = list(aliases)
            for r in self.rows:
                kind, value = r["kind"], r["value"]
                if r["entity"] != eid:  # a merged entity's name is not made an alias: it may come from
                    continue  # a collection that readers of the target cannot read
                if kind == "rename":
                    name = value
                elif kind == "retype":
                    etype = value
                elif kind == "alias_add" and value not in aliases:
                    aliases.append(value)
                elif kind in ("alias_remove", "split"):  # a split surface names the new entity now
                    aliases = [a for a in aliases if _alias_key(a) != _alias_key(value)]
            return (name, etype, aliases, *rest)  # type: ignore[return-value]

        return row


def _key(m: Mention) -> tuple[str, ...]:
    return _alias_key(m.surface)


@lru_cache(maxsize=65536)
def _alias_key(text: str) -> tuple[str, ...]:
    """``alias_key``, remembered: the same surfaces come back in every chunk and for every row."""
    return alias_key(text)


def entity_rows(analyser: Analyser, seen: Mapping[str, Any] | None = None) -> Callable[[str], w.EntityRow | None]:
    """How an entity id is stored: the gazetteer's or NER's entity, or a date (``date:<iso>``).

    ``seen``: NER entities found by another process's analyser (a Ray worker), which this one never saw.
    """

    def describe(eid: str) -> w.EntityRow | None:
        ent = analyser.entity(eid) or (seen or {}).get(eid)
        if ent is None:
            return (eid[5:], "DATE", [], [], None, None, None, "dates") if eid.startswith("date:") else None
        origin = "gazetteer" if analyser.gazetteer.get(eid) is not None else "ner"  # type: ignore[attr-defined]
        return ent.name, ent.type, list(ent.aliases), list(ent.countries), ent.lat, ent.lon, ent.region, origin

    return describe


def load_overlay(ctx: WriteContext) -> Overlay:
    """Every curation of the knowledge base (unscoped: the overlay applies to all documents)."""
    return Overlay(cur.curation_rows(ctx.store.db))


def stored_describe(ctx: WriteContext) -> Describe:
    """An entity as stored now, else as the gazetteer or NER describes it (:func:`entity_rows`)."""
    fallback = entity_rows(ctx.analyser)
    db = ctx.store.db

    def describe(eid: str) -> w.EntityRow | None:
        r = cur.entity_row(db, eid)
        if r is None:
            return fallback(eid)
        return (r["name"], r["type"], json.loads(r["aliases"] or "[]"), json.loads(r["countries"] or "[]"),
                r["lat"], r["lon"], r["region"], r["origin"])  # fmt: skip

    return describe


def store_entities(ctx: WriteContext, overlay: Overlay, mentioned: Iterable[str], base: Describe) -> None:
    """Insert the entities now mentioned, and rewrite every curated entity's row; inside a transaction."""
    describe = overlay.describe(base)
    w.upsert_entities(ctx.store, set(mentioned), describe)
    cur.update_entities(ctx.store.db, {eid: row for eid in overlay.touched() if (row := describe(eid))})


def _changes(db: Any, row: Mapping[str, Any]) -> Iterable[tuple[int, str, tuple[Mention, ...]]]:
    """``(chunk id, doc id, new mentions)`` of each stored chunk the one curation ``row`` changes."""
    one = Overlay([row])
    for c in cur.chunks_for(db, None if row["kind"] == "alias_add" else [row["entity"]]):
        ms = [
            Mention(m["entity_id"], "", m["start"], m["end"], m["surface"], m["value"])
            for m in cur.chunk_mentions(db, c["id"])
        ]
        new = one.apply(c["doc_id"], [c["text"]], [ms])[0]
        if list(new) != sorted(ms, key=lambda m: (m.start, m.end)):
            yield c["id"], c["doc_id"], new


def affected_documents(ctx: WriteContext, row: Mapping[str, Any]) -> set[str]:
    """The documents whose mentions ``row`` would change (what its permission check is about)."""
    return {doc for _, doc, _ in _changes(ctx.store.db, row)}


def curate(ctx: WriteContext, row: Mapping[str, Any], collections: Sequence[str]) -> int:
    """Record one curation and apply it to the stored mentions now (a new generation); returns how
    many chunks changed. ``collections`` are those it affects (who may see the row). Merges, splits
    and removals read only the chunks that mention the entity;
    an added alias is looked for in every chunk."""
    store = ctx.store
    changed = 0
    with store.writer_lock(), commit_generation(store):
        db = store.db
        base = stored_describe(ctx)
        before = {row["entity"]: base(row["entity"])}  # the row a split's new entity takes its type from
        cur.add_curation(db, dict(row), collections)
        mentioned: set[str] = set()
        for chunk_id, _doc, new in list(_changes(db, row)):
            cur.replace_chunk_mentions(db, chunk_id, new)
            mentioned |= {m.entity_id for m in new}
            changed += 1
        store_entities(ctx, load_overlay(ctx), mentioned, lambda e: before.get(e) or base(e))
        w.prune_entities(store)
    return changed


def import_rows(ctx: WriteContext, rows: Sequence[Mapping[str, Any]]) -> int:
    """Append curations made elsewhere (an export's rows); ``kb relink`` applies them. Returns how many."""
    for r in rows:
        if not isinstance(r, Mapping) or r.get("kind") not in KINDS or not r.get("entity"):
            raise ValueError(f"not a curation: {dict(r)!r}")
    with ctx.store.writer_lock(), ctx.store.transaction():
        for r in rows:
            cur.add_curation(ctx.store.db, dict(r))
    return len(rows)
