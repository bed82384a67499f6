"""Legal instruments by their long titles (:mod:`ingest.instruments`) and institutions named after their seat
(:func:`ingest.orgs.seated_institutions`): fast, no spaCy model."""

from __future__ import annotations

import pytest

from ingest.gazetteer import Gazetteer
from ingest.instruments import find_instruments
from ingest.orgs import seated_institutions
from ingest.types import Mention


def titles(text: str) -> list[str]:
    return [name for _, _, name in find_instruments(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "nació del acuerdo entre España y Portugal sobre cooperación transfronteriza en materia policial y "
            "aduanera, firmado en Évora en 2005",
            "Acuerdo entre España y Portugal sobre cooperación transfronteriza en materia policial y aduanera",
        ),
        (  # a PDF title block: wrapped lines, then the preamble starts without punctuation
            "Acuerdo entre la República del Paraguay y la\nRepública Federativa del Brasil sobre cooperación\n"
            "policial en la zona fronteriza de Ciudad del Este y Foz do Iguaçu La República del Paraguay",
            "Acuerdo entre la República del Paraguay y la República Federativa del Brasil sobre cooperación "
            "policial en la zona fronteriza de Ciudad del Este y Foz do Iguaçu",
        ),
        (
            "Vu l'accord entre le Gouvernement de la République française et le Gouvernement de la République "
            "fédérative du Brésil dans le domaine de la sécurité publique, ainsi que",
            "Accord entre le Gouvernement de la République française et le Gouvernement de la République "
            "fédérative du Brésil dans le domaine de la sécurité publique",
        ),
        (  # a title-case subject ends at its first lower-case word
            "os canais previstos no Acordo sobre Cooperação Policial entre os dois países",
            "Acordo sobre Cooperação Policial",
        ),
        (
            "el Acuerdo Marco sobre Cooperación en Materia de Seguridad Regional.",
            "Acuerdo Marco sobre Cooperación en Materia de Seguridad Regional",
        ),
        (
            "2. Mise en œuvre du protocole de coopération entre la Police aux frontières et la Polícia Federal\n3.",
            "Protocole de coopération entre la Police aux frontières et la Polícia Federal",
        ),
        ("y en la Decisión marco 2002/465/JAI del Consejo.", "Decisión marco 2002/465/JAI del Consejo"),
    ],
)
def test_named_instruments_in_four_languages(text: str, expected: str) -> None:
    assert titles(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "A joint investigation team is an agreement between the competent authorities of two states to act",
        "es un acuerdo entre las autoridades judiciales y policiales de dos o más Estados",
        "the drafting of a local cooperation protocol between the PDI and the Bolivian migration service",
        "Le présent protocole entre en vigueur à la date de sa signature",
        "previsto en el acuerdo de cooperación policial que Paraguay y Brasil negocian",
        "com base no acordo bilateral sobre a matéria",
        "a written agreement on which data each side may share",
    ],
)
def test_kinds_of_instrument_and_verbs_are_no_titles(text: str) -> None:
    assert titles(text) == []


def _mentions(text: str, gaz: Gazetteer) -> list[Mention]:
    return [Mention(e.id, e.type, s, t, text[s:t]) for s, t, e in gaz.find(text)]


def _seated(text: str) -> list[tuple[str, str]]:
    gaz = Gazetteer.load()

    def make(start: int, end: int, surface: str, name: str) -> Mention:
        return Mention(f"org:{name}", "ORG", start, end, surface)

    found = seated_institutions(text, _mentions(text, gaz), lambda eid: gaz.get(eid) is not None, make)
    return [(m.type, m.surface) for m in found]


def test_an_institution_named_after_its_seat_holds_the_names_inside_it() -> None:
    text = "Réunion avec la Direction interdépartementale de la Police aux frontières de la Guyane et la Préfecture."
    assert _seated(text) == [("ORG", "Direction interdépartementale de la Police aux frontières de la Guyane")]
    assert _seated("le Consulat général du Brésil à Cayenne") == [("ORG", "Consulat général du Brésil à Cayenne")]


def test_units_of_a_named_body_and_sentences_stay_apart() -> None:
    # "<institution>, <unit> <place>": the body and the place, as the gold set's convention has it
    assert ("PLACE", "Tumbes") in _seated("SUNAT, Intendencia de Aduana de Tumbes")
    assert ("PLACE", "Ipiales") in _seated("DIAN, Dirección Seccional de Ipiales")
    # a verb and an article after it are no part of a name
    assert ("PLACE", "Tacna") in _seated("La Policía patrulla la frontera de Tacna")


def test_a_gazetteer_name_the_ruler_split_on_an_accent_wins_over_its_last_word() -> None:
    """Spanish "Policía" in a Portuguese name: the ruler's patterns miss it and match only "Uruguai"; the
    accent-folding matcher finds the whole name, which replaces the country inside it. Across a parenthesis
    the ruler's split stands ("Dirección General de Migración (Bolivia)" is an institution and a country)."""
    spacy = pytest.importorskip("spacy")
    from ingest.entities import EntityExtractor

    ex = EntityExtractor(Gazetteer.load(), load_model=lambda model: spacy.blank(model.split("_")[0]))
    found = ex.extract(["a Jefatura de Rivera, da Policía Nacional do Uruguai, e a Receita"], ["pt"])[0]
    assert [(m.entity_id, m.surface) for m in found if "Uruguai" in m.surface] == [
        ("org:policia-uy", "Policía Nacional do Uruguai")
    ]
    found = ex.extract(["la Dirección General de\nMigración (Bolivia) y la PDI"], ["es"])[0]
    assert "country:bo" in [m.entity_id for m in found]
