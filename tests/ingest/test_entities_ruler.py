"""Entity extraction with blank spaCy pipelines and the gazetteer ruler: no spaCy model needed.

One canonical id for a name written in four languages, found by the ruler itself (the spans carry
the gazetteer id), not only by the gazetteer's own scan that fills the ruler's gaps.
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.entities import MODELS, EntityExtractor
from ingest.gazetteer import Gazetteer

spacy = pytest.importorskip("spacy")

TEXTS = {
    "es": "La Policía Nacional del Perú y la PNP patrullan el puente.",
    "en": "The National Police of Peru met the Peruvian National Police liaison officer.",
    "fr": "La Police nationale du Pérou a signé le protocole.",
    "pt": "A Polícia Nacional do Peru participou da reunião.",
}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def blank_loader(made: dict[str, Any]) -> Any:
    def load(model: str) -> Any:
        made[model] = spacy.blank(model.split("_")[0])  # "es_core_news_sm" -> a blank Spanish pipeline
        return made[model]

    return load


def test_aliases_in_four_languages_are_one_canonical_entity(gazetteer: Gazetteer) -> None:
    made: dict[str, Any] = {}
    extractor = EntityExtractor(gazetteer, load_model=blank_loader(made))
    langs = list(TEXTS)
    mentions = extractor.extract([TEXTS[lang] for lang in langs], langs)
    for lang, found in zip(langs, mentions, strict=True):
        police = [m for m in found if m.type == "ORG"]
        assert police and {m.entity_id for m in police} == {"org:pnp"}, (lang, found)
        for m in police:
            assert TEXTS[lang][m.start : m.end] == m.surface
    assert [m.surface for m in mentions[0] if m.entity_id == "org:pnp"] == ["Policía Nacional del Perú", "PNP"]
    assert len([m for m in mentions[1] if m.entity_id == "org:pnp"]) == 2
    # Portuguese has no model of its own: it shares the Spanish pipeline
    assert sorted(made) == sorted({MODELS["en"], MODELS["es"], MODELS["fr"]})
    assert extractor.entity("org:pnp") == gazetteer.get("org:pnp")


def test_the_ruler_runs_first_and_tags_spans_with_the_gazetteer_id(gazetteer: Gazetteer) -> None:
    made: dict[str, Any] = {}
    extractor = EntityExtractor(gazetteer, load_model=blank_loader(made))
    extractor.load(["fr", "es"])
    for lang, model in (("fr", MODELS["fr"]), ("es", MODELS["es"]), ("pt", MODELS["es"])):
        nlp = made[model]
        assert nlp.pipe_names[0] == "entity_ruler"
        ids = {span.ent_id_ for span in nlp(TEXTS[lang]).ents}
        assert "org:pnp" in ids, (lang, [(s.text, s.ent_id_) for s in nlp(TEXTS[lang]).ents])


def test_acronyms_match_case_sensitively(gazetteer: Gazetteer) -> None:
    extractor = EntityExtractor(gazetteer, load_model=blank_loader({}))
    [found] = extractor.extract(["Pnp no es una sigla; la PNP sí."], ["es"])
    assert [m.surface for m in found if m.entity_id == "org:pnp"] == ["PNP"]


def test_without_ner_no_pipeline_is_loaded(gazetteer: Gazetteer) -> None:
    made: dict[str, Any] = {}
    extractor = EntityExtractor(gazetteer, use_ner=False, load_model=blank_loader(made))
    [found] = extractor.extract([TEXTS["fr"]], ["fr"])
    assert {m.entity_id for m in found if m.type == "ORG"} == {"org:pnp"}  # the gazetteer scan alone
    assert not made
