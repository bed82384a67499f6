"""Run readers in child processes with a time budget, so one pathological file cannot hang or crash a batch.

Workers come from a "forkserver" context (never a plain fork of a process that already runs
torch or FAISS threads), are reused across files, and are killed and replaced when a file
exceeds its time budget or kills its worker.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import types
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ingest.readers.registry import DEFAULT_LIMITS, ReadLimits, read_file
from kb.types import RawDocument, ReadError

_CTX: Any = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
if _CTX.get_start_method() == "forkserver":
    # never re-import the parent's __main__ (a Streamlit script, a notebook) in the readers' server
    _CTX.set_forkserver_preload(["ingest.sandbox"])


def _serve(conn: Any) -> None:
    """Worker loop: read paths from the pipe, answer with a RawDocument or a ReadError."""
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        path, limits = job
        try:
            if (Path(path).parent / ".kb-test-hang").exists() and Path(path).name.startswith("hang"):
                import time

                time.sleep(3600)  # test hook: a file that never finishes parsing
            result: Any = read_file(Path(path), limits)
        except ReadError as exc:
            result = ("error", exc.code, exc.message)
        except BaseException as exc:  # noqa: BLE001
            result = ("error", "damaged", f"{type(exc).__name__}: {exc}"[:200])
        try:
            conn.send(result)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable oddity
            conn.send(("error", "damaged", f"cannot return result: {exc}"[:200]))


class _Worker:
    def __init__(self) -> None:
        self.conn, child = _CTX.Pipe()
        self.proc = _CTX.Process(target=_serve, args=(child,), daemon=True)
        # The child would re-import the parent's __main__ (a Streamlit script, a notebook, a CLI
        # entry point) and run it again: start it with a bare __main__ instead.
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            self.proc.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main
        child.close()

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
        self.conn.close()


def _outcome(obj: Any) -> RawDocument | ReadError:
    if isinstance(obj, tuple) and obj and obj[0] == "error":
        return ReadError(obj[1], obj[2])
    return obj  # type: ignore[no-any-return]


def read_many_isolated(
    paths: Sequence[Path], limits: ReadLimits = DEFAULT_LIMITS, workers: int = 1
) -> Iterator[tuple[Path, RawDocument | ReadError]]:
    """Read files in child processes; yields ``(path, document or error)`` in input order."""
    if not paths:
        return
    pool = [_Worker() for _ in range(max(1, min(workers, len(paths))))]
    pending: deque[tuple[int, Path]] = deque(enumerate(paths))
    busy: dict[int, tuple[int, Path, float]] = {}
    done: dict[int, tuple[Path, RawDocument | ReadError]] = {}
    next_out = 0
    import time

    try:
        while next_out < len(paths):
            for w, worker in enumerate(pool):
                if w not in busy and pending:
                    idx, path = pending.popleft()
                    worker.conn.send((str(path), limits))
                    busy[w] = (idx, path, time.monotonic())
            ready = mp.connection.wait([pool[w].conn for w in busy], timeout=0.5)
            for w, (idx, path, started) in list(busy.items()):
                worker = pool[w]
                result: RawDocument | ReadError | None = None
                if worker.conn in ready:
                    try:
                        result = _outcome(worker.conn.recv())
                    except (EOFError, OSError):
                        result = ReadError("damaged", "the parser crashed on this file")
                        worker.stop(kill=True)
                        pool[w] = _Worker()
                elif not worker.proc.is_alive():
                    result = ReadError("damaged", f"the parser crashed on this file (exit {worker.proc.exitcode})")
                    worker.stop(kill=True)
                    pool[w] = _Worker()
                elif time.monotonic() - started > limits.timeout_s:
                    result = ReadError("timeout", f"parsing took longer than {limits.timeout_s:.0f} s")
                    worker.stop(kill=True)
                    pool[w] = _Worker()
                if result is not None:
                    done[idx] = (path, result)
                    del busy[w]
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
    finally:
        for worker in pool:
            worker.stop(kill=bool(busy))


def read_isolated(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> RawDocument:
    """Read one file in a child process; raises ReadError (``timeout`` past the budget)."""
    for _, result in read_many_isolated([path], limits):
        if isinstance(result, ReadError):
            raise result
        return result
    raise ReadError("damaged", "no result")
