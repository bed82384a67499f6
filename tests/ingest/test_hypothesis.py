"""Property-based tests: chunking and readers on random and malformed input."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import chunk_document
from ingest.readers import read_file
from ingest.types import Page, RawDocument, ReadError

WORD = re.compile(r"\S+")
text_st = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=3000
)


def fixed_lang(texts):  # type: ignore[no-untyped-def]
    return ["es"] * len(texts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=st.lists(text_st, min_size=1, max_size=4), paged=st.booleans())
def test_chunking_never_crashes_and_keeps_spans(pages: list[str], paged: bool) -> None:
    doc = RawDocument(
        "x", "pdf" if paged else "text", tuple(Page(i + 1 if paged else None, t) for i, t in enumerate(pages))
    )
    chunks = chunk_document(doc, detect_lang=fixed_lang)
    text = doc.text
    for c in chunks:
        assert 0 <= c.char_start < c.char_end <= len(text)
        assert text[c.char_start : c.char_end] == c.text
        assert len(WORD.findall(c.text)) <= 220 + 220  # a window never exceeds max words plus one overlap
        if paged:
            assert c.page_start is not None and 1 <= c.page_start <= c.page_end <= len(pages)
    # every word of the input is in some chunk, in order
    covered = sorted({(m.start(), m.end()) for c in chunks for m in WORD.finditer(text, c.char_start, c.char_end)})
    assert [m.span() for m in WORD.finditer(text)] == covered


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=0, max_size=4000), suffix=st.sampled_from([".pdf", ".docx", ".html", ".md", ".txt", ""]))
def test_random_bytes_only_ever_raise_read_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"random{suffix}"
        path.write_bytes(data)
        try:
            doc = read_file(path)
        except ReadError as exc:
            assert exc.code in ("unsupported", "damaged", "encrypted", "empty", "no_text", "too_large")
        else:
            assert doc.pages


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.from_regex(r"[A-Za-zÁÉÍÓÚáéíóúñçãõ]{2,12}", fullmatch=True), min_size=1, max_size=200),
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]),
)
def test_text_files_round_trip_their_words(words: list[str], encoding: str) -> None:
    text = " ".join(words)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "note.txt"
        path.write_bytes(text.encode(encoding))
        doc = read_file(path)
        assert doc.text.split() == text.split()
