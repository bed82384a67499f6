"""Segments open memory-mapped: every serving process shares one copy of the vectors and BM25 arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.store.segments import load_segment, write_segment

WORDS = ["río", "paso", "acta", "frontera", "control", "aduana", "puente", "tren", "patrulla", "migración"]


def mapped_files() -> set[str]:
    """Files this process has mapped (Linux)."""
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("ivf_threshold", [10_000, 500], ids=["flat", "ivf"])
def test_a_segment_is_mapped_not_read_and_answers_the_same(tmp_path: Path, ivf_threshold: int) -> None:
    rng = np.random.default_rng(5)
    n = 2000
    vectors = rng.standard_normal((n, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(1, n + 1, dtype=np.int64)
    texts = [" ".join(rng.choice(WORDS, 6)) for _ in range(n)]
    params = write_segment(tmp_path / "s", ids, vectors, texts, ["es"] * n, ivf_threshold=ivf_threshold)
    assert params["dense"] == ("ivf" if ivf_threshold < n else "flat")
    index_file = str((tmp_path / "s" / "dense" / "index.faiss").resolve())
    read_in = load_segment(1, tmp_path / "s", mmap=False)
    assert index_file not in mapped_files()
    mapped = load_segment(1, tmp_path / "s")
    files = mapped_files()
    assert index_file in files  # the vectors (or IVF lists) stay in the page cache, shared
    assert any(f.startswith(str((tmp_path / "s" / "sparse").resolve())) for f in files)  # BM25 arrays too
    q = vectors[:5] + 0.05
    assert np.array_equal(mapped.dense.search(q, 10)[1], read_in.dense.search(q, 10)[1])  # type: ignore[attr-defined]
    a = mapped.sparse.search("frontera aduana", "es", 10)  # type: ignore[attr-defined]
    b = read_in.sparse.search("frontera aduana", "es", 10)  # type: ignore[attr-defined]
    assert np.array_equal(a[0], b[0]) and len(a[0]) == 10
