"""Near-duplicate documents (the same release re-published, the same text in two files).

Each document gets a MinHash signature of its word bigram shingles; two documents whose
estimated Jaccard similarity passes the threshold are grouped, the later one pointing at the
earlier with ``near_dup_of``. Searches then show each group once.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

PERMUTATIONS = 64
THRESHOLD = 0.4
_rng = np.random.default_rng(20240314)
# h_i(x) = ((x xor m_i) * a_i) mod 2^32 with odd a_i: a permutation of 32-bit values per i
_A = _rng.integers(1, 1 << 32, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_M = _rng.integers(0, 1 << 32, PERMUTATIONS, dtype=np.uint64)
_MASK = np.uint64(0xFFFFFFFF)
WORD = re.compile(r"\w+", re.UNICODE)


def signature(text: str, n: int = 2) -> np.ndarray:
    words = [w.lower() for w in WORD.findall(text)]
    if len(words) < n:
        words = words + [""] * (n - len(words))
    shingles = {zlib.crc32(" ".join(words[i : i + n]).encode()) for i in range(len(words) - n + 1)}
    x = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    hashed = ((x[:, None] ^ _M[None, :]) * _A[None, :]) & _MASK
    return hashed.min(axis=0).astype(np.uint64)


def similarity(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of one signature against many (rows)."""
    if not len(others):
        return np.zeros(0)
    return (others == sig[None, :]).mean(axis=1)
