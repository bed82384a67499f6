"""DOCX and PDF back ends of ``render.py``.

Kept apart from the parser so that ``render.py`` imports reportlab and python-docx only when a
document of that format is rendered.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
PAGE_WORD = {"es": "Página", "pt": "Página", "en": "Page", "fr": "Page"}
DEFAULT_AUTHOR = {
    "es": "Programa EUROFRONT",
    "pt": "Programa EUROFRONT",
    "en": "EUROFRONT programme",
    "fr": "Programme EUROFRONT",
}


def _when(src: Any) -> datetime:
    return datetime.strptime(src.date, "%Y-%m-%d").replace(hour=9, tzinfo=UTC)


def _author(src: Any) -> str:
    return src.author or DEFAULT_AUTHOR.get(src.language, "EUROFRONT")


# --------------------------------------------------------------------------- DOCX


def _add_runs(paragraph: Any, text: str) -> None:
    """Add ``text`` to a python-docx paragraph, honouring ``**bold**`` and ``*italic*``."""
    import re

    for part in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text):
        if not part:
            continue
        if part.startswith("**"):
            paragraph.add_run(part[2:-2]).bold = True
        elif part.startswith("*") and len(part) > 1:
            paragraph.add_run(part[1:-1]).italic = True
        else:
            paragraph.add_run(part)


def _stable_zip(data: bytes, when: datetime) -> bytes:
    """Rewrite a ZIP with fixed member timestamps so the DOCX bytes are reproducible."""
    stamp = when.timetuple()[:6]
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build_docx(src: Any, blocks: list[tuple]) -> bytes:
    """Build a DOCX: Heading 1-3 styles, Word tables with a bold header row, list paragraphs."""
    from docx import Document
    from docx.shared import Pt
    from render_markup import plain

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            doc.add_heading(plain(block[2]), level=min(block[1], 3))
        elif kind == "para":
            _add_runs(doc.add_paragraph(), block[1])
        elif kind == "olist":
            # Literal numbers: Word auto-numbering is invisible to text extraction and would run on
            # across separate lists.
            for num, text in block[1]:
                _add_runs(doc.add_paragraph(style="List Paragraph"), f"{num}. {text}")
        elif kind == "ulist":
            for text in block[1]:
                _add_runs(doc.add_paragraph(style="List Bullet"), text)
        elif kind == "table":
            rows = block[1]
            ncols = max(len(r) for r in rows)
            table = doc.add_table(rows=len(rows), cols=ncols)
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c in range(ncols):
                    cell = table.cell(r, c)
                    cell.text = ""
                    para = cell.paragraphs[0]
                    text = row[c] if c < len(row) else ""
                    if r == 0:
                        para.add_run(plain(text)).bold = True
                    else:
                        _add_runs(para, text)
            doc.add_paragraph()
        elif kind == "pagebreak":
            doc.add_page_break()
    when = _when(src)
    props = doc.core_properties
    props.title = src.title
    props.author = _author(src)
    props.last_modified_by = _author(src)
    props.created = when.replace(tzinfo=None)
    props.modified = when.replace(tzinfo=None)
    props.last_printed = when.replace(tzinfo=None)
    props.revision = 1
    props.language = src.language
    props.subject = src.type
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue(), when)


# --------------------------------------------------------------------------- PDF


def _register_fonts() -> None:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSerif" in pdfmetrics.getRegisteredFontNames():
        return
    for name in ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSans", "DejaVuSans-Bold"):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    addMapping("DejaVuSerif", 0, 0, "DejaVuSerif")
    addMapping("DejaVuSerif", 1, 0, "DejaVuSerif-Bold")
    addMapping("DejaVuSerif", 0, 1, "DejaVuSerif-Italic")
    addMapping("DejaVuSerif", 1, 1, "DejaVuSerif-Bold")
    addMapping("DejaVuSans", 0, 0, "DejaVuSans")
    addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    addMapping("DejaVuSans", 0, 1, "DejaVuSans")
    addMapping("DejaVuSans", 1, 1, "DejaVuSans-Bold")


def _styles(columns: int) -> dict[str | int, Any]:
    from reportlab.lib.styles import ParagraphStyle

    size = 10 if columns == 1 else 9
    body = ParagraphStyle("body", fontName="DejaVuSerif", fontSize=size, leading=size * 1.4, spaceAfter=5)
    head = {"fontName": "DejaVuSans-Bold", "spaceBefore": 8, "spaceAfter": 4, "keepWithNext": 1}
    return {
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=size - 1, leading=(size - 1) * 1.3, spaceAfter=0),
        "item": ParagraphStyle("item", parent=body, leftIndent=16, bulletIndent=4),
        1: ParagraphStyle("h1", fontSize=16 if columns == 1 else 15, leading=20, **head),
        2: ParagraphStyle("h2", fontSize=12.5, leading=16, **head),
        3: ParagraphStyle("h3", fontSize=11, leading=14, **head),
    }


def _flowables(blocks: list[tuple], styles: dict[str | int, Any], width: float) -> list[Any]:
    from render_markup import inline_markup
    from reportlab.lib import colors
    from reportlab.platypus import PageBreak, Paragraph, Table, TableStyle

    def para(text: str, style: Any, bullet: str | None = None) -> Any:
        return Paragraph(inline_markup(text, ("<b>", "</b>"), ("<i>", "</i>")), style, bulletText=bullet)

    story: list[Any] = []
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            story.append(para(block[2], styles[min(block[1], 3)]))
        elif kind == "para":
            story.append(para(block[1], styles["body"]))
        elif kind == "olist":
            story += [para(text, styles["item"], f"{num}.") for num, text in block[1]]
        elif kind == "ulist":
            story += [para(text, styles["item"], "•") for text in block[1]]
        elif kind == "table":
            rows = block[1]
            ncols = max(len(r) for r in rows)
            data = [
                [para(_cell(r, c, header=i == 0), styles["cell"]) for c in range(ncols)] for i, r in enumerate(rows)
            ]
            table = Table(data, colWidths=[width / ncols] * ncols, repeatRows=1, hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(table)
            story.append(Paragraph("", styles["body"]))
        elif kind == "pagebreak":
            story.append(PageBreak())
    return story


def _cell(row: list[str], col: int, header: bool) -> str:
    text = row[col] if col < len(row) else ""
    return f"**{text}**" if header and text and "*" not in text else text


def build_pdf(src: Any, blocks: list[tuple], columns: int = 1) -> bytes:
    """Build a text PDF on A4: bold headings, page-numbered footer, running header, metadata.

    ``SOURCE_DATE_EPOCH`` makes reportlab stamp the document's own date as CreationDate while
    invariant mode keeps the bytes identical from one run to the next.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import BaseDocTemplate, Frame, FrameBreak, NextPageTemplate, PageTemplate

    _register_fonts()
    styles = _styles(columns)
    width, height = A4
    margin, gap = 2.2 * cm, 0.7 * cm
    inner = width - 2 * margin
    author = _author(src)
    page_word = PAGE_WORD.get(src.language, "Page")

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("DejaVuSans", 7.5)
        canvas.drawString(margin, height - 1.4 * cm, author)
        canvas.drawRightString(width - margin, height - 1.4 * cm, src.date)
        canvas.line(margin, height - 1.55 * cm, width - margin, height - 1.55 * cm)
        canvas.drawCentredString(width / 2, 1.2 * cm, f"{page_word} {doc.page}")
        canvas.restoreState()

    top, bottom = height - 2.0 * cm, 2.0 * cm
    if columns == 1:
        templates = [PageTemplate("one", [Frame(margin, bottom, inner, top - bottom)], onPage=decorate)]
        story = _flowables(blocks, styles, inner)
    else:
        col = (inner - gap) / 2
        title_h = 3.2 * cm

        def cols(y_top: float) -> list[Any]:
            return [Frame(margin + i * (col + gap), bottom, col, y_top - bottom) for i in range(2)]

        first = [Frame(margin, top - title_h, inner, title_h), *cols(top - title_h)]
        templates = [
            PageTemplate("first", first, onPage=decorate),
            PageTemplate("later", cols(top), onPage=decorate),
        ]
        head = blocks[:1] if blocks and blocks[0][0] == "heading" else []
        story = [NextPageTemplate("later")]
        story += _flowables(head, styles, inner) + [FrameBreak()]
        story += _flowables(blocks[len(head) :], styles, col)

    buf = io.BytesIO()
    epoch = str(int(_when(src).timestamp()))
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        doc = BaseDocTemplate(
            buf,
            pagesize=A4,
            title=src.title,
            author=author,
            subject=src.type,
            creator="kb corpus renderer",
            invariant=1,
            lang=src.language,
        )
        doc.addPageTemplates(templates)
        doc.build(story)
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    return buf.getvalue()
