"""Merging of per-segment results, vectorised with numpy.

Equal scores are ordered by ascending id, so the same inputs always give the same output
whatever order the segments were visited in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
