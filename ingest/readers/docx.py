"""DOCX: paragraphs and tables in body order, headings recorded, core properties as metadata."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn

from ingest.readers.registry import ReadLimits
from kb.types import Page, RawDocument, ReadError

HEADING_STYLES = ("heading", "título", "titulo", "titre", "title", "überschrift")


def _blocks(parent: Any) -> Iterator[Any]:
    """Paragraphs and tables in body order, looking inside content controls (``w:sdt``)."""
    for child in parent.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in ("p", "tbl"):
            yield child
        elif tag in ("sdt", "sdtContent", "customXml"):
            yield from _blocks(child)


def _is_heading(para: Any) -> bool:
    """A heading by style name in kb's languages, or by an outline level on the paragraph or its style."""
    style = para.style
    name = ((style.name if style is not None else "") or "").lower()
    if name.startswith(HEADING_STYLES):
        return True
    for ppr in [para._p.pPr, *_style_pprs(style)]:
        lvl = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
        if lvl is not None:
            return str(lvl.get(qn("w:val"), "9")).isdigit() and int(lvl.get(qn("w:val"), "9")) < 9
    return False


def _style_pprs(style: Any) -> Iterator[Any]:
    seen = 0
    while style is not None and seen < 20:  # base styles can form a cycle in hand-made files
        yield style.element.pPr
        style, seen = style.base_style, seen + 1


def _table_text(table: Any) -> str:
    """One line per row, cells joined with `` | ``; merged cells (repeated by python-docx) once."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            t = " ".join(cell.text.split())
            if not cells or cells[-1] != t:
                cells.append(t)
        rows.append(" | ".join(cells))
    return "\n".join(r for r in rows if r.strip(" |"))


def read_docx(path: Path, limits: ReadLimits) -> RawDocument:
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            if total > min(50 * limits.max_bytes, 500 * 1024 * 1024):
                raise ReadError("too_large", f"expands to {total / 1e6:.0f} MB (zip bomb?)")
    except zipfile.BadZipFile as exc:
        raise ReadError("damaged", f"not a valid DOCX (zip): {exc}") from exc
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001
        raise ReadError("damaged", f"DOCX cannot be opened: {type(exc).__name__}: {exc}") from exc
    parts: list[str] = []
    headings: list[tuple[int, str]] = []
    pos = 0
    for block in _blocks(document.element.body):
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, document)
            text = para.text.strip()
            if not text:
                continue
            if _is_heading(para):
                headings.append((pos, text))
        else:
            text = _table_text(Table(block, document))
            if not text:
                continue
        parts.append(text)
        pos += len(text) + 2
    props = document.core_properties
    created = props.created.date().isoformat() if props.created else None
    if created == "2013-12-23":  # python-docx's template date, not the document's
        created = None
    return RawDocument(
        str(path),
        "docx",
        (Page(None, "\n\n".join(parts), tuple(headings)),),
        title=props.title or None,
        author=props.author or None,
        date=created,
    )
