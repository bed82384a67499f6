"""End to end with the real components: readers, spaCy, gazetteer, the default e5 embedder, FAISS, BM25.

One small knowledge base per session (module-scoped, built once) over documents in the four
languages and four formats, plus a corrupt and an encrypted PDF.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.service import KnowledgeBase

pytestmark = pytest.mark.slow

ES_PDF = [
    (
        "Informe de visita técnica al CEBAF de Desaguadero",
        "La delegación visitó el Centro Binacional de Atención en Frontera de Desaguadero, entre Perú y Bolivia, "
        "el 14 de marzo de 2024. Se reunió con Jaime Carhuavilca, jefe de la oficina de Migraciones en Puno, "
        "y con oficiales de la Policía Nacional del Perú. Los funcionarios señalaron que el contrabando de "
        "combustible por el río Desaguadero aumentó durante la temporada de lluvias.",
    ),
    (
        "Acuerdos",
        "Las autoridades acordaron instalar un sistema de control migratorio conjunto en el puente internacional, "
        "con un solo registro de entrada y salida para ambos países, y revisar el protocolo dentro de seis meses.",
    ),
]
FR_DOCX = (
    "Note sur les centres de coopération policière et douanière",
    [
        "Les centres de coopération policière et douanière réunissent dans un même bâtiment des policiers et des "
        "douaniers de deux pays voisins.",
        "Au CCPD du Perthus, les agents français et espagnols échangent chaque jour des informations sur les "
        "véhicules volés et sur les réseaux de passeurs de migrants.",
    ],
)
EN_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>Rumichaca visit</title></head><body>
<nav><ul><li>Home</li><li>News</li><li>Contact</li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies.</div>
<main><article><h1>Technical visit to the Rumichaca bridge</h1>
<p>The EUROFRONT team visited the Rumichaca crossing between Colombia and Ecuador on 5 June 2023.
Migración Colombia showed how biometric registration shortened waiting times for travellers.</p>
<p>The National Police of Colombia described several cases of trafficking in persons involving
young women recruited with false job offers in Ipiales.</p></article></main>
<footer>Copyright 2024 Programme secretariat. Privacy policy. Terms of use.</footer></body></html>"""
PT_MD = """---
title: Relatório sobre a fronteira Tabatinga–Leticia
date: 2023-09-20
---
# Relatório sobre a fronteira Tabatinga–Leticia

A Polícia Federal e a Polícia Nacional da Colômbia realizam patrulhas fluviais conjuntas no rio Amazonas
para combater o tráfico de drogas e a mineração ilegal. O relatório recomenda ampliar o intercâmbio de
informações entre as duas polícias.
"""


def build_fixtures(folder: Path) -> Path:
    from docx import Document
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    folder.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(folder / "visita-desaguadero.pdf"), pagesize=A4)
    c.setTitle("Informe de visita técnica al CEBAF de Desaguadero")
    for heading, body in ES_PDF:
        text = c.beginText(50, 800)
        text.setFont("Helvetica-Bold", 13)
        text.textLine(heading)
        text.setFont("Helvetica", 10)
        words, line = body.split(), ""
        for w in words:
            if len(line) + len(w) > 90:
                text.textLine(line)
                line = ""
            line += w + " "
        text.textLine(line)
        c.drawText(text)
        c.showPage()
    c.save()
    doc = Document()
    doc.add_heading(FR_DOCX[0], level=1)
    for p in FR_DOCX[1]:
        doc.add_paragraph(p)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Centre", "Pays"
    table.cell(1, 0).text, table.cell(1, 1).text = "Le Perthus", "France / Espagne"
    doc.save(str(folder / "note-ccpd.docx"))
    (folder / "rumichaca-visit.html").write_text(EN_HTML, encoding="utf-8")
    (folder / "tabatinga-leticia.md").write_text(PT_MD, encoding="utf-8")
    (folder / "broken.pdf").write_bytes((folder / "visita-desaguadero.pdf").read_bytes()[:400])
    writer = PdfWriter(clone_from=PdfReader(str(folder / "visita-desaguadero.pdf")))
    writer.encrypt(user_password="secret", owner_password="owner")
    with open(folder / "locked.pdf", "wb") as fh:
        writer.write(fh)
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeBase, object, Path]:
    root = tmp_path_factory.mktemp("e2e")
    docs = build_fixtures(root / "docs")
    kb = KnowledgeBase.open(root / "kb")
    report = kb.ingest([docs])
    yield kb, report, root
    kb.close()


def names(results: list) -> list[str]:  # type: ignore[type-arg]
    return [Path(r.best.source).name for r in results]


def test_bad_pdfs_are_reported_and_the_rest_indexed(built) -> None:  # type: ignore[no-untyped-def]
    kb, report, _ = built
    status = {Path(r.path).name: (r.status, r.reason) for r in report.rows}
    assert status["broken.pdf"] == ("skipped", "damaged")
    assert status["locked.pdf"] == ("skipped", "encrypted")
    for name in ("visita-desaguadero.pdf", "note-ccpd.docx", "rumichaca-visit.html", "tabatinga-leticia.md"):
        assert status[name] == ("ingested", None), name
    assert kb.stats()["documents"] == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("joint migration control at the international bridge", "visita-desaguadero.pdf"),
        ("fuel smuggling on the river between Peru and Bolivia", "visita-desaguadero.pdf"),
        ("police and customs officers of two neighbouring countries in the same building", "note-ccpd.docx"),
        ("¿quién recluta mujeres con falsas ofertas de empleo?", "rumichaca-visit.html"),
        ("patrouilles fluviales conjointes contre l'orpaillage illégal", "tabatinga-leticia.md"),
    ],
)
def test_question_finds_the_answer_in_another_language(built, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    kb, _, _ = built
    results = kb.search(query, k=3)
    assert names(results)[0] == expected


def test_every_hit_names_its_file_and_page(built) -> None:  # type: ignore[no-untyped-def]
    kb, _, _ = built
    results = kb.search("Desaguadero", k=5)
    pdf_hits = [h for r in results for h in r.hits if h.source.endswith(".pdf")]
    assert pdf_hits and all(h.page in (1, 2) for h in pdf_hits)
    acuerdo = kb.search("sistema de control migratorio conjunto", k=1)[0].best
    assert acuerdo.page == 2


def test_aliases_in_three_languages_are_one_entity(built) -> None:  # type: ignore[no-untyped-def]
    kb, _, _ = built
    from ingest.gazetteer import Gazetteer

    g = Gazetteer.load()
    ids = {g.lookup(a).id for a in ("Policía Nacional del Perú", "PNP", "National Police of Peru")}  # type: ignore[union-attr]
    assert len(ids) == 1
    view = kb.entity("National Police of Peru")
    assert view is not None and view["documents"]
    assert Path(view["documents"][0]["source"]).name == "visita-desaguadero.pdf"
    results = kb.search("contrabando", k=5)
    ents = {e.id for r in results for h in r.hits for e in h.entities}
    assert "bc:desaguadero" in ents


def test_save_and_reopen_gives_identical_hits(built) -> None:  # type: ignore[no-untyped-def]
    kb, _, root = built
    queries = ["control migratorio", "trafficking in persons", "coopération policière"]
    before = [[(r.doc_id, r.best.chunk_id, round(r.score, 5)) for r in kb.search(q, k=4)] for q in queries]
    again = KnowledgeBase.open(root / "kb")
    try:
        after = [[(r.doc_id, r.best.chunk_id, round(r.score, 5)) for r in again.search(q, k=4)] for q in queries]
    finally:
        again.close()
    assert before == after


def test_cli_search_json_schema(built) -> None:  # type: ignore[no-untyped-def]
    _, _, root = built
    out = CliRunner().invoke(cli, ["--kb", str(root / "kb"), "search", "migrant smugglers", "--json", "-k", "3"])
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert hits
    keys = {
        "doc_id",
        "source",
        "title",
        "lang",
        "doc_type",
        "date",
        "page",
        "chunk_id",
        "score",
        "snippet",
        "highlights",
        "entities",
    }
    assert keys <= set(hits[0])
    assert Path(hits[0]["source"]).is_absolute()
    for e in hits[0]["entities"]:
        assert set(e) == {"id", "name", "type"}


def test_cli_entities_and_show(built) -> None:  # type: ignore[no-untyped-def]
    kb, _, root = built
    runner = CliRunner()
    out = runner.invoke(cli, ["--kb", str(root / "kb"), "entities", "--type", "BORDER_CROSSING", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {"bc:desaguadero", "bc:rumichaca"} <= {r["id"] for r in rows}
    assert set(rows[0]) == {"id", "name", "type", "aliases", "doc_count"}
    doc_id = kb.search("Desaguadero", k=1)[0].doc_id
    out = runner.invoke(cli, ["--kb", str(root / "kb"), "show", doc_id, "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["page_count"] == 2
