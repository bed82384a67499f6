"""Rank fusion and merging of per-segment results, vectorised with numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rrf(
    rankings: Sequence[np.ndarray], weights: Sequence[float] | None = None, k: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """Reciprocal rank fusion of id arrays (best first); returns ``(ids, scores)`` best first.

    Ties are broken by the smallest id so results are deterministic.
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    parts = [np.asarray(r, dtype=np.int64) for r in rankings]
    if not parts or all(len(p) == 0 for p in parts):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    all_ids = np.concatenate(parts)
    contrib = np.concatenate([w / (k + np.arange(1, len(p) + 1)) for p, w in zip(parts, weights, strict=True)])
    ids, inverse = np.unique(all_ids, return_inverse=True)
    scores = np.zeros(len(ids), dtype=np.float64)
    np.add.at(scores, inverse, contrib)
    order = np.lexsort((ids, -scores))
    return ids[order], scores[order]


def merge_topk(parts: Sequence[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-segment ``(scores, ids)`` results into one global top-k (ids of -1 are padding)."""
    if not parts:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores = np.concatenate([np.asarray(s, dtype=np.float32).ravel() for s, _ in parts])
    ids = np.concatenate([np.asarray(i, dtype=np.int64).ravel() for _, i in parts])
    keep = ids >= 0
    scores, ids = scores[keep], ids[keep]
    order = np.lexsort((ids, -scores))[:k]
    return scores[order], ids[order]
