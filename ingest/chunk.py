"""Sentence-aware chunking that keeps provenance: page(s), character span and section heading.

Chunks are windows of whole sentences (about ``target_words``, never more than ``max_words``)
that do not mix sections, do not cross pages unless a tail is tiny, and overlap by one sentence
so that a fact cut at a boundary is still found. ``chunk.text`` is exactly
``doc.text[chunk.char_start:chunk.char_end]``. The hard cap keeps every chunk well under the
embedder's 512-token window (about 330 XLM-R tokens for 220 Spanish words).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.sentences import split_spans
from kb.types import PAGE_JOINER, Chunk, RawDocument

WORD = re.compile(r"\S+")
TINY = 40


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int  # offsets into the document text
    end: int
    words: int
    page: int | None
    section: int  # index of the section the unit belongs to
    heading: str | None
    is_heading: bool


def _guess_headings(text: str) -> list[tuple[int, str]]:
    """Short stand-alone lines that look like headings (for formats that do not mark them)."""
    out = []
    for m in re.finditer(r"^[^\n]+$", text, re.MULTILINE):
        line = m.group(0).strip()
        if not line:
            continue
        if line.startswith("#"):
            out.append((m.start(), line.lstrip("# ").strip()))
            continue
        words = line.split()
        starts_paragraph = m.start() == 0 or text[max(0, m.start() - 2) : m.start()] == "\n\n"
        if not starts_paragraph or len(words) > 12 or line.endswith((".", ",", ";")):
            continue
        if re.match(r"^(?:\d{1,3}[.)]|[a-z][.)]|[-•*–])\s", line):
            continue  # a list item, not a heading
        if line[0].isupper() or re.match(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]+\.)\s+\w", line):
            out.append((m.start(), line.rstrip(":")))
    return out


def _units(doc: RawDocument) -> list[_Unit]:
    units: list[_Unit] = []
    offset = 0
    section = 0
    heading: str | None = None
    for page in doc.pages:
        text = page.text
        heads = list(page.headings) if page.headings else _guess_headings(text)
        head_at = {off: title for off, title in heads}
        bounds = sorted(head_at)
        for s, e in split_spans(text):
            # a heading that starts inside or at this span opens a new section
            starting = [b for b in bounds if s <= b < e]
            is_heading = bool(starting) and starting[0] == s and (e - s) <= len(head_at[s]) + 12
            if starting:
                section += 1
                heading = head_at[starting[-1]]
            units.append(
                _Unit(offset + s, offset + e, len(WORD.findall(text[s:e])), page.number, section, heading, is_heading)
            )
        offset += len(text) + len(PAGE_JOINER)
    return units


def _split_long(unit: _Unit, text: str, max_words: int) -> list[_Unit]:
    words = list(WORD.finditer(text[unit.start : unit.end]))
    out = []
    for i in range(0, len(words), max_words):
        part = words[i : i + max_words]
        out.append(
            _Unit(
                unit.start + part[0].start(),
                unit.start + part[-1].end(),
                len(part),
                unit.page,
                unit.section,
                unit.heading,
                False,
            )
        )
    return out


def chunk_document(
    doc: RawDocument,
    *,
    target_words: int = 160,
    max_words: int = 220,
    overlap_sentences: int = 1,
    detect_lang: Callable[[Sequence[str]], list[str]] | None = None,
) -> tuple[Chunk, ...]:
    text = doc.text
    units: list[_Unit] = []
    for u in _units(doc):
        units.extend(_split_long(u, text, max_words) if u.words > max_words else [u])
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []

    def words(group: list[_Unit]) -> int:
        return sum(u.words for u in group)

    def close() -> None:
        nonlocal current
        if not current or all(u.is_heading for u in current):
            if current and groups and groups[-1][-1].section == current[0].section:
                groups[-1].extend(current)
            elif current:
                groups.append(current)
            current = []
            return
        groups.append(current)
        current = []

    for u in units:
        if current:
            boundary = u.section != current[-1].section or u.page != current[-1].page
            full = words(current) + u.words > max_words or words(current) >= target_words
            if boundary or full:
                prev = current
                close()
                if not boundary and overlap_sentences and len(prev) > overlap_sentences:
                    current = [x for x in prev[-overlap_sentences:] if not x.is_heading]
        current.append(u)
    close()
    # merge tiny tails into the previous chunk of the same section (even across a page break)
    merged: list[list[_Unit]] = []
    for g in groups:
        if (
            merged
            and words(g) < TINY
            and merged[-1][-1].section == g[0].section
            and words(merged[-1]) + words(g) <= max_words
        ):
            merged[-1] = merged[-1] + [u for u in g if u.start >= merged[-1][-1].end]
        else:
            merged.append(g)
    # headings-only groups followed by content: fold into the next group
    final: list[list[_Unit]] = []
    carry: list[_Unit] = []
    for g in merged:
        if all(u.is_heading for u in g):
            carry.extend(g)
            continue
        final.append(carry + g)  # a lone heading joins the text that follows it
        carry = []
    if carry:
        final.append(carry)
    texts = [text[g[0].start : g[-1].end] for g in final]
    langs = (detect_lang or _default_detect)(texts) if texts else []
    majority = _majority(langs, texts)
    chunks = []
    for i, (g, t, lang) in enumerate(zip(final, texts, langs, strict=True)):
        pages = [u.page for u in g if u.page is not None]
        chunks.append(
            Chunk(
                i,
                t,
                g[0].start,
                g[-1].end,
                min(pages) if pages else None,
                max(pages) if pages else None,
                g[-1].heading if g[0].is_heading else g[0].heading,
                lang if lang != "und" else majority,
            )
        )
    return tuple(chunks)


def _default_detect(texts: Sequence[str]) -> list[str]:
    from ingest.language import detect_many

    return detect_many(texts)


def _majority(langs: Sequence[str], texts: Sequence[str]) -> str:
    from ingest.language import document_language

    return document_language(list(langs), [len(t) for t in texts])
