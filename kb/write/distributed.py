"""Ingest on a Ray cluster: parsing in tasks, analysis and embedding in an actor pool, one writer here.

The writer (this process) scans and holds the lock exactly as a local ingest does; only the read,
analysis and embedding of each batch move out (:class:`kb.write.ingest.Executor`). Ray Data reads the
work list, parses the files in tasks through the same sandbox and limits (so the same skip reasons),
then hands the parsed documents to a pool of actors that each load the analyser and the embedder
once. Every file comes back as exactly one record, and the records are regrouped into the run's
batches in the order a local ingest would have committed them (``reading_order`` inside each batch),
so chunk ids, documents and report rows come out the same; only the vectors differ, by float noise
of other batch shapes. A worker that dies is restarted and its batch retried (``max_restarts``,
``max_task_retries``); what still fails stops the run before the batch that lost files is committed,
and the next run picks up where it stopped (committed files are unchanged and skipped).

The workers import ``kb`` themselves: on a cluster every node needs ``pip install "kb[cluster]"`` of
the same version and must see the files under the same paths (a shared filesystem); this process's
source folder is put on their ``PYTHONPATH``, which is what a one-machine cluster needs.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle  # transport only: between this run's own Ray tasks, in memory; nothing is saved with it
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.types import KBError, Progress, ReadError, ReportRow
from kb.write.concurrency import CORES, reading_order
from kb.write.context import WriteContext
from kb.write.prepare import CPU_BATCH, GROUP_DOCS, Prepared
from kb.write.scan import Todo

INSTALL = 'distributed ingest needs Ray: pip install "kb[cluster]" (or pip install "ray[data]")'
RETRIES = 3  # restarts of a dead actor, retries of its batch, retries of a parse task


def import_ray() -> Any:
    """Ray, or a :class:`KBError` that says how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401 - the extra, not just the core
    except ImportError as exc:
        raise KBError(INSTALL) from exc
    return ray


def connect(address: str, object_store_mb: int, cpus: int | None = None) -> Any:
    """Join the cluster at ``address`` (``auto``: a running one, else a local one; ``local``: a new local one).

    A local cluster gets an explicit object store (Ray would take 30% of the RAM) and ``cpus`` (every CPU); token
    authentication, Ray's default, works locally as it is (Ray writes ``~/.ray/auth_token``). A remote
    cluster that wants a token and got none fails with a line saying where to get it.
    """
    if address != "local":
        _token_auth_if_token()  # before Ray is imported: it reads the mode once
    ray = import_ray()
    if ray.is_initialized():
        return ray
    source = str(Path(__file__).resolve().parents[2])  # the folder holding kb/, ingest/ and index/
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    common: dict[str, Any] = {
        "runtime_env": {"env_vars": {"PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false"}},
        "include_dashboard": False,
        "logging_level": logging.WARNING,
        "log_to_driver": False,
    }
    local = {"num_cpus": cpus or os.cpu_count() or 1, "object_store_memory": object_store_mb * 2**20, **common}
    try:
        if address == "local":
            ray.init(**local)
        elif address == "auto":
            try:
                ray.init(address="auto", **common)
            except ConnectionError:
                ray.init(**local)
        else:
            ray.init(address=address, **common)
    except Exception as exc:
        if "token" in f"{exc} {exc.__cause__}".lower():
            raise KBError(
                f"the Ray cluster at {address} wants its token: run `ray get-auth-token` on the head node and "
                f"set RAY_AUTH_TOKEN (or copy it to ~/.ray/auth_token) here ({exc})"
            ) from exc
        raise
    return ray


def _token_auth_if_token() -> None:
    """Joining a running cluster: send the token when there is one.

    ``ray start`` turns token authentication on by default, but a driver joining it sends no token
    unless ``RAY_AUTH_MODE=token`` is set, and fails with "Authentication token is missing".
    """
    if "RAY_AUTH_MODE" in os.environ:
        return
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or str(Path.home() / ".ray" / "auth_token")
    if os.environ.get("RAY_AUTH_TOKEN") or Path(path).is_file():
        os.environ["RAY_AUTH_MODE"] = "token"


def parse_files(batch: dict[str, np.ndarray], limits: Any) -> dict[str, np.ndarray]:
    """A Ray task: parse files in the sandbox (same limits, same skip reasons as a local ingest)."""
    from ingest.sandbox import read_many_isolated

    paths = [Path(str(p)) for p in batch["path"]]
    parsed = [
        pickle.dumps((r.code, r.message) if isinstance(r, ReadError) else r)  # exceptions do not unpickle
        for _, r in read_many_isolated(paths, limits)
    ]
    return {**batch, "parsed": np.array(parsed, dtype=object)}


class AnalyseEmbed:
    """A Ray actor: the analyser and the embedder, loaded once, applied to groups of parsed documents.

    Each document comes back pickled as ``("row", ReportRow)`` (skipped) or ``("doc", Analysed,
    vectors, NER entities)``: the writer needs the entities an analyser found by NER, which only
    this process's analyser knows.
    """

    def __init__(self, settings: Any, load_embedder: Callable[[], Any], threads: int | None) -> None:
        from ingest.analyse import Analyser

        self.analyser = Analyser(settings)
        self.embedder = load_embedder()
        i = self.embedder.info
        self.info = {"name": i.name, "family": i.family, "runtime": i.runtime, "dim": i.dim}
        self._analysing, self._embedding = threading.Lock(), threading.Lock()
        torch = sys.modules.get("torch")
        if threads and torch is not None:  # Ray gives an actor of num_cpus=1 one thread
            torch.set_num_threads(threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from index.embed import embed_cached
        from ingest.analyse import Analysed

        n = len(batch["i"])
        out: list[Any] = [None] * n
        items, where = [], []
        for j in range(n):
            path, result = str(batch["path"][j]), pickle.loads(batch["parsed"][j])
            if isinstance(result, tuple):  # a ReadError's code and message
                out[j] = ("row", ReportRow(path, "skipped", *result))
                continue
            items.append((str(batch["doc_id"][j]), Path(path), str(batch["sha"][j]), int(batch["size"][j]), result))
            where.append(j)
        with self._analysing:  # two calls in flight: one analyses while the other embeds, as locally
            outcomes = CORES.run(self.analyser.analyse, items) if items else []
        found = [a for a in outcomes if isinstance(a, Analysed)]
        texts = [c.text for a in found for c in a.chunks]
        size = getattr(self.embedder, "preferred_batch", CPU_BATCH)
        with self._embedding:  # torch takes one thread fewer while the other call analyses
            vectors = embed_cached(self.embedder, texts, None, batch_size=size, pace=CORES.pace)
        at = 0
        for j, outcome in zip(where, outcomes, strict=True):
            if not isinstance(outcome, Analysed):
                out[j] = ("row", ReportRow(str(outcome.path), "skipped", outcome.reason, outcome.message))
                continue
            ids = {m.entity_id for ms in outcome.mentions for m in ms}
            ner = {e: ent for e in ids if (ent := self.analyser.entity(e)) is not None and not self._known(e)}
            out[j] = ("doc", outcome, vectors[at : at + len(outcome.chunks)].copy(), ner, self.info)
            at += len(outcome.chunks)
        return {"i": batch["i"], "out": np.array([pickle.dumps(o) for o in out], dtype=object)}

    def _known(self, entity_id: str) -> bool:
        return self.analyser.gazetteer.get(entity_id) is not None  # type: ignore[attr-defined]


@dataclass
class RayExecutor:
    """Run the read, analysis and embedding of an ingest on Ray (``kb ingest --ray``).

    ``address``: ``auto``, ``local`` or a cluster address (``HOST:6379``, ``ray://HOST:10001``).
    ``actors``: size of the analysis/embedding pool; default every CPU but one (a pool that takes every
    CPU leaves none to the parse tasks and can hang). ``load_embedder``: what an actor calls to build its
    embedder (picklable); default the knowledge base's configured embedder and device.
    """

    address: str = "auto"
    actors: int | None = None
    object_store_mb: int = 1024
    load_embedder: Callable[[], Any] | None = None
    cpus: int | None = None  # of a local cluster started here (default: every CPU)
    threads: int | None = None  # torch threads per actor (default: Ray's, one per CPU the actor asks for)

    def prepare(
        self, ctx: WriteContext, batches: Sequence[Sequence[Todo]], limits: Any, progress: Progress | None
    ) -> Generator[Prepared, None, None]:
        """One :class:`Prepared` per batch, in order, while the cluster works ahead on the next ones."""
        ray = connect(self.address, self.object_store_mb, self.cpus)
        order = [reading_order([p for _, p, *_ in batch]) for batch in batches]
        todo = {p: (doc_id, sha, size) for batch in batches for doc_id, p, sha, size, _ in batch}
        rows = [
            {"i": i, "path": str(p), "doc_id": todo[p][0], "sha": todo[p][1], "size": todo[p][2]}
            for i, p in enumerate(p for paths in order for p in paths)
        ]
        records = self._stream(ray, ctx, rows, limits)
        total, start = len(rows), 0
        for paths in order:
            prepared = Prepared()
            for i in range(start, start + len(paths)):
                _collect(prepared, pickle.loads(records(i)))
            start += len(paths)
            if progress:
                progress("embed", start, total)
            yield prepared

    def _stream(self, ray: Any, ctx: WriteContext, rows: list[dict[str, Any]], limits: Any) -> Callable[[int], bytes]:
        """The dataset of the whole run, streamed; returns a lookup of record ``i`` that waits for it."""
        from ingest.analyse import AnalysisSettings

        data = ray.data.DataContext.get_current()
        data.execution_options.preserve_order = True
        data.enable_progress_bars = False
        cpus = int(ray.cluster_resources().get("CPU", 1))
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 and ctx.config.device != "cpu" else 0
        load = self.load_embedder or functools.partial(_configured_embedder, ctx.config.embedder, ctx.config.device)
        ds = ray.data.from_items(rows, override_num_blocks=max(1, len(rows) // GROUP_DOCS))
        ds = ds.map_batches(parse_files, fn_args=(limits,), batch_size=GROUP_DOCS, num_cpus=1, max_retries=RETRIES)
        ds = ds.map_batches(
            AnalyseEmbed,
            fn_constructor_args=(AnalysisSettings.of(ctx.config), load, self.threads),
            batch_size=GROUP_DOCS,
            compute=ray.data.ActorPoolStrategy(
                size=self.actors or max(1, cpus - 1), max_concurrent_calls_per_actor=2, enable_true_multi_threading=True
            ),
            num_cpus=1,
            num_gpus=gpus,
            max_restarts=RETRIES,
            max_task_retries=RETRIES,
        )
        stream = iter(ds.iter_rows())
        arrived: dict[int, bytes] = {}

        def record(i: int) -> bytes:
            while i not in arrived:
                try:
                    row = next(stream)
                except StopIteration:
                    raise KBError(f"the Ray workers returned no result for file {i + 1} of {len(rows)}") from None
                except Exception as exc:  # retries spent: nothing of this batch is committed
                    said = " ".join(str(exc).split())[:200]
                    raise KBError(
                        f"the Ray workers failed ({type(exc).__name__}: {said}); the batches before this one are "
                        "committed, run the same ingest again to finish"
                    ) from exc
                arrived[int(row["i"])] = row["out"]
            return arrived.pop(i)

        return record


def _configured_embedder(name: str, device: str) -> Any:
    from index.models import load_embedder

    return load_embedder(name, device)


def _collect(prepared: Prepared, record: tuple[Any, ...]) -> None:
    """Add one file's record to its batch: a skip row, or a document, its vectors and its NER entities."""
    if record[0] == "row":
        prepared.rows.append(record[1])
        return
    _, analysed, vectors, ner, prepared.embedder = record
    prepared.analysed.append(analysed)
    prepared.parts.append(vectors)
    prepared.entities.update(ner)
