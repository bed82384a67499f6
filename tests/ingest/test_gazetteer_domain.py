"""Gazetteer knowledge of the third round: world and border regions, towns, crime types in free wording, and
names wrapped over a line (spaCy-free: :meth:`Gazetteer.find` only)."""

from __future__ import annotations

import pytest

from ingest.gazetteer import Gazetteer


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def ids(gaz: Gazetteer, text: str) -> list[str]:
    return [e.id for _, _, e in gaz.find(text)]


@pytest.mark.parametrize(
    ("text", "entity_id"),
    [
        ("la cooperación policial en América Latina", "place:latin-america"),
        ("les pays d'Amérique latine", "place:latin-america"),
        ("los países de Sudamérica", "place:south-america"),
        ("routes des Balkans occidentaux", "place:western-balkans"),
        ("le CCPD de Vintimille", "place:ventimiglia"),
        ("o tráfico para a Europa", "place:europe"),
        ("no estado de Mato Grosso do Sul", "place:mato-grosso-do-sul"),
        ("the Zarumilla canal", "place:canal-zarumilla"),
        ("le fleuve Oyapock", "place:oyapock"),
        ("la Suisse et le Liechtenstein", "country:ch"),
        ("furtos e roubos de veículos", "crime:vehicle-theft"),
        ("Roubo e furto de veículos", "crime:vehicle-theft"),
        ("casos de explotación laboral", "crime:labour-exploitation"),
        ("l'exploitation par le travail", "crime:labour-exploitation"),
        ("Crimes ambientais na fronteira", "crime:environmental-crime"),
        ("victims of sexual exploitation", "crime:sexual-exploitation"),
        ("the binational border service centres", "legal:cebaf"),
        ("smuggling of fuel", "crime:fuel-smuggling"),
        ("the Andean CEBAF decision", "legal:decision-502"),
        ("le pont entre Oiapoque et Saint-Georges", "bc:oiapoque"),
    ],
)
def test_regions_places_and_crime_types_in_four_languages(gaz: Gazetteer, text: str, entity_id: str) -> None:
    assert entity_id in ids(gaz, text)


def test_a_longer_name_keeps_its_words(gaz: Gazetteer) -> None:
    """The longest alias wins: the programme's Spanish name holds "Europa", the canal holds the crossing's name."""
    assert ids(gaz, "Europa Latinoamérica Programa de Asistencia contra el Crimen Transnacional Organizado") == [
        "prog:elpaccto"
    ]
    assert ids(gaz, "el canal internacional de Zarumilla") == ["place:canal-zarumilla"]


def test_names_that_are_also_common_words_match_only_as_written(gaz: Gazetteer) -> None:
    assert "place:el-oro" in ids(gaz, "provincia de El Oro")
    assert "place:el-oro" not in ids(gaz, "El oro ilegal sale por el río.")
    assert "place:acre" not in ids(gaz, "one acre of land")


def test_a_long_name_runs_over_a_line_break_after_any_word(gaz: Gazetteer) -> None:
    assert ids(gaz, "criação de equipes\nconjuntas de investigação") == ["legal:eu-jit"]
    assert ids(gaz, "Polícia Rodoviária\nFederal") == ["org:prf"]
    assert ids(gaz, "Fuerza Especial de Lucha Contra el\nNarcotráfico") == ["org:felcn"]


def test_a_short_name_or_a_complete_one_never_runs_over_a_line(gaz: Gazetteer) -> None:
    # two words over a line are two cells, not "América Latina"
    assert "place:latin-america" not in ids(gaz, "América\nLatina")
    # "Perú" names a country on its own line: the break ends it, whatever could follow
    assert ids(gaz, "Perú\nPolicía Nacional") == ["country:pe"]


def test_short_names_keep_their_inner_particles(gaz: Gazetteer) -> None:
    """ "Dirección General de Migraciones del Paraguay" gives the short name "Dirección General de Migraciones",
    which a document on the Paraguayan border then links to Paraguay's service."""
    from ingest.orgs import short_names

    shorts = short_names(gaz, lambda t: getattr(gaz.lookup(t), "type", None) in ("COUNTRY", "PLACE"))
    assert shorts["Dirección General de Migraciones"] == {"org:dgm-py"}
    assert shorts["Ministerio del Interior"] == {"org:mininterior-ec", "org:mininterior-cl"}
    assert shorts["SENASA"] == {"org:senasa-pe", "org:senasa-ar"}


@pytest.mark.parametrize(
    ("text", "crossing"),
    [
        ("Visita a Santa Rosa, en la frontera de Perú con Chile. Chile y Chile.", "bc:tacna-arica"),
        ("Reunião em Tabatinga com o Brasil e o Peru: a comunidade de Santa Rosa.", "bc:santa-rosa-yavari"),
    ],
)
def test_a_crossing_name_two_crossings_share_is_the_one_of_the_documents_countries(text: str, crossing: str) -> None:
    spacy = pytest.importorskip("spacy")
    from ingest.entities import EntityExtractor

    ex = EntityExtractor(Gazetteer.load(), load_model=lambda model: spacy.blank(model.split("_")[0]))
    linked = ex.link_document([text], ex.extract([text], ["es"]))[0]
    assert [m.entity_id for m in linked if m.surface == "Santa Rosa"] == [crossing]
