"""Hybrid search over the live segments: filters first, then dense ∪ sparse, then fusion.

Language-aware fusion: BM25 can only match words written in the query's language, so a passage
in another language has no sparse evidence at all, while its same-language lexical near-misses
do. Plain reciprocal-rank fusion therefore buries the cross-language answer that the dense
ranking found. Here a passage whose language differs from the query's gets, in place of its
missing sparse rank, its dense rank: its fused score is then what a passage ranked equally by
both signals would get. Short queries (a name, an acronym) have no reliable language and are
treated as language-neutral (plain fusion), and gazetteer aliases from the other languages are
added to the sparse query so that names match across languages.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kb.types import MAX_K


def check_k(k: int, name: str = "k") -> int:
    """``k`` as an int in 1..MAX_K, else a ValueError that says so (the API boundary's guard)."""
    try:
        if isinstance(k, bool):
            raise TypeError
        n = operator.index(k)
    except TypeError:
        raise ValueError(f"{name} must be a whole number from 1 to {MAX_K}, got {k!r}") from None
    if not 1 <= n <= MAX_K:
        raise ValueError(f"{name} must be from 1 to {MAX_K}, got {n}")
    return n


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions applied before ranking. Empty tuples / None mean "any"."""

    lang: tuple[str, ...] = ()
    doc_type: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    crossing: tuple[str, ...] = ()
    entity: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    collection: tuple[str, ...] = ()
    doc_id: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object] | None) -> Filters:
        if not data:
            return cls()
        kwargs: dict[str, object] = {}
        for key, value in data.items():
            if value is None or value == () or value == []:
                continue
            if key in ("since", "until"):
                kwargs[key] = str(value)
            elif isinstance(value, str):
                kwargs[key] = (value,)
            else:
                kwargs[key] = tuple(str(v) for v in value)  # type: ignore[attr-defined]
        return cls(**kwargs)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in self.__slots__)  # type: ignore[attr-defined]


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
