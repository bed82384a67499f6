"""Language-aware fusion: a passage in another language keeps its dense rank's worth."""

from __future__ import annotations

import numpy as np

from index.fusion import fuse, group_by_document


def test_plain_rrf_when_query_language_unknown() -> None:
    dense = np.array([1, 2, 3])
    sparse = np.array([2, 1])
    ids, scores = fuse(dense, sparse, {1: "es", 2: "en", 3: "en"}, None, k=60)
    assert list(ids[:2]) == [1, 2] or list(ids[:2]) == [2, 1]
    assert scores[0] == np.float32(1 / 61 + 1 / 62)


def test_foreign_dense_hit_is_not_buried_by_lexical_near_misses() -> None:
    # dense ranks the Spanish answer first; BM25 (English query) only finds English near-misses
    dense = np.array([10, 20, 30])
    sparse = np.array([20, 30, 40])
    langs = {10: "es", 20: "en", 30: "en", 40: "en"}
    plain_ids, _ = fuse(dense, sparse, langs, None)
    aware_ids, _ = fuse(dense, sparse, langs, "en")
    assert plain_ids[0] == 20  # plain RRF buries the Spanish answer
    assert aware_ids[0] == 10


def test_group_by_document_keeps_best_first() -> None:
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    groups = group_by_document(ranked, {1: "a", 2: "b", 3: "a", 4: "c"}, k=2)
    assert [(d, [c for c, _ in items]) for d, _, items in groups] == [("a", [1, 3]), ("b", [2])]
