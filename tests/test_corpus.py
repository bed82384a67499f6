"""Checks of the bundled corpus and gold set against issue 4's counts.

The counts come from the authoring front matter in ``corpus/sources/docs``; the published files in
``corpus/documents`` must match the sources one to one, and every judged document must exist.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "corpus" / "sources"
DOCUMENTS = ROOT / "corpus" / "documents"
EVAL = ROOT / "corpus" / "eval"
LANGS = {"es", "en", "pt", "fr"}
TYPES = {"report", "agreement", "protocol", "minutes", "news", "training", "analysis", "practice"}
FORMATS = {"pdf", "pdf-2col", "docx", "html", "md", "txt", "scan"}
PAGED = {"pdf", "pdf-2col", "scan"}


def _render_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render", SOURCES / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("render", module)
    spec.loader.exec_module(module)
    return module


render = _render_module()


@pytest.fixture(scope="module")
def sources() -> list:
    return render.load_sources(SOURCES / "docs")


def _gold() -> tuple[list[dict], list[dict]]:
    """The merged gold set when the lead has built it, else the union of the writers' parts."""
    if (EVAL / "queries.jsonl").exists():
        query_files, qrel_files = [EVAL / "queries.jsonl"], [EVAL / "qrels.tsv"]
    else:
        query_files = sorted((EVAL / "parts").glob("*.queries.jsonl"))
        qrel_files = sorted((EVAL / "parts").glob("*.qrels.tsv"))
    queries = [json.loads(line) for f in query_files for line in f.read_text("utf-8").splitlines() if line.strip()]
    qrels = []
    for f in qrel_files:
        header, *lines = f.read_text("utf-8").splitlines()
        assert header.split("\t") == ["query_id", "doc_id", "relevance", "page"], f
        qrels += [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines if line]
    return queries, qrels


# --------------------------------------------------------------------------- parser units


def test_front_matter_parser_handles_lists_nulls_quotes_and_comments() -> None:
    text = '---\nid: a-b   # the stem\ntitle: "Say # not a comment"\ncountries: [PE, "BO"]\nx: null\n---\n# H\n'
    meta, body = render.parse_front_matter(text)
    assert meta == {"id": "a-b", "title": "Say # not a comment", "countries": ("PE", "BO"), "x": None}
    assert body == "# H\n"


def test_block_parser_recognises_every_block_kind() -> None:
    body = "# T\n\nOne\ntwo.\n\n1. a\n2. b\n\n- c\n\n| h1 | h2 |\n|---|---|\n| x | y |\n\n<!-- pagebreak -->\n## S\n"
    kinds = [b[0] for b in render.parse_blocks(body)]
    assert kinds == ["heading", "para", "olist", "ulist", "table", "pagebreak", "heading"]
    assert render.parse_blocks(body)[1] == ("para", "One two.")
    assert render.parse_blocks(body)[4][1] == [["h1", "h2"], ["x", "y"]]


# --------------------------------------------------------------------------- corpus


def test_every_source_has_valid_front_matter(sources: list) -> None:
    ids = [s.id for s in sources]
    assert len(ids) == len(set(ids))
    by_id = {s.id: s for s in sources}
    for s in sources:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s.id), s.id
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", s.date), s.id
        assert s.type in TYPES and s.language in LANGS and s.format in FORMATS, s.id
        assert s.region in {"latam", "europe"}, s.id
        assert all(re.fullmatch(r"[A-Z]{2}", c) for c in s.countries), s.id
        for ref in (s.near_duplicate_of, s.translation_of):
            assert ref is None or ref in by_id, (s.id, ref)
        if s.translation_of:
            assert by_id[s.translation_of].language != s.language, s.id
        words = len(render.plain(s.body).split())
        assert 300 <= words <= 1800, (s.id, words)


def test_corpus_meets_issue_2_minimum(sources: list) -> None:
    langs = Counter(s.language for s in sources)
    formats = Counter(s.format for s in sources)
    assert len(sources) >= 16
    assert all(langs[lang] >= 2 for lang in LANGS), langs
    assert {"pdf", "docx", "html", "md"} <= set(formats), formats


def test_corpus_meets_issue_4_counts(sources: list) -> None:
    langs = Counter(s.language for s in sources)
    crossings = {c for s in sources if s.region == "latam" for c in s.crossings}
    practices = {p for s in sources for p in s.practices}
    formats = Counter(s.format for s in sources)
    assert len(sources) >= 48
    assert langs["es"] >= 14 and langs["en"] >= 14 and langs["pt"] >= 10 and langs["fr"] >= 10, langs
    assert len(crossings) >= 12, sorted(crossings)
    assert len(practices) >= 6, sorted(practices)
    assert FORMATS <= set(formats), formats
    assert formats["scan"] >= 2
    assert any(s.near_duplicate_of for s in sources)
    assert any(s.translation_of for s in sources)


def test_sources_and_documents_match_one_to_one(sources: list) -> None:
    published = {p.name for p in DOCUMENTS.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert published == {s.filename for s in sources}


def test_published_files_stay_small(sources: list) -> None:
    for s in sources:
        limit = 1_000_000 if s.format == "scan" else 300_000
        assert (DOCUMENTS / s.filename).stat().st_size < limit, s.filename


# --------------------------------------------------------------------------- gold set


def test_gold_set_is_well_formed() -> None:
    queries, _ = _gold()
    ids = [q["id"] for q in queries]
    assert len(ids) == len(set(ids))
    assert {q["lang"] for q in queries} == LANGS
    assert sum(bool(q["cross_lingual"]) for q in queries) >= 30


def test_gold_set_meets_issue_4_counts() -> None:
    queries, _ = _gold()
    ids = [q["id"] for q in queries]
    assert len(ids) == len(set(ids))
    assert len(queries) >= 100
    assert {q["lang"] for q in queries} == LANGS
    assert sum(bool(q["cross_lingual"]) for q in queries) >= 30
    assert {q["kind"] for q in queries} <= {"precedent", "visit", "comparison", "entity", "fact"}


def test_every_judgement_points_at_a_real_document_and_page(sources: list) -> None:
    import pypdf

    queries, qrels = _gold()
    by_file = {s.filename: s for s in sources}
    query_ids = {q["id"] for q in queries}
    pages: dict[str, int] = {}
    for row in qrels:
        assert row["query_id"] in query_ids, row
        assert (DOCUMENTS / row["doc_id"]).is_file(), row
        assert row["relevance"] in {"1", "2"}, row
        src = by_file[row["doc_id"]]
        if src.format in PAGED and row["page"]:
            if row["doc_id"] not in pages:
                pages[row["doc_id"]] = len(pypdf.PdfReader(DOCUMENTS / row["doc_id"]).pages)
            assert 1 <= int(row["page"]) <= pages[row["doc_id"]], row
        else:
            assert row["page"] == "" or src.format in PAGED, row
    answered = {r["query_id"] for r in qrels if r["relevance"] == "2"}
    assert query_ids <= answered, sorted(query_ids - answered)


def test_cross_lingual_answers_are_in_another_language(sources: list) -> None:
    """Every cross-language question has an answer (grade 2) in another language than its own, and the writers'
    parts hold only such answers (pooled judging found one question also answered in its own language)."""
    queries, qrels = _gold()
    lang_of = {s.filename: s.language for s in sources}
    lang_of_query = {q["id"]: q["lang"] for q in queries if q["cross_lingual"]}
    answered = {
        row["query_id"]
        for row in qrels
        if row["query_id"] in lang_of_query
        and row["relevance"] == "2"
        and lang_of[row["doc_id"]] != lang_of_query[row["query_id"]]
    }
    assert set(lang_of_query) <= answered, sorted(set(lang_of_query) - answered)
    for part in (EVAL / "parts").glob("*.qrels.tsv"):
        header, *lines = part.read_text("utf-8").splitlines()
        for row in (dict(zip(header.split("\t"), ln.split("\t"), strict=True)) for ln in lines if ln):
            if row["query_id"] in lang_of_query and row["relevance"] == "2":
                assert lang_of[row["doc_id"]] != lang_of_query[row["query_id"]], row


def test_qrels_are_the_parts_plus_every_pooling_round_judged_once() -> None:
    """``qrels.tsv`` is what ``merge_parts.py`` makes of the writers' parts and the pooling rounds (no hand
    edits), and no pooling round judges a pair the writers or an earlier round had judged."""
    import importlib.util

    if not (EVAL / "qrels.tsv").exists():
        pytest.skip("gold set not merged")
    spec = importlib.util.spec_from_file_location("pool", EVAL / "pool.py")
    assert spec is not None and spec.loader is not None
    pool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pool)
    judged = pool.judged_pairs(*sorted((EVAL / "parts").glob("*.qrels.tsv")))
    expected = set()
    for part in sorted((EVAL / "parts").glob("*.qrels.tsv")):
        expected |= {tuple(ln.split("\t")) for ln in part.read_text("utf-8").splitlines()[1:] if ln}
    for name in pool.POOLED:
        header, *lines = (EVAL / name).read_text("utf-8").splitlines()
        assert header.split("\t") == ["query_id", "doc_id", "relevance", "page", "why"], name
        rows = [ln.split("\t") for ln in lines if ln]
        pairs = [(r[0], r[1]) for r in rows]
        assert len(pairs) == len(set(pairs)), name
        assert not set(pairs) & judged, (name, sorted(set(pairs) & judged)[:3])
        assert all(r[2] in {"0", "1", "2"} and r[4].strip() for r in rows), name
        judged |= set(pairs)
        expected |= {(r[0], r[1], r[2], r[3]) for r in rows if r[2] != "0"}
    lines = (EVAL / "qrels.tsv").read_text("utf-8").splitlines()[1:]
    actual = [tuple(ln.split("\t")) for ln in lines if ln]
    assert len(actual) == len(set(actual))
    assert set(actual) == expected


# --------------------------------------------------------------------------- renderer


@pytest.mark.slow
def test_renderer_is_deterministic_and_readable(tmp_path: Path, sources: list) -> None:
    import docx
    import pypdf

    picked: dict[str, Any] = {}
    for s in sources:
        picked.setdefault(s.format, s)
    for fmt in ("pdf", "pdf-2col", "docx", "scan", "txt"):
        if fmt not in picked:
            continue
        src = picked[fmt]
        first = render.render(src, tmp_path / "a")
        second = render.render(src, tmp_path / "b")
        assert first.read_bytes() == second.read_bytes(), src.id
        if fmt in ("pdf", "pdf-2col"):
            reader = pypdf.PdfReader(first)
            meta = reader.metadata
            assert meta is not None and meta.creation_date is not None
            text = " ".join(p.extract_text() for p in reader.pages)
            heading = render.plain(render.parse_blocks(src.body)[0][2])
            assert " ".join(heading.split()[:3]) in " ".join(text.split()), src.id
            assert meta.title == src.title
            assert meta.creation_date.strftime("%Y-%m-%d") == src.date
        elif fmt == "scan":
            reader = pypdf.PdfReader(first)
            assert all(not (p.extract_text() or "").strip() for p in reader.pages)
        elif fmt == "docx":
            document = docx.Document(str(first))
            assert any(p.style is not None and p.style.name.startswith("Heading") for p in document.paragraphs)
            assert document.core_properties.title == src.title
        elif fmt == "txt":
            first.read_bytes().decode(src.encoding)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_scans_remain_readable_by_ocr(tmp_path: Path, sources: list) -> None:
    import pypdfium2

    scan = next((s for s in sources if s.format == "scan"), None)
    if scan is None:
        pytest.skip("no scan in the corpus")
    page = pypdfium2.PdfDocument(str(DOCUMENTS / scan.filename))[0]
    image = tmp_path / "page.png"
    page.render(scale=200 / 72).to_pil().save(image)
    lang = {"es": "spa", "pt": "por", "fr": "fra"}.get(scan.language, "eng")
    out = subprocess.run(["tesseract", str(image), "-", "-l", lang], capture_output=True, text=True, check=True)
    first_words = render.plain(render.parse_blocks(scan.body)[0][2]).split()[:2]
    assert " ".join(first_words).lower() in " ".join(out.stdout.split()).lower()
