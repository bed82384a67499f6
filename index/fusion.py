"""Merging of per-segment results, vectorised with numpy.

Equal scores are ordered by ascending id, so the same inputs always give the same output
whatever order the segments were visited in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


# Language-aware fusion: BM25 can only match words written in the query's language, so a passage
# in another language has no sparse evidence at all, while its same-language lexical near-misses
# do. Plain reciprocal-rank fusion therefore buries the cross-language answer that the dense
# ranking found. Here a passage whose language differs from the query's gets, in place of its
# missing sparse rank, its dense rank: its fused score is then what a passage ranked equally by
# both signals would get. Short queries (a name, an acronym) have no reliable language and are
# treated as language-neutral (plain fusion, the caller passes no query language).


def fuse(
    dense_ids: np.ndarray,
    sparse_ids: np.ndarray,
    chunk_lang: Mapping[int, str],
    query_lang: str | None,
    *,
    k: int = 60,
    dense_weight: float = 1.0,
    sparse_weight: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Language-aware reciprocal-rank fusion; returns ``(ids, scores)`` best first."""
    scores: dict[int, float] = {}
    dense_rank = {int(i): r for r, i in enumerate(dense_ids)}
    sparse_rank = {int(i): r for r, i in enumerate(sparse_ids)}
    for cid in dense_rank.keys() | sparse_rank.keys():
        s = 0.0
        rd = dense_rank.get(cid)
        rs = sparse_rank.get(cid)
        if rd is not None:
            s += dense_weight / (k + rd + 1)
        foreign = query_lang is not None and chunk_lang.get(cid, query_lang) != query_lang
        if foreign and rd is not None:
            # no sparse evidence is possible in another language: stand in the dense rank
            best = rd if rs is None else min(rd, rs)
            s += sparse_weight / (k + best + 1)
        elif rs is not None:
            s += sparse_weight / (k + rs + 1)
        scores[cid] = s
    if not scores:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ids = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
    vals = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    # ties broken by dense rank then id, so results are deterministic
    tie = np.array([dense_rank.get(int(i), 10**9) for i in ids], dtype=np.int64)
    order = np.lexsort((ids, tie, -vals))
    return ids[order], vals[order].astype(np.float32)


def group_by_document(
    ranked: Sequence[tuple[int, float]], doc_of: Mapping[int, str], k: int, per_doc: int = 5
) -> list[tuple[str, float, list[tuple[int, float]]]]:
    """Group a chunk ranking into at most ``k`` documents, best passage first in each."""
    groups: dict[str, list[tuple[int, float]]] = {}
    order: list[str] = []
    for cid, score in ranked:
        doc = doc_of.get(cid)
        if doc is None:
            continue
        if doc not in groups:
            if len(order) == k:
                continue
            groups[doc] = []
            order.append(doc)
        if len(groups[doc]) < per_doc:
            groups[doc].append((cid, score))
    return [(d, groups[d][0][1], groups[d]) for d in order]
