"""The per-segment top-k merge."""

from __future__ import annotations

import numpy as np

from index.fusion import merge_topk


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
