"""Property tests: chunking never crashes on any text and never loses or reorders a word."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import CHARS_PER_WORD, chunk_document
from ingest.sentences import split_spans
from ingest.types import Page, RawDocument

WORD = re.compile(r"\S+")
MAX_WORDS = 60  # small caps so that short random texts still make several chunks

chars = st.characters(blacklist_categories=("Cs",))
pieces = st.one_of(
    st.text(alphabet=chars, max_size=200),
    st.sampled_from(["\n", "\n\n", "\n\n\n", " ", ". ", "Sr. ", "1. ", "- ", "# Título\n", "INFORME\n", "¿Qué? "]),
    st.builds(lambda n: "x" * n, st.integers(1, 900)),  # huge words
    st.builds(lambda n: "Palabra. " * n, st.integers(1, 80)),
)
page_text = st.lists(pieces, max_size=12).map("".join)


def headings_for(text: str, offsets: list[int]) -> tuple[tuple[int, str], ...]:
    return tuple((o % (len(text) + 1), "H") for o in sorted(offsets)) if text else ()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(page_text, min_size=1, max_size=4),
    heads=st.lists(st.lists(st.integers(0, 5000), max_size=3), min_size=4, max_size=4),
    paged=st.booleans(),
    overlap=st.integers(0, 2),
)
def test_chunks_are_valid_slices_covering_every_word_in_order(
    texts: list[str], heads: list[list[int]], paged: bool, overlap: int
) -> None:
    pages = tuple(Page(i + 1 if paged else None, t, headings_for(t, heads[i])) for i, t in enumerate(texts))
    doc = RawDocument("x.pdf", "pdf", pages)
    chunks = chunk_document(
        doc, target_words=40, max_words=MAX_WORDS, overlap_sentences=overlap, detect_lang=lambda ts: ["es"] * len(ts)
    )
    text = doc.text
    starts = [c.char_start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for i, c in enumerate(chunks):
        assert c.ordinal == i
        assert 0 <= c.char_start < c.char_end <= len(text)
        assert text[c.char_start : c.char_end] == c.text == c.text.strip()
        assert len(WORD.findall(c.text)) <= MAX_WORDS
        assert len(c.text) <= MAX_WORDS * CHARS_PER_WORD
        if paged:
            assert c.page_start is not None and c.page_end is not None
            assert 1 <= c.page_start <= c.page_end <= len(texts)
        else:
            assert c.page_start is None and c.page_end is None
    # every non-blank character lies in some chunk, and chunk ends move forward
    covered = [False] * len(text)
    for c in chunks:
        covered[c.char_start : c.char_end] = [True] * (c.char_end - c.char_start)
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())
    ends = [c.char_end for c in chunks]
    assert ends == sorted(ends)


@settings(max_examples=200, deadline=None)
@given(text=page_text, breaks=st.lists(st.integers(-5, 3000), max_size=5))
def test_sentence_spans_partition_the_text(text: str, breaks: list[int]) -> None:
    spans = split_spans(text, breaks=breaks)
    pos = 0
    for s, e in spans:
        assert pos <= s < e <= len(text)
        assert not text[pos:s].strip()  # only whitespace between sentences
        assert text[s:e] == text[s:e].strip()
        pos = e
    assert not text[pos:].strip()
