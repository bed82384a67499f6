"""Keyword retrieval: BM25 (bm25s) over one segment, each chunk analysed in its own language.

Design choice (one vocabulary, analysis chosen per side):

- A chunk contributes its own language's terms: folded, without its language's stop words,
  Snowball-stemmed in its language (:func:`index.analyze.tokenize`). A chunk of unknown language
  contributes folded unstemmed words. Nothing is indexed twice, so document lengths and term
  statistics stay those of plain BM25.
- A query is analysed once per candidate language and the distinct terms are looked up
  (:func:`index.analyze.query_terms`): its own language when known (plus the other languages'
  forms of its names, acronyms and codes, which do not change across languages), all four
  languages and the unstemmed words when it is unknown. A term counts once however many analyses
  produced it.

Scoring is bm25s's default: the "lucene" variant with k1=1.5, b=0.75, i.e. for each distinct
query term t in document d, ``idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avgdl))`` with
``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))`` (always positive, so every matching chunk scores
above zero). Filters are a weight mask applied to the score vector before the top-k, never a
trim of a short list afterwards.

A second, optional field holds each chunk's document title (:func:`passage_titles`): a passage deep
in a report rarely repeats the crossing or the instrument its title names, so a question naming
them matches the title page only. The title field is a BM25 index of its own (same terms, same
analysis in the chunk's language, its own statistics), and a query's score is the body's plus
``title_weight`` times the title field's. A passage that already contains its title (the first one,
usually) gets no title field, so the title never counts twice: on XQuAD, whose paragraphs are
documents of their own with the article's title as first line, indexing the title for every
passage lowered same-language R@1 (0.931 to 0.925), while this rule leaves it unchanged.

On disk (``directory/``): ``bm25/`` (bm25s's own save: .npy arrays and JSON, no pickle), ``title/``
(the title field, the same way; absent in segments built before it or without titles),
``ids.npy`` (chunk id of each bm25s row) and ``meta.json`` (format version, analyzer version,
count, parameters). The directory is written beside and swapped in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.analyze import ANALYZER_VERSION, query_terms, tokenize
from index.atomic import building_directory
from index.dense import BITMAP_MAX_ID, id_bitmap

FORMAT = 1
K1 = 1.5
B = 0.75
_EMPTY = "\u2205"  # stands in when no chunk of a segment has a single term: bm25s needs a vocabulary
#: A title counts as contained in a passage when its first this many characters are (case and spacing
#: aside): a long title is often shortened or wrapped where the text repeats it.
TITLE_PREFIX = 60

log = logging.getLogger(__name__)


def _no_hits() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, np.float32), np.zeros(0, np.int64)


def passage_titles(texts: Sequence[str], titles: Sequence[str | None]) -> list[str]:
    """The title field of each passage: its document's title, or nothing when the passage already
    contains it (its first :data:`TITLE_PREFIX` characters, case and spacing aside)."""
    out = []
    for text, title in zip(texts, titles, strict=True):
        head = " ".join((title or "").split()).lower()[:TITLE_PREFIX]
        out.append("" if not head or head in " ".join(text.split()).lower() else str(title))
    return out


def _bm25s() -> Any:
    """The bm25s module, its logger put back under the application's logging configuration.

    bm25s sets its own logger to DEBUG when imported, so every index build printed "Building index
    from tokens" through the CLI's warning-level handler.
    """
    import logging

    import bm25s

    logger = logging.getLogger("bm25s")
    if logger.level == logging.DEBUG:
        logger.setLevel(logging.NOTSET)
    return bm25s


def _bm25(tokens: list[list[str]]) -> Any:
    bm25s = _bm25s()

    model = bm25s.BM25(k1=K1, b=B)
    model.index(tokens, show_progress=False)
    return model


def _weighted_scores(model: Any, own: Sequence[str], extra: Sequence[tuple[str, float]], n: int) -> np.ndarray:
    """``model``'s BM25 scores for the query's own terms (weight 1) and the weighted ``extra`` terms; an
    extra term that is also one of the query's own counts once, at full weight."""
    vocab = model.vocab_dict
    known = [t for t in own if t in vocab]
    by_weight: dict[float, list[int]] = {1.0: [vocab[t] for t in known]} if known else {}
    seen = set(known)
    for term, weight in extra:
        if term in vocab and term not in seen and weight > 0:
            seen.add(term)
            by_weight.setdefault(float(weight), []).append(vocab[term])
    total = np.zeros(n, np.float32)
    for weight, term_ids in by_weight.items():
        total += np.float32(weight) * np.asarray(model.get_scores_from_ids(term_ids), dtype=np.float32)
    return total


class SparseIndex:
    """BM25 over one segment's chunks, keyed by chunk id."""

    def __init__(self, model: Any, ids: np.ndarray, title: Any = None) -> None:
        self.model = model  # bm25s.BM25, or None for an empty segment
        self.ids_ = np.asarray(ids, dtype=np.int64)
        self._top: int | None = None  # the largest id, found once
        self.title = title  # bm25s.BM25 over the title field, or None (no titles, or built before the field)

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        texts: Sequence[str],
        langs: Sequence[str | None],
        titles: Sequence[str | None] | None = None,
    ) -> SparseIndex:
        """Index ``texts``, each analysed in its own language, and their documents' ``titles``.

        Args:
            ids: The chunk id of each text (int64, unique).
            texts: Chunk texts.
            langs: The language of each chunk (one of ``LANGS``, or anything else for unknown).
            titles: The title of each chunk's document (``None``: no title field), indexed in the
                chunk's language for the chunks that do not contain it (:func:`passage_titles`).

        Returns:
            The index.

        Raises:
            ValueError: When the three sequences differ in length or ids repeat.
        """
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if titles is not None and len(titles) != len(texts):
            raise ValueError(f"{len(titles)} titles for {len(texts)} texts")
        if not len(ids) == len(texts) == len(langs):
            raise ValueError(f"{len(ids)} ids, {len(texts)} texts, {len(langs)} languages")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("chunk ids repeat inside one segment")
        if not len(ids):
            return cls(None, ids)
        tokens = [tokenize(text, lang) for text, lang in zip(texts, langs, strict=True)]
        if not any(tokens):
            tokens[0] = [_EMPTY]
        fields = passage_titles(texts, titles) if titles is not None else []
        title_tokens = [tokenize(title, lang) for title, lang in zip(fields, langs, strict=False)]
        return cls(_bm25(tokens), ids, _bm25(title_tokens) if any(title_tokens) else None)

    def __len__(self) -> int:
        return len(self.ids_)

    def mask(
        self, allowed: np.ndarray | None, exclude: np.ndarray | None, rows: np.ndarray | None = None
    ) -> np.ndarray | None:
        """A boolean mask for ``allowed`` minus ``exclude`` over all rows, or over ``rows`` (positions)
        only (``None`` when nothing restricts): a query checks only the rows that scored."""
        if allowed is None and (exclude is None or not len(exclude)):
            return None
        ids = self.ids_ if rows is None else self.ids_[rows]
        small = len(self.ids_) and self._max_id() < BITMAP_MAX_ID
        if allowed is not None and len(allowed) and small and 0 <= int(np.min(allowed)):
            # a scatter and a gather: five times cheaper than isin at 1M ids
            return id_bitmap(allowed, exclude, size=self._max_id() + 1)[ids]
        keep = np.ones(len(ids), dtype=bool) if allowed is None else np.isin(ids, allowed)
        if exclude is not None and len(exclude):
            keep &= ~np.isin(ids, exclude)
        return keep

    def _max_id(self) -> int:
        if self._top is None:
            self._top = int(self.ids_.max()) if len(self.ids_) else -1
        return self._top

    def scores(
        self, query: str, lang: str | None, extra: Sequence[tuple[str, float]] = (), title_weight: float = 0.0
    ) -> np.ndarray:
        """The BM25 score of every row for ``query`` (zeros where nothing matches).

        ``extra`` are further terms, already analysed, each with a weight that multiplies its BM25
        contribution (a cross-language expansion counts less than a word the user typed); an extra
        term that is also one of the query's own counts once, at full weight. The title field's
        score, times ``title_weight``, is added when the segment has one.
        """
        if self.model is None:
            return np.zeros(0, np.float32)
        own = query_terms(query, lang)
        total = _weighted_scores(self.model, own, extra, len(self.ids_))
        if title_weight > 0 and self.title is not None:
            total += np.float32(title_weight) * _weighted_scores(self.title, own, extra, len(self.ids_))
        return total

    def document_frequency(self, terms: Sequence[str]) -> np.ndarray:
        """How many rows of this segment contain each term (0 for a term it never saw): the
        statistic a feedback-term picker needs to tell a salient word from a common one."""
        out = np.zeros(len(terms), np.int64)
        if self.model is None:
            return out
        vocab, indptr = self.model.vocab_dict, np.asarray(self.model.scores["indptr"])
        for n, term in enumerate(terms):
            tid = vocab.get(term)
            if tid is not None and tid + 1 < len(indptr):
                out[n] = int(indptr[tid + 1] - indptr[tid])
        return out

    def search(
        self,
        query: str,
        lang: str | None,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
        extra: Sequence[tuple[str, float]] = (),
        title_weight: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best-scoring chunks for ``query`` among ``allowed`` minus ``exclude``.

        Args:
            query: The query text.
            lang: The query language, or ``None`` for language-neutral analysis.
            k: Hits wanted.
            allowed: Only these ids may be returned (``None``: all).
            exclude: These ids may not be returned (tombstones).
            extra: Weighted further terms (see :meth:`scores`).
            title_weight: Weight of the title field (see :meth:`scores`).

        Returns:
            ``(scores, ids)``, 1-D, best first (ties by ascending id), only positive scores.
        """
        if self.model is None or k <= 0 or (allowed is not None and not len(allowed)):
            return _no_hits()
        scores = self.scores(query, lang, extra, title_weight)
        rows = np.flatnonzero(scores > 0)
        keep = self.mask(allowed, exclude, rows)
        if keep is not None:
            rows = rows[keep]
        if len(rows) > k:
            # a cheap partition first; the threshold's ties are all kept, then ordered exactly
            kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]
            rows = rows[scores[rows] >= kth]
        order = np.lexsort((self.ids_[rows], -scores[rows]))[:k]
        rows = rows[order]
        return scores[rows], self.ids_[rows]

    def save(self, directory: Path) -> None:
        """Write the index into ``directory``: built beside, then swapped in.

        An exception while writing leaves a previous ``directory`` untouched.
        """
        with building_directory(Path(directory)) as tmp:
            if self.model is not None:
                self.model.save(str(tmp / "bm25"), show_progress=False)
            if self.title is not None:
                self.title.save(str(tmp / "title"), show_progress=False)
            np.save(tmp / "ids.npy", self.ids_, allow_pickle=False)
            meta = {"format": FORMAT, "analyzer": ANALYZER_VERSION, "n": len(self.ids_), "k1": K1, "b": B}
            meta["title"] = self.title is not None
            (tmp / "meta.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> SparseIndex:
        """Open a saved index; ``mmap`` maps the score arrays read-only.

        Raises:
            ValueError: On a format version this code does not read, or a count mismatch.
        """
        bm25s = _bm25s()

        directory = Path(directory)
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{directory}: sparse index format {meta.get('format')} is not {FORMAT}")
        if meta.get("analyzer", 1) != ANALYZER_VERSION:
            log.warning(
                "%s: built with text analyzer %s, this code uses %s; keyword matches may be missed until `kb reindex`",
                directory,
                meta.get("analyzer", 1),
                ANALYZER_VERSION,
            )
        ids = np.load(directory / "ids.npy", allow_pickle=False, mmap_mode="r" if mmap else None)
        if meta.get("n", len(ids)) != len(ids):
            raise ValueError(f"{directory}: ids.npy holds {len(ids)} ids but meta.json says {meta['n']}")
        if not len(ids):
            return cls(None, ids)
        model = bm25s.BM25.load(str(directory / "bm25"), mmap=mmap, show_progress=False)
        title = bm25s.BM25.load(str(directory / "title"), mmap=mmap, show_progress=False) if meta.get("title") else None
        for name, m in (("BM25", model), ("title field", title)):
            if m is not None and m.scores["num_docs"] != len(ids):
                raise ValueError(f"{directory}: {name} has {m.scores['num_docs']} rows for {len(ids)} ids")
            if m is not None:
                _plain_views(m.scores)
        return cls(model, ids, title)


def _plain_views(scores: dict[str, Any]) -> None:
    """Replace the memory-mapped arrays of a bm25s score dict by plain ndarrays over the same pages
    (nothing is read or copied).

    Every slice of an ``np.memmap`` is another memmap, built through Python-level hooks; a search
    slices the score arrays per query term, and those hooks cost more than the slicing (a tenth of a
    served search's time). Each view keeps the map open through its ``base``.
    """
    for key, value in scores.items():
        if isinstance(value, np.memmap):
            scores[key] = np.asarray(value)
