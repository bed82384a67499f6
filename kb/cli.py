"""The ``kb`` command: a thin layer over :class:`kb.service.KnowledgeBase`.

Heavy modules (torch, spaCy, FAISS) are imported by the service only when a command needs
them, so ``kb --help`` stays instant.
"""

from __future__ import annotations

import json
import logging
import sys
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
    parse_assignments,
    require_entity,
)
from kb.config import default_kb_path
from kb.store import KBError


class KBGroup(click.Group):
    """The ``kb`` group: a :class:`~kb.store.KBError` from any command becomes one clean line.

    A knowledge base refuses work with a ``KBError`` (its writer lock is held, the embedder does
    not match, the store is damaged). Mapping it here, once, gives every command, present and
    future, the same ``Error: ...`` line and exit status 1 that ``kb ingest`` always gave, instead
    of a traceback from the commands that forgot to catch it.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KBError as exc:
            raise click.ClickException(str(exc)) from exc


def _open(ctx: click.Context, *, migrating: bool = False) -> Any:
    """The knowledge base of ``--kb``, opened once per command and closed when it ends."""
    from kb.service import KnowledgeBase

    obj = ctx.ensure_object(dict)
    if "kb" not in obj:
        try:
            obj["kb"] = KnowledgeBase.open(obj["path"], embedder=obj.get("embedder"), migrating=migrating)
        except ValueError as exc:  # an unknown setting in kb.toml or a KB_* variable
            raise click.ClickException(str(exc)) from exc
        ctx.call_on_close(obj["kb"].close)
    return obj["kb"]


def _progress_printer(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if state.get("stage") != stage:
            if state.get("bar") is not None:
                state["bar"].__exit__(None, None, None)
            state["bar"] = click.progressbar(length=total, label=f"{stage:8}", file=sys.stderr)
            state["bar"].__enter__()
            state["stage"], state["done"] = stage, 0
        state["bar"].update(done - state["done"])
        state["done"] = done
        if done >= total:
            state["bar"].__exit__(None, None, None)
            state["bar"], state["stage"] = None, None

    return progress


@click.group(cls=KBGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--kb",
    "path",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KB_PATH",
    help="Knowledge base directory (env KB_PATH; default: a per-user data directory).",
)
@click.option(
    "--embedder",
    envvar="KB_EMBEDDER",
    default=None,
    help="Embedder: e5 (default), e5-engine, e5-int8, use, minilm or st:/path/to/model.",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.version_option(package_name="kb")
@click.pass_context
def cli(ctx: click.Context, path: Path | None, embedder: str | None, verbose: int) -> None:
    """kb: a knowledge base and multilingual search for border-cooperation documents."""
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(dict).update(path=path or default_kb_path(), embedder=embedder)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--collection", help="Name of the collection these documents belong to.")
@click.option(
    "--password-file",
    type=click.File("r", encoding="utf-8"),
    help="A file with one PDF password per line, tried on encrypted PDFs.",
)
@click.option("--strict", is_flag=True, help="Exit with an error when any file was skipped.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    collection: str | None,
    password_file: Any,
    strict: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Ingest files and folders (recursively); unreadable files are skipped and listed."""
    kb = _open(ctx)
    passwords = [ln.rstrip("\n") for ln in password_file] if password_file else []
    report = kb.ingest(paths, collection, passwords=passwords, progress=_progress_printer(quiet or as_json))
    if as_json:
        click.echo(
            json.dumps(
                [r.__dict__ if hasattr(r, "__dict__") else _row(r) for r in report.rows], ensure_ascii=False, indent=2
            )
        )
    else:
        counts = {s: report.count(s) for s in ("ingested", "updated", "unchanged", "duplicate", "skipped")}
        click.echo(", ".join(f"{n} {s}" for s, n in counts.items()) + f" (generation {report.generation})")
        for r in report.skipped:
            click.echo(f"  skipped {r.path}: {r.reason}: {r.detail}")
        for r in report.rows:
            if r.status == "duplicate":
                click.echo(f"  duplicate {r.path}: {r.detail}")
    if strict and report.skipped:
        raise click.ClickException(f"{len(report.skipped)} file(s) skipped (--strict)")


def _row(r: Any) -> dict[str, Any]:
    return {"path": r.path, "status": r.status, "reason": r.reason, "detail": r.detail, "doc_id": r.doc_id}


@cli.command()
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
) -> None:
    """Search in any of the four languages; "quoted phrases" match exactly.

    Every filter value is checked: a misspelt language, type, date, country, crossing, entity or
    collection is an error (exit 2) with the nearest known values, never a silent empty answer.
    """
    from kb.views import hit_json

    check_date_range(since, until)
    kb = _open(ctx)
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
    results = kb.search(query, k=k, filters=filters, mode=mode)
    if as_json:
        click.echo(json.dumps([hit_json(r.best, passages=len(r.hits)) for r in results], ensure_ascii=False, indent=2))
        return
    if not results:
        click.echo("No results. Try fewer filters, other words, or a question in another language.")
        return
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


@cli.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--text/--no-text", default=False, help="Print the text page by page.")
@click.pass_context
def show(ctx: click.Context, doc_id: str, as_json: bool, text: bool) -> None:
    """Show a document's metadata, entities and (with --text) its pages."""
    kb = _open(ctx)
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


@cli.command()
@click.option("--type", "etype", type=ENTITY_TYPE, help="Entity type.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (the most mentioned first).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def entities(ctx: click.Context, etype: str | None, limit: int | None, as_json: bool) -> None:
    """List the entities found, with how many documents mention each."""
    rows = _open(ctx).entities(type=etype, limit=limit)
    if as_json:
        keys = ("id", "name", "type", "aliases", "doc_count")
        click.echo(json.dumps([{k: r[k] for k in keys} for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['doc_count']:4}  {r['type']:16} {r['name']}  ({r['id']})")


@cli.command()
@click.argument("entity_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def entity(ctx: click.Context, entity_id: str, as_json: bool) -> None:
    """Show one entity: aliases, documents that mention it, co-mentioned entities."""
    view = require_entity(_open(ctx), entity_id, "ENTITY_ID")
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    click.echo(f"{view['name']} [{view['type']}] {view['id']}")
    click.echo("aliases: " + "; ".join(view["aliases"]))
    for d in view["documents"]:
        click.echo(f"  {d['mentions']:3}x {d['title']} ({d['lang']}, {d['date'] or 'undated'}) {d['id']}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts by language, type and format; the embedder and generation."""
    s = _open(ctx).stats()
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=2))
        return
    for key, value in s.items():
        click.echo(f"{key:11} {value}")


@cli.command()
@click.option("--run", type=click.IntRange(min=1), help="Run number (default: the latest).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def report(ctx: click.Context, run: int | None, as_json: bool) -> None:
    """What happened to every file in an ingest run."""
    rows = _open(ctx).report(run)
    if as_json:
        click.echo(json.dumps([_row(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r.status:10} {r.reason or '':10} {r.path}  {r.detail or ''}")


@cli.command()
@click.argument("doc")
@click.pass_context
def remove(ctx: click.Context, doc: str) -> None:
    """Remove a document (by id or path) everywhere."""
    if not _open(ctx).remove(doc):
        raise click.ClickException(f"no document {doc!r}")
    click.echo(f"removed {doc}")


@cli.command()
@click.pass_context
def compact(ctx: click.Context) -> None:
    """Merge segments and purge deleted chunks."""
    click.echo(json.dumps(_open(ctx).compact()))


@cli.command(name="eval")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--modes", type=MODES, default="dense,sparse,hybrid", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Evaluate only the first N queries (quick checks).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def eval_cmd(
    ctx: click.Context, directory: Path | None, modes: tuple[str, ...], limit: int | None, as_json: bool
) -> None:
    """Recall@k, MRR@10 and nDCG@10 on a labelled set (default: corpus/eval on this knowledge base)."""
    from kb.evaluate import format_table, run_eval

    directory = directory or Path("corpus/eval")
    obj = ctx.ensure_object(dict)
    result = run_eval(directory, kb_path=obj["path"], embedder=obj.get("embedder"), modes=modes, limit=limit)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else format_table(result))


def _emit_report(report: Any, out: Path | None, as_json: bool) -> None:
    import dataclasses

    from kb.report_types import to_docx, to_markdown

    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=2))
    elif out is None:
        click.echo(to_markdown(report))
    elif out.suffix.lower() == ".docx":
        to_docx(report, out)
        click.echo(f"wrote {out}", err=True)
    else:
        out.write_text(to_markdown(report), encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@cli.command()
@click.argument("target")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write Markdown (.md) or Word (.docx).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def brief(ctx: click.Context, target: str, out: Path | None, as_json: bool) -> None:
    """Visit brief for a crossing, place, institution or country (any alias, any language)."""
    from kb.brief import build_brief

    kb = _open(ctx)
    require_entity(kb, target, "TARGET")
    report = build_brief(kb, target)
    _emit_report(report, out, as_json)


@cli.command(name="compare")
@click.argument("topic", required=False)
@click.option("--docs", nargs=2, help="Align two documents clause by clause instead (two document ids).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write Markdown (.md) or Word (.docx).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def compare_cmd(
    ctx: click.Context, topic: str | None, docs: tuple[str, str] | None, out: Path | None, as_json: bool
) -> None:
    """Compare practices on a topic, Europe beside Latin America (or two documents with --docs)."""
    from kb.compare import align_documents, alignment_report, compare_practices, comparison_report

    kb = _open(ctx)
    if docs:
        report = alignment_report(kb, docs[0], docs[1], align_documents(kb, docs[0], docs[1]))
    elif topic:
        report = comparison_report(topic, compare_practices(kb, topic))
    else:
        raise click.UsageError("give a TOPIC or --docs DOC_A DOC_B")
    _emit_report(report, out, as_json)


@cli.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild every segment with the chosen embedder (after changing embedder or format version)."""
    result = _open(ctx, migrating=True).reindex(progress=_progress_printer(False))
    click.echo(f"re-embedded {result['chunks']} chunks: {result['from']} -> {result['to']}")


@cli.command()
@click.pass_context
def relink(ctx: click.Context) -> None:
    """Re-run entity linking and metadata rules (after editing the gazetteer) without re-embedding."""
    click.echo(json.dumps(_open(ctx).relink()))


@cli.command(name="set")
@click.argument("doc_id")
@click.argument("assignments", nargs=-1, required=True)
@click.pass_context
def set_cmd(ctx: click.Context, doc_id: str, assignments: tuple[str, ...]) -> None:
    """Correct a document's metadata, e.g. `kb set DOC doc_type=agreement date=2023-05-02`."""
    from kb.types import EDITABLE

    values = parse_assignments(assignments, EDITABLE)
    _open(ctx).set_metadata(doc_id, values)
    click.echo(f"updated {doc_id}: {values}")


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True)
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Listen address; 0.0.0.0 exposes the app (and your documents) to the network.",
)
@click.option(
    "--bootstrap",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder to ingest on first start when the knowledge base is empty.",
)
@click.pass_context
def app(ctx: click.Context, port: int, address: str, bootstrap: Path | None) -> None:
    """Open the web app on this knowledge base."""
    import os
    import subprocess

    script = Path(__file__).resolve().parents[1] / "app.py"
    if not script.exists():
        raise click.ClickException(f"app.py not found at {script}")
    env = dict(os.environ, KB_PATH=str(ctx.ensure_object(dict)["path"]))
    if ctx.obj.get("embedder"):
        env["KB_EMBEDDER"] = ctx.obj["embedder"]
    if bootstrap:
        env["KB_BOOTSTRAP"] = str(bootstrap.resolve())
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    click.echo(f"kb app on http://{address}:{port}  (Ctrl+C to stop)", err=True)
    raise SystemExit(subprocess.call(cmd, env=env))


def main() -> None:  # pragma: no cover
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    main()
