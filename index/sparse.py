"""Keyword retrieval: BM25 (bm25s) over one segment, each chunk analysed in its own language.

A chunk contributes the stems of its own language (Snowball), folded and without stop words.
A query is analysed in its language, or, when its language is unknown (a name, an acronym),
in all four languages at once: names and acronyms are not changed by stemming, so they match
everywhere. Filters are a weight mask applied before the top-k, never a trim afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.analyze import query_terms, tokenize

FORMAT = 1


class SparseIndex:
    def __init__(self, model, ids: np.ndarray) -> None:  # type: ignore[no-untyped-def]
        self.model = model
        self.ids_ = np.asarray(ids, dtype=np.int64)
        self._pos: dict[int, int] | None = None

    @classmethod
    def build(cls, ids: np.ndarray, texts: Sequence[str], langs: Sequence[str]) -> SparseIndex:
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        tokens = [tokenize(t, lang) or ["\u2205"] for t, lang in zip(texts, langs, strict=True)]
        model = bm25s.BM25()
        if tokens:
            model.index(tokens, show_progress=False)
        return cls(model, ids)

    def __len__(self) -> int:
        return len(self.ids_)

    def _mask(self, allowed: np.ndarray | None, exclude: np.ndarray | None) -> np.ndarray | None:
        if allowed is None and (exclude is None or not len(exclude)):
            return None
        mask = np.ones(len(self.ids_), dtype=bool) if allowed is None else np.isin(self.ids_, allowed)
        if exclude is not None and len(exclude):
            mask &= ~np.isin(self.ids_, exclude)
        return mask

    def search(
        self,
        query: str,
        lang: str | None,
        k: int,
        allowed: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)`` best first, only documents with a positive score."""
        empty = (np.zeros(0, np.float32), np.zeros(0, np.int64))
        if not len(self.ids_) or k <= 0:
            return empty
        vocab = self.model.vocab_dict
        terms = [t for t in dict.fromkeys(query_terms(query, lang)) if t in vocab]
        if not terms:
            return empty
        scores = np.asarray(self.model.get_scores(terms), dtype=np.float32)
        mask = self._mask(allowed, exclude)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if not len(positive):
            return empty
        top = positive[np.argsort(-scores[positive], kind="stable")[:k]]
        return scores[top], self.ids_[top]

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(f".{directory.name}.{os.getpid()}.tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        self.model.save(str(tmp / "bm25"), show_progress=False)
        np.save(tmp / "ids.npy", self.ids_, allow_pickle=False)
        (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, "n": len(self.ids_)}), encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(tmp, directory)

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> SparseIndex:
        import bm25s

        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{directory}: sparse index format {meta.get('format')} is not {FORMAT}")
        ids = np.load(directory / "ids.npy", allow_pickle=False)
        model = bm25s.BM25.load(str(directory / "bm25"), mmap=mmap, show_progress=False) if len(ids) else bm25s.BM25()
        return cls(model, ids)
