"""DOCX: paragraphs and tables in body order, headings recorded, core properties as metadata."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ingest.readers.registry import ReadLimits
from kb.types import Page, RawDocument, ReadError

HEADING_STYLES = ("heading", "título", "titulo", "titre", "title", "überschrift")


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
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, document)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            if style.lower().startswith(HEADING_STYLES):
                headings.append((pos, text))
        elif tag == "tbl":
            table = Table(block, document)
            rows = []
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = " ".join(cell.text.split())
                    if not cells or cells[-1] != t:  # merged cells repeat
                        cells.append(t)
                rows.append(" | ".join(cells))
            text = "\n".join(r for r in rows if r.strip(" |"))
            if not text:
                continue
        else:
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
