"""DOCX: paragraphs and tables in body order, headings recorded, core properties as metadata.

A DOCX is a ZIP of XML parts that python-docx parses whole into memory, and then kb walks the body
paragraph by paragraph in Python. Both costs are bounded before the walk, so a small crafted file
(a "zip bomb" of repetitive XML) is refused as ``too_large`` in a fraction of a second instead of
parsing for minutes: see :data:`MAX_XML_MB`, :data:`MAX_XML_ELEMENTS` and :data:`MAX_PARAGRAPHS` for
how the figures were chosen.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn

from ingest.readers.limits import ReadLimits
from ingest.types import Page, RawDocument, ReadError

HEADING_STYLES = ("heading", "título", "titulo", "titre", "title", "überschrift")
#: Uncompressed XML (the parts lxml parses whole). The bundled corpus's DOCX files hold under 1 MB;
#: Word writes about 1-2 KB of XML per paragraph, so 64 MB is some 40,000 paragraphs of real text
#: (thousands of pages). Text-heavy XML costs a few times its size to parse: a few hundred MB here.
MAX_XML_MB = 64
#: Paragraphs, table cells' included: each costs Python work. Real documents of a thousand pages
#: have ~20,000; measured, 200,000 one-word paragraphs read in ~7 s CPU with ~145 MB resident.
MAX_PARAGRAPHS = 200_000
#: XML elements over all parts, counted by streaming before the parse: lxml holds ~140 bytes per
#: element (measured: 10 million empty paragraphs, 60 MB of XML, took 1.4 GB), so 2 million bound
#: the tree to ~300 MB. Word writes 10-30 elements per paragraph: 2 million is ~100,000 paragraphs.
MAX_XML_ELEMENTS = 2_000_000
_XML_SUFFIXES = (".xml", ".rels")


def _blocks(parent: Any) -> Iterator[Any]:
    """Paragraphs and tables in body order, looking inside content controls (``w:sdt``)."""
    for child in parent.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in ("p", "tbl"):
            yield child
        elif tag in ("sdt", "sdtContent", "customXml"):
            yield from _blocks(child)


def _outline_heading(ppr: Any) -> bool | None:
    """True/False when the paragraph properties set an outline level, None when they do not."""
    lvl = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
    if lvl is None:
        return None
    val = str(lvl.get(qn("w:val"), "9"))
    return val.isdigit() and int(val) < 9


def _style_heading(style: Any) -> bool:
    """A heading style by name in kb's languages, or by an outline level on it or a base style."""
    name = ((style.name if style is not None else "") or "").lower()
    if name.startswith(HEADING_STYLES):
        return True
    seen = 0
    while style is not None and seen < 20:  # base styles can form a cycle in hand-made files
        found = _outline_heading(style.element.pPr)
        if found is not None:
            return found
        style, seen = style.base_style, seen + 1
    return False


def _heading_test(document: Any) -> Callable[[Any], bool]:
    """``is_heading(paragraph)``, resolving each style once.

    python-docx looks a style up by scanning every style of the document on each access (about
    3 ms per paragraph with Word's ~160 built-in styles): per paragraph, that made a DOCX of
    20,000 one-word paragraphs take over 13 s, and the issue's 32 MB file over five minutes.
    """
    from docx.enum.style import WD_STYLE_TYPE

    by_style: dict[str | None, bool] = {}

    def is_heading(para: Any) -> bool:
        own = _outline_heading(para._p.pPr)
        if own is not None:
            return own
        style_id = para._p.style
        if style_id not in by_style:
            by_style[style_id] = _style_heading(document.part.get_style(style_id, WD_STYLE_TYPE.PARAGRAPH))
        return by_style[style_id]

    return is_heading


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


def _check_sizes(path: Path, limits: ReadLimits) -> None:
    """Refuse a package that expands too far before python-docx loads it (it reads every part whole)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > limits.max_bytes:
                raise ReadError(
                    "too_large",
                    f"expands to {total / 1e6:.0f} MB, over the {limits.max_bytes / 1e6:.0f} MB limit (zip bomb?)",
                )
            xml = [i for i in infos if i.filename.lower().endswith(_XML_SUFFIXES)]
            size = sum(i.file_size for i in xml)
            if size > MAX_XML_MB * 1024 * 1024:
                raise ReadError(
                    "too_large", f"{size / 1e6:.0f} MB of XML, over the {MAX_XML_MB} MB limit for a DOCX (zip bomb?)"
                )
            elements = sum(_count_elements(zf, i) for i in xml)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ReadError("damaged", f"not a valid DOCX (zip): {exc}") from exc
    if elements > MAX_XML_ELEMENTS:
        raise ReadError(
            "too_large", f"{elements:,} XML elements, over the {MAX_XML_ELEMENTS:,} limit for a DOCX (zip bomb?)"
        )


def _count_elements(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Start and empty tags of one part, streamed: what the parse would cost, without parsing."""
    count, last = 0, b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"<") - (last + chunk).count(b"</")  # a "</" split across chunks counts once
            last = chunk[-1:]
    return count


def read_docx(path: Path, limits: ReadLimits) -> RawDocument:
    _check_sizes(path, limits)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001
        raise ReadError("damaged", f"DOCX cannot be opened: {type(exc).__name__}: {exc}") from exc
    body = document.element.body
    paragraphs = int(body.xpath("count(.//w:p)"))  # counted in C, before any Python work per paragraph
    if paragraphs > MAX_PARAGRAPHS:
        raise ReadError("too_large", f"{paragraphs:,} paragraphs, over the {MAX_PARAGRAPHS:,} limit for a DOCX")
    is_heading = _heading_test(document)
    parts: list[str] = []
    headings: list[tuple[int, str]] = []
    pos = 0
    for block in _blocks(body):
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, document)
            text = para.text.strip()
            if not text:
                continue
            if is_heading(para):
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
