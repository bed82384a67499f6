"""``kb serve``: the REST API (:mod:`kb.api`) with uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import click

from kb.cli_read import open_kb


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Listen address. Put a TLS proxy in front instead of exposing it; a knowledge base without users "
    "is served on loopback only.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; each loads the models and the index itself.",
)
@click.option(
    "--worker-requests",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="With several workers: requests each answers at once. A worker takes a new connection only below "
    "this, so waiting requests go to whichever worker frees first; raise it if slow requests (uploads, "
    "briefs) are common.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, worker_requests: int) -> None:
    """Serve the REST API (/api/v1, OpenAPI docs at /docs) on this knowledge base."""
    from kb.api import server

    click.echo(f"kb REST API on http://{host}:{port}/api/v1  (docs at /docs; Ctrl+C to stop)", err=True)
    if workers == 1:
        server.serve(open_kb(ctx), host, port)
        return
    obj = ctx.ensure_object(dict)
    server.serve_workers(obj["path"], obj.get("embedder"), host, port, workers, worker_requests=worker_requests)
