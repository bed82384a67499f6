"""``KnowledgeBase.upload``: the one upload path of the app and the REST API.

A new version updates its document, a skipped one leaves the indexed version, a batch never leaves a
file saved but not indexed, names cannot leave ``uploads/``, permission comes before any byte.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.faults import hook
from kb.service import KnowledgeBase
from kb.types import Forbidden, KBError, LockHeld, Principal
from kb.write.uploads import MAX_NAME_BYTES
from tests.helpers import APP_DOCS, TEAM_PASSWORDS, FakeEmbedder, docx_bytes, fake_kb

NOTE = "Informe sobre el paso de Tacna–Arica: la PDI de Chile revisó el control migratorio del puente.".encode()
LONG_NAME = "Informe técnico de la visita a Rumichaca – versión final revisada por la coordinación " * 3 + ".txt"


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    opened: KnowledgeBase = fake_kb(tmp_path, APP_DOCS)
    yield opened
    opened.close()


def uploaded(kb: KnowledgeBase) -> dict[str, bytes]:
    """Every file under ``uploads/`` (any depth) by its path there."""
    folder = Path(kb.root) / "uploads"
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_new_version_updates_the_same_document(kb: KnowledgeBase) -> None:
    [first] = kb.upload([("nota.txt", NOTE)])
    assert first.status == "ingested" and first.doc_id
    documents = kb.stats()["documents"]
    [second] = kb.upload([("nota.txt", io.BytesIO(NOTE + b" Segunda version: Chacalluta."))])
    assert (second.status, second.doc_id) == ("updated", first.doc_id)
    assert kb.stats()["documents"] == documents, "no second document"
    [hit] = [r for r in kb.search("Chacalluta", k=5) if r.doc_id == first.doc_id]
    assert "Chacalluta" in " ".join(h.snippet for h in hit.hits)
    [again] = kb.upload([("nota.txt", NOTE + b" Segunda version: Chacalluta.")])
    assert (again.status, again.doc_id) == ("unchanged", first.doc_id)
    assert uploaded(kb) == {"nota.txt": NOTE + b" Segunda version: Chacalluta."}


def test_a_new_version_that_is_skipped_leaves_the_indexed_one(kb: KnowledgeBase) -> None:
    first = docx_bytes("Primera versión de la nota sobre el control migratorio en Desaguadero.")
    [ok] = kb.upload([("nota.docx", first)])
    assert ok.status == "ingested"
    [out] = kb.upload([("nota.docx", b"PK\x03\x04 broken zip")])
    assert out.status == "skipped" and out.reason == "damaged" and not out.ok
    assert uploaded(kb) == {"nota.docx": first}, "the indexed version is back in place"
    assert kb.document(str(ok.doc_id)) is not None
    [same] = kb.upload([("nota.docx", first)])
    assert (same.status, same.doc_id) == ("unchanged", ok.doc_id), "what is indexed is still the first version"


def test_odd_names_in_a_batch_are_each_ingested_or_refused_by_name(kb: KnowledgeBase) -> None:
    files: list[tuple[str, bytes | io.BytesIO]] = [
        ("primero.txt", NOTE),
        (LONG_NAME, NOTE + b" Segunda copia con otro texto: Desaguadero."),
        ("....txt", NOTE + b" Tercera: Rumichaca."),
        ("falso.pdf", b"just some text under a pdf name"),
        ("otro/../" + "ñ" * 200 + ".md", io.BytesIO(NOTE + b"\n\nCuarta: Oyapock.")),
        ("primero.txt", NOTE + b" A second file with the same name."),
        ("último.txt", NOTE + b" Quinta: Chuy."),
        ("vacío.txt", b""),
        ("programa.exe", b"MZ\x90"),
    ]
    outcomes = kb.upload(files)
    assert [o.name for o in outcomes] == [n for n, _ in files], "one outcome per file, by its own name"
    assert [o.status for o in outcomes] == ["ingested"] * 3 + ["refused", "ingested", "refused", "ingested"] + [
        "refused"
    ] * 2
    assert "not pdf" in (outcomes[3].detail or "")
    assert "primero.txt" in (outcomes[5].detail or "")
    assert [o.reason for o in outcomes[7:]] == ["empty", "unsupported"]
    stored = uploaded(kb)
    assert len(stored) == 5 and "upload.txt" in stored and "último.txt" in stored
    assert all(len(n.encode()) <= MAX_NAME_BYTES for n in stored)
    indexed = {Path(r.path).name for r in kb.report() if r.status == "ingested"}
    assert indexed == set(stored), "every saved file is indexed, and only those"


def test_a_failed_ingest_keeps_nothing_of_the_batch(kb: KnowledgeBase) -> None:
    assert [o.status for o in kb.upload([("nota.txt", NOTE)])] == ["ingested"]

    def refuse() -> None:
        raise KBError("the embedder failed")

    with hook("embed", refuse), pytest.raises(KBError, match="embedder failed"):
        kb.upload([("otra.txt", NOTE + b" Otra."), ("nota.txt", NOTE + b" Version 2.")])
    assert uploaded(kb) == {"nota.txt": NOTE}, "the new file is gone and the indexed version is back"
    assert [o.status for o in kb.upload([("nota.txt", NOTE)])] == ["unchanged"]


def test_a_busy_knowledge_base_places_nothing(kb: KnowledgeBase) -> None:
    with kb.store.writer_lock(), pytest.raises(LockHeld):
        kb.upload([("nota.txt", NOTE)])
    assert uploaded(kb) == {}


@pytest.mark.parametrize("name", ["../../fuera.txt", "..\\..\\fuera.txt", "/tmp/fuera.txt", "uploads/../../fuera.txt"])
def test_a_traversal_name_stays_inside_uploads(kb: KnowledgeBase, name: str) -> None:
    [out] = kb.upload([(name, NOTE)], "border")
    assert out.status == "ingested" and out.name == name
    root = Path(kb.root)
    found = [p for p in root.parent.rglob("fuera.txt")]
    assert len(found) == 1 and (root / "uploads") in found[0].parents
    assert kb.document(str(out.doc_id))["source"] == str(found[0])  # type: ignore[index]


def test_a_user_without_write_is_refused_before_a_byte_is_read(fresh_team_kb: KnowledgeBase) -> None:
    class Untouchable(io.BytesIO):
        def read(self, *args: object) -> bytes:
            raise AssertionError("read before the permission check")

    before = fresh_team_kb.stats()["documents"]
    for user, collection in [("bob", "police"), ("alice", "border"), ("bob", None)]:
        with pytest.raises(Forbidden):
            fresh_team_kb.as_user(user).upload([("nota.txt", Untouchable(NOTE))], collection)
    assert not (Path(fresh_team_kb.root) / "uploads").exists(), "not even a folder was made"
    assert fresh_team_kb.stats()["documents"] == before
    assert not [r for r in fresh_team_kb.audit_log() if r["action"] == "upload"]


def test_a_collection_name_no_grant_could_name_is_refused(kb: KnowledgeBase) -> None:
    for bad in ("*", "a/b", "x\x00y"):
        with pytest.raises(ValueError):
            kb.upload([("nota.txt", NOTE)], bad)
    assert uploaded(kb) == {}


def test_the_same_name_in_two_collections_makes_two_documents(fresh_team_kb: KnowledgeBase) -> None:
    [border] = fresh_team_kb.upload([("nota.txt", NOTE + b" Frontera.")], "border")
    [police] = fresh_team_kb.upload([("nota.txt", NOTE + b" Policia.")], "police")
    assert border.status == police.status == "ingested" and border.doc_id != police.doc_id
    docs = {o.doc_id: fresh_team_kb.document(str(o.doc_id)) for o in (border, police)}
    assert [d["collection"] for d in docs.values()] == ["border", "police"]  # type: ignore[index]
    sources = [Path(d["source"]) for d in docs.values()]  # type: ignore[index]
    assert sources[0] != sources[1] and all(p.name == "nota.txt" for p in sources)
    assert [p.read_bytes() for p in sources] == [NOTE + b" Frontera.", NOTE + b" Policia."]
    [default] = fresh_team_kb.upload([("nota.txt", NOTE + b" Sin coleccion.")], "default")
    assert default.status == "ingested" and fresh_team_kb.document(str(default.doc_id))["collection"] is None  # type: ignore[index]


def test_an_upload_is_audited_once_as_upload(fresh_team_kb: KnowledgeBase) -> None:
    bob = fresh_team_kb.for_token(
        fresh_team_kb.login("bob", TEAM_PASSWORDS["bob"])["access_token"]
    )  # bob himself, not "as bob"
    outcomes = bob.upload([("nota.txt", NOTE), ("malo.exe", b"MZ")], "border")
    assert [o.status for o in outcomes] == ["ingested", "refused"]
    rows = [r for r in fresh_team_kb.audit_log(user="bob") if r["action"] in ("upload", "ingest")]
    assert [(r["action"], r["ids"]) for r in rows] == [("upload", [outcomes[0].doc_id])]
    assert rows[0]["detail"].startswith("border: 2 files")


def test_a_copy_the_uploader_cannot_read_is_not_named(fresh_team_kb: KnowledgeBase) -> None:
    writer = fresh_team_kb.as_principal(
        Principal("w", read=frozenset(), write=frozenset({"border"}), manage=frozenset())
    )
    [out] = writer.upload([("copia.md", APP_DOCS["acta-desaguadero.md"].encode())], "border")
    assert out.status == "duplicate" and out.doc_id is None and "acta" not in (out.detail or "")
    [seen] = fresh_team_kb.upload([("copia2.md", APP_DOCS["acta-desaguadero.md"].encode())], "border")
    assert seen.status == "duplicate" and seen.doc_id  # the owner reads it: named


def test_an_upload_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    class Endless(io.RawIOBase):  # a stream that cannot seek: its size is only known by reading
        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            b[:] = b"a" * len(b)
            return len(b)

    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False, max_file_mb=1) as kb:
        assert kb.max_upload_mb == 1
        [big, small] = kb.upload([("grande.txt", Endless()), ("pequeño.txt", b"x" * 2_000_000)])  # type: ignore[list-item]
        assert (big.status, big.reason) == (small.status, small.reason) == ("refused", "too_large")
        assert uploaded(kb) == {}


def test_removing_an_uploaded_document_deletes_its_upload_copy(fresh_team_kb: KnowledgeBase) -> None:
    [border] = fresh_team_kb.upload([("nota.txt", NOTE)], "border")
    [plain] = fresh_team_kb.upload([("nota.txt", NOTE + b" Sin coleccion.")])
    assert len(uploaded(fresh_team_kb)) == 2
    assert fresh_team_kb.remove(str(border.doc_id)) and fresh_team_kb.remove(str(plain.doc_id))
    assert uploaded(fresh_team_kb) == {}, "a collection folder's copy goes too"
