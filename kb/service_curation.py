"""The facade's entity curation verbs: merge, split, alias, rename, retype, wrong mention, duplicates.

:class:`kb.service.KnowledgeBase` inherits these. A curation is stored as an overlay on the
gazetteer (:mod:`kb.write.curation`), applied at once to the stored mentions, by ``kb relink``
and at every later ingest, without re-embedding anything. Whoever makes one needs ``write`` on
every collection it affects: the collections of the documents that mention the entities named,
and of the documents whose mentions it changes (an added alias found in a new document). An
entity the principal cannot read is "no such entity", exactly like a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from kb.types import DEFAULT_COLLECTION, ENTITY_TYPES, NotFound


class CurationVerbs:
    """Entity curations (mixed into ``KnowledgeBase``)."""

    store: Any
    gazetteer: Any
    principal: Any
    clock: Any
    _db: Any
    _actor: Any
    _writer: Any
    _require: Any
    _require_admin: Any
    _audit: Any

    def merge_entities(self, source: str, target: str) -> int:
        """Make ``source`` the same entity as ``target`` (its mentions become ``target``'s, its name
        an alias); returns how many passages changed.

        Raises:
            NotFound: either entity is not known to the principal.  Forbidden: a collection that
            mentions either one is not writable by the principal.  ValueError: ``source == target``.
        """
        if source == target:
            raise ValueError("an entity cannot be merged into itself")
        return self._curate("merge", source, target=self._known(target))

    def split_entity(self, entity: str, surface: str, new_id: str | None = None) -> str:
        """Move the mentions of ``entity`` written ``surface`` to a new entity (undoing a wrong merge);
        returns the new entity's id (``new_id``, else made from the surface)."""
        from ingest.entities import slug
        from kb.store.curations import entity_id_taken

        self._known(entity)
        if new_id is not None and entity_id_taken(self._db, new_id):
            raise ValueError(f"the entity id {new_id!r} is taken: merge into it instead")
        target = new_id or f"{entity.split(':', 1)[0]}:{slug(surface)}"
        n = 2
        while new_id is None and entity_id_taken(self._db, target):
            target = f"{entity.split(':', 1)[0]}:{slug(surface)}-{n}"
            n += 1
        self._curate("split", entity, target=target, value=surface)
        return target

    def add_alias(self, entity: str, alias: str) -> int:
        """Make ``alias`` a name of ``entity``: mentions written so, and new matches in the text, link to it."""
        from kb.store.curations import entity_type

        known = self.gazetteer.get(self._known(entity))
        etype = entity_type(self._db, entity) or (known.type if known else "ORG")
        return self._curate("alias_add", entity, target=etype, value=_text(alias, "alias"))

    def remove_alias(self, entity: str, alias: str) -> int:
        """Stop ``alias`` naming ``entity``: its mentions written so are dropped, the alias listed no more."""
        return self._curate("alias_remove", entity, value=_text(alias, "alias"))

    def rename_entity(self, entity: str, name: str) -> int:
        """Show ``entity`` under ``name`` (its id and aliases stay)."""
        return self._curate("rename", entity, value=_text(name, "name"))

    def retype_entity(self, entity: str, etype: str) -> int:
        """Change ``entity``'s type (one of :data:`kb.types.ENTITY_TYPES` but DATE)."""
        if etype not in ENTITY_TYPES or etype == "DATE":
            raise ValueError(
                f"unknown entity type {etype!r}; one of {', '.join(t for t in ENTITY_TYPES if t != 'DATE')}"
            )
        return self._curate("retype", entity, value=etype)

    def mark_wrong(self, entity: str, doc_id: str, surface: str | None = None) -> int:
        """Drop ``entity``'s mentions in one document (only those written ``surface``, if given):
        the linker was wrong there. Kept across relinks and re-ingests of that document."""
        from kb.store import reads

        found = reads.document_id_for(self._db, doc_id)
        if found is None or found[0] != doc_id:
            raise NotFound(f"no document {doc_id!r}")
        return self._curate("wrong", entity, value=surface, doc_id=doc_id)

    def curations(self) -> list[dict[str, Any]]:
        """The curations the principal can see (it reads every collection each one affected), oldest first:
        kind, entity, target, value, doc_id, at, user."""
        from kb.store.curations import FIELDS, curation_rows

        return [{f: r[f] for f in FIELDS} for r in curation_rows(self._db)]

    def export_curations(self) -> str:
        """Every curation as JSONL (one object per line), to import into another knowledge base. Admin only."""
        from kb.store.curations import FIELDS, curation_rows

        self._require_admin("export the entity curations")
        rows = curation_rows(self.store.db)
        self._audit("export", detail=f"{len(rows)} entity curations")
        return "".join(json.dumps({f: r[f] for f in FIELDS}, ensure_ascii=False) + "\n" for r in rows)

    def import_curations(self, jsonl: str) -> int:
        """Append the curations of an export and relink so they apply; returns how many. Admin only.

        Raises:
            ValueError: a line is not a curation.
        """
        from kb.write.curation import import_rows
        from kb.write.relink import relink

        self._require_admin("import entity curations")
        rows = [json.loads(line) for line in jsonl.splitlines() if line.strip()]
        n = import_rows(self._writer(), rows)
        relink(self._writer())
        self._audit("curate_import", detail=f"{n} entity curations")
        return n

    def entity_duplicates(
        self, limit: int = 50, threshold: float | None = None, of: str | None = None
    ) -> list[dict[str, Any]]:
        """Pairs of readable entities whose names are near-identical (accents, languages, spelling),
        not rejected before: ``{a, a_name, a_mentions, b, b_name, b_mentions, type, score}``, best first;
        with ``of``, only that entity's pairs (an entity page). Over the 5,000 most mentioned entities."""
        from kb.read.duplicates import THRESHOLD, duplicate_pairs
        from kb.store.curations import entity_names, rejected_pairs

        rows = entity_names(self._db, 5000)
        return duplicate_pairs(rows, rejected_pairs(self.store.db), threshold or THRESHOLD, limit, of)

    def reject_duplicate(self, a: str, b: str) -> None:
        """Remember that ``a`` and ``b`` are different entities: the pair is not proposed again."""
        from kb.store.curations import reject_pair

        self._permitted([self._known(a), self._known(b)], set())
        with self.store.transaction():
            reject_pair(self.store.db, a, b, _now(self.clock), self._actor)
        self._audit("duplicate_reject", query=f"{a} {b}")

    # -- helpers ------------------------------------------------------------------------------
    def _known(self, entity: str) -> str:
        """``entity`` if the principal can see it (mentioned in a readable document, or in the gazetteer)."""
        from kb.store.curations import entity_type

        if entity_type(self._db, entity) is None and self.gazetteer.get(entity) is None:
            raise NotFound(f"no entity {entity!r}")
        return entity

    def _permitted(self, entities: Iterable[str], docs: set[str]) -> list[str]:
        """Write on every collection mentioning ``entities`` or holding ``docs``, else Forbidden; returns them."""
        from kb.store.curations import collections_mentioning, collections_of

        db = self.store.db  # unscoped: a collection the principal cannot read is affected too
        affected = sorted(collections_mentioning(db, entities) | collections_of(db, docs), key=str)
        for collection in affected:
            self._require("write", collection)
        return [c or DEFAULT_COLLECTION for c in affected]

    def _curate(self, kind: str, entity: str, **fields: Any) -> int:
        from kb.write.curation import affected_documents, curate

        row: dict[str, Any] = {
            "kind": kind,
            "entity": self._known(entity),
            "target": None,
            "value": None,
            "doc_id": None,
        }
        row |= fields | {"at": _now(self.clock), "user": self._actor}
        docs = affected_documents(self._writer(), row)
        affected = self._permitted([entity, row["target"]] if kind == "merge" else [entity], docs)
        changed = int(curate(self._writer(), row, affected))
        what = " ".join(str(row[k]) for k in ("entity", "target", "value") if row[k])
        self._audit("curate", query=what, ids=sorted(docs), detail=kind)
        return changed


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > 200:
        raise ValueError(f"the {what} must be 1 to 200 characters")
    return value


def _now(clock: Any) -> str:
    return datetime.fromtimestamp(clock(), UTC).isoformat(timespec="seconds")
