"""What a write needs, passed explicitly: the store, the settings, and the models, loaded on first use.

The ``KnowledgeBase`` facade builds one per call. A remove or a compaction never loads the
embedder or spaCy: each model is a loader called only by the step that needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kb.config import Config
from kb.store import Store


@dataclass(frozen=True)
class WriteContext:
    store: Store
    config: Config
    load_embedder: Callable[[], Any]  # index.embed.Embedder: embeds passages
    load_query_embedder: Callable[[], Any]  # embeds queries (an IVF segment's recall probes)
    load_analyser: Callable[[], Any]  # ingest.analyse.Analyser
    load_cache: Callable[[], Any]  # kb.store.cache.EmbeddingCache
    timings: dict[str, float] = field(default_factory=dict)  # seconds per ingest stage (the benchmarks read them)

    @property
    def embedder(self) -> Any:
        return self.load_embedder()

    @property
    def analyser(self) -> Any:
        return self.load_analyser()

    @property
    def cache(self) -> Any:
        return self.load_cache()

    def embedder_info(self) -> dict[str, Any]:
        """The embedder as the manifest records it."""
        info = self.embedder.info
        return {"name": info.name, "family": info.family, "runtime": info.runtime, "dim": info.dim}

    def embed_queries(self) -> Callable[[list[str]], Any]:
        """Texts -> query embeddings: what an IVF segment's recall tuning probes with."""
        return lambda texts: self.load_query_embedder().embed(texts, "query")
