"""The entity page's correction box: merge, rename, duplicates; a reader's attempt is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.service import KnowledgeBase
from tests.helpers import run_app, run_app_as, team_kb


def box(at: Any) -> Any:
    return at.expander[-1]


def test_merge_and_rename_from_the_entity_page(fresh_kb: KnowledgeBase) -> None:
    at = run_app(fresh_kb, page="entity", id="org:pb")
    assert not at.exception and box(at).label == "Correct this entity"
    at.text_input(key="kb_rename").set_value("Policía de Bolivia")
    at.button(key="kb_rename_go").click().run()
    assert not at.exception and fresh_kb.entity("org:pb")["name"] == "Policía de Bolivia"
    assert at.success and "passages changed" in at.success[0].value
    at.text_input(key="kb_merge_target").set_value("org:pnp")
    at.button(key="kb_merge").click().run()
    assert not at.exception
    assert fresh_kb.entity("org:pb")["documents"] == [] and fresh_kb.entity("org:pnp")["documents"]


def test_a_duplicate_is_offered_and_can_be_rejected(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "pnp.md").write_text("# Nota\n\nLa PNP informa sobre el puente.\n", encoding="utf-8")
    fresh_kb.ingest([tmp_path / "pnp.md"])
    new = fresh_kb.split_entity("org:pnp", "PNP", "org:pnp-ner")  # what NER would have made of "PNP"
    fresh_kb.rename_entity(new, "Policia Nacional de Peru")
    at = run_app(fresh_kb, page="entity", id=new, ui="es")
    assert not at.exception and box(at).label == "Corregir esta entidad"
    at.button(key="kb_diff_org:pnp").click().run()
    assert not at.exception and fresh_kb.entity_duplicates(of=new) == []


def test_a_reader_is_refused_and_nothing_changes(tmp_path: Any) -> None:
    kb = team_kb(tmp_path)
    at = run_app_as(kb, "alice", page="entity", id="bc:desaguadero")
    at.text_input(key="kb_rename").set_value("Renamed")
    at.button(key="kb_rename_go").click().run()
    assert not at.exception and at.error and "may not write" in at.error[0].value
    assert kb.entity("bc:desaguadero")["name"] == "Desaguadero"
    kb.close()
