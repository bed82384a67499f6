"""How queries become vectors: which encoder, a cache of recent queries, and batching of concurrent ones.

:class:`kb.service.KnowledgeBase` inherits these; a principal's view shares its base's encoder
and batcher (``_base``), so every user of one server process feeds the same encoder runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class QueryVerbs:
    """The query encoder of this knowledge base (mixed into ``KnowledgeBase``)."""

    config: Any
    _base: Any
    _embedder: Any
    _query_embedder: Any
    _qcache: dict[str, np.ndarray]
    _batcher: tuple[Any, Any] | None
    _encoder_lock: Any  # a threading.RLock: the first concurrent searches build one encoder, not one each

    @property
    def embedder(self) -> Any:
        raise NotImplementedError  # KnowledgeBase loads the configured embedder

    @property
    def query_embedder(self) -> Any:
        """What embeds queries: the embedder itself, or for ``e5`` its ONNX copy when exported (the
        block copy of :mod:`index.e5nbits` when built and ``query_nbits``, else the fp32 one; the int8
        copy with ``query_int8``).

        The copy gives the same vectors (cosine >= 0.9998) without importing torch and
        sentence-transformers, so a search in a fresh process (the CLI, a restarted app) answers
        in seconds. It serves queries even where the full embedder is loaded (an ingest ran here):
        hybrid scores are made of the dense scores' values, not only their order, so one query must
        get one vector in every process, or a search right after an ingest would score differently
        from the same search after a restart.
        """
        if self._base is not None:
            return self._base.query_embedder
        with self._encoder_lock:
            return self._pick_query_embedder()

    def _pick_query_embedder(self) -> Any:
        if self._query_embedder is None and self.config.embedder == "e5":
            from index.e5onnx import ready_query_encoder

            threads = self.config.query_threads or None
            if self.config.query_int8:  # chosen over the full model: measured
                self._query_embedder = ready_query_encoder(int8=True, threads=threads)
            if self._query_embedder is None and self.config.fast_queries:
                self._query_embedder = ready_query_encoder(nbits=self.config.query_nbits, threads=threads)
        return self._query_embedder if self._query_embedder is not None else self.embedder

    def unmatched_phrases(self, query: str, filters: Any = None) -> tuple[str, ...]:
        """The "quoted phrases" of ``query`` that no passage you may read (within ``filters``) holds: a
        search then ranks on their words instead, and a front end should say so."""
        from kb.read.search import unmatched_phrases
        from kb.types import Filters

        f = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        scoped = self._scoped(f)  # type: ignore[attr-defined]
        return () if scoped is None else unmatched_phrases(self._reading(), query, scoped)  # type: ignore[attr-defined]

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding, remembered for repeated queries (facet clicks, modes, eval)."""
        vec = self._qcache.get(text)
        if vec is None:
            vec = self._query_batcher().embed(text)
            if len(self._qcache) > 512:
                self._qcache.clear()
            self._qcache[text] = vec
        return vec

    def _query_batcher(self) -> Any:
        """Concurrent searches share encoder runs (:mod:`index.batching`); one batcher per encoder in use.

        An int8 encoder is not batched (a pass-through): it quantises activations per batch, so a
        query's vector would depend on the queries it arrived with.
        """
        from index.batching import QueryBatcher

        base = self._base or self
        encoder = base.query_embedder
        held = base._batcher
        if held is None or held[0] is not encoder:
            with base._encoder_lock:
                held = base._batcher
                if held is None or held[0] is not encoder:
                    int8 = "int8" in str(getattr(getattr(encoder, "info", None), "runtime", ""))
                    size = 0 if int8 else self.config.query_batch
                    held = (encoder, QueryBatcher(lambda texts: encoder.embed(texts, "query"), max_batch=size))
                    base._batcher = held
        return held[1]
