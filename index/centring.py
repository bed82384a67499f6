"""Language centring: take the query language's mean vector out of the dense score.

A multilingual embedder puts every text near a common direction plus a direction of its
language: e5's passage vectors in one language average to a vector of norm ~0.92, and the
Spanish, English, Portuguese and French means differ by ~0.15. Within any language, a query then
favours the passages that look most like an average text of *its own* language, not those that
answer it (the README's "What is left": answers ranked 19th by dense behind lookalikes).
Subtracting a language's mean ("centring", Libovický et al., 2020, "On the language neutrality of
pre-trained multilingual representations") removes that direction. Here only the query is shifted
(and made a unit vector again), and each passage gets back what the shift takes from an average
passage of its own language, so that languages keep nearly their levels against each other (moving
them would put a translation above the original on XQuAD's same-language questions):

    score(q, p) = s . p  +  alpha * m[lang(q)] . m[lang(p)],   s = unit(q - alpha * m[lang(q)])

The add-back is not divided by the shifted query's norm (~0.75 at alpha 0.3), so a passage of
another language keeps a little of the lift: measured, this did better on the gold dev half
(nDCG@10 0.906 against 0.901) and the same on XQuAD. It needs no change to the stored vectors: the
index is searched with ``s`` and each hit gets its language's constant added. The means come from the knowledge base's
own passages: each segment stores, per language, the sum of its vectors and their count
(``centroids.npz``, written with the segment); a search combines the live segments'. Tombstoned
passages count until a compaction rewrites their segment: a mean of many passages moves little.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CENTROIDS_FILE = "centroids.npz"
MIN_PASSAGES = 20  # a language with fewer passages has no mean of its own (the overall mean stands in)

Sums = Mapping[str, tuple[np.ndarray, int]]  # language -> (sum of its vectors, how many)


def language_sums(vectors: np.ndarray, langs: Sequence[str]) -> dict[str, tuple[np.ndarray, int]]:
    """Per language, the float64 sum of the rows of ``vectors`` in that language and their count."""
    out: dict[str, tuple[np.ndarray, int]] = {}
    tags = np.asarray([lang or "und" for lang in langs])
    for lang in sorted(set(tags.tolist())):
        rows = np.asarray(vectors)[tags == lang]
        out[lang] = (rows.sum(axis=0, dtype=np.float64), len(rows))
    return out


def sums_bytes(sums: Sums) -> bytes:
    """``sums`` as an ``.npz`` file (no pickles: languages are a string array)."""
    langs = sorted(sums)
    dim = len(next(iter(sums.values()))[0]) if sums else 0
    buf = io.BytesIO()
    np.savez(
        buf,
        langs=np.asarray(langs, dtype="<U16"),
        sums=np.asarray([sums[lang][0] for lang in langs], dtype=np.float64).reshape(len(langs), dim),
        counts=np.asarray([sums[lang][1] for lang in langs], dtype=np.int64),
    )
    return buf.getvalue()


def load_sums(directory: Path) -> dict[str, tuple[np.ndarray, int]]:
    """A segment's sums; empty when it has none (written before language centring: ``kb reindex`` adds them)."""
    path = Path(directory) / CENTROIDS_FILE
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        langs, sums, counts = data["langs"], data["sums"], data["counts"]
        return {str(lang): (sums[i], int(counts[i])) for i, lang in enumerate(langs)}


@dataclass(frozen=True)
class LanguageMeans:
    """The mean passage vector of each language with enough passages, and of all passages."""

    means: Mapping[str, np.ndarray]
    overall: np.ndarray

    def mean(self, lang: str | None) -> np.ndarray:
        return self.means.get(lang or "", self.overall)

    def shifted_query(self, query: np.ndarray, lang: str | None, alpha: float) -> np.ndarray | None:
        """The query minus ``alpha`` times its language's mean, as a unit vector; None when its language has
        no mean (a query kb cannot place in a language is left as it is)."""
        if not alpha or lang is None or lang not in self.means:
            return None
        mean: np.ndarray = self.means[lang]
        shifted: np.ndarray = np.asarray(query, dtype=np.float64) - alpha * mean
        return (shifted / max(float(np.linalg.norm(shifted)), 1e-12)).astype(np.float32)

    def offsets(self, query_lang: str, passage_langs: Sequence[str], alpha: float) -> np.ndarray:
        """What each hit of the shifted query gets added: ``alpha * m[query] . m[passage language]``."""
        q = self.means[query_lang]
        by_lang = {lang: alpha * float(q @ self.mean(lang)) for lang in set(passage_langs)}
        return np.asarray([by_lang[lang] for lang in passage_langs], dtype=np.float32)


def combine(parts: Iterable[Sums], min_passages: int = MIN_PASSAGES) -> LanguageMeans | None:
    """The knowledge base's means from its segments' sums; None when no segment has any."""
    total: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for sums in parts:
        for lang, (vec, n) in sums.items():
            total[lang] = total[lang] + vec if lang in total else np.array(vec, dtype=np.float64)
            counts[lang] = counts.get(lang, 0) + n
    n_all = sum(counts.values())
    if not n_all:
        return None
    overall = sum(total.values()) / n_all
    means = {lang: total[lang] / n for lang, n in counts.items() if n >= min_passages and lang != "und"}
    return LanguageMeans(means, np.asarray(overall, dtype=np.float64))
