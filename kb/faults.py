"""Fault injection for the crash and concurrency tests.

``KB_CRASH_AT=<point>`` kills the process at that checkpoint (the crash tests run a writer in a
subprocess). ``KB_PAUSE_AT=<point>`` with ``KB_PAUSE_DIR=<dir>`` makes it wait there: the n-th
time it reaches the point it creates ``<dir>/<point>.<n>.reached`` and waits for
``<dir>/<point>.<n>.go`` (the concurrency test holds a writer before a compaction commit that
way). In-process tests can instead run a function at a point with :func:`hook`. Outside tests
the variables are unset, no hook is set, and a checkpoint costs three dictionary lookups.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

#: the stages of an ingest commit (see ``kb.write.commit``), in order
INGEST_POINTS = ("read", "embed", "originals_kept", "segment_written", "store_committed", "manifest_written")
#: ``kb remove``: after its SQLite commit, then after the manifest (before the original is deleted)
REMOVE_POINTS = ("remove_committed", "remove_manifest_written")
#: compaction: merged segment written, committed, manifest written (before old segments are deleted)
COMPACT_POINTS = ("compact_segment_written", "compact_committed", "compact_manifest_written")
#: a search has taken its view (one generation) and not yet searched it
READ_POINTS = ("search_view",)
POINTS = INGEST_POINTS + REMOVE_POINTS + COMPACT_POINTS
PAUSE_LIMIT_S = 600  # a paused writer whose test died goes on by itself

_HOOKS: dict[str, Callable[[], None]] = {}
_PAUSED: dict[str, int] = {}


def checkpoint(point: str) -> None:
    """Mark a stage: SIGKILL or pause here when the environment names it, run its hook if any."""
    if os.environ.get("KB_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("KB_PAUSE_AT") == point:
        _pause(point, Path(os.environ["KB_PAUSE_DIR"]))
    fn = _HOOKS.get(point)
    if fn is not None:
        fn()


def _pause(point: str, folder: Path) -> None:
    n = _PAUSED[point] = _PAUSED.get(point, 0) + 1
    (folder / f"{point}.{n}.reached").touch()
    go = folder / f"{point}.{n}.go"
    deadline = time.monotonic() + PAUSE_LIMIT_S
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)


@contextlib.contextmanager
def hook(point: str, fn: Callable[[], None]) -> Iterator[None]:
    """Run ``fn`` at every ``checkpoint(point)`` of this process while the block runs (tests only)."""
    _HOOKS[point] = fn
    try:
        yield
    finally:
        _HOOKS.pop(point, None)
