"""Run readers in child processes with a time budget, so one pathological file cannot hang or crash a batch.

Why child processes: pypdf can loop for minutes on a crafted page tree, a PDF renderer can
segfault, and a zip bomb can eat memory. A worker that exceeds ``ReadLimits.timeout_s`` is killed
("timeout"); a worker that dies is replaced ("damaged"); the batch goes on either way.

Workers come from a "forkserver" context (never a plain fork of a process that already runs
torch or FAISS threads), are started lazily on first use, and are kept in a small idle pool so
later calls reuse them (the readers' imports are paid once, not per file).
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from ingest.readers.limits import DEFAULT_LIMITS, OverMemory, ReadLimits
from ingest.readers.registry import read_file
from ingest.types import RawDocument, ReadError

#: A reader the worker calls: a module-level function (sent to the child by qualified name).
Reader = Callable[[Path, ReadLimits], RawDocument]

MAX_IDLE = 4  # idle workers kept for the next call
MAX_JOBS = 200  # a worker is retired after this many files (parsers can leak memory)
_POLL_S = 0.25

_START_LOCK = threading.Lock()
_CTX: Any = None


def _context() -> Any:
    global _CTX
    if _CTX is None:
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        _CTX = mp.get_context(method)
        if method == "forkserver":
            # the server imports the readers once; every worker forks from it already warm
            _CTX.set_forkserver_preload(["ingest.sandbox"])
    return _CTX


def _cap_memory(mb: int) -> None:
    """Cap this worker's address space (``RLIMIT_AS``) at ``mb`` MB for the next file; 0 lifts the cap.

    Address space, not resident memory, because it is the limit the kernel enforces at allocation
    time: a parser gets a MemoryError (or a failed malloc) instead of the whole machine swapping.

    Only the soft limit moves, so each file can have its own cap in a reused worker. A child
    process (Tesseract) inherits the cap: its page images are hostile input too.
    """
    try:
        import resource
    except ImportError:  # not a POSIX system: no cap
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = hard if mb <= 0 else mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if want != soft:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
        except (ValueError, OSError):  # a system that does not enforce it (macOS): parse without a cap
            pass


def _serve(conn: Any) -> None:
    """Worker loop: receive ``(reader, path, limits)``, answer with a RawDocument or an error tuple.

    An error tuple is ``("error", code, message, retire)``: after running out of memory the worker
    answers and then exits (its heap may stay fragmented), and ``retire`` tells the parent so.
    """
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        reader, path, limits = job
        retire = False
        try:
            _cap_memory(limits.memory_cap_mb)
            result: Any = reader(Path(path), limits)
        except MemoryError:  # a reader other than read_file (which turns it into OverMemory itself)
            over = OverMemory(limits)
            result, retire = ("error", over.code, over.message, True), True
        except ReadError as exc:
            retire = isinstance(exc, OverMemory)
            result = ("error", exc.code, exc.message, retire)
        except BaseException as exc:  # noqa: BLE001 - the parent must always get an answer
            result = ("error", "damaged", f"{type(exc).__name__}: {exc}"[:200], False)
        try:
            conn.send(result)
        except MemoryError:  # pickling a large document went over the cap
            over, retire = OverMemory(limits), True
            conn.send(("error", over.code, over.message, True))
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be sent back
            conn.send(("error", "damaged", f"cannot return result: {exc}"[:200], False))
        if retire:
            return


class _Worker:
    """One child process and the pipe to it."""

    def __init__(self) -> None:
        ctx = _context()
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="kb-reader")
        self.jobs = 0
        # A child re-imports the parent's __main__ (a Streamlit script, a notebook, a CLI entry
        # point) and would run it again: start it with a bare __main__ instead.
        with _START_LOCK:
            main = sys.modules.get("__main__")
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                self.proc.start()
            finally:
                if main is not None:
                    sys.modules["__main__"] = main
        child.close()

    def alive(self) -> bool:
        return self.proc.is_alive() and not self.conn.closed

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.conn.close()


class _Pool:
    """Idle workers shared by every call in this process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []

    def acquire(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.stop(kill=True)
        return _Worker()

    def release(self, worker: _Worker) -> None:
        with self._lock:
            if worker.alive() and worker.jobs < MAX_JOBS and len(self._idle) < MAX_IDLE:
                self._idle.append(worker)
                return
        worker.stop()

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


_POOL = _Pool()
atexit.register(_POOL.shutdown)


def _outcome(obj: Any) -> RawDocument | ReadError:
    if isinstance(obj, tuple) and obj and obj[0] == "error":
        return ReadError(obj[1], obj[2])
    if isinstance(obj, RawDocument):
        return obj
    return ReadError("damaged", f"the reader returned {type(obj).__name__}")


def read_many_isolated(
    paths: Sequence[Path],
    limits: ReadLimits = DEFAULT_LIMITS,
    workers: int = 1,
    *,
    reader: Reader = read_file,
) -> Iterator[tuple[Path, RawDocument | ReadError]]:
    """Read files in child processes; yields ``(path, document or error)`` in input order.

    Args:
        paths: the files to read.
        limits: budgets; ``limits.timeout_s`` is per file, counted from when a worker takes it.
        workers: child processes used at once (each file still runs alone in its worker).
        reader: the function a worker calls, ``read_file`` unless a test injects a misbehaving one;
            it must be importable by qualified name.
    """
    paths = list(paths)
    if not paths:
        return
    pool = [_POOL.acquire() for _ in range(max(1, min(workers, len(paths))))]
    pending: deque[tuple[int, Path]] = deque(enumerate(paths))
    busy: dict[int, tuple[int, Path, float]] = {}
    done: dict[int, tuple[Path, RawDocument | ReadError]] = {}
    next_out = 0
    try:
        while next_out < len(paths):
            for w, worker in enumerate(pool):
                if w not in busy and pending:
                    idx, path = pending.popleft()
                    busy[w] = (idx, path, time.monotonic())
                    try:
                        worker.conn.send((reader, str(path), limits))
                        worker.jobs += 1
                    except (BrokenPipeError, OSError):
                        pass  # a dead worker: noticed below and replaced
            ready = wait([pool[w].conn for w in busy], timeout=_POLL_S)
            for w, (idx, path, started) in list(busy.items()):
                result = _collect(pool[w], ready, started, limits.timeout_s)
                if result is None:
                    continue
                if not pool[w].alive() and pending:
                    pool[w] = _Worker()  # the old one was killed or died: a fresh one for the next file
                done[idx] = (path, result)
                del busy[w]
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
    finally:
        for w, worker in enumerate(pool):
            if w in busy:
                worker.stop(kill=True)  # abandoned mid-file (the caller stopped iterating)
            else:
                _POOL.release(worker)


def _collect(worker: _Worker, ready: list[Any], started: float, timeout_s: float) -> RawDocument | ReadError | None:
    """The result of a busy worker if it has one (or died, or ran out of time), else None."""
    if worker.conn in ready:
        try:
            answer = worker.conn.recv()
        except (EOFError, OSError):
            worker.stop(kill=True)
            return ReadError("damaged", f"the parser crashed on this file (exit {worker.proc.exitcode})")
        if isinstance(answer, tuple) and answer[-1] is True:
            worker.stop()  # it ran out of memory and exits: a fresh one takes the next file
        return _outcome(answer)
    if not worker.proc.is_alive():
        worker.stop(kill=True)
        return ReadError("damaged", f"the parser crashed on this file (exit {worker.proc.exitcode})")
    if time.monotonic() - started > timeout_s:
        worker.stop(kill=True)
        return ReadError("timeout", f"parsing took longer than {timeout_s:g} s")
    return None


def read_isolated(path: Path, limits: ReadLimits = DEFAULT_LIMITS, *, reader: Reader = read_file) -> RawDocument:
    """Read one file in a child process.

    Raises:
        ReadError: as :func:`ingest.readers.read_file`, plus ``timeout`` past ``limits.timeout_s``
            and ``damaged`` when the parser kills its process.
    """
    for _, result in read_many_isolated([path], limits, reader=reader):
        if isinstance(result, ReadError):
            raise result
        return result
    raise ReadError("damaged", "no result")
