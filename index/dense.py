"""Dense retrieval: FAISS ``IndexIDMap2`` over inner product of L2-normalised vectors.

One index per segment, exact (``IndexFlatIP``): on normalised vectors inner product is cosine
similarity, and exact search is the reference any approximate index is measured against.
``IndexIDMap2`` (not ``IndexIDMap``) keeps an id -> position map, so vectors can be read back by
chunk id when a compaction merges segments.

Filters restrict the search *inside* FAISS with an id selector (``IDSelectorBatch`` for the
allowed ids, wrapped in ``IDSelectorNot`` for excluded ones, ``IDSelectorAnd`` for both), so a
filtered search still returns k hits when k exist instead of trimming a short list afterwards.

On disk (``directory/``): ``index.faiss`` (``faiss.write_index``) and ``meta.json`` (format
version, kind, dimension, count). Both are written beside and moved into place with
``os.replace``; ``load`` checks that the two agree, so a torn pair fails loudly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
INDEX_FILE = "index.faiss"
META_FILE = "meta.json"
BITMAP_MAX_ID = 1 << 27  # filters over ids below this use a bitmap (one bit per id) rather than a hash set


def id_bitmap(allowed: np.ndarray | None, exclude: np.ndarray | None = None, size: int | None = None) -> np.ndarray:
    """A boolean array over ids ``0..max`` (or ``size``): ``allowed`` set (``None``: every id), ``exclude``
    cleared; ids outside the array are ignored."""
    if allowed is None:
        if size is None:
            raise ValueError("id_bitmap needs a size when every id is allowed")
        bits = np.ones(size, dtype=bool)
    else:
        a = np.asarray(allowed, dtype=np.int64)
        top = int(a.max()) + 1 if size is None else size
        bits = np.zeros(top, dtype=bool)
        bits[a[(a >= 0) & (a < top)]] = True
    if exclude is not None and len(exclude):
        e = np.asarray(exclude, dtype=np.int64)
        bits[e[(e >= 0) & (e < len(bits))]] = False
    return bits


def bitmap_selector(bits: np.ndarray) -> Any:
    """A FAISS id selector admitting the ids set in ``bits`` (a boolean array over ids ``0..len-1``).

    ``IDSelectorBitmap``'s ``n`` is the packed bitmap's length in *bytes*, and an id past it is not a
    member; given the bit count instead, ids above the last one read past the array and passed at
    random. The selector only points into the packed bytes, so it keeps them (``_keep``).
    """
    import faiss

    packed = np.packbits(bits, bitorder="little")
    sel = faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed))
    sel._keep = packed  # type: ignore[attr-defined]
    return sel


def _selector(allowed: np.ndarray | None, exclude: np.ndarray | None) -> Any:
    """A FAISS id selector for ``allowed`` minus ``exclude`` (``None`` when nothing restricts).

    ``IDSelectorBatch`` copies the ids into its own hash set; ``Not`` and ``And`` only point at
    their operands, so the operands are attached to the result to outlive the search.
    """
    import faiss

    sel: Any = None
    if allowed is not None and len(allowed) and 0 <= int(np.min(allowed)) and int(np.max(allowed)) < BITMAP_MAX_ID:
        # one bit per id up to the largest allowed (tombstones cleared in it): a scatter instead of a hash
        # set, 3 ms instead of 60 for half a million ids
        return bitmap_selector(id_bitmap(allowed, exclude))
    if allowed is not None:
        sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
    if exclude is not None and len(exclude):
        excluded = faiss.IDSelectorBatch(np.ascontiguousarray(exclude, dtype=np.int64))
        negated = faiss.IDSelectorNot(excluded)
        negated._keep = excluded  # type: ignore[attr-defined]
        if sel is None:
            sel = negated
        else:
            both = faiss.IDSelectorAnd(sel, negated)
            both._keep = (sel, negated)  # type: ignore[attr-defined]
            sel = both
    return sel


@contextmanager
def one_query_thread(nq: int) -> Iterator[None]:
    """Run FAISS on the calling thread alone while it answers a single query.

    One query gains nothing from FAISS's OpenMP team, and waking it costs: on two busy cores a
    search of 338 vectors took 17 ms with the team and 0.06 ms without (the team waits at its
    barrier for cores that the query encoder, other requests or other processes hold). OpenMP's
    thread count is a per-thread setting, so this changes only the searching thread, and it is put
    back after (a watch matched on an ingest thread must not leave that thread's index training
    single-threaded). Batches of queries (evaluation, benchmarks) keep the team.
    """
    if nq != 1:
        yield
        return
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _write_beside(path: Path, write: Any) -> None:
    """Write ``path`` through a temporary sibling, then ``os.replace`` it into place.

    An exception before the replace leaves the previous file untouched and removes the sibling.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class DenseIndex:
    """Exact inner-product search over one segment's vectors, keyed by chunk id."""

    kind = "flat"

    def __init__(self, index: Any) -> None:
        self.index = index
        self.dim = int(index.d)
        self.params: dict[str, object] = {}

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray) -> DenseIndex:
        """Index ``vectors`` (n x dim, L2-normalised float32) under the int64 ``ids``.

        Args:
            ids: One chunk id per row, unique.
            vectors: The embeddings, row ``i`` for ``ids[i]``.

        Returns:
            The index.

        Raises:
            ValueError: When ids and vectors disagree in length or ids repeat.
        """
        import faiss

        ids = np.ascontiguousarray(ids, dtype=np.int64).ravel()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            vectors = vectors.reshape(len(ids), -1) if len(ids) else vectors.reshape(0, max(vectors.size, 1))
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("chunk ids repeat inside one segment")
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(max(int(vectors.shape[1]), 1)))
        if len(ids):
            index.add_with_ids(vectors, ids)
        return cls(index)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest chunks of each query among ``allowed`` minus ``exclude``.

        Args:
            queries: One query vector (dim,) or a batch (nq x dim).
            k: Hits wanted per query.
            allowed: Only these ids may be returned (``None``: all).
            exclude: These ids may not be returned (tombstones).

        Returns:
            ``(scores, ids)``, each nq x k, best first; missing hits have id -1 and score -inf.
        """
        import faiss

        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        nq, k = len(queries), max(int(k), 0)
        scores = np.full((nq, k), -np.inf, dtype=np.float32)
        ids = np.full((nq, k), -1, dtype=np.int64)
        n = len(self)
        if n == 0 or k == 0 or (allowed is not None and len(allowed) == 0):
            return scores, ids
        sel = _selector(allowed, exclude)
        params = faiss.SearchParameters(sel=sel) if sel is not None else None  # type: ignore[call-arg]
        kk = min(k, n)
        with one_query_thread(nq):
            found_scores, found_ids = self.index.search(queries, kk, params=params)
        scores[:, :kk] = np.where(found_ids >= 0, found_scores, -np.inf)
        ids[:, :kk] = found_ids
        return scores, ids

    def ids(self) -> np.ndarray:
        """The chunk ids stored, in insertion order."""
        import faiss

        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (len(ids) x dim), e.g. to merge segments.

        Raises:
            RuntimeError: From FAISS when an id is not in this index.
        """
        ids = np.ascontiguousarray(ids, dtype=np.int64).ravel()
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self.index.reconstruct_batch(ids), dtype=np.float32)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def save(self, directory: Path) -> None:
        """Write ``index.faiss`` and ``meta.json`` into ``directory`` (created if needed).

        Each file is written beside and replaced atomically: an interrupted save leaves the
        previous files as they were.
        """
        import faiss

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "kind": self.kind, "dim": self.dim, "n": len(self), "params": self.params}
        _write_beside(directory / INDEX_FILE, lambda p: faiss.write_index(self.index, str(p)))
        _write_beside(
            directory / META_FILE,
            lambda p: p.write_text(json.dumps(meta, sort_keys=True), encoding="utf-8"),
        )

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> DenseIndex:
        """Open a saved index; ``mmap`` maps the vectors read-only instead of reading them in.

        Raises:
            ValueError: On a format version this code does not read, or when the index file and
                its meta.json disagree (a torn or foreign directory).
        """
        import faiss

        directory = Path(directory)
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{directory}: dense index format {meta.get('format')} is not {FORMAT}")
        flags = (faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY) if mmap else 0
        obj = cls(faiss.read_index(str(directory / INDEX_FILE), flags))
        if "n" in meta and (meta["n"] != len(obj) or meta.get("dim", obj.dim) != obj.dim):
            raise ValueError(
                f"{directory}: index.faiss holds {len(obj)} x {obj.dim} but meta.json says "
                f"{meta['n']} x {meta.get('dim')}; the segment is damaged, rebuild it"
            )
        obj.params = dict(meta.get("params") or {})
        return obj
