"""Snippets and highlight offsets (kb.read.snippets), by hand-checked cases."""

from __future__ import annotations

from kb.read.snippets import make_snippet, match_spans, merge_spans


def test_short_text_is_the_whole_snippet_with_its_spans() -> None:
    text = "Patrullas binacionales en el río Desaguadero."
    spans = match_spans(text, {"desaguader"}, "es")
    snippet, highlights = make_snippet(text, spans)
    assert snippet == text
    assert [snippet[s:e] for s, e in highlights] == ["Desaguadero"]


def test_phrases_match_folded_text_and_overlaps_merge() -> None:
    text = "La Policía Nacional del Perú y la policia boliviana."
    spans = match_spans(text, set(), None, ["policia"])
    assert [text[s:e] for s, e in spans] == ["Policía", "policia"]
    assert merge_spans([(5, 9), (0, 3), (2, 6), (12, 14)]) == [(0, 9), (12, 14)]


def test_long_text_windows_on_the_densest_matches_and_shifts_offsets() -> None:
    filler = " ".join(f"palabra{i}" for i in range(80))
    text = f"{filler} contrabando de combustible y más contrabando en el río {filler}"
    spans = [(m, m + len("contrabando")) for m in (text.find("contrabando"), text.rfind("contrabando"))]
    snippet, highlights = make_snippet(text, spans, width=200)
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet) <= 200 + 4
    assert [snippet[s:e] for s, e in highlights] == ["contrabando", "contrabando"]


def test_one_highlighter_for_a_page_marks_each_passage_in_its_own_language() -> None:
    """A word's analysis is remembered per language: "controles" matches the Spanish stem in a
    Spanish passage and is analysed again (differently) in an English one."""
    from index.analyze import query_terms
    from kb.read.snippets import Highlighter

    terms = set(query_terms("controles migratorios", "es"))
    marker = Highlighter(terms)
    es = "Los controles migratorios y el control conjunto en la frontera."
    en = "Border controls and migratory checks."
    for text, lang in ((es, "es"), (en, "en"), (es, "es")):
        assert marker.spans(text, lang) == match_spans(text, terms, lang)
    assert [es[s:e] for s, e in marker.spans(es, "es")] == ["controles", "migratorios", "control"]
