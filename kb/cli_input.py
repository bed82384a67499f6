"""Checking what a user types on the ``kb`` command line, with a "did you mean" when it is wrong.

A value that matches nothing used to give an empty answer ("No results"), indistinguishable from
a real one, and ``-k`` had no bounds at all. Here each fixed vocabulary (counts, dates, languages,
document and entity types, regions) is a click parameter type, checked before the knowledge base
opens; the open vocabularies that only the knowledge base knows (countries, crossings, entities,
collections) are checked by :func:`check_filters` once it is open. Every failure is a
``click.BadParameter``: one ``Error: Invalid value for '--x': ...`` line and exit status 2.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from kb.service import close_matches
from kb.types import DOC_TYPES, ENTITY_TYPES, LANGUAGES, MAX_K, REGIONS

if TYPE_CHECKING:
    from kb.service import KnowledgeBase


def did_you_mean(suggestions: Sequence[str]) -> str:
    """`` Did you mean 'a' or 'b'?`` (empty when there is nothing close)."""
    if not suggestions:
        return ""
    quoted = [repr(s) for s in suggestions]
    return " Did you mean " + (", ".join(quoted[:-1]) + " or " if len(quoted) > 1 else "") + quoted[-1] + "?"


class Known(click.ParamType):
    """One of a fixed set of values, matched ignoring case and returned in its canonical spelling."""

    name = "value"

    def __init__(self, what: str, values: Sequence[str]) -> None:
        self.what = what
        self.values = tuple(values)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(self.values) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        for v in self.values:
            if v.casefold() == text.casefold():
                return v
        hint = did_you_mean(close_matches(text, self.values, n=2))
        self.fail(f"{value!r} is not a known {self.what}.{hint} Known: {', '.join(self.values)}.", param, ctx)


class IsoDate(click.ParamType):
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: what the date filters compare (as ISO text)."""

    name = "date"
    FORM = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        m = self.FORM.fullmatch(text)
        if m is None:
            self.fail(
                f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2023 or 2023-05-02).", param, ctx
            )
        year, month, day = (int(g) if g else 1 for g in m.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            self.fail(f"{value!r} is not a real date.", param, ctx)
        return text


class CommaList(click.ParamType):
    """A comma-separated list whose items are each checked by ``item``, e.g. ``dense,hybrid``."""

    name = "list"

    def __init__(self, item: Known) -> None:
        self.item = item

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        items = tuple(self.item.convert(v, param, ctx) for v in str(value).split(",") if v.strip())
        if not items:
            self.fail(f"give at least one {self.item.what}.", param, ctx)
        return items


#: Result counts: at least one, at most what the API accepts (kb.types.MAX_K).
K = click.IntRange(1, MAX_K)
DATE = IsoDate()
#: Passage languages: the four the corpus is in, the others detection knows, "und" for undetermined.
LANG = Known("language", LANGUAGES)
DOC_TYPE = Known("document type", DOC_TYPES)
REGION = Known("region", REGIONS)
ENTITY_TYPE = Known("entity type", ENTITY_TYPES)
MODES = CommaList(Known("search mode", ("dense", "sparse", "hybrid")))
#: What `kb set` checks for the fields that have a vocabulary (title and collection are free text).
SETTABLE: dict[str, click.ParamType] = {"doc_type": DOC_TYPE, "lang": LANG, "region": REGION, "date": DATE}


def check_date_range(since: str | None, until: str | None) -> None:
    """Refuse ``--since`` after ``--until`` (``until`` covers its whole year or month)."""
    if since and until and since[: len(until)] > until:
        raise click.BadParameter(f"--since {since} is after --until {until}.", param_hint="'--since'")


def check_filters(kb: KnowledgeBase, filters: Mapping[str, Any]) -> None:
    """Refuse the first country, crossing, entity or collection that no document has."""
    for u in kb.unknown_filter_values(filters):
        message = f"{u.value!r}: no document in this knowledge base has this {u.field}."
        message += did_you_mean(u.suggestions)
        if u.known:
            message += f" Known: {', '.join(u.known)}."
        elif u.field in ("entity", "crossing"):
            message += " `kb entities` lists them."
        raise click.BadParameter(message, param_hint=f"'--{u.field}'")


def require_entity(kb: KnowledgeBase, value: str, param_hint: str) -> dict[str, Any]:
    """The entity view of ``value`` (an id or any alias); a name that is none is refused with the
    nearest ones."""
    view = kb.entity(value)
    if view is None:
        hint = did_you_mean(close_matches(value, kb.entity_names()))
        message = f"{value!r}: no entity of this knowledge base has this name.{hint} `kb entities` lists them."
        raise click.BadParameter(message, param_hint=param_hint)
    return view


def parse_assignments(assignments: Sequence[str], editable: Sequence[str]) -> dict[str, str]:
    """``key=value`` pairs for `kb set`, each key editable and each value valid for its field."""
    values: dict[str, str] = {}
    for a in assignments:
        key, sep, value = a.partition("=")
        key = key.strip()
        if not sep:
            raise click.BadParameter(f"{a!r} is not FIELD=VALUE.", param_hint="ASSIGNMENTS")
        if key not in editable:
            hint = did_you_mean(close_matches(key, editable, n=1))
            raise click.BadParameter(
                f"{key!r} cannot be set.{hint} Editable: {', '.join(editable)}.", param_hint="ASSIGNMENTS"
            )
        kind = SETTABLE.get(key)
        try:
            values[key] = kind.convert(value, None, None) if kind else value
        except click.BadParameter as exc:
            raise click.BadParameter(exc.message, param_hint=f"'{key}'") from None
    return values
