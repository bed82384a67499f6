"""``kb curate``: fix what entity linking got wrong, and review possible duplicates.

``kb entity`` (one entity's view) and ``kb entities`` (the list) already read entities, so the
writes are a group of their own: ``kb curate merge|split|alias|rename|retype|wrong``, the review
``kb curate duplicates|reject``, the record ``kb curate list``, and ``kb curate export|import`` to
move curations between knowledge bases. Each calls one facade verb (:mod:`kb.service_curation`);
a refusal (:class:`kb.types.Forbidden`, no such entity) is a ``KBError``, one line, exit 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kb.cli_accounts import checked
from kb.cli_audit import JSON, echo_json, printable
from kb.cli_read import open_kb


@click.group()
def curate() -> None:
    """Merge, split, rename and retype entities; review possible duplicates (needs write on the
    collections that mention them)."""


def _done(changed: int, what: str) -> None:
    click.echo(f"{what}: {changed} passage(s) changed")


@curate.command()
@click.argument("source")
@click.argument("target")
@click.pass_context
def merge(ctx: click.Context, source: str, target: str) -> None:
    """SOURCE is the same entity as TARGET (e.g. kb curate merge org:pnp-2 org:pnp); also confirms a duplicate."""
    with checked():
        _done(open_kb(ctx).merge_entities(source, target), f"merged {source} into {target}")


@curate.command()
@click.argument("entity")
@click.argument("surface")
@click.option("--id", "new_id", help="Id of the new entity (default: made from SURFACE).")
@click.pass_context
def split(ctx: click.Context, entity: str, surface: str, new_id: str | None) -> None:
    """Move ENTITY's mentions written SURFACE to a new entity (undo a wrong merge)."""
    with checked():
        click.echo(open_kb(ctx).split_entity(entity, surface, new_id))


@curate.command()
@click.argument("entity")
@click.argument("alias")
@click.option("--remove", is_flag=True, help="Remove the alias instead of adding it.")
@click.pass_context
def alias(ctx: click.Context, entity: str, alias: str, remove: bool) -> None:
    """Add ALIAS to ENTITY (mentions written so link to it), or --remove it."""
    kb = open_kb(ctx)
    with checked():
        changed = kb.remove_alias(entity, alias) if remove else kb.add_alias(entity, alias)
    _done(changed, f"{'removed' if remove else 'added'} alias {alias!r}")


@curate.command()
@click.argument("entity")
@click.argument("name")
@click.pass_context
def rename(ctx: click.Context, entity: str, name: str) -> None:
    """Show ENTITY under NAME."""
    with checked():
        open_kb(ctx).rename_entity(entity, name)
    click.echo(f"{entity} is now {name!r}")


@curate.command()
@click.argument("entity")
@click.argument("etype", metavar="TYPE")
@click.pass_context
def retype(ctx: click.Context, entity: str, etype: str) -> None:
    """Change ENTITY's type (PERSON, ORG, PLACE, ...)."""
    with checked():
        open_kb(ctx).retype_entity(entity, etype.upper())
    click.echo(f"{entity} is now a {etype.upper()}")


@curate.command()
@click.argument("entity")
@click.argument("doc_id")
@click.option("--surface", help="Only the mentions written so (default: all of ENTITY's in the document).")
@click.pass_context
def wrong(ctx: click.Context, entity: str, doc_id: str, surface: str | None) -> None:
    """ENTITY is wrongly linked in document DOC_ID: drop those mentions (kept across relinks)."""
    with checked():
        _done(open_kb(ctx).mark_wrong(entity, doc_id, surface), f"{entity} unlinked in {doc_id}")


@curate.command()
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--threshold", type=click.FloatRange(50, 100), help="Least name similarity, 0-100 (default 88).")
@JSON
@click.pass_context
def duplicates(ctx: click.Context, limit: int, threshold: float | None, as_json: bool) -> None:
    """Entities whose names are near-identical: confirm with `merge A B`, or `reject A B`."""
    pairs = open_kb(ctx).entity_duplicates(limit, threshold)
    if as_json:
        echo_json(pairs)
        return
    if not pairs:
        click.echo("no possible duplicates")
    for p in pairs:
        click.echo(
            f"{p['score']:5.1f}  {printable(p['a'])} ({printable(p['a_name'])}, {p['a_mentions']})"
            f"  ~  {printable(p['b'])} ({printable(p['b_name'])}, {p['b_mentions']})"
        )


@curate.command()
@click.argument("a")
@click.argument("b")
@click.pass_context
def reject(ctx: click.Context, a: str, b: str) -> None:
    """A and B are different entities: never propose the pair again."""
    open_kb(ctx).reject_duplicate(a, b)
    click.echo(f"{a} and {b} stay apart")


@curate.command(name="list")
@JSON
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """The curations made so far, oldest first, with who made them."""
    rows = open_kb(ctx).curations()
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        parts = [r["kind"], r["entity"], r["target"], repr(r["value"]) if r["value"] else None, r["doc_id"]]
        click.echo(f"{r['at']}  {printable(r['user'])}  " + printable(" ".join(p for p in parts if p)))


@curate.command(name="export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.pass_context
def export_cmd(ctx: click.Context, out: Path | None) -> None:
    """Every curation as JSONL, to OUT or standard output (administrators)."""
    text = open_kb(ctx).export_curations()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"{text.count(chr(10))} curation(s) written to {out}", err=True)


@curate.command(name="import")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_cmd(ctx: click.Context, src: Path) -> None:
    """Add the curations of an export (JSONL) and relink (administrators)."""
    with checked():
        n = open_kb(ctx).import_curations(src.read_text(encoding="utf-8"))
    click.echo(f"{n} curation(s) imported and applied")
