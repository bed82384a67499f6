"""Hostile input: each case gets a clear outcome, never an exception or a hang."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingest.readers import ReadLimits, read_file
from ingest.types import ReadError


def outcome(path: Path, limits: ReadLimits | None = None) -> str:
    try:
        read_file(path, limits or ReadLimits())
    except ReadError as exc:
        assert exc.message
        return exc.code
    return "ok"


def test_zero_bytes(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    assert outcome(tmp_path / "empty.pdf") == "empty"


def test_binary_renamed_pdf(tmp_path: Path) -> None:
    (tmp_path / "photo.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    # sniffed by content: the message names what the file really is
    assert outcome(tmp_path / "photo.pdf") == "unsupported"


def test_unknown_binary(tmp_path: Path) -> None:
    (tmp_path / "data.bin").write_bytes(bytes(range(256)) * 20)
    assert outcome(tmp_path / "data.bin") == "unsupported"


def test_too_large(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("palabra " * 200_000)
    assert outcome(tmp_path / "big.txt", ReadLimits(max_bytes=1_000_000)) == "too_large"


def test_html_scripts_are_not_text(tmp_path: Path) -> None:
    page = (
        "<html><head><script>var secret='do-not-index';</script><style>p{color:red}</style></head><body>"
        "<main><p>El informe describe el control migratorio en Rumichaca y sus problemas principales.</p>"
        "<script>document.write('injected')</script></main></body></html>"
    )
    (tmp_path / "page.html").write_text(page)
    doc = read_file(tmp_path / "page.html")
    assert "Rumichaca" in doc.text and "do-not-index" not in doc.text and "injected" not in doc.text


def test_docx_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document>" + " " * 60_000_000 + "</w:document>")
    assert outcome(path, ReadLimits(max_bytes=1_000_000)) == "too_large"


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<not xml")
    assert outcome(path) == "damaged"


@pytest.mark.parametrize("name", ["informe ñandú (copia) #2.txt", "rapport d'été — version finale.md", "a'b\"c.txt"])
def test_odd_file_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("Informe sobre la frontera de Tacna y Arica con datos de control migratorio.", encoding="utf-8")
    assert outcome(path) == "ok"
