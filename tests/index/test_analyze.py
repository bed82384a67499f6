"""Text analysis: folding, tokens, stop words, stemming, query terms, quoted phrases."""

from __future__ import annotations

import pytest

from index.analyze import LANGS, fold, phrases, query_terms, stopwords, tokenize


def test_fold_strips_accents_and_case() -> None:
    assert fold("MIGRACIÓN Ñandú Ação Français œuvre") == "migracion nandu acao francais oeuvre"


def test_fold_drops_exactly_the_combining_marks_of_every_code_point() -> None:
    """The translate table equals the character-by-character definition, over all of Unicode."""
    import sys
    import unicodedata

    text = "".join(chr(c) for c in range(0x20, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    lowered = text.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    expected = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    assert fold(text) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_stop_lists_are_reasonable(lang: str) -> None:
    words = stopwords(lang)
    assert 150 <= len(words) <= 300
    assert all(w == fold(w) and w.strip() == w and " " not in w for w in words)


def test_unknown_language_uses_union_of_stop_lists() -> None:
    union = stopwords(None)
    assert all(stopwords(lang) <= union for lang in LANGS)
    assert stopwords("de") == union
    assert tokenize("the border of la frontera", None) == ["border", "frontera"]


def test_stop_words_removed_per_language() -> None:
    assert tokenize("de la y el en", "es") == []
    assert tokenize("the of and", "en") == []
    # "sur" is a French stop word but Spanish for "south"
    assert tokenize("frontera sur", "es", stem=False) == ["frontera", "sur"]
    assert tokenize("sur la frontière", "fr", stem=False) == ["frontiere"]


def test_tokens_keep_codes_acronyms_and_split_elisions() -> None:
    toks = tokenize("Reglamento (UE) 2019/1896, la O.I.M. y l'immigration, artículo 5", "es", stem=False)
    assert toks == ["reglamento", "ue", "2019/1896", "oim", "immigration", "articulo", "5"]


def test_spanish_stemming_conflates_inflections_and_accents() -> None:
    assert tokenize("controles", "es") == tokenize("control", "es")
    assert tokenize("migración", "es") == tokenize("migracion", "es") == tokenize("migraciones", "es")
    assert tokenize("policía", "es") == tokenize("policias", "es")


def test_portuguese_plural_in_oes_meets_singular() -> None:
    assert tokenize("migrações", "pt") == tokenize("migração", "pt") == tokenize("migracao", "pt")


def test_english_and_french_stemming() -> None:
    assert tokenize("borders", "en") == tokenize("border", "en")
    assert tokenize("contrôles", "fr") == tokenize("controle", "fr")


def test_no_stemming_without_language() -> None:
    assert tokenize("controles fronterizos", None) == ["controles", "fronterizos"]
    assert tokenize("controles", "es", stem=False) == ["controles"]


def test_query_terms_known_language() -> None:
    terms = query_terms("los controles de la frontera", "es")
    assert terms == tokenize("controles frontera", "es")


def test_query_terms_adds_names_in_other_languages() -> None:
    terms = query_terms("puesto fronterizo de Desaguadero", "es")
    assert "desaguader" in terms  # Spanish stem
    assert "desaguadero" in terms  # English/French form of the name
    # ordinary words are analysed in the query language only
    assert "fronteriz" in terms and "fronterizo" not in terms


def test_query_terms_language_neutral_is_union_without_repeats() -> None:
    terms = query_terms("Controles", None)
    for lang in LANGS:
        assert set(tokenize("Controles", lang)) <= set(terms)
    assert "controles" in terms  # unstemmed form, for chunks of unknown language
    assert len(terms) == len(set(terms))
    assert query_terms("Frontera Sur", None).count("sur") == 1


def test_phrases() -> None:
    q = 'acuerdo "paso de frontera" y “EL PAcCTO” o « Tacna Arica » ""'
    assert phrases(q) == ["paso de frontera", "EL PAcCTO", "Tacna Arica"]
    assert phrases("no quotes here") == []


def test_sentence_start_is_not_a_name() -> None:
    terms = query_terms("Aduaneros en Tacna", "es")
    assert "aduaner" in terms and "aduanero" not in terms and "aduaneros" not in terms
    assert "tacn" in terms and "tacna" in terms
    assert "pnp" in query_terms("PNP", "es") and "2019/1896" in query_terms("el 2019/1896", "es")
