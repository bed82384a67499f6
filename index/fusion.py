"""Rank fusion and merging of per-segment results, vectorised with numpy.

Both functions order equal scores by ascending id, so the same inputs always give the same
output whatever order the segments were visited in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _first_occurrences(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ids of a ranking without repeats or padding, and their 1-based positions in it.

    Positions are those of the input array: dropping a repeat or a -1 does not promote the ids
    after it.
    """
    positions = np.flatnonzero(ids >= 0)
    _, first = np.unique(ids[positions], return_index=True)
    positions = np.sort(positions[first])
    return ids[positions], positions + 1


def rrf(
    rankings: Sequence[np.ndarray], weights: Sequence[float] | None = None, k: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """Reciprocal rank fusion: ``score(d) = sum_i weights[i] / (k + rank_i(d))``, ranks from 1.

    RRF needs no score calibration between dense (cosine) and sparse (BM25) lists, which live
    on unrelated scales. An id absent from a ranking gets nothing from it; an id repeated in one
    ranking counts at its best (first) rank only; negative ids (padding) are ignored.

    Args:
        rankings: Id arrays, each best first.
        weights: One weight per ranking (default 1.0 each).
        k: The RRF constant; larger values flatten the advantage of top ranks.

    Returns:
        ``(ids, scores)`` by descending score, ties by ascending id.

    Raises:
        ValueError: When ``weights`` does not match ``rankings`` in length.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    all_ids, contrib = [], []
    for ranking, weight in zip(rankings, weights, strict=True):
        ids = np.asarray(ranking, dtype=np.int64).ravel()
        ids, ranks = _first_occurrences(ids)
        all_ids.append(ids)
        contrib.append(float(weight) / (k + ranks.astype(np.float64)))
    if not all_ids or not sum(len(a) for a in all_ids):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    ids, inverse = np.unique(np.concatenate(all_ids), return_inverse=True)
    scores = np.zeros(len(ids), dtype=np.float64)
    np.add.at(scores, inverse, np.concatenate(contrib))
    order = np.lexsort((ids, -scores))
    return ids[order], scores[order]


def merge_topk(parts: Sequence[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-segment ``(scores, ids)`` results into one global top-k.

    Scores must be comparable across parts (same scorer: cosine for dense, BM25 for sparse;
    BM25 idf is per segment, which is the usual sharded-search approximation). Ids of -1 are
    padding and dropped; an id found in several parts (a segment being compacted) keeps its
    best score once.

    Args:
        parts: ``(scores, ids)`` pairs, any shape (flattened).
        k: Hits wanted.

    Returns:
        ``(scores, ids)`` 1-D, by descending score, ties by ascending id.
    """
    if not parts or k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores = np.concatenate([np.asarray(s, dtype=np.float32).ravel() for s, _ in parts])
    ids = np.concatenate([np.asarray(i, dtype=np.int64).ravel() for _, i in parts])
    keep = ids >= 0
    scores, ids = scores[keep], ids[keep]
    order = np.lexsort((ids, -scores))
    scores, ids = scores[order], ids[order]
    _, first = np.unique(ids, return_index=True)
    first.sort()
    return scores[first][:k], ids[first][:k]
