"""Permissions through the facade: nothing of an unreadable collection reaches any read verb.

A small real knowledge base (fake embedder, gazetteer entities) holds four collections whose
documents each carry a unique marker word in their title and text; one document of ``B`` nearly
duplicates one of ``A``. Hypothesis draws grants (to users and to a group) and the group's members;
then every read verb of every user's view is called and its whole output, serialised, must not
contain the id or marker of any document the user may not read — and a search still fills ``k``
from what the user may read.
"""

from __future__ import annotations

import json
import random
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.service import KnowledgeBase
from kb.types import Forbidden, KBError
from tests.helpers import FakeEmbedder

COLLECTIONS = ("A", "B", "C", "default")
USERS = ("alice", "bob", "carol")
SENTENCES = (
    "La patrulla binacional revisó el paso fronterizo de Desaguadero con la Policía Nacional del Perú.",
    "Se registró contrabando de combustible en el puente y se decomisaron {n} bidones.",
    "Los inspectores de Migraciones pidieron más personal para el control migratorio conjunto.",
    "En Rumichaca la aduana instaló escáneres nuevos para camiones de carga pesada.",
    "La fiscalía abrió una investigación por trata de personas en la ruta hacia Tacna.",
    "El comité de frontera acordó reunirse cada trimestre con los gobiernos locales.",
    "Una capacitación sobre documentos falsos reunió a cuarenta funcionarios de ambos países.",
    "Los vecinos denunciaron el paso irregular de ganado por caminos no habilitados.",
)


def _body(collection: str, i: int, marker: str) -> str:
    """A text that shares vocabulary with the others but is not a near-duplicate of any (shuffled words)."""
    words = " ".join(SENTENCES[1:]).replace("{n}", str(i)).rstrip(".").split()
    random.Random(f"{collection}{i}").shuffle(words)
    return f"# Informe {marker}\n\n{SENTENCES[0]} {marker} número {collection}{i}.\n\n" + " ".join(words) + "."


def _marker(collection: str, i: int) -> str:
    return f"marca{collection.lower()}{i}x"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("perm")
    kb = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    kb.add_user("root", "root-password", admin=True)
    for user in USERS:  # each watches a search that every document matches, while it may read everything
        kb.add_user(user, f"{user}-password")
        kb.grant(user, "*", "read")
        kb.as_user(user).watch_add("w", "patrulla Desaguadero", k=20)
    docs: dict[str, tuple[str, str]] = {}  # doc id -> (collection, marker)
    for coll in COLLECTIONS:
        folder = root / "src" / coll
        folder.mkdir(parents=True)
        for i in range(3):
            marker = _marker(coll, i)
            (folder / f"{marker}.md").write_text(_body(coll, i, marker))
        if coll == "B":  # a near-duplicate of A's first document: the same text under B's own marker
            text = (root / "src" / "A" / f"{_marker('A', 0)}.md").read_text()
            (folder / "copia.md").write_text(text.replace(_marker("A", 0), "marcacopiax"))
        report = kb.ingest([folder], None if coll == "default" else coll)
        for row in report.rows:
            assert row.status == "ingested" and row.doc_id, row
            docs[row.doc_id] = (coll, Path(row.path).stem)
            kb.note_add(row.doc_id, f"nota sobre {Path(row.path).stem}", quote=Path(row.path).stem)
    for coll in COLLECTIONS:  # entity curations naming a marker: an entity only this collection mentions
        marker = _marker(coll, 0)
        kb.add_alias("org:pnp", marker)
        kb.split_entity("org:pnp", marker, f"org:{marker}")
    kb.add_group("team")
    dups = {
        r[0]: r[1] for r in kb.store.db.execute("SELECT id, near_dup_of FROM documents WHERE near_dup_of IS NOT NULL")
    }
    assert [docs[d][0] + "->" + docs[r][0] for d, r in dups.items()] == ["B->A"], dups  # the one pair, across
    yield {"kb": kb, "docs": docs}
    kb.close()


grants = st.lists(
    st.tuples(st.sampled_from((*USERS, "team")), st.sampled_from(COLLECTIONS), st.sampled_from(("read", "write"))),
    max_size=6,
)
members = st.sets(st.sampled_from(USERS))


def _apply(kb: KnowledgeBase, drawn: list[tuple[str, str, str]], team: set[str]) -> None:
    for g in kb.grants():
        kb.revoke(g["subject"], g["collection"])
    for user in USERS:
        kb.set_member("team", user, user in team)
    for subject, collection, role in drawn:
        kb.grant(subject, collection, role)


def _readable(drawn: list[tuple[str, str, str]], team: set[str], user: str) -> set[str]:
    return {c for s, c, _ in drawn if s == user or (s == "team" and user in team)}


def _dump(value: Any) -> str:
    return json.dumps(value, default=repr, ensure_ascii=False)


def _exported(view: KnowledgeBase, ids: list[str]) -> str:
    """Everything in the ZIP the view exports of every id (names and contents)."""
    with tempfile.TemporaryDirectory() as tmp:
        view.export([*ids, *view.search("patrulla", k=20)], Path(tmp) / "x.zip")
        with zipfile.ZipFile(Path(tmp) / "x.zip") as zf:
            return " ".join(n + " " + zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def _reads(view: KnowledgeBase, ids: list[str]) -> dict[str, Any]:
    """Every read verb's output for this view (errors as text: an error must not leak either)."""
    out: dict[str, Any] = {}

    def call(name: str, fn: Any) -> None:
        try:
            out[name] = fn()
        except KBError as exc:
            out[name] = f"error: {exc}"

    call("search", lambda: view.search("patrulla Desaguadero combustible", k=20))
    call("search_sparse", lambda: view.search("marcaax0 marcabx0 marcacx0 marcadefaultx0", k=20, mode="sparse"))
    call("search_phrase", lambda: view.search('"control migratorio"', k=20))
    call("search_hidden_filter", lambda: view.search("patrulla", k=20, filters={"collection": list(COLLECTIONS)}))
    call("facets", lambda: view.facets())
    call("facets_of_all", lambda: view.facets(ids))
    call("entities", lambda: view.entities())
    call("entity", lambda: view.entity("Desaguadero"))
    call("stats", lambda: view.stats())
    call("report", lambda: view.report(1))
    call("collections", lambda: view.collections())
    call("names", lambda: view.entity_names())
    call("unknown", lambda: view.unknown_filter_values({"collection": ["Z"]}))
    call("brief", lambda: view.report_markdown(view.brief("Desaguadero")))
    call("compare", lambda: view.compare("patrulla"))
    call("list", lambda: view.evidence().document_list())
    call("watch", lambda: view.watch_new("w", mark_seen=False))
    call("watches", lambda: view.watches())
    call("notes_search", lambda: view.notes_search("nota"))
    call("notes_for", lambda: view.notes_for(ids))
    call("batch", lambda: list(view.batch([{"query": "patrulla"}, {"query": "marcabx0", "collection": "B"}], k=20)))
    call("export", lambda: _exported(view, ids))
    call("curations", lambda: view.curations())
    call("duplicates", lambda: view.entity_duplicates(limit=1000, threshold=50))
    for i, doc in enumerate(ids):
        call(f"doc{i}", lambda doc=doc: view.document(doc))
        call(f"file{i}", lambda doc=doc: view.original_file(doc))
        call(f"similar{i}", lambda doc=doc: view.similar(doc, k=20))
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=grants, team=members)
def test_no_read_verb_shows_an_unreadable_collection(shared: dict[str, Any], drawn: Any, team: set[str]) -> None:
    kb: KnowledgeBase = shared["kb"]
    docs: dict[str, tuple[str, str]] = shared["docs"]
    _apply(kb, drawn, team)
    for user in USERS:
        readable = _readable(drawn, team, user)
        view = kb.as_user(user)
        assert (view.readable or set()) == readable
        outputs = _reads(view, list(docs))
        hidden = [(d, m) for d, (c, m) in docs.items() if c not in readable]
        for name, value in outputs.items():
            text = _dump(value)
            for doc_id, marker in hidden:
                assert doc_id not in text and marker not in text, (user, readable, name, marker)
        visible = {d for d, (c, _) in docs.items() if c in readable}
        for i, doc in enumerate(docs):
            assert (outputs[f"doc{i}"] is not None) == (doc in visible)
        # what the user may read is all there: its watch hits, the notes, the exported originals
        for name in ("watch", "notes_search", "notes_for", "export"):
            assert all(docs[d][1] in _dump(outputs[name]) for d in visible), (user, name)
        # k is filled from what the user may read (a near-duplicate pair folds into one result)
        folded = 1 if {"A", "B"} <= readable else 0
        hits = view.search("patrulla", k=3)
        assert len(hits) == min(3, len(visible) - folded)
        assert {r.doc_id for r in hits} <= visible


def test_a_hidden_document_answers_like_a_missing_one(shared: dict[str, Any]) -> None:
    kb: KnowledgeBase = shared["kb"]
    _apply(kb, [("alice", "A", "write")], set())
    view = kb.as_user("alice")
    hidden = next(d for d, (c, _) in shared["docs"].items() if c == "C")
    assert view.document(hidden) is None and view.document("no-such-id") is None
    assert view.original_file(hidden) is None
    assert view.remove(hidden) is False and view.remove("no-such-id") is False
    with pytest.raises(KBError) as a:
        view.set_metadata(hidden, {"title": "x"})
    with pytest.raises(KBError) as b:
        view.set_metadata("no-such-id", {"title": "x"})
    assert str(a.value).replace(hidden, "ID") == str(b.value).replace("no-such-id", "ID")
    assert kb.document(hidden) is not None  # the owner still has it


def test_writes_need_write_and_administration_needs_an_admin(shared: dict[str, Any], tmp_path: Path) -> None:
    kb: KnowledgeBase = shared["kb"]
    _apply(kb, [("alice", "A", "write"), ("alice", "B", "read")], set())
    alice = kb.as_user("alice")
    new = tmp_path / "nuevo.md"
    new.write_text("# Nuevo informe\n\nLa patrulla revisó el paso de Tacna.")
    with pytest.raises(Forbidden):
        alice.ingest([new], "B")
    with pytest.raises(Forbidden):
        alice.ingest([new], None)
    readable_b = next(d for d, (c, _) in shared["docs"].items() if c == "B")
    with pytest.raises(Forbidden):
        alice.remove(readable_b)
    with pytest.raises(Forbidden):
        alice.set_metadata(next(d for d, (c, _) in shared["docs"].items() if c == "A"), {"collection": "B"})
    for verb in (alice.relink, alice.compact, alice.users, alice.audit_log):
        with pytest.raises(Forbidden):
            verb()
    with pytest.raises(Forbidden):
        alice.grant("bob", "A", "read")
    report = alice.ingest([new], "A")
    assert report.count("ingested") == 1
    doc = report.rows[0].doc_id
    assert doc and alice.remove(doc)


def test_the_trail_records_who_searched_what_and_what_came_back(shared: dict[str, Any]) -> None:
    kb: KnowledgeBase = shared["kb"]
    _apply(kb, [("bob", "C", "read")], set())
    bob = kb.for_token(kb.login("bob", "bob-password")["access_token"])
    results = bob.search("patrulla", k=2, filters={"lang": "es"})
    row = kb.audit_log(user="bob", limit=1)[0]
    assert row["action"] == "search" and row["query"] == "patrulla" and row["detail"] is None
    assert row["filters"] == {"lang": ["es"]} and row["collections"] == ["C"]
    assert row["ids"] == [r.doc_id for r in results]
    # the owner looking through bob's eyes is recorded as the owner, "as bob"
    kb.as_user("bob").search("combustible", k=1)
    row = kb.audit_log(limit=1)[0]
    assert (row["user"], row["detail"], row["collections"]) == ("owner", "as bob", ["C"])
    assert [r["action"] for r in kb.audit_log(user="bob", actions=["login"])][-1:] == ["login"]
    assert kb.verify_audit()[0]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "sparse"])
def test_the_permission_filter_applies_before_ranking(shared: dict[str, Any], mode: str) -> None:
    """With two candidates per ranking and better matches hidden, a filter applied after ranking finds nothing."""
    kb: KnowledgeBase = shared["kb"]
    _apply(kb, [("carol", "C", "read")], set())
    carol = kb.as_user("carol")
    carol.config = replace(carol.config, candidates=2)
    query = "patrulla " + " ".join(_marker(c, i) for c in ("A", "B", "default") for i in range(3))
    owner_top = [r.doc_id for r in kb.search(query, k=3, per_doc=1, mode=mode)]
    assert all(shared["docs"][d][0] != "C" for d in owner_top)  # the best matches are all hidden from carol
    hits = carol.search(query, k=1, per_doc=1, mode=mode)
    assert len(hits) == 1 and shared["docs"][hits[0].doc_id][0] == "C"


def test_closing_a_view_leaves_the_knowledge_base_open(shared: dict[str, Any]) -> None:
    kb: KnowledgeBase = shared["kb"]
    _apply(kb, [("alice", "A", "read")], set())
    with kb.as_user("alice") as alice:
        assert alice.search("patrulla", k=1)
    assert kb.search("patrulla", k=1) and kb.as_user("alice").stats()["documents"] == 3


def test_a_copy_of_a_hidden_document_is_stored_not_called_a_duplicate(shared: dict[str, Any], tmp_path: Path) -> None:
    """Duplicates are found within a collection: "duplicate of <id>" would tell alice the file exists elsewhere."""
    kb: KnowledgeBase = shared["kb"]
    _apply(kb, [("alice", "B", "write")], set())
    alice = kb.as_user("alice")
    hidden = next(d for d, (c, m) in shared["docs"].items() if m == _marker("A", 1))
    copy = tmp_path / "copy.md"
    copy.write_bytes(Path(kb.document(hidden)["source"]).read_bytes())  # type: ignore[index]
    report = alice.ingest([copy], "B")
    (row,) = report.rows
    assert row.status == "ingested" and row.doc_id != hidden and hidden not in _dump(report)
    again = tmp_path / "again" / "copy.md"
    again.parent.mkdir()
    again.write_bytes(copy.read_bytes())
    (dup,) = alice.ingest([again], "B").rows
    assert (dup.status, dup.doc_id) == ("duplicate", row.doc_id)  # within B it is one document
    assert alice.document(row.doc_id) is not None and alice.document(hidden) is None
    assert alice.remove(row.doc_id)


def test_a_ranking_that_ignores_the_filter_still_shows_nothing_hidden(
    shared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: should an index return passages outside the permission filter (as the dense
    bitmap selector once did for ids above the largest allowed one), the scoped connection has no row
    for them, so they are dropped before any hit is built, and the user still gets what she may read."""
    from index.dense import DenseIndex

    kb: KnowledgeBase = shared["kb"]
    _apply(kb, [("carol", "C", "read")], set())
    unfiltered = DenseIndex.search
    monkeypatch.setattr(DenseIndex, "search", lambda self, q, k, allowed=None, exclude=None: unfiltered(self, q, k))
    carol = kb.as_user("carol")
    for mode in ("dense", "hybrid"):
        hits = carol.search("patrulla Desaguadero combustible", k=20, mode=mode)
        assert hits and {shared["docs"][r.doc_id][0] for r in hits} == {"C"}
    owner = kb.search("patrulla Desaguadero combustible", k=20, mode="dense", filters={"collection": ["C"]})
    assert {shared["docs"][r.doc_id][0] for r in owner} != {"C"}  # the owner's filter alone is not enough
