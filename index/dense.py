"""Dense retrieval: FAISS ``IndexIDMap2`` over inner product of L2-normalised vectors.

Filters restrict the search inside FAISS with an id selector, so a filtered search still
returns k hits when k exist, instead of trimming a short list afterwards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1


def _selector(allowed: np.ndarray | None, exclude: np.ndarray | None):  # type: ignore[no-untyped-def]
    import faiss

    sel: Any = None
    if allowed is not None:
        allowed = np.ascontiguousarray(allowed, dtype=np.int64)
        sel = faiss.IDSelectorBatch(len(allowed), faiss.swig_ptr(allowed))
        sel._keep = allowed  # the selector points into this array: keep it alive  # type: ignore[attr-defined]
    if exclude is not None and len(exclude):
        exclude = np.ascontiguousarray(exclude, dtype=np.int64)
        ex = faiss.IDSelectorBatch(len(exclude), faiss.swig_ptr(exclude))
        ex._keep = exclude  # type: ignore[attr-defined]
        notex = faiss.IDSelectorNot(ex)
        notex._keep = ex  # type: ignore[attr-defined]
        if sel is None:
            sel = notex
        else:
            both = faiss.IDSelectorAnd(sel, notex)
            both._keep = sel, notex  # type: ignore[attr-defined]
            sel = both
    return sel


class DenseIndex:
    """Exact inner-product search with ids (one per segment)."""

    kind = "flat"

    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        self.index = index
        self.dim = int(index.d)
        self.params: dict[str, object] = {}

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        if len(ids):
            index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        return cls(index)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n = len(self)
        if n == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return np.zeros((len(queries), max(k, 0)), np.float32), np.full((len(queries), max(k, 0)), -1, np.int64)
        sel = _selector(allowed, exclude)
        params = faiss.SearchParameters(sel=sel) if sel is not None else None  # type: ignore[call-arg]
        kk = min(k, n)
        scores, ids = self.index.search(queries, kk, params=params)
        if kk < k:
            pad = k - kk
            scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
            ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
        return scores, ids

    def ids(self) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def save(self, directory: Path) -> None:
        import faiss

        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".index.faiss.{os.getpid()}.tmp"
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, directory / "index.faiss")
        meta = {"format": FORMAT, "kind": self.kind, "dim": self.dim, "n": len(self), "params": self.params}
        tmpm = directory / f".meta.json.{os.getpid()}.tmp"
        tmpm.write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        os.replace(tmpm, directory / "meta.json")

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> DenseIndex:
        import faiss

        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{directory}: dense index format {meta.get('format')} is not {FORMAT}")
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        obj = cls(faiss.read_index(str(directory / "index.faiss"), flags))
        obj.params = dict(meta.get("params") or {})
        return obj
