"""The ``kb`` command: a thin layer over :class:`kb.service.KnowledgeBase`.

The group, ingest and the writing commands live here; the read commands (search, show,
entities, entity, stats, report, eval, brief, compare) in :mod:`kb.cli_read`, parameter types
and input checks in :mod:`kb.cli_input`. Heavy modules (torch, spaCy, FAISS) are imported by the
service only when a command needs them, so ``kb --help`` stays instant.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from kb.cli_accounts import ACCOUNT_COMMANDS
from kb.cli_curate import curate
from kb.cli_input import parse_assignments
from kb.cli_read import READ_COMMANDS, open_kb, report_row
from kb.cli_serve import serve
from kb.cli_userdata import USERDATA_COMMANDS
from kb.config import default_kb_path
from kb.types import KBError


class KBGroup(click.Group):
    """The ``kb`` group: a :class:`~kb.types.KBError` from any command becomes one clean line.

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
    return open_kb(ctx, migrating=migrating)


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
@click.option(
    "--user",
    metavar="NAME",
    help="Act as this user (its grants only), e.g. to check what it sees; default: the owner, full access.",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.version_option(package_name="kb")
@click.pass_context
def cli(ctx: click.Context, path: Path | None, embedder: str | None, user: str | None, verbose: int) -> None:
    """kb: a knowledge base and multilingual search for border-cooperation documents."""
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.ensure_object(dict).update(path=path or default_kb_path(), embedder=embedder, user=user)


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
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default=None,
    help="Where the embedder runs (default: the device setting, auto: a CUDA GPU when there is one).",
)
@click.option(
    "--ray",
    "ray_address",
    metavar="auto|local|ADDRESS",
    help="Read, analyse and embed on a Ray cluster (auto: a running one, else a local one); this process writes.",
)
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    collection: str | None,
    password_file: Any,
    strict: bool,
    as_json: bool,
    quiet: bool,
    device: str | None,
    ray_address: str | None,
) -> None:
    """Ingest files and folders (recursively); unreadable files are skipped and listed."""
    ctx.ensure_object(dict)["device"] = device
    kb = _open(ctx)
    passwords = [ln.rstrip("\n") for ln in password_file] if password_file else []
    progress = _progress_printer(quiet or as_json)
    report = kb.ingest(paths, collection, passwords=passwords, progress=progress, executor=ray_address)
    if as_json:
        click.echo(json.dumps([report_row(r) for r in report.rows], ensure_ascii=False, indent=2))
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


@cli.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The tar file to write.")
@click.pass_context
def snapshot(ctx: click.Context, out: Path) -> None:
    """Write one committed generation to a tar (consistent while an ingest runs): a replica or a backup."""
    gen = _open(ctx).snapshot(out)
    click.echo(f"wrote {out} (generation {gen})")


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

    if ctx.ensure_object(dict).get("user"):
        raise click.UsageError("--user does not apply to `kb app`: with users, the app asks each one to log in")
    script = Path(__file__).resolve().parent / "ui" / "app.py"  # inside the package: a wheel has it too
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


for _command in (*READ_COMMANDS, *ACCOUNT_COMMANDS, *USERDATA_COMMANDS, curate, serve):
    cli.add_command(_command)


def main() -> None:  # pragma: no cover
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    main()
