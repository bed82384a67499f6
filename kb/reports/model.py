"""The shapes of extractive reports (visit brief, practice comparison, clause alignment).

Every line carries a citation; quoted text is a verbatim sentence of the source, shown in its
original language. :mod:`kb.reports.render` writes them as Markdown or DOCX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Citation:
    doc_id: str
    title: str
    source: str
    page: int | None
    lang: str

    def label(self) -> str:
        name = Path(self.source).name
        return f"{name}, p. {self.page}" if self.page else name


@dataclass(frozen=True, slots=True)
class Line:
    """One statement of a report: a short text of ours, or a verbatim quote, always cited."""

    text: str
    citation: Citation | None
    quote: str | None = None  # verbatim sentence from the cited page
    lang: str | None = None  # language of the quote


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    lines: tuple[Line, ...]
    note: str | None = None  # shown when the section is empty or needs explaining


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    subtitle: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
