"""An ingest run: scan, then per batch of files read-ahead, analysis, embedding, one segment, one commit.

``scan`` (:mod:`kb.write.scan`) sorts the files into unchanged, duplicates and work to do. Each
batch of work is read, analysed and embedded with the three overlapped (:mod:`kb.write.prepare`),
then committed as one new segment and generation (:mod:`kb.write.commit`). Skips are report rows,
never exceptions: a file the readers reject, a document whose analysis fails, an original that
vanished before it was copied.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from kb.config import Config
from kb.faults import checkpoint
from kb.store import writes as w
from kb.store.lookups import next_report_run
from kb.types import IngestReport, Progress, ReportRow
from kb.write.commit import OnCommit, commit_batch
from kb.write.compact import compact
from kb.write.concurrency import Stopwatch
from kb.write.context import WriteContext
from kb.write.prepare import Prepared, Progressed, prepare_batch
from kb.write.scan import Todo, expand, scan, settle_copies

BATCH_DOCS = 200  # documents per segment commit: bounds memory and the work a crash can lose


class Executor(Protocol):
    """Where the read, analysis and embedding of an ingest run, when not in this process (``kb.write.distributed``).

    ``prepare`` gets every batch of the run at once, so it can keep its workers busy across batches,
    and yields one :class:`~kb.write.prepare.Prepared` per batch, in order; the writer commits each as
    it comes, exactly as a local ingest does.
    """

    def prepare(
        self, ctx: WriteContext, batches: Sequence[Sequence[Todo]], limits: Any, progress: Progress | None
    ) -> Generator[Prepared, None, None]: ...


def read_limits(config: Config, passwords: Sequence[str] = ()) -> Any:
    """The budgets every file read gets: ingest and the precedent finder's drafts alike."""
    from ingest.readers import ReadLimits

    return ReadLimits(
        max_bytes=config.max_file_mb * 1024 * 1024,
        max_pages=config.max_pages,
        timeout_s=config.file_timeout_s,
        max_memory_mb=config.max_parser_memory_mb,
        ocr=config.ocr,
        ocr_langs=config.ocr_langs,
        passwords=tuple(passwords),
    )


def run_ingest(
    ctx: WriteContext,
    paths: Iterable[str | Path],
    collection: str | None,
    *,
    locked: bool = False,  # the caller holds the writer lock already (an upload stages its files under it)
    passwords: Sequence[str] = (),
    progress: Progress | None = None,
    executor: Executor | str | None = None,
    on_commit: OnCommit | None = None,
) -> IngestReport:
    """Ingest files and folders (recursively) under the writer lock; one report row per file.

    With an ``executor`` the files are read, analysed and embedded elsewhere (a Ray cluster); this
    process stays the one writer and commits each batch through the same path. ``on_commit`` is
    called after each batch's commit with what it stored (see :class:`kb.write.commit.Committed`).
    """
    if isinstance(executor, str):  # a Ray address
        from kb.write.distributed import RayExecutor

        executor = RayExecutor(executor)
    files = list(expand(paths))
    store = ctx.store
    limits = read_limits(ctx.config, passwords)
    from contextlib import nullcontext

    with nullcontext() if locked else store.writer_lock():
        store.remove_orphans()
        run = next_report_run(store)
        rows, todo, same = scan(store, files, collection, progress)
        batches = [todo[start : start + BATCH_DOCS] for start in range(0, len(todo), BATCH_DOCS)]
        remote = executor.prepare(ctx, batches, limits, progress) if executor and batches else None
        with contextlib.closing(remote) if remote is not None else contextlib.nullcontext():  # stops the workers
            for i, batch in enumerate(batches):
                tell = Progressed(progress, i * BATCH_DOCS, len(todo))
                rows.extend(ingest_batch(ctx, batch, collection, limits, tell, remote, on_commit))
        rows.extend(settle_copies(rows, same))
        with store.transaction():
            w.record_duplicate_paths(store, rows, collection)
            w.add_report_rows(store, run, rows, time.time())
        if len(store.live_segments()) > ctx.config.compact_segments:
            compact(ctx, locked=True)
    return IngestReport(tuple(rows), store.generation)


def ingest_batch(
    ctx: WriteContext,
    batch: Sequence[Todo],
    collection: str | None,
    limits: Any,
    tell: Progressed,
    remote: Iterator[Prepared] | None = None,
    on_commit: OnCommit | None = None,
) -> list[ReportRow]:
    """One batch: read, analyse and embed (overlapped, or the executor's next batch), then one commit."""
    clock = Stopwatch(ctx.timings)
    prepared = next(remote) if remote is not None else prepare_batch(ctx, batch, limits, tell, clock)
    if not prepared.analysed:
        return in_input_order(prepared.rows, batch)
    checkpoint("embed")
    clock.lap("embed")
    stored = commit_batch(ctx, prepared, batch, collection, clock, on_commit)
    return in_input_order(prepared.rows + stored, batch)


def in_input_order(rows: list[ReportRow], batch: Sequence[Todo]) -> list[ReportRow]:
    position = {str(p): i for i, (_, p, *_) in enumerate(batch)}
    return sorted(rows, key=lambda r: position.get(r.path, len(position)))
