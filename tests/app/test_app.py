"""Every page of the app and its main interactions, with streamlit's AppTest on a small fake-embedder kb."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from kb.service import KnowledgeBase
from tests.helpers import cards, html_of, run_app, shown

pytest.importorskip("streamlit.testing.v1")


def doc_id_of(kb: KnowledgeBase, name: str) -> str:
    return next(d for d in kb.search("Desaguadero Rumichaca Tacna police", k=10) if name in d.best.source).doc_id


def test_search_page_shows_cited_highlighted_cards(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q="contrabando de combustible en el río Desaguadero")
    assert not at.exception
    found = cards(at)
    assert found and "Acta de la reunión en Desaguadero" in found[0]
    assert "<mark>" in found[0]  # query terms highlighted (Hit.highlights)
    assert "?page=entity" in found[0] and "bc%3Adesaguadero" in found[0]  # clickable entity chips
    assert "page=doc" in found[0] and "page=similar" in found[0]  # open, more like this
    assert at.query_params["q"] == "contrabando de combustible en el río Desaguadero"  # linkable


def test_other_language_results_are_flagged(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q="patrullas conjuntas contra el contrabando de combustible en el río")
    found = cards(at)
    english = [c for c in found if "Technical visit to Rumichaca" in c]
    spanish = [c for c in found if "Acta de la reunión" in c]
    assert english and "in another language than your query" in english[0]
    assert spanish and "in another language than your query" not in spanish[0]


def test_facet_filter_restricts_results(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb)
    at.text_input(key="query").input("police patrols against smuggling at the border").run()
    assert len(cards(at)) >= 3
    lang = at.multiselect(key="facet_lang")
    assert "fr" in lang.options[0] or any("(1)" in o for o in lang.options)  # values carry their counts
    lang.select("fr").run()
    found = cards(at)
    assert found and all("Note hostile" in c for c in found)


def test_sort_by_date_puts_newest_first(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q="Desaguadero Rumichaca police patrols smuggling")
    at.radio(key="sort").set_value("date").run()
    titles = [c for c in cards(at) if "2024-03-14" in c or "2022-06-02" in c]
    assert len(titles) == 2 and "2024-03-14" in titles[0]


def test_quoted_phrase_matches_exactly(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q='"patrullajes binacionales"')
    found = cards(at)
    assert len(found) == 1 and "Acta de la reunión" in found[0]


def test_a_phrase_no_passage_holds_is_said_and_searched_as_words(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q='"binacionales patrullajes" Desaguadero')
    found = cards(at)
    assert found and "Acta de la reunión" in found[0]  # ranked on the words
    notice = " ".join(i.value for i in at.info)
    assert "“binacionales patrullajes”" in notice and "no passage holds it exactly" in notice


def test_empty_results_explain_what_to_try() -> None:
    from kb.ui.pages_search import empty_help

    text = empty_help('"no such phrase anywhere"', True)
    assert "another language" in text and "remove the quotes" in text and "filter" in text
    assert "remove the quotes" not in empty_help("no such words", False)


def test_exports_carry_citations(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q="contrabando de combustible Desaguadero")
    buttons = {b.label: b for b in at.get("download_button")}
    assert {"Export CSV", "Export Markdown"} <= set(buttons)
    from kb.ui.render import export_csv

    rows = list(csv.DictReader(io.StringIO(export_csv(app_kb.search("contrabando de combustible", k=5)))))
    assert rows and rows[0]["citation"].startswith("acta-desaguadero.md")


def test_results_escape_document_markup(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q="informe Tacna etiquetas texto alert")
    page = "\n".join(cards(at))
    assert "Página con etiquetas" in page
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_document_page_escapes_and_shades_the_hit(app_kb: KnowledgeBase) -> None:
    query = "informe Tacna etiquetas texto"
    tagged = next(r for r in app_kb.search(query, k=5) if "script-tag" in r.best.source).best
    at = run_app(app_kb, page="doc", id=tagged.doc_id, q=query, c=str(tagged.chunk_id))
    assert not at.exception
    assert at.title[0].value == "Página con etiquetas"
    page = html_of(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script" not in page and "<img" not in page
    assert 'id="kb-hit"' in page and "<mark>Tacna</mark>" in page
    assert any(b.label == "Download the original" for b in at.get("download_button"))


def test_document_page_unknown_id(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="doc", id="nope")
    assert not at.exception and at.error[0].value == "Not found."


def test_entity_page(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="entity", id="bc:desaguadero")
    assert not at.exception
    assert at.title[0].value == "Desaguadero"
    page = html_of(at)
    assert "Acta de la reunión en Desaguadero" in page and "page=doc" in page
    assert "Also written" in page
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3  # the crossing map, co-mentions, mentions over time
    assert {s.value for s in at.subheader} == {
        "Map: crossings nearby (size: documents)",
        "Mentioned together with",
        "Mentions over time",
        "Documents that mention it",
    }


def test_crossings_page_lists_counts(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="crossings")
    assert not at.exception
    page = html_of(at)
    assert "Rumichaca" in page and "bc%3Arumichaca" in page
    assert at.get("vega_lite_chart")


def test_more_like_this(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="similar", id=doc_id_of(app_kb, "acta-desaguadero"))
    assert not at.exception
    assert at.title[0].value.startswith("More like this")
    assert cards(at) and not any("Acta de la reunión" in c for c in cards(at))


def test_upload_good_corrupt_and_mislabelled_files(fresh_kb: KnowledgeBase) -> None:
    before = fresh_kb.stats()["documents"]
    at = run_app(fresh_kb, page="upload")
    at.get("file_uploader")[0].set_value(
        [
            ("informe-tacna.txt", "Informe sobre el paso de Tacna–Arica y la PDI de Chile.".encode(), "text/plain"),
            ("broken.pdf", b"%PDF-1.7\n garbage, no objects", "application/pdf"),
            ("fake.pdf", b"just some text under a pdf name", "application/pdf"),
            ("../../escape.md", b"# Escape\n\nA file whose name tries to leave the folder.", "text/markdown"),
        ]
    ).run()
    at.button(key="ingest").click().run()
    assert not at.exception
    ok = shown(" ".join(s.value for s in at.success))
    errors = shown(" ".join(e.value for e in at.error))
    assert "informe-tacna.txt: added" in ok and "escape.md: added" in ok
    assert "broken.pdf" in errors and "damaged" in errors
    assert "fake.pdf" in errors and "unsupported" in errors
    assert fresh_kb.stats()["documents"] == before + 2
    uploads = Path(fresh_kb.root) / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["escape.md", "informe-tacna.txt"]
    assert not (Path(fresh_kb.root).parent / "escape.md").exists()
    # nothing already indexed was lost, and the new file is searchable
    assert any("acta-desaguadero" in r.best.source for r in fresh_kb.search('"patrullajes binacionales"'))
    assert any("informe-tacna" in r.best.source for r in fresh_kb.search("PDI de Chile Tacna"))


def test_precedent_finder_from_text_and_draft(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="precedents")
    at.text_area(key="precedent_text").input("patrullajes binacionales en el río contra el contrabando").run()
    assert not at.exception
    assert "Acta de la reunión en Desaguadero" in cards(at)[0]
    at = run_app(app_kb, page="precedents")
    draft = b"Joint patrols against fuel smuggling on the river at Rumichaca bridge with the National Police."
    at.get("file_uploader")[0].set_value(("draft.txt", draft, "text/plain")).run()
    assert not at.exception
    assert any("Technical visit to Rumichaca" in c for c in cards(at))
    at.get("file_uploader")[0].set_value(("draft.pdf", b"not a pdf", "application/pdf")).run()
    assert at.error and "draft.pdf" in shown(at.error[0].value)


def test_interface_in_spanish_travels_in_links(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, q="contrabando de combustible Desaguadero")
    at.selectbox(key="ui_lang").select("es").run()
    assert at.text_input(key="query").label.startswith("Buscar")
    assert at.query_params["ui"] == "es"
    assert "ui=es" in cards(at)[0]
    at = run_app(app_kb, page="entity", id="bc:desaguadero", ui="fr")
    assert "Documents qui la mentionnent" in [s.value for s in at.subheader]


def test_empty_knowledge_base_is_built_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import APP_DOCS, FakeEmbedder

    docs = tmp_path / "bootstrap"
    docs.mkdir()
    (docs / "rumichaca.txt").write_text(APP_DOCS["rumichaca.txt"], encoding="utf-8")
    monkeypatch.setenv("KB_BOOTSTRAP", str(docs))
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        at = run_app(kb)
        assert not at.exception
        assert kb.stats()["documents"] == 1
        assert "1 documents" in " ".join(c.value for c in at.caption)


def test_brief_page(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="brief", target="Desaguadero")
    assert not at.exception
    assert any("Desaguadero" in h.value for h in at.header)


def test_compare_page_shows_each_region_its_places_and_cited_passages(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="compare")
    at.text_input(key="compare_topic").input("patrols").run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Europe", "Latin America"]
    html = html_of(at)
    places = re.findall(r"<div><b>(.*?)</b> — ", html)
    # this knowledge base has no European passage: every group is a Latin American crossing
    assert places == ["Rumichaca", "Tacna–Arica (Santa Rosa–Chacalluta)", "Desaguadero"]
    assert re.findall(r"— <i>(.*?)</i>", html) == [
        "rumichaca.txt",
        "script-tag.txt",
        "hostile.html",
        "acta-desaguadero.md",
    ]
    expected = app_kb.compare("patrols")
    assert not expected["europe"] and places == [g.place for g in expected["latam"]]
    assert "Migración Colombia, National Police of Colombia" in html  # the group's summary
    assert [b.label for b in at.get("download_button")] == ["Markdown"]


def test_unknown_page_falls_back_to_search(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb, page="../../etc/passwd")
    assert not at.exception and at.text_input(key="query")


def test_the_packaged_script_is_the_app(app_kb: KnowledgeBase) -> None:
    """`kb app` runs kb/ui/app.py (an installed wheel has no top-level app.py): the same pages."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "kb" / "ui" / "app.py"), default_timeout=60)
    at.session_state["kb"] = app_kb
    at.query_params["q"] = "contrabando de combustible en el río Desaguadero"
    at.run()
    assert not at.exception
    found = cards(at)
    assert found and "Acta de la reunión en Desaguadero" in found[0]
