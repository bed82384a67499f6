"""Snippets around the best match, with character offsets of the query's matching words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from index.analyze import fold, tokenize

WORD = re.compile(r"\w[\w'’-]*", re.UNICODE)


@lru_cache(maxsize=200_000)
def _analysed(word: str, lang: str | None) -> tuple[str, ...]:
    return tuple(tokenize(word, lang))


#: passages whose words and their places are remembered (a few hundred KB each at most: ~30 KB for a
#: typical passage); the best passages of one page recur across the questions asked of a collection
PASSAGES_REMEMBERED = 512


@lru_cache(maxsize=PASSAGES_REMEMBERED)
def _places(text: str) -> tuple[frozenset[str], dict[str, tuple[tuple[int, int], ...]]]:
    """The distinct words of ``text`` and where each occurs (character spans), in one scan."""
    where: dict[str, list[tuple[int, int]]] = {}
    for m in WORD.finditer(text):
        where.setdefault(m.group(0), []).append(m.span())
    return frozenset(where), {w: tuple(spans) for w, spans in where.items()}


@lru_cache(maxsize=PASSAGES_REMEMBERED)
def flat(text: str) -> str:
    """``text`` with every run of whitespace made one space (what snippets and highlights are cut from)."""
    return " ".join(text.split())


def match_spans(text: str, terms: set[str], lang: str | None, phrases: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Spans of words in ``text`` whose analysed form is one of the analysed query ``terms``."""
    return Highlighter(terms, phrases).spans(text, lang)


class Highlighter:
    """Finds one query's matching words in the passages of one result page.

    The passages of a page share most of their vocabulary, so each distinct word is analysed
    and checked once per language for the whole page; a passage then costs two set operations
    and a look-up of where its matching words are (snippets were a third of a search). A
    passage's words and their places are found in one scan and remembered for the next pages
    (:func:`_places`): the passages that answer recur across questions, and the scan was most of
    a page's highlighting.
    """

    def __init__(self, terms: set[str], phrases: Iterable[str] = ()) -> None:
        self.terms = frozenset(terms)
        self.phrases = [p for p in (fold(ph).strip() for ph in phrases) if p]
        self._seen: dict[str | None, set[str]] = {}
        self._hits: dict[str | None, set[str]] = {}

    def spans(self, text: str, lang: str | None) -> list[tuple[int, int]]:
        """Merged character spans of the matching words and quoted phrases of ``text``."""
        spans: list[tuple[int, int]] = []
        if self.terms:
            words, where = _places(text)
            seen, hits = self._seen.setdefault(lang, set()), self._hits.setdefault(lang, set())
            for w in words - seen:
                if not self.terms.isdisjoint(_analysed(w, lang)):
                    hits.add(w)
            seen |= words
            for w in words & hits:
                spans.extend(where[w])
        folded = fold(text) if self.phrases else ""
        for p in self.phrases:
            start = folded.find(p)
            while start >= 0:
                spans.append((start, start + len(p)))
                start = folded.find(p, start + 1)
        return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def make_snippet(text: str, spans: list[tuple[int, int]], width: int = 360) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of about ``width`` characters around the densest cluster of matches.

    Returns the snippet and the highlight offsets relative to it.
    """
    if len(text) <= width:
        return text, tuple(spans)
    if spans:
        best, best_count = spans[0][0], 0
        for s, _ in spans:
            count = sum(1 for a, _ in spans if s <= a < s + width)
            if count > best_count:
                best, best_count = s, count
        start = max(0, best - width // 4)
    else:
        start = 0
    # snap to word boundaries
    if start > 0:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    kept = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return prefix + text[start:end] + suffix, kept
