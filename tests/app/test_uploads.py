"""The upload page: thin over ``KnowledgeBase.upload`` (its checks and rollback: tests/kb/test_upload.py)."""

from __future__ import annotations

from pathlib import Path

from kb.service import KnowledgeBase
from tests.helpers import run_app, shown

LONG_NAME = "Informe técnico de la visita a Rumichaca – versión final revisada por la coordinación " * 3 + ".txt"
NOTE = "Informe sobre el paso de Tacna–Arica: la PDI de Chile revisó el control migratorio del puente.".encode()


def test_upload_page_with_long_and_dotted_names(fresh_kb: KnowledgeBase) -> None:
    at = run_app(fresh_kb, page="upload")
    at.get("file_uploader")[0].set_value(
        [(LONG_NAME, NOTE, "text/plain"), ("....txt", NOTE + b" Rumichaca.", "text/plain")]
    ).run()
    at.button(key="ingest").click().run()
    assert not at.exception
    ok = shown(" ".join(s.value for s in at.success))
    assert f"{LONG_NAME}: added" in ok and "....txt: added" in ok
    assert not at.error


def test_upload_page_updates_a_document_and_names_a_refused_file(fresh_kb: KnowledgeBase) -> None:
    at = run_app(fresh_kb, page="upload")
    at.get("file_uploader")[0].set_value([("nota.txt", NOTE, "text/plain")]).run()
    at.button(key="ingest").click().run()
    assert "nota.txt: added" in shown(at.success[0].value)
    at = run_app(fresh_kb, page="upload", ui="es")
    files = [("nota.txt", NOTE + b" Segunda version.", "text/plain"), ("falso.pdf", b"just text", "application/pdf")]
    at.get("file_uploader")[0].set_value(files).run()
    at.button(key="ingest").click().run()
    assert not at.exception
    assert [shown(s.value).split(" — ")[0] for s in at.success] == ["nota.txt: actualizado (nueva versión)"]
    assert [shown(e.value).split(" — ")[0] for e in at.error] == ["falso.pdf: rechazado"]
    assert sorted(p.name for p in (Path(fresh_kb.root) / "uploads").iterdir()) == ["nota.txt"]
