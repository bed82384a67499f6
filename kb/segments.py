"""Immutable segments: one FAISS index and one BM25 index over the chunks of one ingest batch.

A segment is written once into ``segments/<id>/`` and never changed. Searches fan out over the
live segments; deletes are tombstones in SQLite applied as an exclusion list at search time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.store import atomic_write, fsync_dir


@dataclass
class Segment:
    id: int
    dense: object  # index.dense.DenseIndex (imported lazily: faiss is heavy)
    sparse: object  # index.sparse.SparseIndex

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
) -> dict[str, object]:
    """Build and save both indexes into a fresh ``directory``; returns the params recorded in the manifest.

    Segments of ``ivf_threshold`` chunks or more get an IVF index tuned to recall@10 >= 0.98
    against exact search (measured while building, see :mod:`index.ivf`); smaller ones stay exact.
    ``embed_queries`` embeds texts with the query prompt: the IVF tuning's probes.
    """
    from index.ivf import choose_dense_index, probe_texts
    from index.sparse import SparseIndex

    tmp = directory.with_name(directory.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    probes = (lambda: embed_queries(probe_texts(texts))) if embed_queries is not None else None
    dense = choose_dense_index(ids, vectors, threshold=ivf_threshold, probes=probes)
    dense.save(tmp / "dense")
    sparse = SparseIndex.build(ids, texts, langs)
    sparse.save(tmp / "sparse")
    params: dict[str, object] = {"n": int(len(ids)), "dense": getattr(dense, "kind", "flat")}
    if getattr(dense, "params", None):
        params["dense_params"] = dict(dense.params)
    atomic_write(tmp / "segment.json", json.dumps(params, sort_keys=True).encode())
    if directory.exists():
        shutil.rmtree(directory)
    tmp.rename(directory)
    fsync_dir(directory.parent)
    return params


def load_segment(seg_id: int, directory: Path) -> Segment:
    from index.ivf import load_dense_index
    from index.sparse import SparseIndex

    if not (directory / "segment.json").exists():
        raise FileNotFoundError(f"segment {seg_id} is missing or incomplete at {directory}")
    return Segment(seg_id, load_dense_index(directory / "dense"), SparseIndex.load(directory / "sparse"))
