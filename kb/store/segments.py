"""Immutable segments: one FAISS index and one BM25 index over the chunks of one ingest batch.

A segment is written once into ``segments/<id>/`` and never changed. Searches fan out over the
live segments; deletes are tombstones in SQLite applied as an exclusion list at search time.
A reader holds a :class:`Snapshot`: one generation's segments and tombstones, loaded together.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kb.store.db import Store
from kb.store.files import atomic_write, private_tree
from kb.store.filters import SegmentFilters, load_for
from kb.types import KBError

#: how often a reader re-reads the generation when a segment it was about to load has been retired
VIEW_RETRIES = 5


@dataclass
class Segment:
    id: int
    dense: object  # index.dense.DenseIndex (imported lazily: faiss is heavy)
    sparse: object  # index.sparse.SparseIndex
    #: per language, the sum of its passage vectors and their count (index.centring); empty for older segments
    centroids: Mapping[str, tuple[np.ndarray, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.dense)  # type: ignore[arg-type]


def write_segment(
    directory: Path,
    ids: np.ndarray,
    vectors: np.ndarray,
    texts: Sequence[str],
    langs: Sequence[str],
    ivf_threshold: int = 200_000,
    embed_queries: Callable[[list[str]], np.ndarray] | None = None,
    titles: Sequence[str | None] | None = None,
) -> dict[str, object]:
    """Build and save both indexes into a fresh ``directory``; returns the params recorded in the manifest.

    Segments of ``ivf_threshold`` chunks or more get an IVF index tuned to recall@10 >= 0.98
    against exact search (measured while building, see :mod:`index.ivf`); smaller ones stay exact.
    ``embed_queries`` embeds texts with the query prompt: the IVF tuning's probes. ``titles`` (each
    chunk's document title) make BM25's title field (:func:`index.sparse.passage_titles`).
    """
    from index.atomic import replace_directory
    from index.centring import CENTROIDS_FILE, language_sums, sums_bytes
    from index.ivf import choose_dense_index, probe_texts
    from index.sparse import SparseIndex

    tmp = directory.with_name(directory.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    probes = (lambda: embed_queries(probe_texts(texts))) if embed_queries is not None else None
    dense = choose_dense_index(ids, vectors, threshold=ivf_threshold, probes=probes)
    dense.save(tmp / "dense")
    sparse = SparseIndex.build(ids, texts, langs, titles)
    sparse.save(tmp / "sparse")
    atomic_write(tmp / CENTROIDS_FILE, sums_bytes(language_sums(vectors, langs)))
    params: dict[str, object] = {"n": int(len(ids)), "dense": getattr(dense, "kind", "flat")}
    if getattr(dense, "params", None):
        params["dense_params"] = dict(dense.params)
    atomic_write(tmp / "segment.json", json.dumps(params, sort_keys=True).encode())
    private_tree(tmp)
    replace_directory(tmp, directory)
    return params


def load_segment(seg_id: int, directory: Path, mmap: bool = True) -> Segment:
    """Open a segment; ``mmap`` (the default: segments never change) maps its vectors and BM25 arrays read-only,
    so every process serving the same knowledge base shares one copy of them in the page cache."""
    from index.centring import load_sums
    from index.ivf import load_dense_index
    from index.sparse import SparseIndex

    if not (directory / "segment.json").exists():
        raise FileNotFoundError(f"segment {seg_id} is missing or incomplete at {directory}")
    dense = load_dense_index(directory / "dense", mmap=mmap)
    return Segment(seg_id, dense, SparseIndex.load(directory / "sparse", mmap=mmap), load_sums(directory))


@dataclass(frozen=True)
class Snapshot:
    """What one search reads: a whole generation, never a mix of two (frozen: threads share it)."""

    generation: int = -1
    segments: Mapping[int, Segment] = field(default_factory=dict)
    tombstones: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: per live segment, its filter file for this generation (see kb.store.filters); missing: SQL filters
    filters: Mapping[int, tuple[Path, SegmentFilters]] = field(default_factory=dict)


def refresh_snapshot(store: Store, previous: Snapshot) -> Snapshot:
    """The snapshot of the store's current generation, reusing the segments ``previous`` already loaded.

    A compaction deletes the segments it merged once it has committed, so a segment of the
    generation just read can vanish before it is loaded. Then the newer generation is read
    and loaded instead: the segments a committed generation names exist until a later commit.
    """
    failed_gen = None
    for _ in range(VIEW_RETRIES):
        snap = store.live_state(previous.generation)
        if snap is None:
            return previous
        gen, live, dead = snap
        try:
            segments = {
                sid: previous.segments[sid] if sid in previous.segments else load_segment(sid, store.segment_dir(sid))
                for sid in live
            }
        except FileNotFoundError as exc:
            if gen == failed_gen:  # no commit since: not retired but lost
                raise KBError(f"{store.root}: {exc}; the knowledge base is damaged") from exc
            failed_gen = gen
            continue  # retired by a commit after our snapshot: read the newer generation
        filters = load_for(store.segment_dir, gen, live, previous.filters)
        return Snapshot(gen, segments, np.array(dead, dtype=np.int64), filters)
    raise KBError(f"{store.root}: the segments kept changing while loading them ({VIEW_RETRIES} tries); try again")
