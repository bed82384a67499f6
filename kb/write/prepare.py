"""Read, analyse and embed one batch of files, the three overlapped (nothing is stored here).

Parsing (sandbox child, reader thread), analysis of group k+1 (a thread: spaCy's matrix products
and torch's release the GIL) and embedding of group k (this thread) overlap: see
:mod:`kb.write.concurrency`. The analysis is complete when a document leaves this step (chunks,
mentions, passage regions, near-duplicate signature, action items, affiliations), so the commit
that follows only writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.analyse import Analysed, Rejected
from kb.faults import checkpoint
from kb.types import Progress, ReadError, ReportRow
from kb.write.concurrency import CORES, Stopwatch, read_ahead, reading_order
from kb.write.context import WriteContext
from kb.write.scan import Todo

GROUP_DOCS = 8  # documents analysed and embedded together while the reader parses the next ones
CPU_BATCH = 16  # passages per embedding call unless the embedder prefers more (a GPU: index.embed.GPU_BATCH)

Item = tuple[str, Path, str, int, Any]  # doc_id, path, sha256, size, what the reader made of it


@dataclass
class Prepared:
    """A batch ready to commit: its documents, their chunks' vectors (in order), and the files skipped."""

    analysed: list[Analysed] = field(default_factory=list)
    parts: list[np.ndarray] = field(default_factory=list)
    rows: list[ReportRow] = field(default_factory=list)
    entities: dict[str, Any] = field(default_factory=dict)  # NER entities a remote analyser found (id -> Entity)
    embedder: dict[str, Any] | None = None  # the remote embedder's manifest entry: this process loads no model

    def vectors(self, dim: Callable[[], int]) -> np.ndarray:
        return np.vstack(self.parts) if self.parts else np.zeros((0, dim()), dtype=np.float32)


@dataclass
class Progressed:
    """Where the batch sits in the whole run, for the progress callback."""

    progress: Progress | None
    offset: int
    total: int

    def __call__(self, stage: str, done: int) -> None:
        if self.progress:
            self.progress(stage, self.offset + done, self.total)


class _Overlap:
    """Hands each group to the analysis thread and embeds the group analysed before it."""

    def __init__(self, ctx: WriteContext, pool: ThreadPoolExecutor, clock: Stopwatch, tell: Progressed) -> None:
        self.ctx, self.pool, self.clock, self.tell = ctx, pool, clock, tell
        self.out = Prepared()
        self.pending: tuple[Future[list[Analysed | Rejected]], int] | None = None

    def hand_over(self, group: list[Item], n_read: int) -> None:
        """Queue ``group`` for analysis, then embed the group analysed before it (if any)."""
        previous = self.pending
        analyse = self.ctx.analyser.analyse
        self.pending = (self.pool.submit(CORES.run, analyse, group, self.ctx.timings), n_read) if group else None
        if previous is not None:
            outcomes = previous[0].result()
            self.clock.lap(None)  # waiting for the analysis is not a stage of its own
            self._embed(outcomes, previous[1])

    def _embed(self, outcomes: list[Analysed | Rejected], upto: int) -> None:
        """Embed an analysed group; ``upto`` is how many files had been read when it was handed over."""
        from index.embed import embed_cached

        found = [a for a in outcomes if isinstance(a, Analysed)]
        for r in outcomes:
            if isinstance(r, Rejected):
                self.out.rows.append(ReportRow(str(r.path), "skipped", r.reason, r.message))
        texts = [c.text for a in found for c in a.chunks]
        batch = getattr(self.ctx.embedder, "preferred_batch", CPU_BATCH)
        vectors = embed_cached(self.ctx.embedder, texts, self.ctx.cache, batch_size=batch, pace=CORES.pace)
        self.out.parts.append(vectors)
        self.out.analysed.extend(found)
        self.tell("embed", upto)
        self.clock.lap("embed")


def prepare_batch(
    ctx: WriteContext, batch: Sequence[Todo], limits: Any, tell: Progressed, clock: Stopwatch
) -> Prepared:
    """Read, analyse and embed ``batch``; files the readers or the analysis skip become report rows."""
    by_path = {p: (doc_id, sha, size) for doc_id, p, sha, size, _ in batch}
    n_read = 0
    with ThreadPoolExecutor(1, thread_name_prefix="kb-analyse") as pool, CORES.shared():
        overlap = _Overlap(ctx, pool, clock, tell)
        group: list[Item] = []
        group_docs = GROUP_DOCS * max(1, getattr(ctx.embedder, "preferred_batch", CPU_BATCH) // CPU_BATCH // 8)
        for path, result in read_ahead(reading_order(list(by_path)), limits):
            n_read += 1
            clock.lap("read")  # only the time spent waiting for the reader counts as reading
            tell("read", n_read)
            if isinstance(result, ReadError):
                overlap.out.rows.append(ReportRow(str(path), "skipped", result.code, result.message))
                continue
            doc_id, sha, size = by_path[path]
            group.append((doc_id, path, sha, size, result))
            if len(group) >= group_docs:
                overlap.hand_over(group, n_read)
                group = []
        checkpoint("read")
        overlap.hand_over(group, n_read)
        overlap.hand_over([], n_read)
    tell("embed", n_read)
    return overlap.out
