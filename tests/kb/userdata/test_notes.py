"""Notes on documents: visible to whoever reads the document's collection, searchable, in the visit brief."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kb.types import Forbidden, NotFound


def test_add_list_and_search(two_collections: dict[str, Any]) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    alice = kb.as_user("alice")
    note = alice.note_add(ids["fuela"], "  Ask customs for the seizure report  ", page=1, quote="12 bidones")
    assert (note["author"], note["text"], note["page"], note["quote"]) == (
        "alice",
        "Ask customs for the seizure report",
        1,
        "12 bidones",
    )
    alice.note_add(ids["fuela"], "Second look: the figures match")
    assert [n["text"][:6] for n in kb.notes(ids["fuela"])] == ["Ask cu", "Second"]  # oldest first
    assert [n["id"] for n in alice.notes_search("CUSTOMS seizure")] == [note["id"]]  # every word, any case
    assert [n["id"] for n in alice.notes_search("bidones")] == [note["id"]]  # the quoted passage counts
    assert alice.notes_search("customs trucks") == [] and alice.notes_search("  ") == []
    assert alice.notes_search("100%") == []  # LIKE wildcards are literal


def test_a_note_is_seen_only_by_readers_of_the_collection(two_collections: dict[str, Any]) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    alice, bob = kb.as_user("alice"), kb.as_user("bob")
    secret = alice.note_add(ids["fuela"], "informant marcasecreta near the bridge")
    alice.note_add(ids["fuelb"], "shared remark about Rumichaca")
    assert bob.notes(ids["fuela"]) == [] and bob.notes_search("marcasecreta") == []
    assert [n["doc_id"] for n in bob.notes_for([ids["fuela"], ids["fuelb"]])] == [ids["fuelb"]]
    assert "marcasecreta" not in json.dumps(bob.notes_search("remark"))
    with pytest.raises(NotFound) as hidden:  # a hidden document answers like a missing one
        bob.note_add(ids["fuela"], "x")
    with pytest.raises(NotFound) as missing:
        bob.note_add("no-such-doc", "x")
    assert str(hidden.value).replace(ids["fuela"], "ID") == str(missing.value).replace("no-such-doc", "ID")
    assert bob.note_remove(secret["id"]) is False  # not even told it exists
    kb.revoke("alice", "B")
    assert kb.as_user("alice").notes_search("Rumichaca") == []  # lost access, lost the notes


def test_only_the_author_or_an_admin_removes_a_note(two_collections: dict[str, Any]) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    note = kb.as_user("alice").note_add(ids["fuelb"], "to check")
    with pytest.raises(Forbidden):
        kb.as_user("bob").note_remove(note["id"])
    assert kb.as_user("root").note_remove(note["id"]) is True
    assert kb.notes(ids["fuelb"]) == []


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("", {}, "1 to"),
        ("x" * 10_001, {}, "1 to"),
        ("ok", {"page": 0}, "no page"),
        ("ok", {"quote": "q" * 2001}, "quoted"),
    ],
)
def test_bad_notes_are_refused(two_collections: dict[str, Any], text: str, kwargs: Any, match: str) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    with pytest.raises(ValueError, match=match):
        kb.note_add(ids["fuela"], text, **kwargs)


def test_notes_on_a_removed_document_go_with_it(two_collections: dict[str, Any]) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    kb.note_add(ids["fuela"], "soon gone")
    assert kb.remove(ids["fuela"])
    assert kb.notes_search("gone") == []


def test_the_visit_brief_has_the_team_notes_its_reader_may_see(two_collections: dict[str, Any]) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    assert "Nobody has written a note" in kb.report_markdown(kb.brief("Desaguadero"))
    kb.as_user("alice").note_add(ids["fuela"], "Meet the customs chief first", quote="bidones de combustible")
    kb.as_user("bob").note_add(ids["fuelb"], "Rumichaca note by bob")
    brief = kb.report_markdown(kb.brief("Desaguadero"))
    team = brief[brief.index("## Team notes") :]
    assert "alice, 20" in team and "Meet the customs chief first" in team and "bidones de combustible" in team
    assert "Rumichaca note" not in team  # only the notes on the brief's documents
    bob = kb.as_user("bob")
    bob_brief = bob.report_markdown(bob.brief("Rumichaca"))
    assert "customs chief" not in bob_brief and "Rumichaca note by bob" in bob_brief
