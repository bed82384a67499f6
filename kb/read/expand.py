"""Keyword-query expansion across languages with the domain glossary.

BM25 matches only the words a passage is written in, so a question in Portuguese about "controle
fronteiriço" finds no Spanish report on "control fronterizo". The glossary
(:mod:`ingest.glossary`) names each concept in es, en, pt and fr; a concept named in the query
adds its terms in the other languages (and its synonyms in the query's own) to the BM25 query,
each analysed in its own language — the stems a passage in that language was indexed with — and
weighted below the query's own terms, so an expansion can lift a passage but never outweigh the
words the user typed. The user is shown what was added ("also searched: …").

Matching is on analysed terms: the query is analysed in its language (in each of the four when
its language is unknown), and a run of its terms equal to a glossary term analysed the same way
names that concept; a match inside a longer match is dropped ("control" inside "control
fronterizo"). Acronyms in capitals ("CEBAF", "EES") match only when typed as such, because their
folded forms are often common words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from index.analyze import LANGS, tokenize
from ingest.glossary import Concept, packaged_glossary

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class Expansion:
    """What the glossary adds to a keyword query: weighted terms, and the concepts' terms to show."""

    terms: tuple[tuple[str, float], ...] = ()  # (analysed term, weight), none of the query's own terms
    shown: tuple[str, ...] = ()  # "border control (en)", preferred term per other language


def _is_acronym(term: str) -> bool:
    return " " not in term and len(term) >= 2 and term.isupper()


class GlossaryIndex:
    """The glossary's terms analysed per language, for matching queries and expanding them."""

    def __init__(self, concepts: Sequence[Concept]) -> None:
        self.concepts = tuple(concepts)
        self.keys: dict[str, dict[tuple[str, ...], set[int]]] = {lang: {} for lang in LANGS}
        self.acronyms: dict[str, set[int]] = {}
        self.words: dict[tuple[str, str], set[str]] = {}  # (lang, stem) of a one-word term: its folded words
        self.longest = 1
        for n, concept in enumerate(self.concepts):
            for lang in LANGS:
                for term in concept.in_lang(lang):
                    if _is_acronym(term):
                        self.acronyms.setdefault(term, set()).add(n)
                        continue
                    key = tuple(tokenize(term, lang))
                    if key:
                        self.keys[lang].setdefault(key, set()).add(n)
                        self.longest = max(self.longest, len(key))
                    if len(key) == 1:
                        self.words.setdefault((lang, key[0]), set()).update(tokenize(term, lang, stem=False))

    def match(self, text: str, lang: str | None) -> list[int]:
        """The concepts named in ``text`` (indices into :attr:`concepts`), in first-seen order."""
        found: dict[int, None] = {}
        for code in (lang,) if lang in LANGS else LANGS:
            terms, plain = tokenize(text, code), tokenize(text, code, stem=False)
            spans: list[tuple[int, int, set[int]]] = []
            for i in range(len(terms)):
                for j in range(min(len(terms), i + self.longest), i, -1):
                    hit = self.keys[code].get(tuple(terms[i:j]))
                    if hit and (j - i > 1 or any(_close(plain[i], w) for w in self.words[(code, terms[i])])):
                        spans.append((i, j, hit))
            for i, j, hit in spans:
                if not any(a <= i and j <= b and (a, b) != (i, j) for a, b, _ in spans):
                    found.update(dict.fromkeys(sorted(hit)))
        for word in _WORD.findall(text):
            found.update(dict.fromkeys(sorted(self.acronyms.get(word, ()))))
        return list(found)

    def expand(self, text: str, lang: str | None, weight: float, own: Sequence[str] = ()) -> Expansion:
        """The weighted terms of the concepts named in ``text`` that ``own`` (the query's terms) lacks."""
        hits = self.match(text, lang)
        if not hits or weight <= 0:
            return Expansion()
        skip = set(own)
        terms: dict[str, float] = {}
        shown: dict[str, None] = {}
        for n in hits:
            concept = self.concepts[n]
            for code in LANGS:
                for term in concept.in_lang(code):
                    for t in _analysed(term, code):
                        if t not in skip:
                            terms.setdefault(t, weight)
                if code != lang:
                    shown.setdefault(f"{concept.in_lang(code)[0]} ({code})")
        return Expansion(tuple(terms.items()), tuple(shown))


def _close(word: str, other: str) -> bool:
    """Whether two words sharing a stem are forms of one word ("incautaciones", "incautación") and not
    two words the stemmer merged ("information", "informant"): they differ only in a short ending."""
    n = 0
    while n < min(len(word), len(other)) and word[n] == other[n]:
        n += 1
    return max(len(word), len(other)) - n <= 3 and min(len(word), len(other)) - n <= 2


def _analysed(term: str, lang: str) -> list[str]:
    # an acronym is the same in every language, but each language's stemmer may clip it differently
    if _is_acronym(term):
        return list(dict.fromkeys(t for code in LANGS for t in tokenize(term, code)))
    return tokenize(term, lang)


@cache
def glossary_index() -> GlossaryIndex:
    """The packaged glossary, analysed once per process."""
    return GlossaryIndex(packaged_glossary())


def glossary_expansion(text: str, lang: str | None, weight: float) -> Expansion:
    """The packaged glossary's expansion of a query (empty when ``weight`` is 0)."""
    if weight <= 0:
        return Expansion()
    from index.analyze import query_terms

    return glossary_index().expand(text, lang, weight, query_terms(text, lang))


def also_searched(query: str, weight: float) -> tuple[str, ...]:
    """The glossary terms a search for ``query`` adds to its keyword query, to show the user."""
    if weight <= 0:
        return ()
    from ingest.language import query_language

    text = re.sub(r"[\"“”«»]", " ", query)
    return glossary_index().expand(text, query_language(text), weight).shown
