"""Which search-filter values a knowledge base can match, and a "did you mean" for the others.

A filter value that matches no document gives an empty result, which looks exactly like "nothing
is about that": a typo in ``--country`` or ``--collection`` passed for an answer. Countries,
crossings, entities and collections are open vocabularies that only the knowledge base knows, so
they are checked against it here (the fixed vocabularies, languages, types, regions and dates,
are checked by the CLI's parameter types before anything opens). The facade exposes it
(``KnowledgeBase.unknown_filter_values``) to the CLI and any future front end that takes free-text filters.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kb.read.context import ReadContext
from kb.read.search import resolve_country, resolve_entity
from kb.read.views import country_names
from kb.store import reads
from kb.types import Filters

#: At most this many accepted values are listed in a message; more are summarised by a command.
LIST_AT_MOST = 15


@dataclass(frozen=True, slots=True)
class UnknownValue:
    """A filter value that no document in the knowledge base has.

    ``suggestions`` are the closest accepted spellings, ``known`` every accepted value when
    there are few enough to list (else empty).
    """

    field: str
    value: str
    suggestions: tuple[str, ...]
    known: tuple[str, ...]


def close_matches(value: str, candidates: Iterable[str], n: int = 3) -> tuple[str, ...]:
    """The candidates nearest ``value``, ignoring case (difflib's ratio, 0.6 cut-off)."""
    by_fold: dict[str, str] = {}
    for c in candidates:
        by_fold.setdefault(c.casefold(), c)
    return tuple(by_fold[m] for m in difflib.get_close_matches(value.casefold(), list(by_fold), n=n, cutoff=0.6))


def unknown_values(ctx: ReadContext, f: Filters) -> list[UnknownValue]:
    """The country, crossing, entity and collection values of ``f`` that match no document.

    An empty knowledge base accepts everything: there is nothing to compare with, and a search
    in it says so by finding nothing.
    """
    db = ctx.db
    if not reads.has_documents(db):
        return []
    out: list[UnknownValue] = []
    if f.country:
        have = reads.document_values(db, "countries")
        names = country_names(ctx.gazetteer)
        labels = {c: f"{c} ({names[c]})" if c in names else c for c in have}
        spellings = [*have, *(names[c] for c in have if c in names)]
        out += _missing("country", f.country, lambda v: resolve_country(ctx, v), labels, spellings)
    if f.crossing:
        have = reads.document_values(db, "crossings")
        first = {r["id"]: r["name"] for r in reads.named_entities(db) if r["id"] in have}
        labels = {c: f"{first[c]} ({c})" if c in first else c for c in have}
        out += _missing("crossing", f.crossing, lambda v: resolve_entity(ctx, v), labels, entity_names(ctx, have))
    for value in f.entity:
        if not reads.is_mentioned(db, resolve_entity(ctx, value)):
            out.append(UnknownValue("entity", value, close_matches(value, entity_names(ctx)), ()))
    if f.collection:
        have = reads.document_values(db, "collection")
        out += _missing("collection", f.collection, lambda v: v, {c: c for c in have}, sorted(have))
    return out


def _missing(
    field: str,
    values: Sequence[str],
    resolve: Callable[[str], str],
    labels: Mapping[str, str],
    spellings: Sequence[str],
) -> list[UnknownValue]:
    """The ``values`` whose resolved form is not a key of ``labels`` (the values documents have)."""
    known = tuple(sorted(labels.values())) if len(labels) <= LIST_AT_MOST else ()
    have = labels.keys()
    return [UnknownValue(field, v, close_matches(v, spellings), known) for v in values if resolve(v) not in have]


def entity_names(ctx: ReadContext, ids: set[str] | None = None) -> list[str]:
    """Names and aliases of entities (of ``ids``, or every non-date entity) to suggest from."""
    rows = [r for r in reads.named_entities(ctx.db) if ids is None or r["id"] in ids]
    return [s for r in rows for s in (r["name"], *json.loads(r["aliases"] or "[]"))]
