"""Running the API with uvicorn: one process, or ``workers`` processes that each open the knowledge base.

With one worker the open ``KnowledgeBase`` is served directly. With more, worker processes
(:mod:`kb.api.gate`: each takes a connection only when it has room, so a request goes to the
first idle one) build the app with :func:`app_from_env` (an app factory): each opens the
knowledge base itself, from the path and embedder passed in ``KB_SERVE_PATH`` and
``KB_SERVE_EMBEDDER`` (SQLite and the segment files are shared safely between processes; the
writer lock keeps ingests one at a time).

A knowledge base without users is served on a loopback address only: there every request acts
as the owner, so on any other address anyone who reached the port would read and upload
everything. :func:`check_binding` refuses that before the server starts.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from kb.api.app import create_app
from kb.types import KBError

PATH_ENV = "KB_SERVE_PATH"
EMBEDDER_ENV = "KB_SERVE_EMBEDDER"
WORKERS_ENV = "KB_SERVE_WORKERS"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public address


def check_binding(kb: Any, host: str) -> None:
    """Refuse to serve a knowledge base without users beyond this machine.

    Raises:
        KBError: ``host`` is not a loopback address and the knowledge base has no users.
    """
    if not kb.multi_user and not is_loopback(host):
        raise KBError(
            f"this knowledge base has no users, so `kb serve` would give everyone who reaches {host} full access; "
            "add an administrator first (kb users add NAME --admin), or serve on 127.0.0.1"
        )


def app_from_env() -> FastAPI:
    """The app factory of a worker process: open the knowledge base named in the environment."""
    from dataclasses import replace

    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(os.environ[PATH_ENV], embedder=os.environ.get(EMBEDDER_ENV) or None)
    if not kb.config.query_threads:  # a setting of the user's (kb.toml, KB_QUERY_THREADS) wins
        threads = worker_threads(int(os.environ.get(WORKERS_ENV, "1")))  # the encoder loads on the first query
        kb.config = replace(kb.config, query_threads=threads or 0)
    return create_app(kb)


def worker_threads(workers: int) -> int | None:
    """The query encoder's threads in each of ``workers`` processes: the cores shared out.

    Each worker's encoder would otherwise start one thread per core, so N workers would run N×cores
    threads on the cores' arithmetic units. ``None`` (one process): ONNX Runtime's default.
    """
    if workers <= 1:
        return None
    return max(1, (os.cpu_count() or 1) // workers)


def serve(kb: Any, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info") -> None:
    """Serve an open knowledge base in this process until interrupted (one worker)."""
    import uvicorn

    check_binding(kb, host)
    uvicorn.run(create_app(kb), host=host, port=port, log_level=log_level, server_header=False)


def serve_workers(
    path: Path,
    embedder: str | None,
    host: str,
    port: int,
    workers: int,
    *,
    worker_requests: int = 1,
    log_level: str = "info",
) -> None:
    """Serve with ``workers`` processes, each opening the knowledge base at ``path`` itself and answering at most
    ``worker_requests`` requests at once; a waiting request goes to the first worker with room (:mod:`kb.api.gate`)."""
    import uvicorn

    from kb.api.gate import run_workers
    from kb.service import KnowledgeBase

    with KnowledgeBase.open(path, embedder=embedder) as kb:  # fail here, once, rather than in every worker
        check_binding(kb, host)
    os.environ[PATH_ENV] = str(Path(path).resolve())
    os.environ[WORKERS_ENV] = str(workers)
    if embedder:
        os.environ[EMBEDDER_ENV] = embedder
    config = uvicorn.Config(
        "kb.api.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        server_header=False,
    )
    run_workers(config, worker_requests)
