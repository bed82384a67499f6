"""Fault injection for the crash and concurrency tests.

``KB_CRASH_AT=<point>`` kills the process at that checkpoint (the crash tests run a writer in a
subprocess). In-process tests can instead run a function there with :func:`hook`, to order one
thread's step against another's deterministically. Outside tests the variable is unset, no hook is
set, and a checkpoint costs two dictionary lookups.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator

#: the stages of an ingest commit (see ``kb.store``), in order
INGEST_POINTS = ("read", "embed", "segment_written", "originals_kept", "store_committed", "manifest_written")
#: ``kb remove``: after its SQLite commit, then after the manifest (before the original is deleted)
REMOVE_POINTS = ("remove_committed", "remove_manifest_written")
#: compaction: merged segment written, committed, manifest written (before old segments are deleted)
COMPACT_POINTS = ("compact_segment_written", "compact_committed", "compact_manifest_written")
#: readers: the view's generation has been read, its segments are not loaded yet
READ_POINTS = ("view_read", "search_view")
POINTS = INGEST_POINTS + REMOVE_POINTS + COMPACT_POINTS

_HOOKS: dict[str, Callable[[], None]] = {}


def checkpoint(point: str) -> None:
    """Mark a stage: SIGKILL here when ``KB_CRASH_AT`` names it, run the hook set for it if any."""
    if os.environ.get("KB_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    fn = _HOOKS.get(point)
    if fn is not None:
        fn()


@contextlib.contextmanager
def hook(point: str, fn: Callable[[], None]) -> Iterator[None]:
    """Run ``fn`` at every ``checkpoint(point)`` of this process while the block runs (tests only)."""
    _HOOKS[point] = fn
    try:
        yield
    finally:
        _HOOKS.pop(point, None)
