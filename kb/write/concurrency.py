"""How an ingest run keeps two cores busy: parsing, analysis and embedding overlap.

Three things run at once: the sandbox parses the next files (OCR included) in a child process
fed by a reader thread, an analysis thread chunks and tags group k+1, and the caller's thread
embeds group k. What is measured on the bundled corpus (bench/bench_ingest.py) drives the
choices here: cheap files are read first, the reader may run far ahead, and the embedder leaves
a core to whichever other stage is working.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

READ_AHEAD = 64  # parsed documents the reader may hold ready: a long lead absorbs runs of scans


class CoreShare:
    """Counts the CPU work running beside the embedder (parsing and OCR, analysis), so it can leave them a core.

    On two cores torch's two threads get about 1.65 cores' worth of work done; when OCR or NER
    competes for a core, both torch threads stall at every barrier while one is descheduled. The
    embedder takes one thread while other work runs and both otherwise (``pace`` is called before each
    small embedding batch).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self._full: int | None = None  # torch's thread count before the first run changed it

    def run(self, fn: Any, *args: Any) -> Any:
        with self._lock:
            self._busy += 1
        try:
            return fn(*args)
        finally:
            with self._lock:
                self._busy -= 1

    def pace(self) -> None:
        """Before an embedding batch: one torch thread fewer while other work runs, all of them otherwise."""
        self._set_threads(self._busy > 0)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """An ingest run: the embedder gets all its threads back when it ends, however it ends."""
        try:
            yield
        finally:
            self._set_threads(False)

    def _set_threads(self, busy: bool) -> None:
        torch = sys.modules.get("torch")  # only an embedder that imported torch has threads to share
        if torch is None:
            return
        if self._full is None:
            self._full = int(torch.get_num_threads())
        want = max(1, self._full - 1) if busy else self._full
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)


CORES = CoreShare()


def reading_order(paths: Sequence[Path]) -> list[Path]:
    """Cheap files first: while the embedder works on them, the reader gets ahead on the PDFs (OCR).

    Results are handed over in reading order, so a scan near the front of the list would leave
    the analysis and the embedder idle at the start of a run.
    """

    def cost(p: Path) -> tuple[bool, int]:
        try:
            size = p.stat().st_size
        except OSError:
            size = 0
        return p.suffix.lower() == ".pdf", size

    return sorted(paths, key=cost)


def read_ahead(paths: Sequence[Path], limits: Any) -> Iterator[tuple[Path, Any]]:
    """``read_many_isolated`` driven by a thread: the sandbox keeps parsing while the caller works.

    The sandbox hands a worker its next file only when its generator is advanced; a thread that
    drains it into a queue keeps the worker busy. Results arrive in input order, as before.
    """
    from ingest.sandbox import read_many_isolated

    out: queue.Queue[tuple[Path, Any] | BaseException | None] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def put(item: tuple[Path, Any] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def drain() -> None:
        items: Any = read_many_isolated(paths, limits)
        try:
            while True:
                item = CORES.run(next, items, None)
                if item is None:
                    put(None)
                    break
                if not put(item):
                    break
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            put(exc)
        finally:
            items.close()  # the sandbox gives its workers back even when the caller gave up

    thread = threading.Thread(target=drain, name="kb-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class Stopwatch:
    """Adds the time since the previous lap to ``timings[stage]`` (the benchmarks read them)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, stage: str | None) -> None:
        now = time.perf_counter()
        if stage:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now
