"""Uploads: safe names (property tests), staging, and a batch that never leaves a file saved but not indexed."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kb.service import KnowledgeBase
from kb.store import KBError
from kb.ui.uploads import ALLOWED, MAX_NAME_BYTES, ingest_uploads, refusal, safe_name, suffix_of
from tests.helpers import docx_bytes, run_app, shown

NAMES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONG_NAME = "Informe técnico de la visita a Rumichaca – versión final revisada por la coordinación " * 3 + ".txt"


def check_safe(name: str) -> str:
    clean = safe_name(name)
    assert clean and clean not in (".", "..")
    assert not clean.startswith(".") and not clean.startswith(" ")
    assert "/" not in clean and "\\" not in clean and "\x00" not in clean
    assert len(clean.encode("utf-8")) <= MAX_NAME_BYTES
    stem = clean[: -len(suffix_of(clean)) - 1] if suffix_of(clean) else clean
    assert any(c.isalnum() for c in stem), f"{name!r} -> {clean!r}: an empty stem"
    return clean


def test_safe_names_stay_in_their_folder() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..") == "upload"
    assert safe_name("C:\\Users\\x\\informe final.pdf") == "informe final.pdf"
    assert "/" not in safe_name("a/b\x00c.txt")


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("....txt", "upload.txt"),  # the extension was cut off: "txt"
        (".txt", "txt"),  # a hidden file's name, not an extension: refused by type before saving
        ("'.md", "upload.md"),
        ("a" * 300 + ".pdf", "a" * (MAX_NAME_BYTES - 4) + ".pdf"),
        ("informe.PDF", "informe.PDF"),
        ("  .. informe .md", "informe.md"),
    ],
)
def test_safe_name_examples(name: str, want: str) -> None:
    assert check_safe(name) == want


@NAMES
@given(name=st.text())
def test_any_name_becomes_a_safe_name_the_filesystem_takes(name: str) -> None:
    clean = check_safe(name)
    assert safe_name(clean) == clean, "idempotent"
    assert suffix_of(clean) == suffix_of(name), "the extension that was checked is the one stored"
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / clean).write_bytes(b"x")  # never too long for the filesystem, never a folder
        assert [p.name for p in Path(d).iterdir()] == [clean]


@NAMES
@given(stem=st.text(), suffix=st.sampled_from(sorted(ALLOWED)), upper=st.booleans())
def test_an_allowed_extension_survives_any_stem(stem: str, suffix: str, upper: bool) -> None:
    ext = suffix.upper() if upper else suffix
    name = f"{stem}.{ext}"
    assume(PurePosixPath(name.replace("\\", "/").replace("\x00", "")).suffix)  # not ".pdf" alone, a hidden file
    clean = check_safe(name)
    assert clean.endswith(f".{ext}") and suffix_of(clean) == suffix
    assert refusal(name, 10) is None


def test_refusal_by_type_and_size() -> None:
    assert refusal("x.exe", 10).reason == "unsupported"  # type: ignore[union-attr]
    assert refusal("x.pdf", 51 * 1024 * 1024).reason == "too_large"  # type: ignore[union-attr]
    assert refusal("x.txt", 0).reason == "empty"  # type: ignore[union-attr]
    assert refusal("x.docx", 100) is None
    assert refusal(".txt", 10).reason == "unsupported"  # type: ignore[union-attr]


NOTE = "Informe sobre el paso de Tacna–Arica: la PDI de Chile revisó el control migratorio del puente.".encode()


def uploaded(kb: KnowledgeBase) -> dict[str, bytes]:
    folder = Path(kb.root) / "uploads"
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


def test_odd_names_in_a_batch_are_each_ingested_or_refused_by_name(fresh_kb: KnowledgeBase) -> None:
    files = [
        ("primero.txt", NOTE),
        (LONG_NAME, NOTE + b" Segunda copia con otro texto: Desaguadero."),
        ("....txt", NOTE + b" Tercera: Rumichaca."),
        ("falso.pdf", b"just some text under a pdf name"),
        ("otro/../" + "ñ" * 200 + ".md", NOTE + b"\n\nCuarta: Oyapock."),
        ("primero.txt", NOTE + b" A second file with the same name."),
        ("último.txt", NOTE + b" Quinta: Chuy."),
    ]
    outcomes = ingest_uploads(fresh_kb, files)
    assert [o.name for o in outcomes] == [n for n, _ in files], "one outcome per file, by its own name"
    assert [o.status for o in outcomes] == ["ingested"] * 3 + ["refused", "ingested", "refused", "ingested"]
    assert "not pdf" in (outcomes[3].detail or "")
    assert "primero.txt" in (outcomes[5].detail or "")
    stored = uploaded(fresh_kb)
    assert len(stored) == 5 and "upload.txt" in stored and "último.txt" in stored
    assert all(len(n.encode()) <= MAX_NAME_BYTES for n in stored)
    indexed = {Path(r.path).name for r in fresh_kb.report() if r.status == "ingested"}
    assert indexed == set(stored), "every saved file is indexed, and only those"


def test_a_failed_ingest_keeps_nothing_of_the_batch(fresh_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [o.status for o in ingest_uploads(fresh_kb, [("nota.txt", NOTE)])] == ["ingested"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise KBError("another process is writing to this knowledge base")

    monkeypatch.setattr(fresh_kb, "ingest", refuse)
    with pytest.raises(KBError):
        ingest_uploads(fresh_kb, [("otra.txt", NOTE + b" Otra."), ("nota.txt", NOTE + b" Version 2.")])
    assert uploaded(fresh_kb) == {"nota.txt": NOTE}, "the new file is gone and the indexed version is back"


def test_a_new_version_that_is_skipped_leaves_the_indexed_one(fresh_kb: KnowledgeBase) -> None:
    first = docx_bytes("Primera versión de la nota sobre el control migratorio en Desaguadero.")
    assert [o.status for o in ingest_uploads(fresh_kb, [("nota.docx", first)])] == ["ingested"]
    [out] = ingest_uploads(fresh_kb, [("nota.docx", b"PK\x03\x04 broken zip")])
    assert out.status == "skipped" and out.reason == "damaged"
    assert uploaded(fresh_kb) == {"nota.docx": first}


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
