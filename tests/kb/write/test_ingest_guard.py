"""One bad document never sinks an ingest: analysis failures, limits and duplicates are per file.

Through the CLI (click's runner over a knowledge base with the fake embedder and the gazetteer-only
entity path), since that is where a user met these defects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.service import KnowledgeBase

GOOD = {
    "acta.md": (
        "# Acta de la reunión binacional en Desaguadero\n\n"
        "El 12 de marzo de 2024 se reunieron en el CEBAF de Desaguadero la Policía Nacional del Perú y la "
        "Policía Boliviana. Se acordó un protocolo de control migratorio conjunto.\n"
    ),
    "visit.txt": (
        "Technical visit report: Rumichaca border crossing\n\n"
        "The delegation visited the Rumichaca bridge between Colombia and Ecuador on 5 June 2023. "
        "Migración Colombia explained how travellers are registered.\n"
    ),
}
# "ſ" (long s), "İ" (dotted capital I) and "ı" (dotless i) match "s" and "i" under re.IGNORECASE
ODD = (
    "Informe de la visita técnica\n\n"
    "Fecha: 12 ſeptember 2023\n\n"
    "La próxima reunión en Desaguadero será en abrİl de 2024 y el seguimiento en abrıl de 2025. "
    "Participaron la Policía Nacional del Perú y Migraciones.\n"
)


@pytest.fixture
def kb(tmp_path: Path, fake_embedder: Any) -> KnowledgeBase:
    base = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False)
    yield base
    base.close()


def kb_cli(kb: KnowledgeBase, *args: str) -> Any:
    """Run ``kb --kb ROOT ARGS`` on the already open knowledge base (its fake embedder included)."""
    return CliRunner().invoke(cli, ["--kb", str(kb.root), *args], obj={"kb": kb}, catch_exceptions=False)


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    return folder


def statuses(out: Any) -> dict[str, tuple[str, str | None, str | None]]:
    assert out.exit_code == 0, out.output
    return {Path(r["path"]).name: (r["status"], r["reason"], r["detail"]) for r in json.loads(out.output)}


def test_odd_month_letters_are_read_and_never_abort_the_ingest(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", {**GOOD, "odd.txt": ODD})
    rows = statuses(kb_cli(kb, "ingest", str(docs), "--json"))
    assert {name: s[0] for name, s in rows.items()} == {
        "acta.md": "ingested",
        "visit.txt": "ingested",
        "odd.txt": "ingested",
    }
    db = kb.store.db
    date = db.execute("SELECT date FROM documents WHERE source LIKE '%odd.txt'").fetchone()[0]
    assert date == "2023-09-12"
    dates = {r[0] for r in db.execute("SELECT entity_id FROM mentions WHERE entity_id LIKE 'date:%'")}
    assert {"date:2023-09-12", "date:2024-04", "date:2025-04"} <= dates
    report = statuses(kb_cli(kb, "report", "--json"))
    assert {s[0] for s in report.values()} == {"ingested"} and len(report) == 3


@pytest.mark.parametrize("stage", ["dating", "tagging", "chunking"])
def test_an_analysis_failure_skips_only_that_document(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    import ingest.chunk
    import ingest.dates
    from ingest.entities import EntityExtractor

    poison = "Documento envenenado: contiene la palabra VENENO para la prueba."

    def fail_on_poison(real: Any, texts_of: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if any("VENENO" in t for t in texts_of(*args)):
                raise RuntimeError("simulated analysis bug")
            return real(*args, **kwargs)

        return wrapper

    if stage == "dating":
        monkeypatch.setattr(
            ingest.dates, "document_date", fail_on_poison(ingest.dates.document_date, lambda t, *_: [t])
        )
    elif stage == "chunking":
        monkeypatch.setattr(
            ingest.chunk, "chunk_document", fail_on_poison(ingest.chunk.chunk_document, lambda d, *_: [d.text])
        )
    else:  # entity extraction runs as one batch over every document of a group
        monkeypatch.setattr(EntityExtractor, "extract", fail_on_poison(EntityExtractor.extract, lambda _, t, *__: t))
    docs = write(tmp_path / "docs", {**GOOD, "poison.txt": poison, "zz-last.txt": GOOD["visit.txt"] + " Otra nota."})
    rows = statuses(kb_cli(kb, "ingest", str(docs), "--json"))
    assert rows["poison.txt"][:2] == ("skipped", "damaged")
    assert "RuntimeError: simulated analysis bug" in (rows["poison.txt"][2] or "")
    assert {rows[n][0] for n in ("acta.md", "visit.txt", "zz-last.txt")} == {"ingested"}
    assert kb.stats()["documents"] == 3
    report = statuses(kb_cli(kb, "report", "--json"))
    assert report == rows  # the report was written, the skipped file included

    monkeypatch.undo()  # the bug fixed: a re-run takes the document and leaves the others alone
    again = statuses(kb_cli(kb, "ingest", str(docs), "--json"))
    assert again["poison.txt"][0] == "ingested"
    assert {again[n][0] for n in ("acta.md", "visit.txt", "zz-last.txt")} == {"unchanged"}


def test_a_document_over_the_chunk_limit_is_skipped_before_tagging_and_embedding(
    tmp_path: Path, fake_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.entities import EntityExtractor

    tagged: list[str] = []
    real_extract = EntityExtractor.extract

    def spy(self: Any, texts: Any, langs: Any, **kw: Any) -> Any:
        tagged.extend(texts)
        return real_extract(self, texts, langs, **kw)

    monkeypatch.setattr(EntityExtractor, "extract", spy)
    monkeypatch.setenv("KB_MAX_CHUNKS_PER_DOC", "3")
    base = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False)
    assert base.config.max_chunks_per_doc == 3
    sentence = "La delegación recorrió el paso fronterizo de Desaguadero con la policía y {n} agentes. "
    big = "".join(sentence.format(n=i) for i in range(400))  # one line, ~5,000 words
    docs = write(tmp_path / "docs", {**GOOD, "big.txt": big})
    try:
        rows = statuses(kb_cli(base, "ingest", str(docs), "--json"))
        assert rows["big.txt"][:2] == ("skipped", "too_large")
        n = int(rows["big.txt"][2].split()[0])
        assert n > 3 and rows["big.txt"][2].startswith(f"{n} chunks, limit 3")
        assert rows["acta.md"][0] == rows["visit.txt"][0] == "ingested"
        assert tagged and not any("agentes" in t for t in tagged)  # never reached entity extraction
        stored = [r[0] for r in base.store.db.execute("SELECT text FROM chunks")]
        assert stored and not any("agentes" in t for t in stored)
        assert fake_embedder.calls == len(stored)  # nor the embedder
    finally:
        base.close()


def empty_docx() -> bytes:
    import io

    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    return buf.getvalue()


def test_identical_skipped_files_keep_their_own_reason_and_leave_no_path_rows(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    blank = empty_docx()
    docs = write(tmp_path / "docs", {"a-empty.docx": blank, "b-empty.docx": blank, "c-empty.docx": blank, **GOOD})
    write(docs, {"copy-of-acta.md": GOOD["acta.md"]})
    rows = statuses(kb_cli(kb, "ingest", str(docs), "--json"))
    assert rows["a-empty.docx"][:2] == rows["b-empty.docx"][:2] == rows["c-empty.docx"][:2] == ("skipped", "empty")
    assert "a-empty.docx" in (rows["b-empty.docx"][2] or "")  # says which identical file it follows
    # a real duplicate still points at the document that now exists, and its path is recorded
    assert rows["copy-of-acta.md"][0] == "duplicate"
    db = kb.store.db
    dangling = db.execute("SELECT path FROM document_paths WHERE doc_id NOT IN (SELECT id FROM documents)").fetchall()
    assert dangling == []
    paths = {Path(r[0]).name for r in db.execute("SELECT path FROM document_paths")}
    assert paths == {"acta.md", "visit.txt", "copy-of-acta.md"}
    assert statuses(kb_cli(kb, "report", "--json")) == rows


def test_the_default_chunk_limit_admits_the_largest_real_document() -> None:
    from ingest.chunk import chunk_document
    from ingest.readers import read_file
    from kb.config import Config
    from tests.helpers import shared_dir

    doc = read_file(shared_dir("data", "real-docs", "fr_ceseda_code_entree_sejour_etrangers.md"))  # 1 MB
    chunks = chunk_document(doc, max_chunks=Config().max_chunks_per_doc, detect_lang=lambda ts: ["fr"] * len(ts))
    assert len(chunks) > 1000  # it is the large case the default must leave room for


def pdf_with_glyph_map(text: bytes, code: bytes, unicode_hex: str) -> bytes:
    """A one-page PDF showing ``text`` in a font whose ToUnicode map sends byte ``code`` to ``unicode_hex``."""
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
        b"1 begincodespacerange <00> <FF> endcodespacerange\n1 beginbfchar\n<" + code.hex().encode() + b"> <"
        + unicode_hex.encode() + b">\nendbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end"
    )  # fmt: skip
    content = b"BT /F1 12 Tf 72 720 Td <" + text.hex().encode() + b"> Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_pdf_glyph_mapped_to_a_lone_surrogate_is_ingested(kb: KnowledgeBase, tmp_path: Path) -> None:
    """pypdf decodes ToUnicode maps with ``surrogatepass``: U+D800 reaches the text, no encoder takes it."""
    words = b"La delegacion visito el paso de Desaguadero con la policia nacional del Peru. "
    pdf = pdf_with_glyph_map(words + b"\x01" + words, b"\x01", "D800")
    docs = write(tmp_path / "docs", {**GOOD, "glyph.pdf": pdf})
    rows = statuses(kb_cli(kb, "ingest", str(docs), "--json"))
    assert {s[0] for s in rows.values()} == {"ingested"}, rows
    (text,) = [r[0] for r in kb.store.db.execute("SELECT text FROM chunks WHERE text LIKE '%delegacion%'")]
    assert "\ufffd" in text and "Peru." in text


def test_a_letter_that_folds_to_nothing_does_not_abort_the_commit(kb: KnowledgeBase, tmp_path: Path) -> None:
    """U+FF9E is a word character that accent-folding removes: the BM25 analyser once stemmed an empty token."""
    text = "Reunión con la Policía Nacional del Perú \uff9e y el CEBAF \uff9f de Desaguadero en abrİl de 2024.\n"
    docs = write(tmp_path / "docs", {**GOOD, "katakana.txt": text * 3})
    rows = statuses(kb_cli(kb, "ingest", str(docs), "--json"))
    assert {s[0] for s in rows.values()} == {"ingested"}, rows
    out = kb_cli(kb, "search", "Policía Nacional del Perú \uff9e", "--json")
    assert out.exit_code == 0 and "katakana.txt" in out.output
