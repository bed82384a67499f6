"""The app's pages and main interactions with streamlit's AppTest (fake embedder, gazetteer-only entities)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.service import KnowledgeBase
from tests.conftest import ROOT, FakeEmbedder

st_testing = pytest.importorskip("streamlit.testing.v1")

DOCS = {
    "acta-desaguadero.md": "# Acta de la reunión en Desaguadero\n\nLa Policía Nacional del Perú y la Policía Boliviana "
    "acordaron patrullajes binacionales en el río Desaguadero contra el contrabando de combustible.\n",
    "rumichaca.txt": "Technical visit to Rumichaca\n\nMigración Colombia registers travellers at the Rumichaca bridge; "
    "the National Police of Colombia reported migrant smuggling.\n",
    "hostile.html": "<html><head><title>Note hostile</title></head><body><main><h1>Note hostile</h1>"
    "<p>Ce texte parle de &lt;script&gt;alert(1)&lt;/script&gt; et de &lt;b&gt;balises&lt;/b&gt; à Desaguadero, "
    "avec la Police aux frontières.</p></main></body></html>",
}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("app")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    base = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    base.ingest([docs])
    yield base
    base.close()


def run(kb: KnowledgeBase, **params: str):  # type: ignore[no-untyped-def]
    at = st_testing.AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["kb"] = kb
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def html_of(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(m.value for m in at.markdown)


def test_search_page_shows_cited_cards(kb: KnowledgeBase) -> None:
    at = run(kb, q="contrabando de combustible Desaguadero")
    assert not at.exception
    page = html_of(at)
    assert "kb-card" in page and "Acta de la reunión en Desaguadero" in page
    assert "<mark>" in page
    assert "?page=entity" in page  # entity chips link to entity pages


def test_search_box_and_facet_filter(kb: KnowledgeBase) -> None:
    at = run(kb)
    at.text_input(key="query").input("police").run()
    assert not at.exception
    assert "kb-card" in html_of(at)
    lang = at.multiselect(key="facet_lang")
    assert any(str(o).startswith("fr") for o in lang.options)
    lang.select("fr").run()
    cards = [m.value for m in at.markdown if 'class="kb-card"' in m.value]
    assert cards and all("Note hostile" in c for c in cards)


def test_empty_results_explain_what_to_try(kb: KnowledgeBase) -> None:
    at = run(kb, q='"no such phrase anywhere"')
    assert any("another language" in w.value for w in at.warning)


def test_document_page_escapes_script(kb: KnowledgeBase) -> None:
    doc_id = next(r.doc_id for r in kb.search("balises", k=3) if "hostile" in r.best.source)
    at = run(kb, page="doc", id=doc_id)
    assert not at.exception
    page = html_of(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert any("Download" in b.label for b in at.get("download_button"))


def test_entity_page(kb: KnowledgeBase) -> None:
    at = run(kb, page="entity", id="bc:desaguadero")
    assert not at.exception
    assert at.title[0].value == "Desaguadero"
    assert "acta" in html_of(at).lower()


def test_crossings_page(kb: KnowledgeBase) -> None:
    at = run(kb, page="crossings")
    assert not at.exception
    assert "Rumichaca" in html_of(at)


def test_upload_good_and_corrupt_file(kb: KnowledgeBase) -> None:
    at = run(kb, page="upload")
    assert not at.exception
    # the uploader widget cannot be driven by AppTest; the page's ingest path is exercised directly
    from kb.ui.render import safe_name

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..") == "upload"
    before = kb.stats()["documents"]
    folder = Path(kb.root) / "uploads"
    folder.mkdir(exist_ok=True)
    (folder / "good.txt").write_text("Informe sobre el paso de Tacna–Arica y la PDI de Chile.", encoding="utf-8")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n garbage")
    report = kb.ingest([folder / "good.txt", folder / "corrupt.pdf"])
    assert {r.status for r in report.rows} == {"ingested", "skipped"}, report.rows
    assert kb.stats()["documents"] == before + 1


def test_precedent_finder(kb: KnowledgeBase) -> None:
    at = run(kb, page="precedents")
    at.text_area(key="precedent_text").input("patrullajes binacionales en el río contra el contrabando").run()
    assert not at.exception
    assert "Acta de la reunión en Desaguadero" in html_of(at)


def test_interface_in_spanish(kb: KnowledgeBase) -> None:
    at = run(kb)
    at.selectbox(key="ui_lang").select("es").run()
    assert at.text_input(key="query").label.startswith("Buscar")


def test_brief_and_compare_pages(kb: KnowledgeBase) -> None:
    at = run(kb, page="brief", target="Desaguadero")
    assert not at.exception
    assert any("Visit brief" in h.value for h in at.header)
    at = run(kb, page="compare")
    at.text_input(key="compare_topic").input("patrols").run()
    assert not at.exception
