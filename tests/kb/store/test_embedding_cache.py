"""EmbeddingCache: vectors are keyed by (family, text); another family or dimension misses; discard forgets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.embed import EmbedderInfo, embed_cached, text_hash
from kb.store.cache import EmbeddingCache
from tests.helpers import FakeEmbedder

TEXTS = ["Acta de la reunión en Desaguadero", "Visita técnica a Rumichaca", "Patrullas binacionales en el río"]


def other_family(dim: int = 64) -> FakeEmbedder:
    emb = FakeEmbedder(dim)
    emb.info = EmbedderInfo("fake2", "fake/another-space", "test", dim)
    return emb


def test_a_second_run_is_served_from_the_cache(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    emb = FakeEmbedder()
    first = embed_cached(emb, TEXTS, cache)
    assert emb.calls == 3
    again = FakeEmbedder()  # a new process: same family, nothing embedded
    np.testing.assert_array_equal(embed_cached(again, TEXTS, cache), first)
    assert again.calls == 0
    cache.close()
    reopened = EmbeddingCache(tmp_path / "cache.sqlite")  # the cache outlives the process
    assert set(reopened.get_many(emb.info.family, [text_hash(t) for t in TEXTS], 64)) == {text_hash(t) for t in TEXTS}


def test_another_family_or_dimension_misses(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    embed_cached(FakeEmbedder(), TEXTS, cache)
    emb = other_family()
    embed_cached(emb, TEXTS, cache)
    assert emb.calls == 3  # same texts, another vector space: every one embedded again
    wider = FakeEmbedder(dim=32)  # same family name, another width: a stored vector is never reused
    out = embed_cached(wider, TEXTS, cache)
    assert wider.calls == 3 and out.shape == (3, 32)


def test_discard_forgets_the_texts_in_every_family(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    embed_cached(FakeEmbedder(), TEXTS, cache)
    embed_cached(other_family(), TEXTS, cache)
    cache.discard([text_hash(TEXTS[0]), text_hash("never cached")])
    for make in (FakeEmbedder, other_family):
        emb = make()
        embed_cached(emb, TEXTS, cache)
        assert emb.calls == 1, "only the discarded text is embedded again"
    cache.discard([])  # nothing to forget is not an error
