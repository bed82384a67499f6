"""Merging of per-segment results, vectorised with numpy.

Equal scores are ordered by ascending id, so the same inputs always give the same output
whatever order the segments were visited in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Fusion:
    """How two rankings are fused (the search settings ``rrf_k``, ``dense_weight``, ``sparse_weight``...).

    ``foreign_best``: a foreign item BM25 found counts its better rank in both terms (the caller sets it
    when the query names a specific entity: BM25 found the name through its aliases); one BM25 did not
    find gets the usual stand-in. ``unseen_offset``: a foreign item BM25 did not find at
    all stands in its dense rank plus this, so that one BM25 found (through a name, a number, an
    expansion) keeps a little lexical evidence over it. ``unseen_score`` and ``depth`` are the same
    and the normalisation's reach for :func:`fuse_scores`.
    """

    k: int = 60
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    foreign_best: bool = False
    unseen_offset: float = 0
    unseen_score: float = 0.3
    depth: int = 100


def _rrf(
    dense_rank: Mapping[Any, int], sparse_rank: Mapping[Any, int], foreign: Callable[[Any], bool], how: Fusion
) -> dict[Any, float]:
    """Language-aware RRF scores of ranked items (passages or documents); ``foreign(item)`` says
    whether the item is written in another language than the query."""
    k, dw, sw = how.k, how.dense_weight, how.sparse_weight
    scores: dict[Any, float] = {}
    for item in dense_rank.keys() | sparse_rank.keys():
        s = 0.0
        rd = dense_rank.get(item)
        rs = sparse_rank.get(item)
        if how.foreign_best and rs is not None and foreign(item):
            best = rs if rd is None else min(rd, rs)
            scores[item] = (dw + sw) / (k + best + 1)
            continue
        if rd is not None:
            s += dw / (k + rd + 1)
        if rd is not None and foreign(item):
            # no sparse evidence is possible in another language: stand in the dense rank (a little
            # worse when BM25 found nothing at all, not even a shared name or number)
            stand_in: float = rd + how.unseen_offset if rs is None else min(rd, rs)
            s += sw / (k + stand_in + 1)
        elif rs is not None:
            s += sw / (k + rs + 1)
        scores[item] = s
    return scores


def fuse(
    dense_ids: np.ndarray,
    sparse_ids: np.ndarray,
    chunk_lang: Mapping[int, str],
    query_lang: str | None,
    how: Fusion = Fusion(),
) -> tuple[np.ndarray, np.ndarray]:
    """Language-aware reciprocal-rank fusion (see :class:`Fusion`); returns ``(ids, scores)`` best first."""
    dense_rank = {int(i): r for r, i in enumerate(dense_ids)}
    sparse_rank = {int(i): r for r, i in enumerate(sparse_ids)}
    return _best_first(_rrf(dense_rank, sparse_rank, _foreign(chunk_lang, query_lang), how), dense_rank)


def _foreign(lang_of: Mapping[Any, str], query_lang: str | None) -> Callable[[Any], bool]:
    """Whether an item (a passage or a document) is written in another language than the query; with no
    query language (a short query) or no known language for the item, nothing is."""
    return lambda item: query_lang is not None and lang_of.get(item, query_lang) != query_lang


def _best_first(scores: Mapping[int, float], dense_rank: Mapping[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, scores)`` by descending score; ties broken by dense rank then id, so results are deterministic."""
    if not scores:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ids = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
    vals = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    tie = np.array([dense_rank.get(int(i), 10**9) for i in ids], dtype=np.int64)
    order = np.lexsort((ids, tie, -vals))
    return ids[order], vals[order].astype(np.float32)


# Score fusion: reciprocal-rank fusion keeps only the order of each ranking, so a passage BM25 puts
# far ahead of everything else (the query's rare words, a number, a name) counts no more than one
# it ranks first by a hair, and the same for dense. A convex combination of normalised scores keeps
# those margins (Bruch et al., "An analysis of fusion functions for hybrid retrieval", 2023). Dense
# scores are scaled between the first and the ``depth``-th dense hit (not the last one fetched, so a
# search that fetches more candidates scores the same), BM25 scores by the first one's. The language
# rule is the rank fusion's: a foreign passage, which BM25 cannot match on its words, stands in its
# dense score for the BM25 one (its BM25 score when higher; less ``unseen_score`` when BM25 did not
# find it at all).


def fuse_scores(
    dense: tuple[np.ndarray, np.ndarray],
    sparse: tuple[np.ndarray, np.ndarray],
    chunk_lang: Mapping[int, str],
    query_lang: str | None,
    how: Fusion = Fusion(),
) -> tuple[np.ndarray, np.ndarray]:
    """Language-aware convex combination of normalised scores; ``dense`` and ``sparse`` are ``(ids, scores)``,
    best first. Returns ``(ids, scores)`` best first, ties by dense rank then id."""
    (dense_ids, dense_scores), (sparse_ids, sparse_scores) = dense, sparse
    total = how.dense_weight + how.sparse_weight
    dw, sw = (how.dense_weight / total, how.sparse_weight / total) if total > 0 else (0.5, 0.5)
    d = np.asarray(dense_scores, dtype=np.float64)
    nd: dict[int, float] = {}
    if len(d):
        top, ref = d[0], d[min(len(d), how.depth) - 1]
        scaled = np.clip((d - ref) / (top - ref), 0.0, 1.0) if top > ref else np.ones(len(d))
        nd = dict(zip(np.asarray(dense_ids).tolist(), scaled.tolist(), strict=True))
    s = np.asarray(sparse_scores, dtype=np.float64)
    ns: dict[int, float] = {}
    if len(s):
        ns = dict(zip(np.asarray(sparse_ids).tolist(), (s / s[0] if s[0] > 0 else 0 * s).tolist(), strict=True))
    foreign = _foreign(chunk_lang, query_lang)
    scores: dict[int, float] = {}
    for cid in nd.keys() | ns.keys():
        sd, ss = nd.get(cid, 0.0), ns.get(cid)
        if foreign(cid):
            ss = sd - how.unseen_score if ss is None else max(sd, ss)
        scores[cid] = dw * sd + sw * (ss or 0.0)
    return _best_first(scores, {int(i): r for r, i in enumerate(dense_ids)})


# Document-level fusion: search results are documents, and a document's evidence is often spread
# over several passages - dense finds the passage that paraphrases the question (often in another
# language), BM25 the one that names the crossing or the instrument. Fusing passage ranks credits
# a document only with its best single passage, so a document that both retrievers found, through
# different passages, loses to one passage that one retriever ranked high. Fusing document ranks
# (each document ranked at its best passage, per retriever) credits both.


def fuse_documents(
    dense_ids: np.ndarray,
    sparse_ids: np.ndarray,
    doc_of: Mapping[int, str],
    chunk_lang: Mapping[int, str],
    query_lang: str | None,
    how: Fusion = Fusion(),
) -> tuple[np.ndarray, np.ndarray]:
    """Language-aware reciprocal-rank fusion of document ranks; returns a passage ranking ``(ids, scores)``.

    Each retriever ranks a document at its best passage. A document counts as written in another
    language when the passage that ranks it (dense first, else BM25) is. Documents come by fused
    score, ties (common: ranks are few) in the order of their best passages' fused scores
    (:func:`fuse`, what passage fusion would show); inside one, its passages keep that order.
    Every passage's score is its document's, so scores never rise down the list. Passages without
    a document in ``doc_of`` are dropped. ``how`` applies to both fusions.
    """
    pids, _ = fuse(dense_ids, sparse_ids, chunk_lang, query_lang, how)
    dense_rank, sparse_rank = _document_ranks(dense_ids, doc_of), _document_ranks(sparse_ids, doc_of)
    lang: dict[str, str] = {}
    for cid in (*dense_ids.tolist(), *sparse_ids.tolist()):
        doc = doc_of.get(int(cid))
        if doc is not None and doc not in lang and int(cid) in chunk_lang:
            lang[doc] = chunk_lang[int(cid)]
    scores = _rrf(dense_rank, sparse_rank, _foreign(lang, query_lang), how)
    kept = [(n, int(cid), doc_of[int(cid)]) for n, cid in enumerate(pids) if int(cid) in doc_of]
    first: dict[str, int] = {}
    for n, _, doc in kept:
        first.setdefault(doc, n)
    kept.sort(key=lambda x: (-scores[x[2]], first[x[2]], x[0]))
    ids = np.array([cid for _, cid, _ in kept], dtype=np.int64)
    return ids, np.array([scores[doc] for _, _, doc in kept], dtype=np.float32)


def _document_ranks(ids: np.ndarray, doc_of: Mapping[int, str]) -> dict[str, int]:
    """Each document's rank in a passage ranking: the rank of its best passage among documents."""
    ranks: dict[str, int] = {}
    for cid in ids.tolist():
        doc = doc_of.get(int(cid))
        if doc is not None and doc not in ranks:
            ranks[doc] = len(ranks)
    return ranks


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
