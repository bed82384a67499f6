"""Visit brief, practice comparison, clause alignment and exports on the bundled corpus (real models)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.reports.brief import build_brief
from kb.reports.compare import align_documents, compare_practices, comparison_report
from kb.reports.render import to_docx, to_markdown

pytestmark = pytest.mark.slow


def norm(text: str) -> str:
    return " ".join(text.split())


def page_text(kb, doc_id: str, page: int | None) -> str:  # type: ignore[no-untyped-def]
    rows = kb.store.db.execute("SELECT number, text FROM pages WHERE doc_id=?", (doc_id,)).fetchall()
    return norm(" ".join(r["text"] for r in rows if page is None or r["number"] == page))


def test_brief_for_a_crossing(corpus_kb) -> None:  # type: ignore[no-untyped-def]
    brief = build_brief(corpus_kb, "Desaguadero")
    sections = {s.title: s for s in brief.sections}
    visits = sections["Previous visits and meetings"].lines
    assert len(visits) >= 2
    dates = [ln.text.split(" — ")[0] for ln in visits]
    assert dates == sorted(dates)
    assert sections["Agreements and protocols"].lines
    people = sections["People met and their roles"].lines
    assert any("Carhuavilca" in ln.text for ln in people)
    assert all(" — " in ln.text for ln in people)
    quoted = [ln for s in brief.sections for ln in s.lines if ln.quote and ln.citation]
    assert len(quoted) > 10
    for ln in quoted:
        if ln.citation.doc_id and ln.citation.page is not None or not ln.quote.endswith("…"):
            quote = norm(ln.quote.rstrip("…"))
            assert quote in page_text(corpus_kb, ln.citation.doc_id, ln.citation.page), (ln.text, ln.citation)


def test_brief_accepts_aliases_in_other_languages(corpus_kb) -> None:  # type: ignore[no-untyped-def]
    a = build_brief(corpus_kb, "CEBAF de Desaguadero")
    assert a.title == "Visit brief: Desaguadero"


def test_comparison_returns_both_regions(corpus_kb) -> None:  # type: ignore[no-untyped-def]
    groups = compare_practices(corpus_kb, "police and customs cooperation centre sharing information across the border")
    assert groups["europe"] and groups["latam"]
    md = to_markdown(comparison_report("cooperation centres", groups))
    assert "Europe —" in md and "Latin America —" in md


def test_clause_alignment_of_an_agreement_and_its_translation(corpus_kb) -> None:  # type: ignore[no-untyped-def]
    docs = {Path(r[1]).name: r[0] for r in corpus_kb.store.db.execute("SELECT id, source FROM documents")}
    es = docs["acuerdo-cooperacion-policial-ciudad-del-este-foz-es.pdf"]
    pt = docs["acordo-cooperacao-policial-foz-ciudad-del-este-pt.docx"]
    al = align_documents(corpus_kb, es, pt)
    number = re.compile(r"(?:Art[ií]culo|Artigo)\s+(\d+)")
    pairs = [(number.search(a.label), number.search(b.label)) for a, b, _ in al.pairs]
    numbered = [(a.group(1), b.group(1)) for a, b in pairs if a and b]
    assert len(numbered) >= 5
    correct = sum(a == b for a, b in numbered)
    assert correct / len(numbered) >= 0.8, numbered


def test_exports_open_with_python_docx(corpus_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    brief = build_brief(corpus_kb, "Desaguadero")
    path = to_docx(brief, tmp_path / "brief.docx")
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "Visit brief: Desaguadero" in text
    assert re.search(r"\[[\w.-]+\.(pdf|docx|md|txt|html)(, p\. \d+)?\]", text)
    md = to_markdown(brief)
    assert "## People met and their roles" in md
