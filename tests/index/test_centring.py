"""Language centring (index.centring): means from segment sums, and the score it gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.centring import CENTROIDS_FILE, LanguageMeans, combine, language_sums, load_sums, sums_bytes

LANGS = ("es", "en", "pt", "fr")


def corpus(seed: int, n: int = 120, dim: int = 16) -> tuple[np.ndarray, list[str]]:
    """Unit vectors = a common direction + one per language + content, as a multilingual embedder's."""
    rng = np.random.default_rng(seed)
    common, lang_dirs = rng.normal(size=dim) * 3, {lang: rng.normal(size=dim) for lang in LANGS}
    langs = [LANGS[i % len(LANGS)] for i in range(n)]
    vecs = np.array([common + lang_dirs[lang] + rng.normal(size=dim) for lang in langs], dtype=np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True), langs


def test_means_are_the_languages_averages_over_all_segments() -> None:
    vecs, langs = corpus(1)
    parts = [language_sums(vecs[:50], langs[:50]), language_sums(vecs[50:], langs[50:])]
    means = combine(parts, min_passages=1)
    assert means is not None
    for lang in LANGS:
        rows = vecs[[i for i, x in enumerate(langs) if x == lang]]
        np.testing.assert_allclose(means.means[lang], rows.mean(axis=0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(means.overall, vecs.mean(axis=0), rtol=1e-6, atol=1e-7)


def test_a_language_with_few_passages_has_no_mean_of_its_own() -> None:
    vecs, langs = corpus(2, n=40)  # 10 per language
    means = combine([language_sums(vecs, langs)], min_passages=11)
    assert means is not None and dict(means.means) == {}
    assert means.shifted_query(vecs[0], "es", 0.3) is None  # the query is left as it is
    np.testing.assert_array_equal(means.mean("es"), means.overall)
    assert combine([{}, {}]) is None  # segments written before centring: nothing to centre with


def test_sums_survive_the_file_round_trip(tmp_path: Path) -> None:
    vecs, langs = corpus(3)
    sums = language_sums(vecs, langs)
    (tmp_path / CENTROIDS_FILE).write_bytes(sums_bytes(sums))
    back = load_sums(tmp_path)
    assert sorted(back) == sorted(sums)
    for lang, (vec, n) in sums.items():
        np.testing.assert_array_equal(back[lang][0], vec)
        assert back[lang][1] == n
    assert load_sums(tmp_path / "older-segment") == {}


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), alpha=st.floats(0.05, 1.0), qlang=st.sampled_from(LANGS))
def test_search_with_the_shifted_query_plus_offsets_is_the_centred_score(seed: int, alpha: float, qlang: str) -> None:
    """What kb computes (an index search with the shifted query, then a constant per passage language)
    equals score(q, p) = unit(q - alpha * m[lang(q)]) . p + alpha * m[lang(q)] . m[lang(p)]; within one
    language, the order is that of q.p - alpha * m[lang(q)] . p."""
    vecs, langs = corpus(seed)
    means = combine([language_sums(vecs, langs)], min_passages=1)
    assert means is not None
    q = vecs[seed % len(vecs)]
    shifted = means.shifted_query(q, qlang, alpha)
    assert shifted is not None
    got = vecs @ shifted + means.offsets(qlang, langs, alpha)
    mq = means.means[qlang]
    norm = np.linalg.norm(q - alpha * mq)
    want = np.array(
        [(q - alpha * mq) @ p / norm + alpha * mq @ means.means[lang] for p, lang in zip(vecs, langs, strict=True)]
    )
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert float(np.linalg.norm(shifted)) == pytest.approx(1.0, abs=1e-5)
    for lang in LANGS:  # within a language: the raw score minus alpha times the query language's share, scaled
        rows = [i for i, x in enumerate(langs) if x == lang]
        inner = np.array([q @ vecs[i] - alpha * mq @ vecs[i] for i in rows])
        assert list(np.argsort(-got[rows], kind="stable")) == list(np.argsort(-inner, kind="stable"))


def test_centring_puts_the_answer_above_lookalikes_of_the_query_language() -> None:
    """The failure it mends: within the answer's language, a passage that resembles the query's
    language more than the answer does outranks the answer on the raw score, not on the centred one."""
    rng = np.random.default_rng(7)
    dim = 32
    common, es, en = rng.normal(size=dim) * 3, rng.normal(size=dim), rng.normal(size=dim)
    topic = rng.normal(size=dim)

    def unit(v: np.ndarray) -> np.ndarray:
        return (v / np.linalg.norm(v)).astype(np.float32)

    background_es = [unit(common + es + rng.normal(size=dim)) for _ in range(30)]
    background_en = [unit(common + en + rng.normal(size=dim)) for _ in range(30)]
    answer = unit(common + en + 0.8 * topic)  # English, on the Spanish question's topic
    lookalike = unit(common + 0.8 * en + 0.2 * es)  # English, but reads a little like Spanish; off topic
    vectors = np.array(background_es + background_en + [answer, lookalike])
    means = combine([language_sums(vectors, ["es"] * 30 + ["en"] * 32)], 1)
    assert isinstance(means, LanguageMeans)
    query = unit(common + es + 0.5 * topic)
    assert float(query @ lookalike) > float(query @ answer)
    shifted = means.shifted_query(query, "es", 0.3)
    assert shifted is not None
    assert float(shifted @ answer) > float(shifted @ lookalike)  # same language: the offsets are equal
