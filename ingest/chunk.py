"""Sentence-aware chunking that keeps provenance: page(s), character span and section heading.

Chunks are windows of whole sentences (about ``target_words``, never more than ``max_words``)
that do not mix sections, do not cross pages unless a tail is tiny, and overlap by one sentence
so that a fact cut at a boundary is still found. ``chunk.text`` is exactly
``doc.text[chunk.char_start:chunk.char_end]`` (not a normalised copy: whitespace, line breaks
and the page joiner inside a chunk are kept as they are).

The embedder truncates at 512 tokens, so there are two hard caps: ``max_words`` words and
``CHARS_PER_WORD * max_words`` characters. The character cap matters for text without spaces
(URLs, base64, CJK) where one "word" could otherwise fill the whole window. A sentence longer
than a cap is the only thing ever cut, at word boundaries (inside a word only if that word
alone is over the character cap).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.sentences import is_heading_line, split_spans
from ingest.types import PAGE_JOINER, Chunk, RawDocument

WORD = re.compile(r"\S+")
TINY = 40  # words: a tail this short joins the previous chunk of its section
CHARS_PER_WORD = 7  # 220 words -> 1540 characters: ~3.6 characters a token in Spanish, ~430 at worst
# a line ending in one of these continues on the next line: it is not a heading
_FUNCTION_WORDS = frozenset(
    "de del la las el los y e o en a al con por para que un una the of and or to in for with on at by "
    "an et ou des du le les au aux un une dans pour sur da do das dos em no na nos nas com um uma".split()
)


class TooManyChunks(ValueError):
    """A document cuts into more chunks than the caller allows (raised before language detection)."""

    def __init__(self, chunks: int, limit: int) -> None:
        super().__init__(f"{chunks} chunks, limit {limit}")
        self.chunks = chunks
        self.limit = limit


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int  # offsets into the document text
    end: int
    words: int
    page: int | None
    section: int  # index of the section the unit belongs to
    heading: str | None
    is_heading: bool
    piece: bool = False  # part of a sentence cut for length: never repeated as overlap


def _guess_headings(text: str, continues: bool) -> list[tuple[int, str]]:
    """Short stand-alone lines that look like headings (for pages the reader gave none).

    ``continues`` says the previous page ended mid-sentence, so this page's first line is the
    rest of that sentence, not a title. A line is also no heading when it ends in a function
    word or the next line goes on in lower case: both mean a wrapped sentence.
    """
    out = []
    lines = list(re.finditer(r"^[^\n]+$", text, re.MULTILINE))
    width = max((len(m.group(0).rstrip()) for m in lines), default=0)
    for i, m in enumerate(lines):
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
        if m.start() == 0 and continues:
            continue
        if re.match(r"^(?:\d{1,3}[.)]|[a-z][.)]|[-•*–])\s", line):
            continue  # a list item, not a heading
        if words[-1].lower() in _FUNCTION_WORDS:
            continue
        nxt = lines[i + 1].group(0).lstrip() if i + 1 < len(lines) else ""
        runs_on = bool(nxt) and lines[i + 1].start() == m.end() + 1
        if runs_on and (nxt[0].islower() or _wrapped(line, nxt, width)):
            continue
        if line[0].isupper() or re.match(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]+\.)\s+\w", line):
            out.append((m.start(), line.rstrip(":")))
    return out


def _wrapped(line: str, nxt: str, width: int) -> bool:
    """A line as long as the page's lines get, run straight into the next one, is the first line of a
    hard-wrapped paragraph (plain text wrapped at ~75 columns), whatever case the next line starts
    with ("... et la Superintendencia / Nacional de Migraciones ..."). A setext underline is no text."""
    return len(line) >= max(40, 0.8 * width) and any(c.isalnum() for c in nxt)


def _breaks(text: str, heads: Sequence[tuple[int, str]]) -> list[int]:
    """A heading starts a sentence, and its line ends one: it must not run into either neighbour."""
    out = []
    for off, _ in heads:
        if 0 <= off < len(text):
            out.append(off)
            eol = text.find("\n", off)
            if eol != -1:
                out.append(eol)
    return out


def _units(doc: RawDocument) -> list[_Unit]:
    units: list[_Unit] = []
    offset = 0
    section = 0
    heading: str | None = None
    continues = False
    for page in doc.pages:
        text = page.text
        heads = list(page.headings) if page.headings else _guess_headings(text, continues)
        head_at = {off: title for off, title in heads if 0 <= off < len(text)}
        bounds = sorted(head_at)
        last_end = 0
        for s, e in split_spans(text, breaks=_breaks(text, heads)):
            # a heading at or just before this span (its offset may sit on leading blanks)
            starting = [b for b in bounds if last_end <= b < e]
            last_end = e
            title = head_at[starting[-1]] if starting else ""
            is_heading = bool(starting) and (e - s) <= len(title) + 12
            # a heading's underline or rule ("=====", "-----") belongs to it, not to the text after
            if not starting and units and units[-1].is_heading and not any(c.isalnum() for c in text[s:e]):
                is_heading = True
            if starting:
                section += 1
                heading = title
            units.append(
                _Unit(offset + s, offset + e, len(WORD.findall(text, s, e)), page.number, section, heading, is_heading)
            )
        tail = text.rstrip()
        continues = (
            bool(tail)
            and not tail.endswith((".", "!", "?", ":", "…", '"', "»", "”", ")"))
            and not (is_heading_line(tail.rsplit("\n", 1)[-1]))
        )
        offset += len(text) + len(PAGE_JOINER)
    return units


def _split_long(unit: _Unit, text: str, max_words: int, max_chars: int) -> list[_Unit]:
    """Cut an over-long sentence at word boundaries (and a monster word at character boundaries)."""
    spans: list[tuple[int, int]] = []
    for m in WORD.finditer(text, unit.start, unit.end):
        spans.extend((a, min(a + max_chars, m.end())) for a in range(m.start(), m.end(), max_chars))
    out: list[list[tuple[int, int]]] = [[]]
    for a, b in spans:
        cur = out[-1]
        if cur and (len(cur) >= max_words or b - cur[0][0] > max_chars):
            out.append([])
        out[-1].append((a, b))
    return [
        _Unit(p[0][0], p[-1][1], len(p), unit.page, unit.section, unit.heading, False, piece=True) for p in out if p
    ]


def chunk_document(
    doc: RawDocument,
    *,
    target_words: int = 160,
    max_words: int = 220,
    overlap_sentences: int = 1,
    detect_lang: Callable[[Sequence[str]], list[str]] | None = None,
    max_chunks: int | None = None,
) -> tuple[Chunk, ...]:
    """Cut a document into sentence-aligned, provenance-keeping chunks.

    Args:
        doc: the reader's output; spans point into ``doc.text``.
        target_words: a window closes once it holds this many words.
        max_words: hard cap (the character cap is ``CHARS_PER_WORD`` times this).
        overlap_sentences: sentences repeated at the start of the next window of a section.
        detect_lang: batch language detector; defaults to :func:`ingest.language.detect_many`.
            Chunks it cannot tell ("und") take the document's majority language.
        max_chunks: the most chunks a caller will take from one document; checked before the
            language detection, the costliest step here, so an oversized document fails fast.

    Returns:
        Chunks in document order, ordinals from 0.

    Raises:
        TooManyChunks: the document makes more than ``max_chunks`` chunks.
    """
    text = doc.text
    max_chars = max_words * CHARS_PER_WORD
    units: list[_Unit] = []
    for u in _units(doc):
        too_long = u.words > max_words or u.end - u.start > max_chars
        units.extend(_split_long(u, text, max_words, max_chars) if too_long else [u])
    groups = _windows(units, target_words, max_words, max_chars, overlap_sentences)
    final = _join_lone_headings(_merge_tiny_tails(groups, max_words, max_chars), max_words, max_chars)
    if max_chunks is not None and len(final) > max_chunks:
        raise TooManyChunks(len(final), max_chunks)
    texts = [text[g[0].start : g[-1].end] for g in final]
    langs = (detect_lang or _default_detect)(texts) if texts else []
    majority = _majority(langs, texts)
    return tuple(
        _chunk(i, g, t, _settle(lang, len(WORD.findall(t)), majority))
        for i, (g, t, lang) in enumerate(zip(final, texts, langs, strict=True))
    )


def _words(group: Sequence[_Unit]) -> int:
    return sum(u.words for u in group)


def _windows(
    units: Sequence[_Unit], target_words: int, max_words: int, max_chars: int, overlap_sentences: int
) -> list[list[_Unit]]:
    """Units gathered into windows: a window closes at a section or page boundary, when the next
    unit would not fit, or once it holds ``target_words``; the next window of the same section
    starts with the last ``overlap_sentences`` sentences again when they fit.
    """

    def fits(group: Sequence[_Unit], extra: _Unit) -> bool:
        return _words(group) + extra.words <= max_words and extra.end - group[0].start <= max_chars

    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    for u in units:
        if current:
            boundary = u.section != current[-1].section or u.page != current[-1].page
            if boundary or not fits(current, u) or _words(current) >= target_words:
                groups.append(current)
                prev, current = current, []
                if not boundary and overlap_sentences and len(prev) > overlap_sentences:
                    carry = [x for x in prev[-overlap_sentences:] if not (x.is_heading or x.piece)]
                    if carry and fits(carry, u):
                        current = carry
        current.append(u)
    if current:
        groups.append(current)
    return groups


def _merge_tiny_tails(groups: Sequence[list[_Unit]], max_words: int, max_chars: int) -> list[list[_Unit]]:
    """Tiny tails join the previous window of the same section (even across a page break)."""
    merged: list[list[_Unit]] = []
    for g in groups:
        new = [u for u in g if not merged or u.start >= merged[-1][-1].end]
        if (
            merged
            and _words(new) < TINY
            and merged[-1][-1].section == g[0].section
            and not all(u.is_heading for u in merged[-1])
            and _words(merged[-1]) + _words(new) <= max_words
            and g[-1].end - merged[-1][0].start <= max_chars
        ):
            merged[-1] = merged[-1] + new
        else:
            merged.append(g)
    return merged


def _join_lone_headings(groups: Sequence[list[_Unit]], max_words: int, max_chars: int) -> list[list[_Unit]]:
    """A window of headings only joins the text that follows it, or at the end the text before it (when
    that fits)."""
    final: list[list[_Unit]] = []
    for g in groups:
        lone = final and all(u.is_heading for u in final[-1])
        if lone and _words(final[-1]) + _words(g) <= max_words and g[-1].end - final[-1][0].start <= max_chars:
            final[-1] = final[-1] + g
        else:
            final.append(g)
    # Headings-only at the very end have no text to join: a signature's role line ("L'attaché de sécurité
    # intérieure adjoint") or an empty last section. Alone, such a chunk of a few words sits near every
    # query in embedding space and took first places from real passages; it closes the chunk before it.
    if len(final) > 1 and all(u.is_heading for u in final[-1]):
        last, before = final[-1], final[-2]
        if _words(before) + _words(last) <= max_words and last[-1].end - before[0].start <= max_chars:
            final[-2:] = [before + last]
    return final


def _chunk(ordinal: int, group: Sequence[_Unit], text: str, lang: str) -> Chunk:
    pages = [u.page for u in group if u.page is not None]
    return Chunk(
        ordinal,
        text,
        group[0].start,
        group[-1].end,
        min(pages) if pages else None,
        max(pages) if pages else None,
        _heading(group),
        lang,
    )


def _heading(group: Sequence[_Unit]) -> str | None:
    """The section of the chunk's text: a chunk that opens with headings is under the last of them
    (its text's section), and trailing headings (a signature line joined at the end) do not count."""
    if not group[0].is_heading:
        return group[0].heading
    return next((u.heading for u in reversed(group) if not u.is_heading), group[-1].heading)


def _default_detect(texts: Sequence[str]) -> list[str]:
    from ingest.language import detect_many

    return detect_many(texts)


def _settle(lang: str, n_words: int, majority: str) -> str:
    """A chunk's language, corrected by the document's where the detector had too little to go on.

    "und" takes the majority; so does a short chunk called something outside the working
    languages (a table of names comes out Italian), while a real paragraph in German keeps "de".
    """
    from ingest.language import LANGS

    if lang == "und" or (lang not in LANGS and n_words < 2 * TINY and majority in LANGS):
        return majority
    return lang


def _majority(langs: Sequence[str], texts: Sequence[str]) -> str:
    from ingest.language import document_language

    return document_language(list(langs), [len(t) for t in texts])
