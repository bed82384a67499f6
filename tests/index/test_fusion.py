"""Reciprocal rank fusion and the per-segment top-k merge."""

from __future__ import annotations

import numpy as np
import pytest

from index.fusion import merge_topk, rrf


def test_rrf_hand_computed() -> None:
    ids, scores = rrf([np.array([1, 2, 3]), np.array([3, 1])], k=60)
    # 1: 1/61 + 1/62, 3: 1/63 + 1/61, 2: 1/62
    np.testing.assert_array_equal(ids, [1, 3, 2])
    np.testing.assert_allclose(scores, [1 / 61 + 1 / 62, 1 / 63 + 1 / 61, 1 / 62])


def test_rrf_weights() -> None:
    dense, sparse = np.array([1, 2]), np.array([2, 1])
    ids, scores = rrf([dense, sparse], weights=[2.0, 1.0], k=10)
    np.testing.assert_array_equal(ids, [1, 2])
    np.testing.assert_allclose(scores, [2 / 11 + 1 / 12, 2 / 12 + 1 / 11])
    ids, _ = rrf([dense, sparse], weights=[1.0, 2.0], k=10)
    np.testing.assert_array_equal(ids, [2, 1])
    ids, scores = rrf([dense, sparse], weights=[1.0, 0.0], k=10)
    np.testing.assert_array_equal(ids, [1, 2])
    np.testing.assert_allclose(scores, [1 / 11, 1 / 12])
    with pytest.raises(ValueError):
        rrf([dense, sparse], weights=[1.0])


def test_rrf_ties_are_deterministic() -> None:
    a, b = np.array([7, 5]), np.array([5, 7])
    ids1, s1 = rrf([a, b])
    ids2, s2 = rrf([b, a])
    np.testing.assert_array_equal(ids1, [5, 7])  # equal scores: ascending id
    np.testing.assert_array_equal(ids1, ids2)
    np.testing.assert_array_equal(s1, s2)
    assert s1[0] == s1[1]


def test_rrf_repeats_padding_and_empty() -> None:
    ids, scores = rrf([np.array([4, 4, -1, 9])], k=0)
    np.testing.assert_array_equal(ids, [4, 9])
    np.testing.assert_allclose(scores, [1.0, 1 / 4])  # 9 keeps its original rank 4
    ids, scores = rrf([np.array([], dtype=np.int64)])
    assert len(ids) == len(scores) == 0
    assert len(rrf([])[0]) == 0


def test_merge_topk_global_order_ties_padding_and_repeats() -> None:
    parts = [
        (np.array([[0.9, 0.5, -np.inf]]), np.array([[10, 11, -1]])),
        (np.array([0.7, 0.5, 0.1]), np.array([20, 3, 21])),
        (np.array([0.95]), np.array([10])),  # the same chunk seen twice keeps its best score
    ]
    scores, ids = merge_topk(parts, 4)
    np.testing.assert_array_equal(ids, [10, 20, 3, 11])  # 0.5 tie: id 3 before 11
    np.testing.assert_allclose(scores, [0.95, 0.7, 0.5, 0.5])
    scores, ids = merge_topk(parts, 50)
    assert len(ids) == 5 and -1 not in ids
    assert len(merge_topk([], 5)[1]) == 0
    assert len(merge_topk(parts, 0)[1]) == 0


def test_merge_topk_equals_sorting_everything() -> None:
    rng = np.random.default_rng(2)
    ids = rng.permutation(1000)[:300].astype(np.int64)
    scores = rng.random(300).astype(np.float32)
    parts = [(scores[i : i + 50], ids[i : i + 50]) for i in range(0, 300, 50)]
    got_scores, got_ids = merge_topk(parts, 25)
    order = np.argsort(-scores, kind="stable")[:25]
    np.testing.assert_array_equal(got_ids, ids[order])
    np.testing.assert_array_equal(got_scores, scores[order])
