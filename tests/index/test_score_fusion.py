"""Score fusion: a convex combination of normalised dense and BM25 scores keeps what ranks lose, the margins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.fusion import Fusion, fuse, fuse_scores


def _arr(ids: list[int], scores: list[float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float32)


def test_a_wide_bm25_margin_beats_a_dense_hair() -> None:
    # dense puts 2 a hair above 1; BM25 puts 1 far above 2 (the query's rare words): 1 leads
    dense = _arr([2, 1, 3], [0.900, 0.899, 0.800])
    sparse = _arr([1, 2], [12.0, 3.0])
    ids, scores = fuse_scores(dense, sparse, {}, "en")
    assert ids.tolist() == [1, 2, 3]
    # 1: 0.5 * (0.099 / 0.1) + 0.5 * 1; 2: 0.5 * 1 + 0.5 * 0.25; 3: at the reference depth, no BM25
    np.testing.assert_allclose(scores, [0.5 * 0.99 + 0.5, 0.5 + 0.125, 0.0], atol=1e-5)
    # rank fusion cannot tell: 1 and 2 tie at 1/61 + 1/62 and the better dense rank takes the tie
    assert fuse(dense[0], sparse[0], {}, "en")[0].tolist()[:2] == [2, 1]


def test_a_wide_dense_margin_beats_a_bm25_hair() -> None:
    dense = _arr([1, 2, 3], [0.95, 0.81, 0.80])
    sparse = _arr([2, 1], [10.0, 9.8])
    assert fuse_scores(dense, sparse, {}, "en")[0].tolist()[:2] == [1, 2]


def test_a_foreign_passage_stands_in_its_dense_score_for_bm25() -> None:
    # an English query; dense ranks the Spanish answer first, BM25 can only find English near-misses
    dense = _arr([10, 20, 30], [0.90, 0.85, 0.80])
    sparse = _arr([20, 30, 40], [5.0, 4.0, 3.0])
    langs = {10: "es", 20: "en", 30: "en", 40: "en"}
    ids, scores = fuse_scores(dense, sparse, langs, "en", Fusion(unseen_score=0.0))
    assert ids.tolist()[0] == 10
    assert scores[0] == pytest.approx(1.0)  # its dense score counted twice
    # language unknown (a short query): no stand-in, the English passage both retrievers found leads
    assert fuse_scores(dense, sparse, langs, None)[0].tolist()[0] == 20


def test_a_foreign_passage_bm25_found_keeps_its_better_score_and_unseen_ones_pay_the_offset() -> None:
    # two Spanish passages with the same dense score; BM25 (an English query) found 7 through a shared name
    dense = _arr([6, 7, 8], [0.9, 0.8, 0.8])
    sparse = _arr([7], [2.0])
    langs = {6: "es", 7: "es", 8: "es"}
    ids, scores = fuse_scores(dense, sparse, langs, "en", Fusion(unseen_score=0.3))
    by_id = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    assert by_id[7] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)  # its BM25 score (1) beats its dense stand-in (0)
    assert by_id[8] == pytest.approx(0.5 * 0.0 + 0.5 * (0.0 - 0.3))
    assert by_id[6] == pytest.approx(1.0 - 0.15)
    assert ids.tolist() == [6, 7, 8]


def test_dense_scores_are_scaled_at_a_fixed_depth_so_fetching_more_changes_nothing_above_it() -> None:
    rng = np.random.default_rng(0)
    scores = np.sort(rng.uniform(0.7, 0.9, 300))[::-1].astype(np.float32)
    ids = np.arange(300, dtype=np.int64)
    sparse = _arr([5, 50, 150], [4.0, 3.0, 2.0])
    how = Fusion(depth=100)
    few_ids, few = fuse_scores((ids[:100], scores[:100]), sparse, {}, "en", how)
    all_ids, every = fuse_scores((ids, scores), sparse, {}, "en", how)
    top = dict(zip(all_ids.tolist(), every.tolist(), strict=True))
    for cid, s in zip(few_ids.tolist(), few.tolist(), strict=True):
        assert top[cid] == pytest.approx(s)
    assert all(s >= 0 for s in every)  # below the depth, dense counts nothing rather than less than nothing


def test_degenerate_inputs() -> None:
    empty = _arr([], [])
    assert fuse_scores(empty, empty, {}, "en")[0].tolist() == []
    # one dense hit (a filter let one passage through): it counts fully
    ids, scores = fuse_scores(_arr([4], [0.7]), empty, {}, "en")
    assert ids.tolist() == [4] and scores.tolist() == [pytest.approx(0.5)]
    # BM25 scores of zero carry no evidence
    ids, _ = fuse_scores(_arr([1, 2], [0.9, 0.8]), _arr([2], [0.0]), {}, "en")
    assert ids.tolist() == [1, 2]
    # the weights decide the mix: BM25 alone
    ids, _ = fuse_scores(_arr([1, 2], [0.9, 0.8]), _arr([2, 1], [3.0, 1.0]), {}, "en", Fusion(dense_weight=0.0))
    assert ids.tolist() == [2, 1]


@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30),
    st.lists(st.floats(0.0, 50.0), min_size=0, max_size=30),
)
def test_ties_are_deterministic_and_every_candidate_is_returned_once(
    dense_s: list[float], sparse_s: list[float]
) -> None:
    dense = (np.arange(len(dense_s), dtype=np.int64), np.array(sorted(dense_s, reverse=True), dtype=np.float32))
    sparse = (np.arange(len(sparse_s), dtype=np.int64)[::-1] + 5, np.array(sorted(sparse_s, reverse=True), np.float32))
    ids, scores = fuse_scores(dense, sparse, {}, "en")
    assert sorted(ids.tolist()) == sorted(set(dense[0].tolist()) | set(sparse[0].tolist()))
    assert np.all(np.diff(scores) <= 1e-7)
    again, _ = fuse_scores(dense, sparse, {}, "en")
    assert again.tolist() == ids.tolist()
