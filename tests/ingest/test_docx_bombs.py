"""DOCX files that decompress to a lot: refused as too_large with the figure, in seconds, in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest.readers.docx as docx_reader
from ingest.readers import DEFAULT_LIMITS, ReadLimits, read_file
from ingest.readers.docx import MAX_PARAGRAPHS, MAX_XML_ELEMENTS
from ingest.sandbox import read_isolated
from ingest.types import ReadError
from tests.helpers import docx_with_body, paragraph_bomb


def refused(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_file(path, limits)
    return info.value


@pytest.mark.timeout(300)
def test_the_issues_docx_bomb_is_refused_through_the_sandbox(tmp_path: Path) -> None:
    """~125 KB expanding to 31 MB of one-word paragraphs: it parsed for minutes, under the old 500 MB cap."""
    path = tmp_path / "bomba.docx"
    path.write_bytes(paragraph_bomb())
    with pytest.raises(ReadError) as info:
        read_isolated(path, ReadLimits(timeout_s=120))
    assert info.value.code == "too_large"
    assert f"over the {MAX_XML_ELEMENTS:,} limit" in info.value.message and "2,7" in info.value.message


def test_xml_over_the_size_cap_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docx_reader, "MAX_XML_MB", 1)
    path = tmp_path / "texto.docx"
    path.write_bytes(docx_with_body(b"<w:p><w:r><w:t>" + b"palabra " * 200_000 + b"</w:t></w:r></w:p>"))
    err = refused(path)
    assert err.code == "too_large" and "2 MB of XML, over the 1 MB limit" in err.message


def test_the_whole_package_may_not_expand_past_the_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "grande.docx"
    path.write_bytes(docx_with_body(b"<w:p><w:r><w:t>hola</w:t></w:r></w:p>" * 40_000))
    err = refused(path, ReadLimits(max_bytes=1_000_000))
    assert err.code == "too_large" and "over the 1 MB limit" in err.message


def test_too_many_paragraphs_are_refused_with_the_count(tmp_path: Path) -> None:
    path = tmp_path / "parrafos.docx"
    path.write_bytes(paragraph_bomb(MAX_PARAGRAPHS + 1, b"<w:p/>"))  # few elements each: under the element cap
    err = refused(path)
    assert err.code == "too_large" and f"{MAX_PARAGRAPHS + 1:,} paragraphs" in err.message


def test_a_long_document_resolves_each_style_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """python-docx scans every style per lookup: per paragraph, 20,000 paragraphs took over 13 s."""
    import docx
    from docx.parts.document import DocumentPart

    d = docx.Document()
    for i in range(300):
        d.add_heading(f"Sección {i}", level=1 + i % 2)
        d.add_paragraph(f"Texto de la sección {i} sobre el paso de Desaguadero.")
        d.add_paragraph(f"Otro párrafo {i}.", style="List Bullet")
    d.save(str(tmp_path / "largo.docx"))
    calls: list[object] = []
    original = DocumentPart.get_style
    monkeypatch.setattr(DocumentPart, "get_style", lambda self, *a: calls.append(a) or original(self, *a))
    doc = read_file(tmp_path / "largo.docx")
    assert len(doc.pages[0].headings) == 300 and "Otro párrafo 299." in doc.text
    assert len(calls) <= 4, "one lookup per distinct style, not per paragraph"


def test_an_ingest_skips_the_bomb_with_its_figure_and_goes_on(tmp_path: Path, fake_embedder: object) -> None:
    from kb.service import KnowledgeBase

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bomba.docx").write_bytes(paragraph_bomb())
    note = b"<w:p><w:r><w:t>Acta sobre el paso de Desaguadero.</w:t></w:r></w:p>"
    (docs / "nota.docx").write_bytes(docx_with_body(note))
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False) as kb:
        rows = {Path(r.path).name: r for r in kb.ingest([docs]).rows}
    assert rows["nota.docx"].status == "ingested"
    assert rows["bomba.docx"].status == "skipped" and rows["bomba.docx"].reason == "too_large"
    assert f"over the {MAX_XML_ELEMENTS:,} limit" in (rows["bomba.docx"].detail or "")
