"""Document metadata rules: title heuristics, type keywords in four languages, dates."""

from __future__ import annotations

import pytest

from ingest.metadata import DocMeta, classify_type, extract_meta, guess_title, type_scores
from ingest.types import DOC_TYPES, Page, RawDocument


def doc(text: str, title: str | None = None, path: str = "/d/informe_final-2024.pdf", **kw: object) -> RawDocument:
    return RawDocument(path, "pdf", (Page(1, text),), title=title, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- titles


def test_meaningful_metadata_title_wins() -> None:
    assert guess_title(doc("Texto.", title="  Informe de visita\n al CEBAF  ")) == "Informe de visita al CEBAF"


@pytest.mark.parametrize(
    "junk",
    ["Microsoft Word - informe.docx", "Untitled", "", "   ", "informe_v3.docx", "Presentación de PowerPoint", "--"],
)
def test_junk_metadata_titles_fall_back_to_the_text(junk: str) -> None:
    assert guess_title(doc("ACTA DE REUNIÓN N.º 3\nAsistentes: ...", title=junk)) == "ACTA DE REUNIÓN N.º 3"


def test_first_heading_before_first_line() -> None:
    text = "Página 1 de 4 con un texto largo que no es un título porque sigue y sigue sin parar nunca jamás\nAnexo"
    page = Page(1, text, ((text.index("Anexo"), "Anexo técnico"),))
    assert guess_title(RawDocument("/d/x.pdf", "pdf", (page,))) == "Anexo técnico"


def test_first_page_with_text_and_stem_fallback() -> None:
    pages = (Page(1, "  \n"), Page(2, "Rapport de mission\nLe texte commence ici."))
    assert guess_title(RawDocument("/d/x.pdf", "pdf", pages)) == "Rapport de mission"
    assert guess_title(doc("")) == "informe final 2024"
    long_line = " ".join(["palabra"] * 40)
    assert guess_title(doc(long_line)) == "informe final 2024"


# ---------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Convenio de cooperación policial", "Artículo 1. Las partes acuerdan intercambiar información.", "agreement"),
        ("Memorandum of Understanding between SENAE and DIAN", "The Parties agree as follows.", "agreement"),
        ("Protocolo operativo de identificación de víctimas", "Ámbito de aplicación. Paso 1: entrevista.", "protocol"),
        ("STANDARD OPERATING PROCEDURE: document checks", "Scope. Step 1: check the MRZ.", "protocol"),
        (
            "Acta de la reunión sobre el acuerdo de Desaguadero",
            "Asistentes: PNP, DIGEMIN. Orden del día: ...",
            "minutes",
        ),
        ("Compte rendu de la réunion de l'Oyapock", "Participants : PAF, Polícia Federal. Ordre du jour.", "minutes"),
        ("Relatório de visita técnica à fronteira", "Objetivo da visita. Constatações. Recomendações.", "report"),
        ("Rapport de mission au CEBAF", "Constatations et recommandations de la mission.", "report"),
        ("Nota de prensa", "Lima, 5 de marzo de 2024. La PNP y la policía española firmaron un acuerdo.", "news"),
        ("EUROFRONT entrega equipos a Migración", "Cúcuta, 10 de julio de 2024. El programa entregó hoy...", "news"),
        ("Rapport de formation : la traite des êtres humains", "Atelier pour les polices andines.", "training"),
        ("Informe del taller sobre fraude documental", "Capacitación de 30 agentes; ejercicio práctico.", "training"),
        ("Análise: garimpo ilegal na fronteira", "Metodologia e fontes. Rotas e tendências.", "analysis"),
        ("Cocaine routes: an analysis", "Methodology. Sources. Trends along the routes.", "analysis"),
        ("Les contrôles juxtaposés : note de pratique", "Le modèle européen et les États membres.", "practice"),
        ("Good practice: Kehl cooperation centre", "Lessons learned for member states.", "practice"),
        ("Horario de atención", "Abierto de lunes a viernes de 8 a 17 horas.", "other"),
    ],
)
def test_type_rules(title: str, text: str, expected: str) -> None:
    assert classify_type(title, text, "es") == expected


def test_a_news_item_about_an_agreement_is_news() -> None:
    text = "Madrid, 7 de febrero de 2024. España y Perú firmaron ayer un acuerdo de cooperación policial."
    assert classify_type("España y Perú refuerzan su cooperación", text, "es") == "news"


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Two cooperation centres", "Why this note. This note was prepared at their request.", "practice"),
        ("Frontex joint operations", "Summary. This paper describes two maritime operations.", "analysis"),
        ("Le Maroni, frontière fluviale", "Synthèse. La présente analyse s'appuie sur des entretiens.", "analysis"),
        ("NOTE", "Objet : Frontex. La présente note fait le point sur les instruments.", "practice"),
        ("Paso fronterizo", "El presente informe resume lo observado en el paso.", "report"),
        ("Cooperação na fronteira", "Nota de acompanhamento elaborada após a visita de março.", "report"),
        ("Border posts in East Africa: lessons for the Andes", "Knowledge series, 20 February 2024. Text.", "practice"),
    ],
)
def test_a_document_naming_its_own_genre(title: str, text: str, expected: str) -> None:
    assert classify_type(title, text, None) == expected


def test_a_cooperation_protocol_between_two_services_is_an_agreement() -> None:
    text = "Protocole de coopération transfrontalière\nentre la PAF et la Polícia Federal. Les Parties."
    assert classify_type("Protocole de coopération transfrontalière", text, "fr") == "agreement"
    sop = "Protocolo de identificación de víctimas. Ámbito de aplicación. Paso 1: entrevista."
    assert classify_type("Protocolo de identificación de víctimas", sop, "es") == "protocol"


def test_scores_cover_every_rule_type_and_title_outweighs_body() -> None:
    scores = type_scores("Informe", "Resumen. " + "x " * 200 + "El acuerdo y el acuerdo.")
    assert set(scores) <= set(DOC_TYPES)
    assert scores["report"] > scores["agreement"] > 0


# ---------------------------------------------------------------- dates


def test_date_from_file_metadata_first_then_finder() -> None:
    calls: list[tuple[str, str | None]] = []

    def finder(text: str, lang: str | None) -> str | None:
        calls.append((text, lang))
        return "2023-05-04"

    with_date = doc("Acta de reunión. Asistentes.", title="Acta", date="2024-01-02")
    assert extract_meta(with_date, "es", finder) == DocMeta("Acta", "minutes", "2024-01-02")
    assert calls == []
    without = doc("Acta de reunión. Asistentes.", title="Acta")
    assert extract_meta(without, "es", finder).date == "2023-05-04"
    assert calls and calls[0][1] == "es"
    assert extract_meta(without, "es").date is None
