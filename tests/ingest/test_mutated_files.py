"""Mutated real PDF and DOCX files, read through the sandbox: a document or a reasoned skip, never anything else.

Random bytes rarely get past content sniffing, so these start from valid files (generated in code
and from the bundled corpus) and keep their header: bytes flipped, the file truncated, a span of
the file copied over another. For DOCX the same mutations also go inside ``word/document.xml``,
re-zipped into a valid package, so that python-docx and lxml see them and not only the zip layer.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ingest.readers import ReadLimits
from ingest.sandbox import read_isolated
from ingest.types import SKIP_REASONS, RawDocument, ReadError
from tests.helpers import ROOT, sample_docx_bytes

CORPUS = ROOT / "corpus" / "documents"
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: an unchanged header: the sniffer sends the file to the parser under test
HEADER = {"pdf": len(b"%PDF-1.4"), "docx": len(b"PK\x03\x04")}

# (kind, offset, value, length): offsets wrap around the mutable part of the file
Mutations = list[tuple[str, int, int, int]]
MUTATION = st.tuples(
    st.sampled_from(["flip", "truncate", "splice"]),
    st.integers(0, 2**31),
    st.integers(0, 2**31),
    st.integers(1, 512),
)


@lru_cache(maxsize=1)
def small_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    c.setTitle("Acta de Rumichaca")
    for page in range(2):
        c.drawString(72, 720, f"Acta {page + 1} de la reunión sobre el paso fronterizo de Rumichaca.")
        c.drawString(72, 700, "La Policía Nacional y Migración Colombia acordaron patrullajes conjuntos.")
        c.showPage()
    c.save()
    return out.getvalue()


@lru_cache(maxsize=1)
def small_docx() -> bytes:
    return sample_docx_bytes()


def corpus_file(name: str) -> bytes:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not in this checkout")
    return path.read_bytes()


def mutate(data: bytes, mutations: Mutations, keep: int) -> bytes:
    """Apply mutations to ``data`` outside its first ``keep`` bytes."""
    buf = bytearray(data)
    for kind, a, b, n in mutations:
        room = len(buf) - keep
        if room <= 1:
            break
        at = keep + a % room
        if kind == "flip":
            buf[at] ^= 1 + b % 255
        elif kind == "truncate":
            del buf[max(at, keep + 1) :]
        else:  # splice: a span of the file copied over another place
            src = keep + b % room
            buf[at : at + n] = buf[src : src + n]
    return bytes(buf)


def rezip_with(data: bytes, part: str, mutations: Mutations) -> bytes:
    """The same package with ``part`` mutated and the zip rebuilt valid around it."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            content = src.read(info)
            zf.writestr(info.filename, mutate(content, mutations, 0) if info.filename == part else content)
    return out.getvalue()


def read_through_sandbox(data: bytes, name: str, ocr: bool) -> RawDocument | ReadError:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        try:
            doc = read_isolated(path, ReadLimits(timeout_s=60, ocr=ocr))
        except ReadError as exc:
            assert exc.code in SKIP_REASONS and exc.message, exc
            assert exc.code != "timeout", f"a mutated small file hung the parser: {exc}"
            event(f"{exc.code}: {exc.message[:40]}")  # --hypothesis-show-statistics: which parsers were reached
            return exc
    assert isinstance(doc, RawDocument) and doc.pages and doc.text.strip()
    event("read")
    return doc


@pytest.mark.timeout(600)
@FEW
@given(
    source=st.sampled_from(["generated", "core-fr-note-controles-juxtaposes.pdf"]),
    mutations=st.lists(MUTATION, min_size=1, max_size=6),
    ocr=st.booleans(),
)
def test_a_mutated_pdf_is_read_or_skipped_with_a_reason(source: str, mutations: Mutations, ocr: bool) -> None:
    data = small_pdf() if source == "generated" else corpus_file(source)
    mutated = mutate(data, mutations, HEADER["pdf"])
    assert mutated.startswith(b"%PDF-")
    read_through_sandbox(mutated, "mutado.pdf", ocr)


@pytest.mark.timeout(600)
@FEW
@given(
    source=st.sampled_from(["generated", "core-en-visit-rumichaca-2024.docx"]),
    layer=st.sampled_from(["zip", "word/document.xml", "word/styles.xml", "docProps/core.xml"]),
    mutations=st.lists(MUTATION, min_size=1, max_size=6),
)
def test_a_mutated_docx_is_read_or_skipped_with_a_reason(source: str, layer: str, mutations: Mutations) -> None:
    data = small_docx() if source == "generated" else corpus_file(source)
    mutated = mutate(data, mutations, HEADER["docx"]) if layer == "zip" else rezip_with(data, layer, mutations)
    assert mutated.startswith(b"PK\x03\x04")
    read_through_sandbox(mutated, "mutado.docx", ocr=False)
