"""Writing reports (:mod:`kb.reports.model`) and search results out as Markdown and DOCX.

Markdown and DOCX exports render the same structure; in the Markdown export all text (titles,
names, quotes, file names) is ``md_literal``, so a document cannot put an image (a tracking
beacon), a link or HTML into it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from kb.reports.model import Report
from kb.types import SearchResult

# The characters that can open inline Markdown (code, emphasis, links and images, HTML, autolinks,
# entities, strikethrough, table cells, math, headings), and what opens a block where the text
# starts a list item or a quote (a list marker).
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]<>!~|$&#])")  # "#" also closes a heading
_BLOCK_START = re.compile(r"^(?=[+-])|^(\d+)(?=[.)])")


def md_literal(value: object) -> str:
    """Text for a Markdown *file* (the exports): inline syntax backslash-escaped, on one line.

    A downloaded export is opened in other Markdown viewers, so document text in it must not
    become an image, a link or HTML there; dates and punctuation that Markdown cannot read as
    syntax stay as they are, so the file remains readable.
    """
    text = _MD_PUNCTUATION.sub(r"\\\1", " ".join(("" if value is None else str(value)).split()))
    return _BLOCK_START.sub(lambda m: (m[1] or "") + "\\", text, count=1)


def to_markdown(report: Report) -> str:
    md = md_literal
    out = [f"# {md(report.title)}", "", f"_{md(report.subtitle)}_", ""]
    for section in report.sections:
        out += [f"## {md(section.title)}", ""]
        if not section.lines:
            out += [f"_{md(section.note or 'Nothing found in the knowledge base.')}_", ""]
            continue
        for line in section.lines:
            cite = f" [{md(line.citation.label())}]" if line.citation else ""
            out.append(f"- {md(line.text)}{cite}")
            if line.quote:
                out.append(f"  > “{md(line.quote)}” ({md(line.lang or '?')})")
        out.append("")
    return "\n".join(out)


def to_docx(report: Report, path: Path) -> Path:
    """A printable Word document: headings, bullets, quotes in italics, citations in grey."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10.5)
    doc.add_heading(report.title, level=0)
    doc.add_paragraph().add_run(report.subtitle).italic = True
    for section in report.sections:
        doc.add_heading(section.title, level=1)
        if not section.lines:
            doc.add_paragraph().add_run(section.note or "Nothing found in the knowledge base.").italic = True
            continue
        for line in section.lines:
            para = doc.add_paragraph(style="List Bullet")
            para.add_run(line.text)
            if line.citation:
                run = para.add_run(f"  [{line.citation.label()}]")
                run.font.size = Pt(9)
                run.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
            if line.quote:
                q = doc.add_paragraph()
                q.paragraph_format.left_indent = Pt(24)
                run = q.add_run(f"“{line.quote}” ({line.lang or '?'})")
                run.italic = True
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def results_markdown(query: str, results: Sequence[SearchResult]) -> str:
    """Search results as a Markdown list: title, type, language, date, citation, up to three snippets."""
    lines = [f"# Search: {md_literal(query)}", ""]
    for i, r in enumerate(results, 1):
        h = r.best
        where = f"{Path(h.source).name}, p. {h.page}" if h.page else Path(h.source).name
        meta = md_literal(f"({h.doc_type}, {h.lang}, {h.date or 'undated'})")
        lines += [f"{i}. **{md_literal(h.title)}** {meta} — \\[{md_literal(where)}\\]"]
        lines += [f"   > {md_literal(p.snippet)}" for p in r.hits[:3]]
        lines.append("")
    return "\n".join(lines)
