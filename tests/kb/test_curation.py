"""Entity curation: merge, split, alias, rename, retype, wrong mention; relink, re-ingest, export, permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb.types import Forbidden, NotFound
from tests.helpers import FakeEmbedder, collections_kb

PNP = (
    "Informe de la PNP en Desaguadero. La Policía Nacional del Perú informa. "
    "La Policía Boliviana y la PNP patrullan el puente.\n"
)
SUNAT = "La SUNAT decomisó combustible. Aduanas del Perú y la Policía Nacional de Bolivia coordinan.\n"


@pytest.fixture
def kb(tmp_path: Path) -> Any:
    kb = collections_kb(tmp_path, {"border": {"pnp.md": PNP}, "customs": {"sunat.md": SUNAT}})
    yield kb
    kb.close()


def docs(kb: Any, entity: str) -> list[str]:
    """The ids of the documents that mention ``entity`` (none when it is unknown or unmentioned)."""
    view = kb.entity(entity)
    return [d["id"] for d in view["documents"]] if view else []


def test_merge_moves_mentions_and_survives_relink_and_reingest(kb: Any, tmp_path: Path) -> None:
    assert docs(kb, "org:sunat") != []
    changed = kb.merge_entities("org:sunat", "org:pnp")
    assert changed >= 1
    assert docs(kb, "org:sunat") == []
    merged = kb.entity("org:pnp")
    assert len(merged["documents"]) == 2
    assert "SUNAT (Peru customs and tax administration)" not in merged["aliases"]  # it may be a hidden name
    kb.relink()
    assert docs(kb, "org:sunat") == [] and len(docs(kb, "org:pnp")) == 2
    assert kb.entity("SUNAT")["id"] == "org:pnp"  # a name of the merged entity leads to the one it joined
    (tmp_path / "docs" / "customs" / "sunat.md").write_text(SUNAT + "Otra vez la SUNAT.\n", encoding="utf-8")
    report = kb.ingest([tmp_path / "docs" / "customs"], "customs")
    assert report.count("updated") == 1
    assert docs(kb, "org:sunat") == [] and len(docs(kb, "org:pnp")) == 2


def test_split_undoes_a_wrong_merge_by_surface(kb: Any) -> None:
    kb.merge_entities("org:sunat", "org:pnp")
    new = kb.split_entity("org:pnp", "SUNAT", "org:sunat-2")
    assert new == "org:sunat-2"
    view = kb.entity(new)
    assert view["name"] == "SUNAT" and view["type"] == "ORG"
    assert "PNP" in kb.entity("org:pnp")["aliases"]  # SUNAT was never an alias of it
    kb.relink()
    assert docs(kb, new) != [] and len(docs(kb, new)) == 1


def test_rename_retype_and_aliases(kb: Any) -> None:
    kb.rename_entity("org:pnp", "Policía Nacional")
    kb.retype_entity("org:pnp", "PERSON")
    kb.add_alias("org:pnp", "el puente")
    ent = kb.entity("org:pnp")
    assert ent["name"] == "Policía Nacional" and ent["type"] == "PERSON" and "el puente" in ent["aliases"]
    kb.relink()
    ent = kb.entity("org:pnp")
    assert ent["name"] == "Policía Nacional" and ent["type"] == "PERSON"
    kb.remove_alias("org:pb", "Policía Boliviana")
    assert len(docs(kb, "org:pb")) == 1 and "Policía Boliviana" not in kb.entity("org:pb")["aliases"]
    kb.relink()
    assert len(docs(kb, "org:pb")) == 1
    with pytest.raises(ValueError):
        kb.retype_entity("org:pnp", "DATE")


def test_an_added_alias_links_new_text(kb: Any) -> None:
    assert docs(kb, "org:anb") == []
    kb.add_alias("org:anb", "Aduanas del Perú y la Policía")  # overlaps other mentions: no new link
    kb.add_alias("org:anb", "combustible")
    view = kb.entity("org:anb")
    assert view is not None and len(view["documents"]) == 1
    kb.relink()
    assert len(docs(kb, "org:anb")) == 1


def test_mark_a_mention_wrong_in_one_document(kb: Any) -> None:
    both = docs(kb, "org:pb")
    assert len(both) == 2
    kb.mark_wrong("org:pb", both[0])
    assert docs(kb, "org:pb") == [both[1]]
    kb.relink()
    assert docs(kb, "org:pb") == [both[1]]
    with pytest.raises(NotFound):
        kb.mark_wrong("org:pb", "no-such-doc")


def test_unknown_entities_are_not_found(kb: Any) -> None:
    with pytest.raises(NotFound):
        kb.merge_entities("org:nothing-here", "org:pnp")
    with pytest.raises(ValueError):
        kb.merge_entities("org:pnp", "org:pnp")


def test_export_import_reproduces_the_curations(kb: Any, tmp_path: Path) -> None:
    from kb.service import KnowledgeBase

    kb.merge_entities("org:sunat", "org:pnp")
    kb.rename_entity("org:pnp", "Policía y Aduanas")
    text = kb.export_curations()
    assert text.count("\n") == 2
    other = KnowledgeBase.open(tmp_path / "kb2", embedder_impl=FakeEmbedder(), use_ner=False)
    other.ingest([tmp_path / "docs" / "customs"], "customs")
    assert docs(other, "org:sunat") != []
    assert other.import_curations(text) == 2
    assert docs(other, "org:sunat") == []
    assert other.entity("org:pnp")["name"] == "Policía y Aduanas"
    assert [r["kind"] for r in other.curations()] == ["merge", "rename"]
    with pytest.raises(ValueError):
        other.import_curations('{"kind": "explode", "entity": "x"}\n')
    other.close()


def test_possible_duplicates_confirm_and_reject(kb: Any) -> None:
    new = kb.split_entity("org:pnp", "PNP", "org:pnp-ner")  # what NER would have made of "PNP"
    assert "PNP" not in kb.entity("org:pnp")["aliases"]  # a split surface leaves the old entity's aliases
    kb.rename_entity(new, "Policia Nacional de Peru")  # the accent-less spelling of an org:pnp alias
    pairs = kb.entity_duplicates()
    assert ("org:pnp", new) in {(p["a"], p["b"]) for p in pairs}
    assert all(p["score"] >= 88 for p in pairs)
    kb.reject_duplicate(new, "org:pnp")
    assert ("org:pnp", new) not in {(p["a"], p["b"]) for p in kb.entity_duplicates()}
    kb.rename_entity(new, "Policía Nacional del Perú")
    assert ("org:pnp", new) not in {(p["a"], p["b"]) for p in kb.entity_duplicates()}  # rejected stays rejected
    twin = kb.split_entity("org:pb", "Policía Boliviana", "org:policia-boliviana")
    kb.rename_entity(twin, "Policia Nacional de Bolivia")  # as another language model might spell it
    assert ("org:pb", twin) in {(p["a"], p["b"]) for p in kb.entity_duplicates()}
    kb.merge_entities(twin, "org:pb")  # confirming the pair
    assert all(twin not in (p["a"], p["b"]) for p in kb.entity_duplicates())


def test_writers_only_and_duplicates_only_over_readable(kb: Any) -> None:
    kb.add_user("admin", "admin-password-1", admin=True)
    kb.add_user("bob", "bob-password-1")
    kb.grant("bob", "border", "write")
    kb.grant("bob", "customs", "read")
    bob = kb.for_token(kb.login("bob", "bob-password-1")["access_token"])
    with pytest.raises(Forbidden):
        bob.merge_entities("org:pnp", "org:pb")  # org:pb is also mentioned in customs: read only
    assert docs(kb, "org:pnp") != [] and bob.curations() == []
    bob.rename_entity("org:pnp", "PNP (Perú)")  # mentioned in border only
    assert kb.entity("org:pnp")["name"] == "PNP (Perú)"
    with pytest.raises(Forbidden):
        bob.export_curations()
    audit = [r for r in kb.audit_log() if r["action"] == "curate"]
    assert audit and audit[-1]["user"] == "bob" and audit[-1]["detail"] == "rename"
    # an entity only in customs, near-identical to one in border: bob (border only) never sees it
    kb.revoke("bob", "customs")
    bob = kb.for_token(kb.login("bob", "bob-password-1")["access_token"])
    twin = kb.split_entity("org:sunat", "SUNAT", "org:pnp-customs")
    kb.rename_entity(twin, "PNP (Peru)")
    assert ("org:pnp", twin) in {(p["a"], p["b"]) for p in kb.entity_duplicates()}
    assert all(twin not in (p["a"], p["b"]) for p in bob.entity_duplicates())
    assert [r["kind"] for r in kb.curations()] == ["rename", "split", "rename"]
    assert [r["kind"] for r in bob.curations()] == ["rename"]  # the customs curations stay hidden from bob
    with pytest.raises(NotFound):
        bob.merge_entities(twin, "org:pnp")
