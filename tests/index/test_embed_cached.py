"""embed_cached embeds each distinct text once, with or without a cache, and scatters the vectors back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embed import embed_cached
from kb.store.cache import EmbeddingCache

TEXTS = ["Acta de la reunión", "Página 1 de 9", "El paso de Desaguadero", "Página 1 de 9", "Página 1 de 9", "fin"]


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_identical_texts_are_embedded_once(fake_embedder: Any, batch_size: int) -> None:
    out = embed_cached(fake_embedder, TEXTS, None, batch_size=batch_size)
    assert fake_embedder.calls == len(set(TEXTS))
    assert np.allclose(out, fake_embedder.embed(TEXTS, "passage"))  # every row, repeats included


def test_with_a_cache_repeats_are_embedded_once_and_then_never(fake_embedder: Any, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    first = embed_cached(fake_embedder, TEXTS, cache, batch_size=2)
    assert fake_embedder.calls == len(set(TEXTS))
    again = embed_cached(fake_embedder, [*TEXTS, "nuevo texto", "nuevo texto"], cache)
    assert fake_embedder.calls == len(set(TEXTS)) + 1
    assert np.allclose(again[: len(TEXTS)], first)
    assert np.allclose(again[-1], again[-2])
