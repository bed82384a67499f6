"""Language detection with the real lingua models (small: they load in a few seconds, once)."""

from __future__ import annotations

import pytest

from ingest.language import LANGS, detect, detect_many, document_language, query_language

SENTENCES = {
    "es": "La Policía Nacional del Perú reforzó el control migratorio en el paso fronterizo de Desaguadero.",
    "en": "The customs officers inspected every truck that crossed the bridge during the night shift.",
    "pt": "A Polícia Federal reforçou o controle migratório na fronteira com a Bolívia durante o ano passado.",
    "fr": "La police aux frontières a renforcé les contrôles sur le pont pendant toute la saison des pluies.",
}


@pytest.mark.parametrize("lang", LANGS)
def test_detects_each_working_language(lang: str) -> None:
    assert detect(SENTENCES[lang]) == lang


def test_other_languages_are_not_forced_into_the_working_ones() -> None:
    assert detect("Die Bundespolizei hat an der Grenze ein neues Abkommen unterzeichnet.") == "de"
    assert detect("La polizia di frontiera ha firmato un accordo con le autorità doganali.") == "it"


@pytest.mark.parametrize("text", ["", "   ", "PNP", "Desaguadero", "Anexo I", "12.5 % 2023", "—"])
def test_short_or_empty_text_is_undetermined(text: str) -> None:
    assert detect(text) == "und"


def test_detect_many_matches_detect_and_keeps_order() -> None:
    texts = [SENTENCES["fr"], "PNP", SENTENCES["es"], "", SENTENCES["en"], SENTENCES["pt"]]
    assert detect_many(texts) == ["fr", "und", "es", "und", "en", "pt"]
    assert detect_many([]) == []


@pytest.mark.parametrize(
    "query", ["PNP", "Desaguadero", "Policía Nacional", "EUROFRONT EL PAcCTO FIIAPP IOM", "Tacna Arica 2023", ""]
)
def test_short_queries_are_language_neutral(query: str) -> None:
    assert query_language(query) is None


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("control migratorio en la frontera", "es"),  # Italian with the wider detector
        ("how do customs officers inspect trucks", "en"),
        ("cooperação policial na fronteira com a Bolívia", "pt"),
        ("coopération policière transfrontalière entre la France et le Brésil", "fr"),
        ("CONTROL MIGRATORIO EN LA FRONTERA", "es"),
    ],
)
def test_query_language_of_full_questions(query: str, lang: str) -> None:
    assert query_language(query) == lang


def test_query_language_is_none_outside_the_working_languages() -> None:
    assert query_language("Die Bundespolizei kontrolliert die Grenze zu Österreich") is None


def test_document_language_is_length_weighted() -> None:
    assert document_language(["es", "en", "en"], [1000, 300, 300]) == "es"
    assert document_language(["es", "en", "und"], [100, 300, 5000]) == "en"
    assert document_language(["und", "und"], [10, 10]) == "und"
    assert document_language([], []) == "und"
    assert document_language(["pt", "es"], [100, 100]) == "pt"  # a tie goes to the first met
