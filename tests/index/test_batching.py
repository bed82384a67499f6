"""Concurrent queries share encoder runs (index.batching): same vectors, fewer runs, errors reach every caller."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

from index.batching import QueryBatcher


class SlowEncoder:
    """Vectors that identify their text; each run takes a while, so callers pile up behind it."""

    def __init__(self, delay: float = 0.02, fail_on: str | None = None) -> None:
        self.delay, self.fail_on = delay, fail_on
        self.batches: list[list[str]] = []
        self.lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            self.batches.append(list(texts))
        time.sleep(self.delay)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError(f"cannot embed {self.fail_on}")
        return np.array([[float(len(t)), float(sum(map(ord, t)))] for t in texts], dtype=np.float32)


def expected(text: str) -> np.ndarray:
    return np.array([[float(len(text)), float(sum(map(ord, text)))]], dtype=np.float32)


def run_together(batcher: QueryBatcher, texts: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    start = threading.Barrier(len(texts))

    def call(t: str) -> None:
        start.wait()
        try:
            out[t] = batcher.embed(t)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            out[t] = exc

    threads = [threading.Thread(target=call, args=(t,)) for t in texts]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    return out


def test_a_lone_caller_runs_at_once_and_gets_its_own_vector() -> None:
    enc = SlowEncoder(delay=0)
    batcher = QueryBatcher(enc)
    for text in ("control migratorio", "border", "x"):
        np.testing.assert_array_equal(batcher.embed(text), expected(text))
    assert enc.batches == [["control migratorio"], ["border"], ["x"]]


def test_overlapping_callers_share_runs_and_each_gets_its_own_vector() -> None:
    enc = SlowEncoder()
    batcher = QueryBatcher(enc, max_batch=16)
    texts = [f"query number {i}" + "!" * i for i in range(12)]
    out = run_together(batcher, texts)
    for t in texts:
        np.testing.assert_array_equal(out[t], expected(t))
    assert sorted(t for b in enc.batches for t in b) == sorted(texts)  # each embedded exactly once
    assert len(enc.batches) < len(texts)  # the ones that arrived during a run were batched
    assert max(len(b) for b in enc.batches) > 1


def test_batches_never_exceed_the_limit() -> None:
    enc = SlowEncoder()
    out = run_together(QueryBatcher(enc, max_batch=3), [f"q{i}" for i in range(10)])
    assert all(isinstance(v, np.ndarray) for v in out.values())
    assert max(len(b) for b in enc.batches) <= 3


def test_an_error_reaches_every_caller_of_its_batch_and_the_batcher_keeps_working() -> None:
    enc = SlowEncoder(fail_on="bad")
    batcher = QueryBatcher(enc)
    out = run_together(batcher, ["bad", "good 1", "good 2", "good 3"])
    failed = {t for t, v in out.items() if isinstance(v, RuntimeError)}
    assert "bad" in failed
    for t, v in out.items():
        if t not in failed:
            np.testing.assert_array_equal(v, expected(t))
    # every caller that failed shared a run with "bad"
    assert all(any(t in b and "bad" in b for b in enc.batches) for t in failed)
    np.testing.assert_array_equal(batcher.embed("after"), expected("after"))


def test_batching_off_calls_the_encoder_once_per_text() -> None:
    enc = SlowEncoder(delay=0.01)
    out = run_together(QueryBatcher(enc, max_batch=0), [f"q{i}" for i in range(6)])
    assert all(len(b) == 1 for b in enc.batches) and len(enc.batches) == 6
    assert all(isinstance(v, np.ndarray) for v in out.values())
