"""Property tests for the readers: hostile bytes only ever give a ReadError; text keeps its words."""

from __future__ import annotations

import io
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.readers import read_file, sniff
from ingest.types import SKIP_REASONS, ReadError

SUFFIXES = [".pdf", ".docx", ".html", ".htm", ".md", ".txt", ".csv", ""]
FORMATS = {"pdf", "docx", "html", "markdown", "text", None}
# letters every encoding under test can carry (cp1252 has no ő, no Greek)
WORD = st.from_regex(r"[A-Za-zÁÉÍÓÚÜáéíóúüñÑçÇãõâêôàèœ]{1,14}", fullmatch=True)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_bytes(data: bytes, name: str) -> object:
    """read_file on a temporary file; returns the document or the ReadError, re-raising anything else."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        assert sniff(path) in FORMATS
        try:
            return read_file(path)
        except ReadError as exc:
            assert exc.code in SKIP_REASONS and exc.message
            return exc


@pytest.mark.timeout(300)
@FAST
@given(data=st.binary(min_size=0, max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_only_ever_raise_read_error(data: bytes, suffix: str) -> None:
    read_bytes(data, f"random{suffix}")


@pytest.mark.timeout(300)
@FAST
@given(data=st.binary(max_size=2000), magic=st.sampled_from([b"%PDF-1.7\n", b"PK\x03\x04", b"<html>", b"\xff\xfe"]))
def test_a_valid_looking_header_on_garbage_is_a_read_error(data: bytes, magic: bytes) -> None:
    read_bytes(magic + data, "disguised.bin")


@lru_cache(maxsize=1)
def small_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1, pageCompression=0)
    c.drawString(72, 720, "Acta de la reunión sobre el paso fronterizo de Rumichaca.")
    c.showPage()
    c.save()
    return out.getvalue()


@pytest.mark.timeout(300)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=8)), min_size=1, max_size=6))
def test_a_mutated_pdf_is_read_or_refused_with_a_reason(cuts: list[tuple[int, bytes]]) -> None:
    data = bytearray(small_pdf())
    for at, junk in cuts:
        at %= len(data)
        data[at : at + len(junk)] = junk
    read_bytes(bytes(data), "mutado.pdf")


@FAST
@given(
    paragraphs=st.lists(st.lists(WORD, min_size=1, max_size=30), min_size=1, max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_text_files_round_trip_their_words(paragraphs: list[list[str]], encoding: str, newline: str) -> None:
    text = (newline * 2).join(" ".join(words) for words in paragraphs)
    doc = read_bytes(text.encode(encoding), "nota.txt")
    assert not isinstance(doc, ReadError), doc
    assert doc.text.split() == text.split()  # type: ignore[attr-defined]


@FAST
@given(sections=st.lists(st.tuples(st.lists(WORD, min_size=1, max_size=5), st.lists(WORD, max_size=40)), min_size=1))
def test_markdown_keeps_words_and_points_headings_at_their_titles(sections: list[tuple[list[str], list[str]]]) -> None:
    source = "\n\n".join(f"## {' '.join(title)}\n\n{' '.join(body)}" for title, body in sections)
    doc = read_bytes(source.encode("utf-8"), "notas.md")
    assert not isinstance(doc, ReadError), doc
    [page] = doc.pages  # type: ignore[attr-defined]
    assert page.text.split() == re.sub(r"^## ", "", source, flags=re.M).split()
    assert [t for _, t in page.headings] == [" ".join(title) for title, _ in sections]
    assert all(page.text[o : o + len(t)] == t for o, t in page.headings)
