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


_VOCAB = ["control", "controles", "Frontera", "frontera's", "co-operación", "l'aduana", "’puente"]
_VOCAB += ["-", " ", "  ", ", ", "\n"]


def _reference(text: str, terms: set[str], lang: str | None) -> list[tuple[int, int]]:
    """The definition: every word of the passage whose analysed form meets the query's terms, in one scan."""
    from index.analyze import tokenize
    from kb.read.snippets import WORD

    return merge_spans([m.span() for m in WORD.finditer(text) if not set(tokenize(m.group(0), lang)).isdisjoint(terms)])


def test_remembered_word_places_give_the_spans_of_a_fresh_scan() -> None:
    """Highlighting looks up where a passage's words are (remembered per passage text): the same spans as
    scanning the passage for each matching word, for passages met again and passages met once."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from index.analyze import query_terms
    from kb.read.snippets import Highlighter

    terms = set(query_terms("control frontera aduana", "es"))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.sampled_from(_VOCAB), max_size=30), st.sampled_from(["es", "en", None]))
    def check(parts: list[str], lang: str | None) -> None:
        text = "".join(parts)
        marker = Highlighter(terms)
        assert marker.spans(text, lang) == _reference(text, terms, lang)
        assert marker.spans(text, lang) == _reference(text, terms, lang)  # again, from memory

    check()
