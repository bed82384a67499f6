"""SparseIndex: BM25 scores against a hand computation, analysis per language, filters, save/load."""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.analyze import query_terms, tokenize
from index.sparse import SparseIndex


def bm25_oracle(docs: list[list[str]], terms: list[str], k1: float = 1.5, b: float = 0.75) -> np.ndarray:
    """Lucene BM25 (bm25s's default), written out independently: sum over distinct query terms."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    out = np.zeros(n)
    for term in dict.fromkeys(terms):
        df = sum(term in d for d in docs)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, doc in enumerate(docs):
            tf = Counter(doc)[term]
            out[i] += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl))
    return out


def test_bm25_matches_hand_computation() -> None:
    texts = ["border control border", "border patrol", "customs office"]
    idx = SparseIndex.build(np.array([10, 11, 12]), texts, ["en"] * 3)
    scores, ids = idx.search("border", "en", 10)
    # N=3, df=2, avgdl=7/3: idf = ln(1 + 1.5/2.5) = ln 1.6
    # doc 10: tf=2, |d|=3 -> 2 / (2 + 1.5 * (0.25 + 0.75 * 9/7)); doc 11: tf=1, |d|=2
    d10 = math.log(1.6) * 2 / (2 + 1.5 * (0.25 + 0.75 * 9 / 7))
    d11 = math.log(1.6) * 1 / (1 + 1.5 * (0.25 + 0.75 * 6 / 7))
    np.testing.assert_array_equal(ids, [10, 11])  # doc 12 has no match: score 0 is not returned
    np.testing.assert_allclose(scores, [d10, d11], rtol=1e-6)
    assert d10 == pytest.approx(0.245983, abs=1e-6)


def test_bm25_matches_oracle_on_a_small_mixed_corpus() -> None:
    texts = [
        "Los controles fronterizos en el paso de Desaguadero entre Perú y Bolivia.",
        "La migración irregular y la trata de personas en la frontera norte.",
        "Border police and customs cooperate at the Desaguadero crossing.",
        "Les contrôles à la frontière et la coopération policière.",
        "Cooperação policial na fronteira entre Brasil e Paraguai; controles migratórios.",
        "Reglamento (UE) 2019/1896 sobre la Guardia Europea de Fronteras y Costas.",
    ]
    langs = ["es", "es", "en", "fr", "pt", "es"]
    idx = SparseIndex.build(np.arange(100, 106), texts, langs)
    docs = [tokenize(t, lang) for t, lang in zip(texts, langs, strict=True)]
    for query, lang in [
        ("controles de frontera", "es"),
        ("border crossing Desaguadero", "en"),
        ("Desaguadero", None),
        ("coopération", "fr"),
        ("2019/1896", None),
    ]:
        np.testing.assert_allclose(
            idx.scores(query, lang), bm25_oracle(docs, query_terms(query, lang)), rtol=1e-5, atol=1e-7
        )


def _corpus() -> tuple[np.ndarray, list[str], list[str]]:
    texts = [
        "La migración irregular en la frontera sur.",  # 1
        "Controles fronterizos y aduaneros en Tacna.",  # 2
        "Border control and customs at Tacna.",  # 3
        "Contrôle des frontières et de l'immigration.",  # 4
        "Controle de fronteiras e migrações no Brasil.",  # 5
        "Informe anual sobre el presupuesto.",  # 6
        "el control del puerto y la aduana",  # 7
        "control de migración en el aeropuerto",  # 8
    ]
    return np.arange(1, 9, dtype=np.int64), texts, ["es", "es", "en", "fr", "pt", "es", "es", "es"]


def test_accent_folding_both_ways() -> None:
    idx = SparseIndex.build(*_corpus())
    assert 1 in idx.search("migracion", "es", 5)[1]
    idx2 = SparseIndex.build(np.array([1, 2]), ["la migracion sin tildes", "otra cosa"], ["es", "es"])
    np.testing.assert_array_equal(idx2.search("MIGRACIÓN", "es", 5)[1], [1])


def test_stop_words_do_not_match() -> None:
    idx = SparseIndex.build(*_corpus())
    scores, ids = idx.search("de la el en y", "es", 5)
    assert len(ids) == 0 and len(scores) == 0


def test_spanish_stemming() -> None:
    idx = SparseIndex.build(*_corpus())
    ids = idx.search("control", "es", 10)[1]
    assert {2, 7, 8} <= set(ids.tolist())  # "controles" ~ "control"
    assert 6 not in ids


def test_mixed_language_segment() -> None:
    idx = SparseIndex.build(*_corpus())
    assert idx.search("frontières", "fr", 1)[1].tolist() == [4]
    assert idx.search("migrações fronteira", "pt", 1)[1].tolist() == [5]
    assert idx.search("customs", "en", 1)[1].tolist() == [3]
    # a name with no reliable language matches in every language
    assert set(idx.search("Tacna", None, 10)[1].tolist()) == {2, 3}
    # and a name inside a Spanish query reaches the English chunk too
    assert 3 in idx.search("aduanas de Tacna", "es", 10)[1]


def test_allowed_and_exclude_mask_before_topk() -> None:
    idx = SparseIndex.build(*_corpus())
    full = idx.search("control migración", "es", 10)[1]
    assert len(full) >= 4
    top2 = full[:2]
    _, ids = idx.search("control migración", "es", 2, exclude=top2)
    assert len(ids) == 2 and not set(ids) & set(top2)  # still k hits
    np.testing.assert_array_equal(ids, full[2:4])
    allowed = full[-2:]
    _, ids = idx.search("control migración", "es", 2, allowed=allowed)
    assert sorted(ids) == sorted(allowed)
    _, ids = idx.search("control migración", "es", 5, allowed=np.array([1, 2, 3]), exclude=np.array([2]))
    assert set(ids) <= {1, 3}
    assert len(idx.search("control", "es", 5, allowed=np.zeros(0, np.int64))[1]) == 0


def test_ties_ordered_by_id_and_k_respected() -> None:
    ids = np.array([9, 3, 7, 5])
    idx = SparseIndex.build(ids, ["border"] * 4, ["en"] * 4)
    scores, got = idx.search("border", "en", 3)
    np.testing.assert_array_equal(got, [3, 5, 7])
    assert len(set(scores.tolist())) == 1


def test_empty_segment_and_empty_texts(tmp_path: Path) -> None:
    empty = SparseIndex.build(np.zeros(0, np.int64), [], [])
    assert len(empty) == 0 and len(empty.search("x", None, 3)[1]) == 0
    empty.save(tmp_path / "e")
    assert len(SparseIndex.load(tmp_path / "e")) == 0
    blank = SparseIndex.build(np.array([1, 2]), ["", "de la"], ["es", "es"])
    assert len(blank) == 2 and len(blank.search("frontera", "es", 3)[1]) == 0


def test_build_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        SparseIndex.build(np.array([1, 1]), ["a", "b"], ["es", "es"])
    with pytest.raises(ValueError):
        SparseIndex.build(np.array([1]), ["a", "b"], ["es", "es"])


@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(tmp_path: Path, mmap: bool) -> None:
    idx = SparseIndex.build(*_corpus())
    idx.save(tmp_path / "sparse")
    back = SparseIndex.load(tmp_path / "sparse", mmap=mmap)
    assert len(back) == len(idx)
    for query, lang, kw in [
        ("control migración", "es", {}),
        ("Tacna", None, {}),
        ("frontières", "fr", {"exclude": np.array([4])}),
        ("control", "es", {"allowed": np.array([2, 7])}),
    ]:
        a, b = idx.search(query, lang, 5, **kw), back.search(query, lang, 5, **kw)
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[0], b[0])
    if mmap:  # mapped, not read into memory, but as plain arrays: slicing a memmap runs Python hooks
        arrays = [back.ids_, *(v for v in back.model.scores.values() if isinstance(v, np.ndarray))]
        assert arrays and not any(isinstance(a, np.memmap) for a in arrays)
        assert all(isinstance(a.base, np.memmap) and not a.flags.writeable for a in arrays)
    names = {p.name for p in (tmp_path / "sparse").iterdir()}
    assert names == {"bm25", "ids.npy", "meta.json"}
    assert not list(tmp_path.glob(".*"))  # no temporary left beside


def test_interrupted_save_leaves_old_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids, texts, langs = _corpus()
    SparseIndex.build(ids[:3], texts[:3], langs[:3]).save(tmp_path / "sparse")

    def crash(src: object, dst: object) -> None:
        raise OSError("killed before replace")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        SparseIndex.build(ids, texts, langs).save(tmp_path / "sparse")
    monkeypatch.undo()
    old = SparseIndex.load(tmp_path / "sparse")
    assert len(old) == 3
    assert old.search("Tacna", None, 5)[1].tolist() == [2, 3]
    assert not list(tmp_path.glob(".*"))


def test_load_refuses_foreign_format(tmp_path: Path) -> None:
    SparseIndex.build(*_corpus()).save(tmp_path / "s")
    (tmp_path / "s" / "meta.json").write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        SparseIndex.load(tmp_path / "s")


def test_extra_terms_add_their_weighted_bm25() -> None:
    texts = ["control fronterizo en Desaguadero", "border control at the crossing", "customs office"]
    langs = ["es", "en", "en"]
    idx = SparseIndex.build(np.array([1, 2, 3]), texts, langs)
    docs = [tokenize(t, lang) for t, lang in zip(texts, langs, strict=True)]
    own = query_terms("control fronterizo", "es")
    extra = [("border", 0.5), ("control", 0.5)]  # "control" is also the query's own: it counts once, in full
    got = idx.scores("control fronterizo", "es", extra)
    want = bm25_oracle(docs, own) + 0.5 * bm25_oracle(docs, ["border"])
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert got[1] > 0 and got[2] == 0  # the English passage now matches, the unrelated one does not
    _, ids = idx.search("control fronterizo", "es", 10, extra=extra)
    assert ids.tolist() == [1, 2]
    np.testing.assert_allclose(
        idx.scores("control fronterizo", "es", [("border", 0.0)]), bm25_oracle(docs, own), rtol=1e-5
    )


def test_title_field_reaches_passages_that_lack_their_title(tmp_path: Path) -> None:
    texts = [
        "Acta de la reunión de Desaguadero\n\nLos participantes acordaron patrullajes.",  # the title page
        "Los participantes acordaron patrullajes conjuntos en el río.",  # deep in the same document
        "Informe sobre patrullajes en otro paso fronterizo.",  # another document, another title
    ]
    titles = ["Acta de la reunión de Desaguadero", "Acta de la reunión de Desaguadero", "Informe de Rumichaca"]
    from index.sparse import passage_titles

    # the first passage repeats its title (case and spacing aside): no title field, it would count twice
    assert passage_titles(["ACTA  de la\nreunión de Desaguadero ..."], titles[:1]) == [""]
    assert passage_titles(texts, titles) == ["", titles[1], titles[2]]
    ids = np.array([1, 2, 3])
    idx = SparseIndex.build(ids, texts, ["es"] * 3, titles)
    body = SparseIndex.build(ids, texts, ["es"] * 3)
    query = "patrullajes conjuntos en Desaguadero"
    np.testing.assert_allclose(idx.scores(query, "es"), body.scores(query, "es"))  # weight 0: body only
    # the field's score: its own BM25 over the title texts, analysed in the passage's language
    field = bm25_oracle([[], tokenize(titles[1], "es"), tokenize(titles[2], "es")], query_terms(query, "es"))
    np.testing.assert_allclose(
        idx.scores(query, "es", title_weight=2.0), body.scores(query, "es") + 2 * field, rtol=1e-5
    )
    assert field[1] > 0 and field[0] == 0 and field[2] == 0
    _, top = idx.search(query, "es", 1, title_weight=1.0)
    assert top.tolist() == [2]  # the deep passage now carries "Desaguadero" too
    idx.save(tmp_path / "s")
    again = SparseIndex.load(tmp_path / "s")
    np.testing.assert_allclose(again.scores(query, "es", title_weight=1.0), idx.scores(query, "es", title_weight=1.0))
    body.save(tmp_path / "b")  # a segment without titles (or built before the field) loads without one
    assert SparseIndex.load(tmp_path / "b").title is None


def test_title_field_counts_extra_terms_at_their_weight() -> None:
    texts = ["Patrullajes en el río.", "Otro texto sin relación."]
    titles = ["Plan binacional de Desaguadero", "Nota de Rumichaca"]
    idx = SparseIndex.build(np.array([1, 2]), texts, ["es", "es"], titles)
    extra = [(tokenize("Desaguadero", "es")[0], 0.5)]
    only_extra = idx.scores("patrullajes", "es", extra, title_weight=1.0) - idx.scores(
        "patrullajes", "es", title_weight=1.0
    )
    field = bm25_oracle([tokenize(t, "es") for t in titles], [extra[0][0]])
    np.testing.assert_allclose(only_extra, 0.5 * field, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="titles"):
        SparseIndex.build(np.array([1, 2]), texts, ["es", "es"], titles[:1])


def test_bm25s_does_not_log_debug_lines_through_the_applications_handlers() -> None:
    """bm25s sets its logger to DEBUG on import; kb puts it back under the root's level."""
    import logging

    SparseIndex.build(np.array([1], dtype=np.int64), ["control migratorio"], ["es"])
    assert logging.getLogger("bm25s").getEffectiveLevel() == logging.getLogger().getEffectiveLevel()
