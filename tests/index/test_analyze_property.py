"""The BM25 analyser takes any text: no token is empty, nothing raises (it runs inside every commit)."""

from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.analyze import fold, query_terms, tokenize, words

LANGS = [None, "es", "en", "pt", "fr", "de", "und"]


def vanishing_letters() -> list[str]:
    """Word characters whose folding leaves nothing (U+FF9E, U+FF9F: halfwidth katakana sound marks)."""
    word = re.compile(r"[^\W_]")
    return [
        chr(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.decomposition(chr(cp)) and word.fullmatch(chr(cp)) and not fold(chr(cp))
    ]


def test_letters_that_fold_to_nothing_make_no_token() -> None:
    vanishing = vanishing_letters()
    assert "\uff9e" in vanishing
    for c in vanishing:
        for text in (c, f"Perú {c}", f"O.{c}.M.", f"{c}.{c}.", f"migración{c} 2024"):
            for lang in LANGS:
                assert all(tokenize(text, lang)), (text, lang)
                assert all(words(text)), text


odd = st.text(alphabet=st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from("ſıİßﬁ\uff9e\uff9f.-/")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=odd, lang=st.sampled_from(LANGS))
def test_any_text_analyses_into_non_empty_tokens(text: str, lang: str | None) -> None:
    assert all(tokenize(text, lang))
    assert all(tokenize(text, lang, stem=False))
    query_terms(text, lang)
