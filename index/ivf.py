"""Approximate dense retrieval for large segments: FAISS ``IndexIVFFlat`` tuned from measured recall.

Exact search costs one full scan per query, about 1.5 GB of vectors at a million chunks. An
inverted-file index scans only the ``nprobe`` closest of ``nlist`` clusters. IVF suits the
segment design (HNSW cannot remove vectors, IVF rebuilds cheaply at compaction) and its lists
hold the full float32 vectors, so the scores it returns are exact inner products: no refine
step is needed, only enough probes. :func:`choose_dense_index` keeps exact search below a size
threshold and above it tunes ``nprobe`` on a held-out sample until recall@10 against exact
search reaches the target, recording the measured recall in ``params`` (and so in the manifest).

Filters stay inside FAISS: a bitmap id selector (one bit per id, built with numpy in a
millisecond) instead of a hash set, more probes when the filter keeps a small fraction of the
segment, and an exact scan of the allowed vectors when it keeps so few that the probed lists
might not hold k of them.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.dense import BITMAP_MAX_ID, bitmap_selector, id_bitmap, one_query_thread

FORMAT = 1  # the same meta.json layout as index.dense; ``kind`` tells the loader which class to use
#: Probes must beat the recall target by this much. At 1M chunks, 8-word probes at 0.99 meant 0.984 on the
#: gold questions (nprobe 64); full-sentence probes at 0.986 meant only 0.963 (nprobe 24).
PROBE_MARGIN = 0.01
PROBE_WORDS = 8  # words of each probe: short like a question (longer ones sit closer to their own chunk)
PROBE_COUNT = 300
NPROBES = (1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
#: past this many eligible vectors an exact scan (a hash lookup per vector to copy it out) costs more than
#: probing every list with the bitmap selector (1M chunks, one thread: 30,000 vectors 39.6 vs 23.9 ms p50)
EXACT_MAX = 12_000
#: a filtered search probes until its lists hold this share of what an unfiltered one scans (eligible
#: vectors only); 0.5 saves 10-40% dense time at 1M with recall ≥ 0.987 but a small cluster-following
#: index falls to 0.92 (bench/study_filtered_scan.py, tests/index/test_ivf.py)
FILTERED_SCAN = 1.0


def _ids_and_lists(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """All ids stored in the inverted lists, sorted, and the list each is in (ids are not kept anywhere else)."""
    import faiss

    inv = index.invlists
    parts, lists = [], []
    for lst in range(index.nlist):
        size = inv.list_size(lst)
        if size:
            parts.append(faiss.rev_swig_ptr(inv.get_ids(lst), size).copy())
            lists.append(np.full(size, lst, np.int32))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    ids, where = np.concatenate(parts).astype(np.int64), np.concatenate(lists)
    order = np.argsort(ids, kind="stable")
    return ids[order], where[order]


class IVFDenseIndex:
    """Inverted-file inner-product search with ids; the same interface as ``DenseIndex``."""

    kind = "ivf"

    def __init__(self, index: Any, params: dict[str, Any] | None = None) -> None:
        self.index = index
        self.dim = int(index.d)
        self.params: dict[str, Any] = dict(params or {})
        self.nprobe = int(self.params.get("nprobe") or index.nprobe)
        self._ids, self._list_of = _ids_and_lists(index)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        vectors: np.ndarray,
        nlist: int | None = None,
        nprobe: int = 16,
        train_size: int | None = None,
        seed: int = 1234,
    ) -> IVFDenseIndex:
        """Train the coarse quantizer on a sample and add every vector under its own id."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        n, dim = vectors.shape
        nlist = nlist or default_nlist(n)
        nlist = max(1, min(nlist, n))
        # 40 points per centroid is enough for stable clusters and keeps training in seconds on 2 cores
        train_size = min(n, train_size or 40 * nlist)
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(n, train_size, replace=False))] if train_size < n else vectors
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 12
        index.cp.seed = seed
        index.cp.min_points_per_centroid = 1  # small training sets are expected: no warning noise
        t0 = time.perf_counter()
        index.train(sample)
        train_s = time.perf_counter() - t0
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # reconstruct(id) for "more like this"
        t0 = time.perf_counter()
        for s in range(0, n, 65536):
            index.add_with_ids(vectors[s : s + 65536], ids[s : s + 65536])
        add_s = time.perf_counter() - t0
        index.nprobe = min(nprobe, nlist)
        params = {
            "nlist": nlist,
            "nprobe": int(index.nprobe),
            "train_size": int(train_size),
            "train_s": round(train_s, 2),
            "add_s": round(add_s, 2),
            "refine_k_factor": None,  # IVFFlat keeps full vectors: scores are exact, nothing to refine
        }
        return cls(index, params)

    # -- searching --------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def _mask(self, allowed: np.ndarray | None, exclude: np.ndarray | None) -> tuple[np.ndarray, int]:
        """A boolean array over ids ``0..max id`` (allowed and not excluded) and how many of ours pass.

        One scatter and one count: cheaper at a million ids than sorting or hashing the lists.
        """
        top = int(self._ids[-1]) + 1
        bits = id_bitmap(allowed, exclude, size=top)
        lo = int(self._ids[0])
        if top - lo == len(self._ids):  # contiguous ids (the usual case): count a slice
            return bits, int(np.count_nonzero(bits[lo:]))
        return bits, int(np.count_nonzero(bits[self._ids]))

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)`` of shape ``(len(queries), k)``, best first, padded with ``-1`` ids.

        With a filter, ``nprobe`` grows until the probed lists (nearest first) hold about as many
        eligible vectors as an unfiltered search scans (:meth:`_filtered_nprobe`); when that would
        probe a quarter of the lists and the filter keeps at most :data:`EXACT_MAX` vectors, an exact
        scan of them is cheaper and returns the true top k (past that, copying them out of the index
        costs more than probing the lists). One query runs on the calling thread alone
        (:func:`index.dense.one_query_thread`).
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        with one_query_thread(len(queries)):
            return self._search(queries, k, allowed, exclude)

    def _search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None, exclude: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        nq, n = len(queries), len(self)
        kk = max(k, 0)
        empty = np.full((nq, kk), -np.inf, np.float32), np.full((nq, kk), -1, np.int64)
        if n == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return empty
        params: Any = faiss.SearchParametersIVF(nprobe=int(self.nprobe))  # type: ignore[call-arg]
        if allowed is not None or (exclude is not None and len(exclude)):
            nlist = int(self.index.nlist)
            if int(self._ids[-1]) >= BITMAP_MAX_ID:
                return self._search_sparse_ids(queries, k, allowed, exclude)
            bits, count = self._mask(allowed, exclude)
            if count == 0:
                return empty
            nprobe = self._filtered_nprobe(queries, bits, nlist, n)
            if nprobe >= nlist // 4 and count <= EXACT_MAX:
                return self._exact(queries, k, self._ids[bits[self._ids]])
            sel = bitmap_selector(bits)
            params = faiss.SearchParametersIVF(sel=sel, nprobe=int(nprobe))  # type: ignore[call-arg]
            params._keep = sel  # the parameters only point at the selector: keep it alive
        scores, ids = self.index.search(queries, kk, params=params)
        return np.where(ids < 0, -np.inf, scores).astype(np.float32), ids.astype(np.int64)

    def _filtered_nprobe(self, queries: np.ndarray, bits: np.ndarray, nlist: int, n: int) -> int:
        """Probes enough lists, nearest first, to hold :data:`FILTERED_SCAN` of the vectors an unfiltered
        search scans, counting *eligible* vectors only.

        Growing ``nprobe`` by the share the filter keeps overall is not enough when the filter follows
        the clusters (a language, a collection of one programme): a query's nearest lists may hold few
        eligible vectors while the ones it should find sit a little further out (measured at 1M chunks:
        ``lang=es`` recall@10 0.917 that way). So count the eligible vectors per list and walk each
        query's lists in centroid order until they add up.
        """
        counts = np.bincount(self._list_of[bits[self._ids]], minlength=nlist)
        want = FILTERED_SCAN * self.nprobe * n / nlist  # a share of what an unfiltered search scans
        _, order = self.index.quantizer.search(queries, nlist)
        need = self.nprobe
        for row in order:
            reached = np.cumsum(counts[row[row >= 0]])
            need = max(need, int(np.searchsorted(reached, want)) + 1)
        return min(nlist, need)

    def _search_sparse_ids(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None, exclude: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Filtered search when ids are too large for a bitmap: exact over the eligible vectors."""
        cand = self._ids if allowed is None else self._ids[np.isin(self._ids, allowed)]
        if exclude is not None and len(exclude):
            cand = cand[~np.isin(cand, exclude)]
        if not len(cand):
            nq = len(queries)
            return np.full((nq, k), -np.inf, np.float32), np.full((nq, k), -1, np.int64)
        return self._exact(queries, k, cand)

    def _exact(self, queries: np.ndarray, k: int, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Brute force over ``candidates`` (sorted ids of this segment); ties go to the smaller id.

        ``einsum``, not ``@``: a BLAS product leaves OpenBLAS threads spinning ~0.1 s on the cores the
        query encoder needs next (the "1% filter" anomaly, bench/study_thread_anomaly.py).
        """
        sims = np.einsum("ij,kj->ik", queries, self.reconstruct(candidates))
        kk = min(k, len(candidates))
        scores = np.full((len(queries), k), -np.inf, np.float32)
        ids = np.full((len(queries), k), -1, np.int64)
        for row in range(len(queries)):
            top = np.argpartition(-sims[row], kk - 1)[:kk] if kk < len(candidates) else np.arange(kk)
            top = top[np.lexsort((candidates[top], -sims[row, top]))]
            scores[row, :kk] = sims[row, top]
            ids[row, :kk] = candidates[top]
        return scores, ids

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self.index.reconstruct_batch(ids), dtype=np.float32)

    # -- persistence ------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        import faiss

        directory.mkdir(parents=True, exist_ok=True)
        self.params["nprobe"] = self.nprobe
        tmp = directory / f".index.faiss.{os.getpid()}.tmp"
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, directory / "index.faiss")
        meta = {"format": FORMAT, "kind": self.kind, "dim": self.dim, "n": len(self), "params": self.params}
        tmpm = directory / f".meta.json.{os.getpid()}.tmp"
        tmpm.write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        os.replace(tmpm, directory / "meta.json")

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> IVFDenseIndex:
        import faiss

        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("kind") != cls.kind:
            raise ValueError(f"{directory}: not an IVF dense index of format {FORMAT}")
        # mapped, the inverted lists stay in the page cache, shared by every process serving the segment
        flags = (faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY) if mmap else 0
        index = faiss.read_index(str(directory / "index.faiss"), flags)
        return cls(index, dict(meta.get("params") or {}))


def default_nlist(n: int) -> int:
    """About 2·sqrt(n) clusters: ~500 vectors a list at a million, quick to train on 2 cores."""
    return int(max(16, min(65536, 2 * math.sqrt(max(n, 1)))))


def measure_recall(
    index: Any, exact: Any, queries: np.ndarray, k: int = 10, skip_self: np.ndarray | None = None
) -> float:
    """Mean recall@k of ``index`` against ``exact`` (``skip_self``: each query's own id, not counted)."""
    extra = 1 if skip_self is not None else 0
    _, truth = exact.search(queries, k + extra)
    return _recall(index, truth, queries, k, skip_self)


def _recall(index: Any, truth: np.ndarray, queries: np.ndarray, k: int, skip_self: np.ndarray | None) -> float:
    """Recall@k of ``index`` against precomputed exact ids ``truth`` (one flat scan serves every nprobe)."""
    _, got = index.search(queries, truth.shape[1])
    total = 0.0
    for row in range(len(queries)):
        t = [i for i in truth[row] if i >= 0 and (skip_self is None or i != skip_self[row])][:k]
        g = {i for i in got[row] if i >= 0 and (skip_self is None or i != skip_self[row])}
        total += len(g.intersection(t)) / max(len(t), 1)
    return total / max(len(queries), 1)


def tune_nprobe(
    ivf: IVFDenseIndex,
    ids: np.ndarray,
    vectors: np.ndarray,
    target: float = 0.98,
    sample: int = 500,
    seed: int = 7,
    probes: np.ndarray | None = None,
) -> float:
    """Smallest ``nprobe`` whose recall@10 reaches ``target`` on ``probes`` (else held-out vectors).

    ``probes`` should be query embeddings (the opening words of the collection's sentences embedded
    with the query prompt): stored vectors make queries that are too easy — at 1M synthetic chunks
    they chose nprobe 2 with recall 0.995 while real questions reached 0.70. Even such probes are
    easier than real questions, so they must reach ``target + PROBE_MARGIN``; the 1M study in the
    README (recall per nprobe for probes and the gold questions) is where the margin comes from.
    Without probes, stored vectors are used with their own id left out of both rankings. The
    reference is a flat scan.
    """
    if probes is not None and len(probes):
        queries = np.ascontiguousarray(probes, dtype=np.float32)
        own = None
        goal, target = target, min(0.999, target + PROBE_MARGIN)
    else:
        rng = np.random.default_rng(seed)
        rows = rng.choice(len(ids), min(sample, len(ids)), replace=False)
        queries = np.ascontiguousarray(vectors[rows], dtype=np.float32)
        own = np.asarray(ids, dtype=np.int64)[rows]
        goal = target
    _, truth = _FlatView(vectors, ids).search(queries, 10 if own is None else 11)
    recall = 0.0
    nlist = int(ivf.index.nlist)
    for nprobe in [p for p in NPROBES if p <= nlist] + ([nlist] if nlist not in NPROBES else []):
        ivf.nprobe = nprobe
        recall = _recall(ivf, truth, queries, 10, own)
        if recall >= target:
            break
    ivf.params.update(nprobe=ivf.nprobe, recall_at_10=round(recall, 4), recall_target=goal, probe_target=target)
    ivf.params["recall_queries"] = int(len(queries))
    ivf.params["recall_probes"] = "query embeddings" if own is None else "stored vectors"
    return recall


class _FlatView:
    """Exact top-k over an existing array (FAISS flat search, no id map, no copy of the data)."""

    def __init__(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        import faiss

        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.ids = np.asarray(ids, dtype=np.int64)
        self.faiss = faiss

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        d, i = self.faiss.knn(queries, self.vectors, k, metric=self.faiss.METRIC_INNER_PRODUCT)
        return d, np.where(i >= 0, self.ids[i.clip(0)], -1)


def probe_texts(texts: Sequence[str], seed: int = 11) -> list[str]:
    """Query-like texts for :func:`tune_nprobe`: the first words of sampled texts of the collection."""
    pick = np.random.default_rng(seed).choice(len(texts), min(PROBE_COUNT, len(texts)), replace=False)
    return [" ".join(texts[i].split()[:PROBE_WORDS]) for i in pick]


def choose_dense_index(
    ids: np.ndarray,
    vectors: np.ndarray,
    threshold: int = 200_000,
    target_recall: float = 0.98,
    probes: Callable[[], np.ndarray] | None = None,
) -> Any:
    """Exact ``DenseIndex`` below ``threshold`` vectors, else an ``IVFDenseIndex`` tuned to ``target_recall``.

    ``probes`` makes the query embeddings the tuning measures recall on (see :func:`probe_texts`);
    it is called only when an IVF index is built, so small segments never pay for it.

    The tuning measures recall@10 against exact search on a held-out sample of these vectors and
    records ``nlist``, ``nprobe`` and the measured recall in ``params``, which the segment writes
    beside the index and the manifest carries.
    """
    from index.dense import DenseIndex

    if len(ids) < max(threshold, 1):
        return DenseIndex.build(ids, vectors)
    t0 = time.perf_counter()
    ivf = IVFDenseIndex.build(ids, vectors)
    tune_nprobe(ivf, ids, vectors, target_recall, probes=probes() if probes is not None else None)
    ivf.params["build_s"] = round(time.perf_counter() - t0, 2)
    return ivf


def load_dense_index(directory: Path, mmap: bool = False) -> Any:
    """Load whichever dense index ``directory`` holds, by the ``kind`` in its meta.json."""
    from index.dense import DenseIndex

    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    if meta.get("kind") == IVFDenseIndex.kind:
        return IVFDenseIndex.load(directory, mmap=mmap)
    return DenseIndex.load(directory, mmap=mmap)
