"""Batch look-ups: one search per row of a table, the top hits of each written beside it.

A row is a query (a name, a question, a plate) with optional filter columns. A row that cannot
run (an empty query, a misspelt language, an unknown collection) gets its reason in the
``error`` column and the run goes on: a list of thousands of names must not stop at row 812. So
does a row whose "quoted" name no passage holds exactly: a look-up is exact where the user quoted
(a search would rank on the words instead). Built on the facade only (``search``,
``unknown_filter_values``, ``unmatched_phrases``), passed in as ``kb``.

The table written is CSV, one output row per input row (so it lines up with the list it came
from), encoded UTF-8 with a byte-order mark so that spreadsheet programs show accents right, and
with every cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) prefixed with
an apostrophe: snippets come from documents, and a document must not run code in the reader's
spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from kb.types import DOC_TYPES, LANGUAGES, KBError

Facade = Any  # the KnowledgeBase, passed in

#: the filter columns a row may have (several values in one cell are separated by ``;``)
FILTER_COLUMNS = ("lang", "collection", "doc_type", "country", "crossing", "entity", "since", "until")
DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
HIT_FIELDS = ("document", "title", "page", "score", "snippet", "entities")


def read_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV text (comma or semicolon separated, as spreadsheets export); needs a ``query`` column.

    Raises:
        ValueError: there is no ``query`` column.
    """
    text = text.lstrip("\ufeff")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = [(f or "").strip().lower() for f in reader.fieldnames or []]
    if "query" not in fields:
        raise ValueError(f"the table needs a 'query' column (it has: {', '.join(fields) or 'none'})")
    reader.fieldnames = fields
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def row_filters(kb: Facade, row: Mapping[str, str]) -> dict[str, Any]:
    """The filters of one row, checked.

    Raises:
        ValueError: a value that no document could match (the message names the column).
    """
    filters: dict[str, Any] = {}
    for column in FILTER_COLUMNS:
        values = [v.strip() for v in (row.get(column) or "").split(";") if v.strip()]
        if not values:
            continue
        if column in ("since", "until"):
            if len(values) > 1 or not DATE.fullmatch(values[0]):
                raise ValueError(f"{column}: {row[column]!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
            filters[column] = values[0]
            continue
        known = {"lang": LANGUAGES, "doc_type": DOC_TYPES}.get(column)
        bad = [v for v in values if known is not None and v not in known]
        if bad:
            raise ValueError(f"{column}: {bad[0]!r} is not one of {', '.join(known or ())}")
        filters[column] = values
    for u in kb.unknown_filter_values(filters):
        raise ValueError(f"{u.field}: no document has {u.value!r}")
    return filters


def run_batch(
    kb: Facade, rows: Sequence[Mapping[str, str]], k: int, progress: Callable[[int], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Per row: the row itself, ``error`` (or ``None``) and its ``hits`` (search JSON), in input order."""
    for n, row in enumerate(rows, 1):
        out: dict[str, Any] = {"row": n, "input": dict(row), "error": None, "hits": []}
        query = (row.get("query") or "").strip()
        try:
            if not query:
                raise ValueError("empty query")
            filters = row_filters(kb, row)
            unmatched = kb.unmatched_phrases(query, filters)
            if unmatched:  # a quoted look-up is an exact one: no near matches in its place (a search shows them)
                raise ValueError("no passage holds " + ", ".join(f'"{p}"' for p in unmatched) + " exactly")
            results = kb.search(query, k=k, filters=filters)
            out["hits"] = [kb.hit_json(r.best, passages=len(r.hits)) for r in results]
        except (ValueError, KBError) as exc:
            out["error"] = str(exc)
        if progress is not None:
            progress(1)
        yield out


def safe_cell(value: Any) -> str:
    """A CSV cell that no spreadsheet runs as a formula (see the module docstring)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def header(input_columns: Sequence[str], k: int) -> list[str]:
    hits = [f"hit{i}_{f}" for i in range(1, k + 1) for f in HIT_FIELDS]
    return [*input_columns, "error", "hits", *hits]


def table_row(result: Mapping[str, Any], input_columns: Sequence[str], k: int) -> list[str]:
    """One output row: the input cells, the error, how many hits, then each hit's cells."""
    cells = [result["input"].get(c, "") for c in input_columns] + [result["error"] or "", len(result["hits"])]
    for i in range(k):
        h = result["hits"][i] if i < len(result["hits"]) else None
        if h is None:
            cells += [""] * len(HIT_FIELDS)
            continue
        source = Path(h["source"]).name
        cite = f"{source}, p. {h['page']}" if h["page"] else source
        ents = "; ".join(e["name"] for e in h["entities"])
        cells += [cite, h["title"], h["page"] or "", f"{h['score']:.4f}", h["snippet"], ents]
    return [safe_cell(c) for c in cells]


def write_csv(results: Iterable[Mapping[str, Any]], out: IO[str], input_columns: Sequence[str], k: int) -> int:
    """Write the results as CSV (see the module docstring); the number of rows written."""
    writer = csv.writer(out)
    writer.writerow(header(input_columns, k))
    n = 0
    for result in results:
        writer.writerow(table_row(result, input_columns, k))
        n += 1
    return n
