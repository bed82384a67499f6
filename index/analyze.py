"""Text analysis for BM25 in the four languages: folding, stop words, Snowball stemming.

Stop lists are data files (``index/stopwords/<lang>.txt``). Accents are folded after stemming's
input is lower-cased, so "migración", "Migracion" and "MIGRACIÓN" meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

LANGS = ("es", "en", "pt", "fr")
STEMMERS = {"es": "spanish", "en": "english", "pt": "portuguese", "fr": "french"}
TOKEN = re.compile(r"[^\W_]+(?:[/.-][^\W_]+)*", re.UNICODE)
QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|«\s*([^»]+?)\s*»')


def fold(text: str) -> str:
    """Lower-case and strip accents (ñ -> n, ç -> c)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=8)
def stopwords(lang: str) -> frozenset[str]:
    path = Path(__file__).parent / "stopwords" / f"{lang}.txt"
    if not path.exists():
        return frozenset()
    words = (w.strip() for w in path.read_text(encoding="utf-8").splitlines())
    return frozenset(fold(w) for w in words if w and not w.startswith("#"))


@lru_cache(maxsize=1)
def all_stopwords() -> frozenset[str]:
    return frozenset().union(*(stopwords(lang) for lang in LANGS))


@lru_cache(maxsize=8)
def _stemmer(lang: str):  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer(STEMMERS[lang])


def tokenize(text: str, lang: str | None, *, stem: bool = True) -> list[str]:
    """Folded word tokens of ``text`` without stop words, stemmed for ``lang``."""
    words = [fold(m.group(0)) for m in TOKEN.finditer(text)]
    stops = stopwords(lang) if lang in STEMMERS else all_stopwords()
    words = [w for w in words if w not in stops and (len(w) > 1 or w.isdigit())]
    if stem and lang in STEMMERS:
        return list(_stemmer(lang).stemWords(words))
    return words


def query_terms(text: str, lang: str | None) -> list[str]:
    """Query analysis: the query's language, or all four (deduplicated) when unknown."""
    if lang in STEMMERS:
        return tokenize(text, lang)
    seen: dict[str, None] = {}
    for candidate in LANGS:
        for tok in tokenize(text, candidate):
            seen.setdefault(tok, None)
    return list(seen)


def phrases(query: str) -> list[str]:
    """The "quoted phrases" of a query."""
    return [next(g for g in m.groups() if g) for m in QUOTED.finditer(query)]
