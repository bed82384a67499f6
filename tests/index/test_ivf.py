"""IVF dense index: oracle tests against numpy brute force, filters, persistence, automatic choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.dense import DenseIndex
from index.ivf import IVFDenseIndex, choose_dense_index, load_dense_index, measure_recall

N, DIM = 4000, 32


def clustered(n: int = N, dim: int = DIM, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim)).astype(np.float32)
    v = centres[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def brute(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    sims = queries @ vectors.T
    return np.array([ids[np.lexsort((ids, -row))[:k]] for row in sims])


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vectors = clustered()
    ids = np.arange(100, 100 + N, dtype=np.int64)
    rng = np.random.default_rng(1)
    queries = vectors[:20] + 0.2 * rng.normal(size=(20, DIM)).astype(np.float32)
    return ids, vectors, queries / np.linalg.norm(queries, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def ivf(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> IVFDenseIndex:
    ids, vectors, _ = data
    return choose_dense_index(ids, vectors, threshold=1000)


def test_all_probes_equal_brute_force(data, ivf) -> None:
    ids, vectors, queries = data
    old = ivf.nprobe
    ivf.nprobe = int(ivf.index.nlist)
    try:
        scores, got = ivf.search(queries, 10)
    finally:
        ivf.nprobe = old
    assert (got == brute(queries, vectors, ids, 10)).all()
    assert np.allclose(scores[:, 0], (queries @ vectors.T).max(axis=1), atol=1e-5)


def test_tuned_recall_is_measured_and_met(data, ivf) -> None:
    ids, vectors, queries = data
    assert ivf.kind == "ivf"
    assert ivf.params["recall_at_10"] >= 0.98
    assert 1 <= ivf.params["nprobe"] <= ivf.params["nlist"]
    exact = DenseIndex.build(ids, vectors)
    assert measure_recall(ivf, exact, queries, 10) >= 0.9


def test_below_threshold_is_exact(data) -> None:
    ids, vectors, _ = data
    index = choose_dense_index(ids[:500], vectors[:500], threshold=1000)
    assert isinstance(index, DenseIndex)
    assert index.kind == "flat"


@pytest.mark.parametrize("every", [2, 3, 50, 400])
def test_filtered_search_returns_true_topk_inside_filter(data, ivf, every: int) -> None:
    ids, vectors, queries = data
    keep = ids[ids % every == 0]
    allowed = np.concatenate([keep, np.array([5, 10**7], dtype=np.int64)])  # ids of other segments too
    _, got = ivf.search(queries, 10, allowed=allowed)
    assert np.isin(got[got >= 0], keep).all()
    want = brute(queries, vectors[ids % every == 0], keep, 10)
    hits = [len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)]
    assert np.mean(hits) >= 0.95
    assert (got >= 0).all()  # k hits whenever k exist inside the filter


def test_exclude_and_allowed_together(data, ivf) -> None:
    ids, _, queries = data
    _, first = ivf.search(queries[:1], 5)
    _, again = ivf.search(queries[:1], 5, exclude=first[0])
    assert not set(first[0]) & set(again[0])
    _, both = ivf.search(queries[:1], 5, allowed=ids[:2000], exclude=ids[:1000])
    assert ((both >= ids[1000]) & (both < ids[2000])).all()


def test_empty_filter_and_padding(data, ivf) -> None:
    _, _, queries = data
    scores, got = ivf.search(queries[:2], 5, allowed=np.zeros(0, np.int64))
    assert (got == -1).all() and np.isinf(scores).all()
    _, few = ivf.search(queries[:1], 5, allowed=np.array([100, 101, 102]))
    assert sorted(few[0][:3]) == [100, 101, 102] and (few[0][3:] == -1).all()


def test_reconstruct_and_ids(data, ivf) -> None:
    ids, vectors, _ = data
    assert np.allclose(ivf.reconstruct(ids[[3, 7, 4000 - 1]]), vectors[[3, 7, 4000 - 1]])
    assert (ivf.ids() == ids).all()
    assert len(ivf) == N


def test_save_load_round_trip(tmp_path: Path, data, ivf) -> None:
    _, _, queries = data
    ivf.save(tmp_path / "dense")
    loaded = load_dense_index(tmp_path / "dense")
    assert isinstance(loaded, IVFDenseIndex)
    assert loaded.params["nprobe"] == ivf.nprobe and loaded.params["recall_at_10"] == ivf.params["recall_at_10"]
    for allowed in (None, np.arange(100, 100 + N, 3)):
        a, b = ivf.search(queries, 10, allowed=allowed), loaded.search(queries, 10, allowed=allowed)
        assert (a[1] == b[1]).all() and np.allclose(a[0], b[0])


def test_loader_dispatches_flat(tmp_path: Path, data) -> None:
    ids, vectors, queries = data
    flat = DenseIndex.build(ids[:300], vectors[:300])
    flat.save(tmp_path / "flat")
    loaded = load_dense_index(tmp_path / "flat")
    assert isinstance(loaded, DenseIndex)
    assert (loaded.search(queries, 5)[1] == flat.search(queries, 5)[1]).all()
    with pytest.raises(ValueError):
        IVFDenseIndex.load(tmp_path / "flat")


def test_a_large_segment_gets_an_ivf_index_recorded_in_the_manifest(tmp_path: Path, fake_embedder) -> None:
    """Through the service: above the threshold the segment is IVF, tuned, searchable, compactable."""
    from kb.service import KnowledgeBase

    docs = tmp_path / "docs"
    docs.mkdir()
    topics = ["contrabando de combustible", "trata de personas", "control migratorio", "patrullas conjuntas"]
    for i in range(40):
        paras = [f"Informe {i}, párrafo {j}: {topics[(i + j) % 4]} en el paso {i % 7}, caso {i + j}." for j in range(6)]
        (docs / f"informe-{i:02d}.md").write_text(f"# Informe {i}\n\n" + "\n\n".join(paras), encoding="utf-8")
    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False, ivf_threshold=20)
    try:
        kb.ingest([docs])
        manifest = kb.store.read_manifest() or {}
        [seg] = manifest["segments"]
        assert seg["params"]["dense"] == "ivf"
        dense = seg["params"]["dense_params"]
        assert dense["nlist"] >= 1 and dense["nprobe"] >= 1
        assert dense["recall_at_10"] >= 0.99 and dense["recall_target"] == 0.98 and dense["probe_target"] == 0.99
        assert dense["recall_probes"] == "query embeddings"  # tuned on query-like probes, not stored vectors
        hits = kb.search("trata de personas", mode="dense", k=5)
        assert hits
        victim = hits[0].doc_id
        kb.remove(victim)
        assert victim not in {h.doc_id for h in kb.search("trata de personas", mode="dense", k=40)}
        assert kb.compact()["purged"] > 0  # rebuilt without the removed document, still IVF
        reopened = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False, ivf_threshold=20)
        assert (reopened.store.read_manifest() or {})["segments"][0]["params"]["dense"] == "ivf"
        assert reopened.search("contrabando de combustible", mode="dense", k=5)
        reopened.close()
    finally:
        kb.close()


def test_a_filter_that_follows_the_clusters_still_finds_the_true_top_k(monkeypatch: pytest.MonkeyPatch) -> None:
    """Half the vectors (one group of clusters) allowed, queries from the other half, one query per call
    as kb serves them: the nearest lists hold nothing eligible, so the search walks out, nearest first,
    until its lists hold enough eligible vectors. With :data:`index.ivf.FILTERED_SCAN` at 2 that finds
    the true top 10; at the default 1.0 this adversarial case reaches 0.877 (the 1M benchmark's
    ``lang=es``, 0.997), no worse than growing ``nprobe`` by the kept share (0.863)."""
    import index.ivf as ivf

    rng = np.random.default_rng(5)
    centres = rng.normal(size=(60, DIM)).astype(np.float32)
    group = np.arange(60) % 2  # clusters of group 0 and of group 1
    which = rng.integers(0, 60, 6000)
    vectors = centres[which] + 0.35 * rng.normal(size=(6000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(6000, dtype=np.int64)
    index = IVFDenseIndex.build(ids, vectors, nlist=60)
    index.nprobe = 4  # unfiltered, these queries' recall@10 is 1.0
    queries = vectors[group[which] == 0][:30]  # questions that sit in group 0's clusters
    keep = ids[group[which] == 1]  # a filter that keeps only group 1
    want = brute(queries, vectors[keep], keep, 10)

    def recall() -> float:
        got = np.vstack([index.search(q[None, :], 10, allowed=keep)[1] for q in queries])
        assert np.isin(got, keep).all()
        return float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)]))

    monkeypatch.setattr(ivf, "FILTERED_SCAN", 2.0)
    assert recall() >= 0.98
