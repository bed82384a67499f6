"""Fault injection for the crash tests: ``KB_CRASH_AT=<point>`` kills the process there.

The points mark the stages of a commit (see ``kb.store``). Outside tests the variable is unset
and a checkpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

POINTS = ("read", "embed", "segment_written", "store_committed", "manifest_written")


def checkpoint(point: str) -> None:
    if os.environ.get("KB_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
