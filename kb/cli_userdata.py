"""``kb watch``, ``kb notes`` and ``kb batch``: what users make on top of the documents.

Thin commands over the facade's verbs (:mod:`kb.service_watch`, :mod:`kb.service_notes`,
:mod:`kb.service_bulk`); each acts for the principal the ``kb`` group opened the knowledge base as.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kb.cli_input import DATE, DOC_TYPE, LANG, REGION, check_date_range
from kb.cli_read import open_kb
from kb.types import NotFound


def _filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The search filters, as ``kb search`` takes them (repeatable where a search's are)."""
    options: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("--lang",), {"type": LANG, "multiple": True, "help": "Passage language; repeatable."}),
        (("--type", "doc_type"), {"type": DOC_TYPE, "multiple": True, "help": "Document type; repeatable."}),
        (("--country",), {"multiple": True, "help": "Country (ISO code or name)."}),
        (("--crossing",), {"multiple": True, "help": "Border crossing (id or name)."}),
        (("--entity",), {"multiple": True, "help": "Entity id or name the document mentions."}),
        (("--region",), {"type": REGION, "multiple": True, "help": "Region of the passage."}),
        (("--since",), {"type": DATE, "help": "Documents dated on or after (YYYY[-MM[-DD]])."}),
        (("--until",), {"type": DATE, "help": "Documents dated on or before (YYYY[-MM[-DD]])."}),
        (("--collection",), {"multiple": True, "help": "Collection name."}),
    ]
    for decl, kwargs in reversed(options):
        fn = click.option(*decl, **kwargs)(fn)
    return fn


def _echo_hit(n: int, h: dict[str, Any], extra: str = "") -> None:
    where = f"p. {h['page']}" if h["page"] else "no pages"
    click.echo(
        click.style(f"{n}. {h['title']}", bold=True) + f"  [{h['doc_type']}, {h['lang']}, {h['date'] or 'undated'}]"
    )
    click.echo(f"   {h['source']} ({where}){extra}")
    click.echo("   " + h["snippet"])


# -- kb watch ---------------------------------------------------------------------------------------
@click.group()
def watch() -> None:
    """Watched searches: new documents that match are kept for you as they are ingested."""


@watch.command(name="add")
@click.argument("name")
@click.argument("query")
@_filter_options
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Documents per ingest batch.")
@click.option("--notify", help="A webhook URL (loopback only by default) or a command, given the new hits as JSON.")
@click.pass_context
def watch_add(ctx: click.Context, name: str, query: str, k: int, notify: str | None, **filters: Any) -> None:
    """Watch the search QUERY (with the filters) under NAME; documents ingested from now on are matched."""
    check_date_range(filters.get("since"), filters.get("until"))
    try:
        open_kb(ctx).watch_add(name, query, filters, k=k, notify=notify)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"watching {name!r}: {query}")


@watch.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def watch_list(ctx: click.Context, as_json: bool) -> None:
    """Your watched searches, with how many new hits each has."""
    rows = open_kb(ctx).watches()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No watched searches. Add one with `kb watch add NAME QUERY`.")
    for w in rows:
        given = w["filters"].items()
        filters = " ".join(f"--{k} {v}" for k, vs in given for v in (vs if isinstance(vs, list) else [vs]))
        click.echo(f"{w['name']}: {w['query']} {filters}".rstrip() + f"  ({w['new']} new)")


@watch.command(name="run")
@click.argument("name")
@click.option("--peek", is_flag=True, help="Show the new hits without marking them as seen.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def watch_run(ctx: click.Context, name: str, peek: bool, as_json: bool) -> None:
    """The hits of NAME found since you last ran it, with citations; they are then marked as seen."""
    try:
        news = open_kb(ctx).watch_new(name, mark_seen=not peek)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(news, ensure_ascii=False, indent=2))
        return
    hits = news["hits"]
    click.echo(f"{name}: {len(hits)} new {'hit' if len(hits) == 1 else 'hits'} since {news['since'] or 'it was added'}")
    for n, h in enumerate(hits, 1):
        _echo_hit(n, h, f"  found {h['found']}")


@watch.command(name="remove")
@click.argument("name")
@click.pass_context
def watch_remove(ctx: click.Context, name: str) -> None:
    """Stop watching NAME."""
    if not open_kb(ctx).watch_remove(name):
        raise click.ClickException(f"no watch named {name!r}")
    click.echo(f"removed {name!r}")


# -- kb notes ---------------------------------------------------------------------------------------
@click.group()
def notes() -> None:
    """Notes on documents, visible to everyone who may read the document."""


def _echo_notes(rows: list[dict[str, Any]], as_json: bool, empty: str) -> None:
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(empty)
    for n in rows:
        where = f", p. {n['page']}" if n["page"] else ""
        click.echo(click.style(f"#{n['id']} {n['author']} {n['created'][:10]}", bold=True) + f"  {n['title']}{where}")
        if n["quote"]:
            click.echo(f'   "{n["quote"]}"')
        click.echo(f"   {n['text']}")


@notes.command(name="add")
@click.argument("doc_id")
@click.argument("text")
@click.option("--page", type=click.IntRange(min=1), help="The page the note is about.")
@click.option("--quote", help="The passage highlighted (verbatim).")
@click.pass_context
def notes_add(ctx: click.Context, doc_id: str, text: str, page: int | None, quote: str | None) -> None:
    """Attach TEXT to the document DOC_ID."""
    try:
        note = open_kb(ctx).note_add(doc_id, text, page=page, quote=quote)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"note #{note['id']} on {note['title'] or doc_id}")


@notes.command(name="list")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def notes_list(ctx: click.Context, doc_id: str, as_json: bool) -> None:
    """The notes on DOC_ID, oldest first."""
    _echo_notes(open_kb(ctx).notes(doc_id), as_json, "No notes on this document.")


@notes.command(name="search")
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def notes_search(ctx: click.Context, query: str, limit: int, as_json: bool) -> None:
    """Notes whose text or quoted passage contains every word of QUERY, newest first."""
    _echo_notes(open_kb(ctx).notes_search(query, limit), as_json, "No note matches.")


@notes.command(name="remove")
@click.argument("note_id", type=int)
@click.pass_context
def notes_remove(ctx: click.Context, note_id: int) -> None:
    """Delete note NOTE_ID (yours, or any as an administrator)."""
    if not open_kb(ctx).note_remove(note_id):
        raise click.ClickException(f"no note #{note_id}")
    click.echo(f"removed note #{note_id}")


# -- kb batch ---------------------------------------------------------------------------------------
@click.command()
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Results CSV (default: TABLE-results.csv)."
)
@click.option("-k", "k", type=click.IntRange(1, 20), default=3, show_default=True, help="Hits per row.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def batch(ctx: click.Context, table: Path, out: Path | None, k: int, quiet: bool) -> None:
    """One search per row of TABLE (a CSV with a `query` column and optional lang, collection, doc_type,
    country, crossing, entity, since, until columns): the top K hits of each row, one output row per input row.

    A row that cannot run gets its reason in the `error` column; the others go on.
    """
    out = out or table.with_name(f"{table.stem}-results.csv")
    if out.suffix.lower() != ".csv":
        raise click.BadParameter(
            "results are written as CSV (UTF-8 with BOM: spreadsheets open it)", param_hint="--out"
        )
    kb = open_kb(ctx)
    try:
        rows = kb.batch_rows(table.read_text("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="TABLE") from None
    columns = list(dict.fromkeys(c for r in rows for c in r))
    show = not quiet and sys.stderr.isatty()
    with click.progressbar(length=len(rows), label="rows", file=sys.stderr if show else open_null()) as bar:
        with open(out, "w", encoding="utf-8-sig", newline="") as fh:
            results = kb.batch(rows, k=k, progress=bar.update)
            errors = [0]

            def counted() -> Any:
                for r in results:
                    errors[0] += r["error"] is not None
                    yield r

            n = kb.batch_csv(counted(), fh, columns, k)
    click.echo(f"{n} rows ({errors[0]} with an error) → {out}", err=True)


def open_null() -> Any:
    """A sink for the progress bar when it is not shown."""
    import io

    return io.StringIO()


USERDATA_COMMANDS = (watch, notes, batch)
