"""Filters resolved on the segments' filter bitmaps (:mod:`kb.store.filters`) instead of SQLite.

AND across fields, OR within one (but every ``entity`` must be mentioned, as in SQL), minus the
generation's tombstones. The result is the same set of chunk ids :func:`kb.store.reads.allowed_chunk_ids`
returns (a property test checks random filters both ways); it is what the FAISS id selector and the
BM25 mask restrict to. At a million chunks a filter costs a few milliseconds instead of SQLite's tens
to hundreds (``bench/bench_filters.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kb.store.filters import NULL, SegmentFilters
from kb.types import Filters

EMPTY = np.zeros(0, dtype=np.int64)


def allowed(
    view: Any, f: Filters, *, countries: Sequence[str], crossings: Sequence[str], entities: Sequence[str]
) -> np.ndarray | None:
    """Allowed chunk ids of one generation (``view``: a ``Snapshot``), or ``None`` when a live segment has
    no filter file (a knowledge base built before them): then SQL must answer."""
    loaded: Mapping[int, tuple[Any, SegmentFilters]] = getattr(view, "filters", None) or {}
    segments = getattr(view, "segments", None)
    if segments is None or any(sid not in loaded for sid in segments):
        return None
    tomb = np.sort(np.asarray(view.tombstones, dtype=np.int64))
    parts = [segment_ids(loaded[sid][1], f, countries, crossings, entities, tomb) for sid in segments]
    parts = [p for p in parts if len(p)]
    return np.concatenate(parts) if parts else EMPTY


def segment_ids(
    s: SegmentFilters,
    f: Filters,
    countries: Sequence[str],
    crossings: Sequence[str],
    entities: Sequence[str],
    tombstones: np.ndarray,
) -> np.ndarray:
    """The ids of one segment that pass the filter (``tombstones`` sorted)."""
    n = len(s)
    packed: np.ndarray | None = None
    for field, values in (
        ("lang", f.lang),
        ("region", f.region),
        ("doc_type", f.doc_type),
        ("collection", f.collection),
    ):
        if not values:
            continue
        index, bits = s.bitmaps[field]
        rows = [index[v] for v in dict.fromkeys(values) if v in index]
        if not rows:
            return EMPTY
        word = np.bitwise_or.reduce(bits[rows], axis=0)
        packed = word if packed is None else packed & word
    mask = np.ones(n, dtype=bool) if packed is None else np.unpackbits(packed, count=n, bitorder="little").view(bool)
    docs = document_mask(s, f, countries, crossings, entities)
    if docs is not None:
        mask &= docs[s.chunk_doc]
    if len(tombstones):
        pos = np.minimum(np.searchsorted(s.ids, tombstones), max(n - 1, 0))
        if n:
            mask[pos[s.ids[pos] == tombstones]] = False
    return s.ids[mask]


def document_mask(
    s: SegmentFilters, f: Filters, countries: Sequence[str], crossings: Sequence[str], entities: Sequence[str]
) -> np.ndarray | None:
    """Which of the segment's documents pass the document-level filters (``None``: none given)."""
    masks: list[np.ndarray] = []
    if f.doc_id:
        masks.append(np.isin(s.doc_ids, np.array(f.doc_id, dtype=str)))
    if f.since or f.until:
        dates = s.doc_dates
        ok = dates != NULL
        if f.since:
            ok &= dates >= f.since
        if f.until:
            ok &= dates <= f.until + "\uffff"  # as SQL: a date of the last day (or month) given still passes
        masks.append(ok)
    if countries:
        masks.append(_posting(s, "country", countries))
    if crossings:
        masks.append(_posting(s, "crossing", crossings))
    masks.extend(_posting(s, "entity", (e,)) for e in entities)
    if not masks:
        return None
    out = masks[0]
    for m in masks[1:]:
        out = out & m
    return out


def _posting(s: SegmentFilters, field: str, values: Sequence[str]) -> np.ndarray:
    """Documents holding any of ``values`` in a multi-valued field."""
    index, offsets, docs = s.postings[field]
    out = np.zeros(len(s.doc_ids), dtype=bool)
    for v in values:
        i = index.get(v)
        if i is not None:
            out[docs[offsets[i] : offsets[i + 1]]] = True
    return out
