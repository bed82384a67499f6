"""DenseIndex against a numpy brute force; filters inside the search; durable save/load."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from index.dense import DenseIndex

DIM = 16


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    ids = rng.choice(10**12, size=300, replace=False).astype(np.int64)  # sparse, large SQLite-like ids
    return ids, _unit(rng, 300), _unit(rng, 5)


def brute(ids: np.ndarray, x: np.ndarray, q: np.ndarray, k: int, keep: np.ndarray | None = None):
    scores = q @ x.T
    if keep is not None:
        scores = np.where(keep[None, :], scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), ids[order]


def test_matches_brute_force(data) -> None:
    ids, x, q = data
    idx = DenseIndex.build(ids, x)
    assert len(idx) == 300 and idx.dim == DIM
    scores, got = idx.search(q, 10)
    want_scores, want = brute(ids, x, q, 10)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)


def test_single_query_vector(data) -> None:
    ids, x, q = data
    scores, got = DenseIndex.build(ids, x).search(q[0], 3)
    assert scores.shape == got.shape == (1, 3)
    np.testing.assert_array_equal(got, brute(ids, x, q[:1], 3)[1])


@pytest.mark.parametrize("mode", ["allowed", "exclude", "both"])
def test_filters_match_brute_force_and_still_fill_k(data, mode: str) -> None:
    ids, x, q = data
    rng = np.random.default_rng(1)
    allowed = rng.choice(ids, size=40, replace=False) if mode != "exclude" else None
    # exclude the unfiltered top hits, so a post-hoc trim would come back short
    top = brute(ids, x, q, 10)[1].ravel()
    exclude = np.concatenate([top, rng.choice(ids, size=30)]) if mode != "allowed" else None
    keep = np.ones(len(ids), bool)
    if allowed is not None:
        keep &= np.isin(ids, allowed)
    if exclude is not None:
        keep &= ~np.isin(ids, exclude)
    assert keep.sum() >= 10
    scores, got = DenseIndex.build(ids, x).search(q, 10, allowed=allowed, exclude=exclude)
    want_scores, want = brute(ids, x, q, 10, keep)
    assert (got >= 0).all()  # k hits, since >= k ids pass the filter
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)


def test_fewer_allowed_than_k_pads_with_minus_one(data) -> None:
    ids, x, q = data
    idx = DenseIndex.build(ids, x)
    scores, got = idx.search(q, 8, allowed=ids[:3])
    assert (got[:, :3] >= 0).all() and (got[:, 3:] == -1).all()
    assert np.isneginf(scores[:, 3:]).all()
    assert set(got[0, :3]) == set(ids[:3])
    s2, g2 = idx.search(q, 4, allowed=np.zeros(0, np.int64))
    assert (g2 == -1).all() and np.isneginf(s2).all()


def test_k_above_size_and_empty_index() -> None:
    rng = np.random.default_rng(3)
    x = _unit(rng, 4)
    _, got = DenseIndex.build(np.arange(4), x).search(x, 6)
    assert (got[:, :4] >= 0).all() and (got[:, 4:] == -1).all()
    empty = DenseIndex.build(np.zeros(0, np.int64), np.zeros((0, DIM), np.float32))
    assert len(empty) == 0 and empty.dim == DIM
    _, got = empty.search(x, 2)
    assert got.shape == (4, 2) and (got == -1).all()


def test_ids_and_reconstruct(data) -> None:
    ids, x, _ = data
    idx = DenseIndex.build(ids, x)
    np.testing.assert_array_equal(idx.ids(), ids)
    pick = ids[[5, 0, 299]]
    np.testing.assert_array_equal(idx.reconstruct(pick), x[[5, 0, 299]])
    assert idx.reconstruct(np.zeros(0, np.int64)).shape == (0, DIM)


def test_build_rejects_bad_input() -> None:
    x = _unit(np.random.default_rng(0), 3)
    with pytest.raises(ValueError):
        DenseIndex.build(np.array([1, 1, 2]), x)
    with pytest.raises(ValueError):
        DenseIndex.build(np.array([1, 2]), x)


@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(tmp_path: Path, data, mmap: bool) -> None:
    ids, x, q = data
    idx = DenseIndex.build(ids, x)
    idx.save(tmp_path / "dense")
    back = DenseIndex.load(tmp_path / "dense", mmap=mmap)
    assert len(back) == len(idx) and back.dim == DIM
    for kwargs in ({}, {"allowed": ids[:50], "exclude": ids[:5]}):
        a, b = idx.search(q, 7, **kwargs), back.search(q, 7, **kwargs)
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(back.reconstruct(ids[:3]), x[:3])
    assert sorted(p.name for p in (tmp_path / "dense").iterdir()) == ["index.faiss", "meta.json"]


def test_interrupted_save_leaves_old_files(tmp_path: Path, data, monkeypatch: pytest.MonkeyPatch) -> None:
    ids, x, q = data
    DenseIndex.build(ids[:100], x[:100]).save(tmp_path / "dense")
    before = {p.name: p.read_bytes() for p in (tmp_path / "dense").iterdir()}

    def crash(src: object, dst: object) -> None:
        raise OSError("killed between write and replace")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        DenseIndex.build(ids, x).save(tmp_path / "dense")
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in (tmp_path / "dense").iterdir()}
    assert after == before  # same files, same bytes, no temporary left behind
    old = DenseIndex.load(tmp_path / "dense")
    assert len(old) == 100
    np.testing.assert_array_equal(old.search(q, 5)[1], brute(ids[:100], x[:100], q, 5)[1])


def test_load_refuses_torn_or_foreign_directory(tmp_path: Path, data) -> None:
    ids, x, _ = data
    DenseIndex.build(ids[:10], x[:10]).save(tmp_path / "a")
    DenseIndex.build(ids, x).save(tmp_path / "b")
    os.replace(tmp_path / "b" / "index.faiss", tmp_path / "a" / "index.faiss")
    with pytest.raises(ValueError, match="damaged"):
        DenseIndex.load(tmp_path / "a")
    (tmp_path / "b" / "meta.json").write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        DenseIndex.load(tmp_path / "b")


def test_one_query_runs_faiss_single_threaded_and_puts_the_setting_back() -> None:
    """OpenMP's thread count is per thread: set to one for a single query only, restored after."""
    import faiss

    from index.dense import one_query_thread

    faiss.omp_set_num_threads(2)
    with one_query_thread(1):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == 2
    with one_query_thread(5):  # a batch keeps the team
        assert faiss.omp_get_max_threads() == 2
    index = DenseIndex.build(np.arange(3, dtype=np.int64), np.eye(3, dtype=np.float32))
    index.search(np.eye(3, dtype=np.float32)[0], 2)
    assert faiss.omp_get_max_threads() == 2


@pytest.mark.parametrize("top", [5, 63, 130])
def test_bitmap_filter_never_admits_ids_above_the_largest_allowed(top: int) -> None:
    """Small ids take the bitmap selector; ids past the largest allowed one must stay out (FAISS sizes
    the bitmap in bytes: sized in bits, it read past the array and admitted ids at random)."""
    from index.dense import _selector

    rng = np.random.default_rng(top)
    ids = np.arange(2000, dtype=np.int64)
    x = _unit(rng, 2000)
    allowed = np.concatenate([rng.choice(top, size=min(top, 4), replace=False), [top]]).astype(np.int64)
    sel = _selector(allowed, None)
    members = {i for i in range(2000) if sel.is_member(i)}
    assert members == set(allowed.tolist())
    _, got = DenseIndex.build(ids, x).search(_unit(rng, 20), 10, allowed=allowed)
    assert set(got[got >= 0].tolist()) <= set(allowed.tolist())
