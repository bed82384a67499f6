"""Property tests over the analysis stages: no text, however odd, makes one of them raise.

Odd here means what broke ingests before: letters that a case-insensitive regular expression
equates with ASCII ones ("ſ" with "s", "ı" and "İ" with "i", the Kelvin sign with "k"), "ß"
and ligatures that change length when case-folded, combining marks, NUL and other control
characters, and any other code point except lone surrogates (which no reader can produce).
Besides not raising, each stage's output must make sense: spans inside the text, ISO dates,
known languages and types.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import dates
from ingest.chunk import TooManyChunks, chunk_document
from ingest.metadata import classify_type, extract_meta, guess_title
from ingest.structure import action_items, affiliations
from ingest.types import DOC_TYPES, Page, RawDocument

# U+FF9E/U+FF9F (halfwidth katakana sound marks) are letters that fold to nothing
ODD = "ſıİßẞﬁﬂKÅµςΣ\u0301\u0308\u0327\u200b\u00a0\x00\x01\x0b\ufeff\ufffd\uff9e\uff9f"
NAMES = ["Perú", "CEBAF", "Policía Nacional del Perú", "Desaguadero", "Frontex", "PNP", "Rumichaca", "CAN"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

chars = st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(ODD))
month_names = sorted(dates.MONTHS)


@st.composite
def mangled_month(draw: st.DrawFn) -> str:
    """A month name with its letters swapped for odd look-alikes, case changes or combining marks."""
    name = draw(st.sampled_from(month_names))
    out = []
    for ch in name:
        swap = {"s": "ſ", "i": draw(st.sampled_from("ıİ")), "k": "K", "a": "Å"}.get(ch, ch)
        out.append(draw(st.sampled_from([ch, ch.upper(), swap, ch + "\u0301"])))
    return "".join(out)


@st.composite
def date_like(draw: st.DrawFn) -> str:
    day = draw(st.integers(0, 39))
    year = draw(st.integers(1890, 2110))
    month = draw(mangled_month())
    form = draw(st.sampled_from(["{d} {m} {y}", "{d} de {m} de {y}", "{m} {d}, {y}", "{m} de {y}", "{d}/{n}/{y}"]))
    return form.format(d=day, m=month, y=year, n=draw(st.integers(0, 19)))


named = st.builds("{} {}{}".format, st.sampled_from(NAMES), st.sampled_from(ODD), st.sampled_from(["", " más"]))
pieces = st.one_of(st.text(alphabet=chars, max_size=60), date_like(), named, st.sampled_from(ODD))
odd_text = st.lists(pieces, max_size=12).map(" ".join)
langs = st.sampled_from([None, "es", "en", "pt", "fr", "und", "de", "", "EN-us"])


def is_iso(value: str) -> bool:
    try:
        parsed = dt.date.fromisoformat(value if len(value) == 10 else value + "-01")
    except ValueError:
        return False
    return 1900 <= parsed.year <= 2100 and len(value) in (7, 10)


# ------------------------------------------------------------------ dates
@SETTINGS
@given(text=odd_text, lang=langs)
def test_dates_never_raise_and_are_valid_iso_spans(text: str, lang: str | None) -> None:
    found = dates.find_dates(text, lang)
    assert found == sorted(found)
    for s, e, iso in found:
        assert 0 <= s < e <= len(text) and is_iso(iso)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(found))  # no overlaps
    when = dates.document_date(text, lang)
    assert when is None or is_iso(when)


def test_every_case_insensitive_spelling_of_a_month_name_is_read() -> None:
    """Exhaustive: every code point that ``re.IGNORECASE`` equates with a letter of a month name."""
    letters = sorted({ch for name in dates.MONTHS for ch in name})
    probe = re.compile("[" + re.escape("".join(letters)) + "]", re.IGNORECASE)
    twins: dict[str, list[str]] = {ch: [] for ch in letters}
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if c not in twins and probe.fullmatch(c):
            for ch in letters:
                if re.fullmatch(re.escape(ch), c, re.IGNORECASE):
                    twins[ch].append(c)
    assert {"ſ", "ı", "İ"} <= {c for cs in twins.values() for c in cs}  # the ones that crashed ingests
    for name, month in dates.MONTHS.items():
        for i, ch in enumerate(name):
            for twin in twins[ch]:
                odd = name[:i] + twin + name[i + 1 :]
                assert dates.month_number(odd) == month, odd
                assert dates.find_dates(f"12 {odd} 2023") == [(0, len(odd) + 8, f"2023-{month:02d}-12")], odd


# ------------------------------------------------------------------ entities
@pytest.fixture(scope="module")
def extractors():  # type: ignore[no-untyped-def]
    """The gazetteer path alone, and the gazetteer as an entity ruler on a blank spaCy pipeline."""
    import spacy

    from ingest.entities import MODELS, EntityExtractor
    from ingest.gazetteer import Gazetteer

    gazetteer = Gazetteer.load()
    plain = EntityExtractor(gazetteer, use_ner=False)
    ruled = EntityExtractor(gazetteer, use_ner=True)
    nlp = spacy.blank("es")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(list(ruled._patterns(nlp)))
    for model in MODELS.values():
        ruled._nlp[model] = nlp  # no model download: every language goes through the blank pipeline
    return plain, ruled


def test_a_word_that_folds_to_nothing_after_a_gazetteer_name_is_harmless() -> None:
    """Exhaustive over the letters whose accent-folding leaves nothing (U+FF9E...): they end no alias."""
    import unicodedata

    from ingest.gazetteer import Gazetteer, fold

    word = re.compile(r"[^\W_]")
    vanishing = [
        chr(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.decomposition(chr(cp)) and word.fullmatch(chr(cp)) and not fold(chr(cp))
    ]
    assert "\uff9e" in vanishing
    gazetteer = Gazetteer.load()
    for name in NAMES:
        expected = [e.id for _, _, e in gazetteer.find(name)]
        for c in vanishing:
            for text in (f"{name} {c}", f"{name} {c} más", f"{c} {name}"):
                assert [e.id for _, _, e in gazetteer.find(text)] == expected, text


def test_mentions_are_spans_of_their_text_whatever_the_text(extractors) -> None:  # type: ignore[no-untyped-def]
    @SETTINGS
    @given(texts=st.lists(odd_text, min_size=1, max_size=4), data=st.data())
    def check(texts: list[str], data: st.DataObject) -> None:
        lang_of = [data.draw(langs) or "es" for _ in texts]
        for extractor in extractors:
            for text, mentions in zip(texts, extractor.extract(texts, lang_of), strict=True):
                assert [(m.start, m.end) for m in mentions] == sorted((m.start, m.end) for m in mentions)
                for m in mentions:
                    assert 0 <= m.start < m.end <= len(text) and m.surface == text[m.start : m.end]
                    if m.type == "DATE":
                        assert m.entity_id == f"date:{m.value}" and is_iso(m.value or "")

    check()


# ------------------------------------------------------------------ metadata
@SETTINGS
@given(
    title=st.one_of(st.none(), st.text(alphabet=chars, max_size=80)),
    pages=st.lists(odd_text, min_size=1, max_size=3),
    heading=st.text(alphabet=chars, max_size=40),
    meta_date=st.sampled_from([None, "2024-03-12"]),
    lang=langs,
)
def test_metadata_never_raises(
    title: str | None, pages: list[str], heading: str, meta_date: str | None, lang: str | None
) -> None:
    doc = RawDocument(
        "/docs/odd file ſ.txt",
        "text",
        tuple(Page(i + 1, t, ((0, heading),) if heading and t else ()) for i, t in enumerate(pages)),
        title=title,
        date=meta_date,
    )
    meta = extract_meta(doc, lang or "und", dates.document_date)
    assert meta.doc_type in DOC_TYPES and classify_type(meta.title, doc.text) == meta.doc_type
    assert isinstance(meta.title, str) and meta.title == guess_title(doc)
    assert meta.date == meta_date if meta_date else (meta.date is None or is_iso(meta.date))


# ------------------------------------------------------------------ structure
@SETTINGS
@given(text=odd_text, cuts=st.lists(st.integers(0, 400), max_size=6))
def test_action_items_and_affiliations_never_raise(text: str, cuts: list[int]) -> None:
    for item in action_items("Acuerdos:\n1. " + text + "\n- " + text):
        assert item.kind in ("decision", "action")
    spans = sorted({(min(a, len(text)), min(a + 5, len(text))) for a in cuts})
    spans = [(s, e) for s, e in spans if s < e]
    for aff in affiliations(text, spans[::2], spans[1::2]):
        assert (aff.person_start, aff.person_end) in spans[::2]


# ------------------------------------------------------------------ chunking
@SETTINGS
@given(pages=st.lists(odd_text, min_size=1, max_size=3), limit=st.integers(0, 6))
def test_the_chunk_limit_refuses_exactly_the_documents_over_it(pages: list[str], limit: int) -> None:
    doc = RawDocument("x", "pdf", tuple(Page(i + 1, t) for i, t in enumerate(pages)))
    detect = lambda ts: ["es"] * len(ts)  # noqa: E731
    chunks = chunk_document(doc, target_words=8, max_words=12, detect_lang=detect)
    try:
        limited = chunk_document(doc, target_words=8, max_words=12, detect_lang=detect, max_chunks=limit)
    except TooManyChunks as exc:
        assert len(chunks) > limit and (exc.chunks, exc.limit) == (len(chunks), limit)
        assert str(exc) == f"{len(chunks)} chunks, limit {limit}"
    else:
        assert limited == chunks and len(chunks) <= limit
    for c in chunks:
        assert doc.text[c.char_start : c.char_end] == c.text


# ------------------------------------------------------------------ languages
# queries come from the command line too, where invalid UTF-8 arrives as lone surrogates
with_surrogates = st.lists(st.one_of(pieces, st.characters(categories=("Cs",))), max_size=12).map(" ".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.one_of(odd_text, with_surrogates), max_size=5))
def test_language_detection_never_raises(texts: list[str]) -> None:
    from ingest.language import LANGS, OTHER, detect_many, document_language, query_language

    known = {*LANGS, *OTHER, "und"}
    found = detect_many(texts)
    assert len(found) == len(texts) and set(found) <= known
    assert document_language(found, [len(t) for t in texts]) in known
    for text in texts:
        assert query_language(text) in (*LANGS, None)


# ------------------------------------------------------------------ the whole analysis
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=st.lists(odd_text, min_size=1, max_size=3))
def test_analysis_of_any_text_is_a_document_or_an_empty_skip_never_damaged(pages: list[str]) -> None:
    from pathlib import Path

    from ingest.analyse import Analysed, Analyser, AnalysisSettings

    analyser = _analyser(Analyser, AnalysisSettings(use_ner=False))
    raw = RawDocument("/d/x.txt", "text", tuple(Page(None, t) for t in pages))
    (outcome,) = analyser.analyse([("x", Path("/d/x.txt"), "0" * 64, 1, raw)])
    if isinstance(outcome, Analysed):
        assert len(outcome.chunks) == len(outcome.mentions) >= 1
        assert outcome.date is None or is_iso(outcome.date)
    else:
        assert outcome.reason == "empty", outcome.message


_ANALYSERS: dict[object, object] = {}


def _analyser(cls, config):  # type: ignore[no-untyped-def]
    """One analyser for every example (the gazetteer takes a moment to load)."""
    if config not in _ANALYSERS:
        _ANALYSERS[config] = cls(config)
    return _ANALYSERS[config]
