"""The app's watched searches, notes and ZIP export (issue 18), alone and in a shared knowledge base.

Every assertion that alice (who reads only "border") does not see something of "police" is paired
with one that the administrator does, so a test cannot pass because a page shows nothing at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb.service import KnowledgeBase
from tests.app.test_team import SECRET, doc_id, everything
from tests.helpers import cards, html_of, run_app, run_app_as

pytest.importorskip("streamlit.testing.v1")

QUERY = "contrabando de combustible Desaguadero"
NEWS = "# Parte {n}\n\nNuevo contrabando de combustible detectado en Desaguadero ({n}).\n"


def arrive(kb: KnowledgeBase, root: Path, collection: str, name: str) -> None:
    folder = root / f"new-{collection}-{name}"
    folder.mkdir()
    (folder / f"{name}.md").write_text(NEWS.format(n=name), encoding="utf-8")
    report = kb.ingest([folder], collection=collection)
    assert report.count("ingested") == 1, report.rows


def click(at: Any, key: str) -> Any:
    return at.button(key=key).click().run()


def test_watch_this_search_then_see_the_new_hits_once(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    at = run_app(fresh_kb, q=QUERY)
    at.text_input(key="watch_name").input("fuel")
    at = click(at, "watch_add")
    assert not at.exception and at.success
    assert [(w["name"], w["query"], w["new"]) for w in fresh_kb.watches()] == [("fuel", QUERY, 0)]
    arrive(fresh_kb, tmp_path, "default", "tacna-77")
    at = run_app(fresh_kb, page="watched")
    assert [e.label for e in at.expander] == ["fuel · 1 new"]
    assert not cards(at)  # not opened yet: still new
    at = click(at, "watch_show_0")
    assert [e.label for e in at.expander] == ["fuel · 0 new"]  # the badge drawn after opening
    (card,) = cards(at)
    assert "tacna-77.md" in card and "page=doc" in card
    assert fresh_kb.watches()[0]["new"] == 0
    at = click(at, "watch_drop_0")
    assert fresh_kb.watches() == [] and at.info  # "you watch no search yet"


def test_a_taken_watch_name_is_refused_with_a_message(fresh_kb: KnowledgeBase) -> None:
    fresh_kb.watch_add("fuel", "otra cosa")
    at = run_app(fresh_kb, q=QUERY)
    at.text_input(key="watch_name").input("fuel")
    at = click(at, "watch_add")
    assert "fuel" in " ".join(e.value for e in at.error) and len(fresh_kb.watches()) == 1


def test_notes_on_the_document_page(fresh_kb: KnowledgeBase) -> None:
    target = fresh_kb.search(QUERY, k=1)[0].doc_id
    at = run_app(fresh_kb, page="doc", id=target)
    assert "No notes yet." in " ".join(c.value for c in at.caption)
    at.text_area(key="note_text").input("Ask them about the <b>night</b> patrols")
    at.text_input(key="note_quote").input("patrullajes binacionales")
    at = next(b for b in at.button if b.label == "Add the note").click().run()
    assert not at.exception and at.success
    (note,) = fresh_kb.notes(target)
    assert note["quote"] == "patrullajes binacionales"
    page = html_of(at)
    assert "Ask them about the &lt;b&gt;night&lt;/b&gt; patrols" in page and "<b>night</b>" not in page
    assert "<q>patrullajes binacionales</q>" in page


def test_export_zip_next_to_csv_and_markdown(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app_as(fresh_team_kb, "alice", q=QUERY)
    assert {"Export CSV", "Export Markdown"} <= {b.label for b in at.get("download_button")}
    at = click(at, "export_zip")
    (zip_button,) = [b for b in at.get("download_button") if "ZIP" in b.label]
    assert zip_button.label == f"Download the ZIP ({len(cards(at))} documents)" and not at.exception
    (entry,) = fresh_team_kb.audit_log(actions=["export"])  # audited once, by the facade, as alice
    assert entry["user"] == "alice" and doc_id(fresh_team_kb, "police") not in str(entry)


def test_a_reader_of_one_collection_sees_no_hidden_hit_or_note(fresh_team_kb: KnowledgeBase, tmp_path: Path) -> None:
    kb = fresh_team_kb
    alice, admin = kb.as_user("alice"), kb.as_user("admin")
    for view in (alice, admin):
        view.watch_add("fuel", QUERY)
    arrive(kb, tmp_path, "border", "frontera-41")
    arrive(kb, tmp_path, "police", f"{SECRET}-42")
    admin.note_add(doc_id(kb, "police"), f"nota {SECRET} sobre el puente")
    admin.note_add(doc_id(kb, "border"), "nota visible sobre el puente")
    at = click(run_app_as(kb, "alice", page="watched"), "watch_show_0")
    assert not at.exception and [e.label for e in at.expander] == ["fuel · 0 new"]
    assert len(cards(at)) == 1 and "frontera-41" in cards(at)[0] and SECRET not in everything(at)
    at = click(run_app_as(kb, "admin", page="watched"), "watch_show_0")
    assert len(cards(at)) == 2 and SECRET in everything(at)
    at = run_app_as(kb, "alice", page="doc", id=doc_id(kb, "border"))
    assert "nota visible" in everything(at) and SECRET not in everything(at)
    at = run_app_as(kb, "alice", page="doc", id=doc_id(kb, "police"))
    assert SECRET not in everything(at) and not at.get("form")
    at = run_app_as(kb, "admin", page="doc", id=doc_id(kb, "police"))
    assert f"nota {SECRET}" in everything(at)


def test_batch_page_runs_each_row_and_offers_the_csv(fresh_team_kb: KnowledgeBase) -> None:
    from kb.ui.pages_batch import run_batch

    kb = fresh_team_kb
    table = f"query;lang\n{QUERY};es\n{QUERY};klingon\n"
    data, rows, errors = run_batch(kb.as_user("alice"), table, 3)  # bare mode: the progress bar draws nowhere
    text = data.decode("utf-8")
    assert text.startswith("\ufeff") and (rows, errors) == (2, 1)
    assert "acta-desaguadero" in text and "informe-reservado" not in text and SECRET not in text
    admin_data, _, admin_errors = run_batch(kb.as_user("admin"), table, 3)
    assert "informe-reservado" in admin_data.decode("utf-8")
    with pytest.raises(ValueError):
        run_batch(kb.as_user("alice"), "name\nx\n", 3)
    at = run_app_as(kb, "alice", page="batch")
    assert not at.exception and at.title[0].value == "Batch look-up" and admin_errors == 1
    assert at.get("file_uploader")  # the upload widget (AppTest cannot feed it a file)
    assert "page=batch" in str(next(m.value for m in at.sidebar.markdown if "kb-nav" in str(m.value)))
