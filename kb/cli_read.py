"""The read commands of ``kb``: search, show, entities, entity, stats, report, eval, brief, compare.

They are added to the ``kb`` group in :mod:`kb.cli`; like it, they use only the
``KnowledgeBase`` facade (:mod:`kb.service`), :mod:`kb.types` and :mod:`kb.config`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kb.cli_input import (
    DATE,
    DOC_TYPE,
    ENTITY_TYPE,
    LANG,
    MODES,
    REGION,
    K,
    check_date_range,
    check_filters,
    require_entity,
)


def open_kb(ctx: click.Context, *, migrating: bool = False) -> Any:
    """The knowledge base of ``--kb``, opened once per command and closed when it ends.

    With ``kb --user NAME`` it is that user's view (``kb.as_user``): every read is scoped to its
    collections and every write checked against its grants, so an administrator sees exactly what
    the user would. No such user, or a disabled one, is a ``KBError`` (one line, exit 1).
    """
    from kb.service import KnowledgeBase

    obj = ctx.ensure_object(dict)
    if "kb" not in obj:
        try:
            obj["kb"] = KnowledgeBase.open(
                obj["path"], embedder=obj.get("embedder"), device=obj.get("device"), migrating=migrating
            )
        except ValueError as exc:  # an unknown setting in kb.toml or a KB_* variable
            raise click.ClickException(str(exc)) from exc
        ctx.call_on_close(obj["kb"].close)
    if obj.get("user") and "view" not in obj:
        obj["view"] = obj["kb"].as_user(obj["user"])
    return obj.get("view") or obj["kb"]


def report_row(r: Any) -> dict[str, Any]:
    """One ingest report row as JSON."""
    return {"path": r.path, "status": r.status, "reason": r.reason, "detail": r.detail, "doc_id": r.doc_id}


@click.command()
@click.argument("query")
@click.option("-k", "--k", "k", type=K, default=10, show_default=True, help="Number of documents.")
@click.option("--lang", type=LANG, multiple=True, help="Passage language (und: undetermined); repeatable.")
@click.option("--type", "doc_type", type=DOC_TYPE, multiple=True, help="Document type; repeatable.")
@click.option("--country", multiple=True, help="Country (ISO code or name).")
@click.option("--crossing", multiple=True, help="Border crossing (id or name, e.g. Desaguadero).")
@click.option("--entity", multiple=True, help="Entity id or name that the document mentions.")
@click.option("--region", type=REGION, multiple=True, help="Region of the passage (else of its document).")
@click.option("--since", type=DATE, help="Documents dated on or after (YYYY[-MM[-DD]]).")
@click.option("--until", type=DATE, help="Documents dated on or before (YYYY[-MM[-DD]]).")
@click.option("--collection", multiple=True, help="Collection name.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "sparse"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON (schema in the README).")
@click.option("--export", type=click.Path(dir_okay=False, path_type=Path), help="Also write the results as a ZIP.")
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    k: int,
    lang: tuple[str, ...],
    doc_type: tuple[str, ...],
    country: tuple[str, ...],
    crossing: tuple[str, ...],
    entity: tuple[str, ...],
    region: tuple[str, ...],
    since: str | None,
    until: str | None,
    collection: tuple[str, ...],
    mode: str,
    as_json: bool,
    export: Path | None,
) -> None:
    """Search in any of the four languages; "quoted phrases" match exactly.

    When no passage holds the quoted phrases, their words are ranked instead, and a line says so.
    Every filter value is checked: a misspelt language, type, date, country, crossing, entity or
    collection is an error (exit 2) with the nearest known values, never a silent empty answer.
    """
    check_date_range(since, until)
    kb = open_kb(ctx)
    filters = {
        "lang": lang,
        "doc_type": doc_type,
        "country": country,
        "crossing": crossing,
        "entity": entity,
        "region": region,
        "since": since,
        "until": until,
        "collection": collection,
    }
    check_filters(kb, filters)
    results = kb.search(query, k=k, filters=filters, mode=mode, snippets="best")
    if export is not None:  # originals, documents.csv and index.md of the documents found
        done = kb.export(results, export, title=f"kb search: {query}")
        click.echo(f"exported {done['documents']} documents ({done['files']} files) to {export}", err=True)
    if as_json:
        rows = [kb.hit_json(r.best, passages=len(r.hits)) for r in results]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not results:
        click.echo("No results. Try fewer filters, other words, or a question in another language.")
        return
    unmatched = kb.unmatched_phrases(query, filters)
    if unmatched:
        quoted = ", ".join(f'"{p}"' for p in unmatched)
        click.echo(click.style(f"no passage holds {quoted} exactly: ranked on its words instead", fg="yellow"))
    also = kb.also_searched(query)
    if also:
        click.echo(click.style("also searched: " + ", ".join(also), dim=True))
    for n, r in enumerate(results, 1):
        h = r.best
        where = f"p. {h.page}" if h.page else "no pages"
        click.echo(click.style(f"{n}. {h.title}", bold=True) + f"  [{h.doc_type}, {h.lang}, {h.date or 'undated'}]")
        click.echo(
            f"   {h.source} ({where}){'  +' + str(len(r.hits) - 1) + ' more passages' if len(r.hits) > 1 else ''}"
        )
        click.echo("   " + _highlight(h.snippet, h.highlights))
        if h.entities:
            click.echo("   " + click.style(", ".join(e.name for e in h.entities[:8]), fg="cyan"))


def _highlight(text: str, spans: Any) -> str:
    out, last = [], 0
    for s, e in spans:
        out.append(text[last:s])
        out.append(click.style(text[s:e], bold=True, fg="yellow"))
        last = e
    out.append(text[last:])
    return "".join(out)


@click.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--text/--no-text", default=False, help="Print the text page by page.")
@click.pass_context
def show(ctx: click.Context, doc_id: str, as_json: bool, text: bool) -> None:
    """Show a document's metadata, entities and (with --text) its pages."""
    kb = open_kb(ctx)
    doc = kb.document(doc_id)
    if doc is None:
        raise click.ClickException(f"no document {doc_id!r}; `kb search` shows document ids")
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for key in (
        "doc_id",
        "title",
        "doc_type",
        "lang",
        "date",
        "format",
        "page_count",
        "region",
        "countries",
        "crossings",
        "source",
        "file",
        "chunks",
    ):
        click.echo(f"{key:11} {doc[key]}")
    for etype, items in doc["entities"].items():
        click.echo(f"{etype:11} " + ", ".join(f"{e['name']} ({e['mentions']})" for e in items[:12]))
    if text:
        for p in doc["pages"]:
            click.echo(click.style(f"\n--- page {p['number'] or '-'} ---", bold=True))
            click.echo(p["text"])


@click.command()
@click.option("--type", "etype", type=ENTITY_TYPE, help="Entity type.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (the most mentioned first).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def entities(ctx: click.Context, etype: str | None, limit: int | None, as_json: bool) -> None:
    """List the entities found, with how many documents mention each."""
    rows = open_kb(ctx).entities(type=etype, limit=limit)
    if as_json:
        keys = ("id", "name", "type", "aliases", "doc_count")
        click.echo(json.dumps([{k: r[k] for k in keys} for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['doc_count']:4}  {r['type']:16} {r['name']}  ({r['id']})")


@click.command()
@click.argument("entity_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def entity(ctx: click.Context, entity_id: str, as_json: bool) -> None:
    """Show one entity: aliases, documents that mention it, co-mentioned entities."""
    view = require_entity(open_kb(ctx), entity_id, "ENTITY_ID")
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    click.echo(f"{view['name']} [{view['type']}] {view['id']}")
    click.echo("aliases: " + "; ".join(view["aliases"]))
    for d in view["documents"]:
        click.echo(f"  {d['mentions']:3}x {d['title']} ({d['lang']}, {d['date'] or 'undated'}) {d['id']}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts by language, type and format; the embedder and generation."""
    s = open_kb(ctx).stats()
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=2))
        return
    for key, value in s.items():
        click.echo(f"{key:11} {value}")


@click.command()
@click.option("--run", type=click.IntRange(min=1), help="Run number (default: the latest).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def report(ctx: click.Context, run: int | None, as_json: bool) -> None:
    """What happened to every file in an ingest run."""
    rows = open_kb(ctx).report(run)
    if as_json:
        click.echo(json.dumps([report_row(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r.status:10} {r.reason or '':10} {r.path}  {r.detail or ''}")


@click.command(name="eval")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--modes", type=MODES, default="dense,sparse,hybrid", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Evaluate only the first N queries (quick checks).")
@click.option(
    "--split", "half", type=click.Choice(["dev", "test"]), help="Only this half of the set's split.tsv (tune on dev)."
)
@click.option(
    "--entities",
    "entity_gold",
    is_flag=False,
    flag_value="corpus/eval/entities/gold.jsonl",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Score this knowledge base's entities on a gold file [default: corpus/eval/entities/gold.jsonl].",
)
@click.option(
    "--ids-only",
    is_flag=True,
    help="With --entities: a gazetteer entity matches only a gold key equal to its id, not a gold key of its name.",
)
@click.option(
    "--doctypes",
    "doctype_labels",
    is_flag=False,
    flag_value="corpus/eval/doctypes.tsv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Document type accuracy on a labelled list [default: corpus/eval/doctypes.tsv].",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def eval_cmd(
    ctx: click.Context,
    directory: Path | None,
    modes: tuple[str, ...],
    limit: int | None,
    half: str | None,
    entity_gold: Path | None,
    ids_only: bool,
    doctype_labels: Path | None,
    as_json: bool,
) -> None:
    """Recall@k, MRR@10 and nDCG@10 on a labelled set (default: corpus/eval on this knowledge base).

    With --entities or --doctypes, score this knowledge base's entities or document types instead.
    """
    from kb.service import KnowledgeBase

    if entity_gold is not None or doctype_labels is not None:
        kb = open_kb(ctx)
        if entity_gold is not None:
            res = kb.evaluate_entities(entity_gold, by_name=not ids_only)
            click.echo(json.dumps(res, ensure_ascii=False, indent=2) if as_json else kb.entity_eval_table(res))
        if doctype_labels is not None:
            res = kb.evaluate_doctypes(doctype_labels)
            click.echo(json.dumps(res, ensure_ascii=False, indent=2) if as_json else kb.doctype_eval_table(res))
        return
    directory = directory or Path("corpus/eval")
    obj = ctx.ensure_object(dict)
    kb = KnowledgeBase.open_for_eval(directory, obj["path"], embedder=obj.get("embedder"))
    if obj.get("user") and Path(kb.root).resolve() == Path(obj["path"]).resolve():
        kb = kb.as_user(obj["user"])  # scored on --kb itself: only what the user may read
    try:
        result = kb.evaluate(directory, modes=modes, limit=limit, half=half)
    except ValueError as exc:  # no split.tsv, or an empty half
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else KnowledgeBase.eval_table(result))


def _emit_report(report: Any, out: Path | None, as_json: bool) -> None:
    import dataclasses

    from kb.service import KnowledgeBase

    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=2))
    elif out is None:
        click.echo(KnowledgeBase.report_markdown(report))
    elif out.suffix.lower() == ".docx":
        KnowledgeBase.report_docx(report, out)
        click.echo(f"wrote {out}", err=True)
    else:
        out.write_text(KnowledgeBase.report_markdown(report), encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@click.command()
@click.argument("target")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write Markdown (.md) or Word (.docx).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def brief(ctx: click.Context, target: str, out: Path | None, as_json: bool) -> None:
    """Visit brief for a crossing, place, institution or country (any alias, any language)."""
    kb = open_kb(ctx)
    require_entity(kb, target, "TARGET")
    report = kb.brief(target)
    _emit_report(report, out, as_json)


@click.command(name="compare")
@click.argument("topic", required=False)
@click.option("--docs", nargs=2, help="Align two documents clause by clause instead (two document ids).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write Markdown (.md) or Word (.docx).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def compare_cmd(
    ctx: click.Context, topic: str | None, docs: tuple[str, str] | None, out: Path | None, as_json: bool
) -> None:
    """Compare practices on a topic, Europe beside Latin America (or two documents with --docs)."""
    kb = open_kb(ctx)
    if docs:
        report = kb.align(docs[0], docs[1])
    elif topic:
        report = kb.comparison_report(topic)
    else:
        raise click.UsageError("give a TOPIC or --docs DOC_A DOC_B")
    _emit_report(report, out, as_json)


READ_COMMANDS = (search, show, entities, entity, stats, report, eval_cmd, brief, compare_cmd)
