"""Text analysis for BM25, per language (es, en, pt, fr).

The pipeline is: split into word tokens -> fold (lower-case, strip accents) -> drop stop words of
the language -> Snowball-stem with the language's stemmer (PyStemmer).

Why fold *before* stemming: users type queries without accents ("migracion", "policia") and OCR
and upper-case headings lose them too. Folding first makes the accented and unaccented spellings
go through exactly the same stemmer path, so they always meet; stemming accented text and folding
afterwards makes "policía" and "policia" disagree under the Spanish stemmer. The Snowball suffix
lists lose a little precision on folded words, which is the smaller evil. One Portuguese fix-up
keeps plurals in "-ões" (folded "-oes") together with their singular "-ão" ("-ao").

Tokens: runs of unicode letters/digits. Apostrophes split (French "l'immigration" -> "l",
"immigration"; "l" is a stop word). Dotted acronyms collapse ("O.I.M." -> "oim"). Numbers joined by
"/", ".", ",", "-" or ":" stay one token ("2019/1896", "1.500") because legal instruments are cited
that way. Single letters are dropped; single digits are kept ("artículo 5").

Unknown language (``None`` or not one of :data:`LANGS`): the union of the four stop lists and no
stemming, so nothing language-specific is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from pathlib import Path

#: Languages with a stop list and a stemmer.
LANGS = ("es", "en", "pt", "fr")

#: Bumped whenever the analysis changes what terms a text yields: an index built with another
#: version looks up terms its chunks were never analysed into. Recorded in sparse meta.json.
ANALYZER_VERSION = 2

_STEMMER_NAMES = {"es": "spanish", "en": "english", "pt": "portuguese", "fr": "french"}
_STOPWORD_DIR = Path(__file__).resolve().parent / "stopwords"

# Alternatives are tried left to right: dotted acronyms, joined numbers, then plain words.
_TOKEN_RE = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # O.I.M.  U.E.
    r"|\d+(?:[/.,:\-]\d+)+"  # 2019/1896  1.500  12-2019
    r"|[^\W_]+"  # words, numbers, alphanumerics (covid19, a12)
)
_QUOTED_RE = re.compile(r'"([^"]+)"|“([^”]+)”|«\s*([^»]+?)\s*»')


def fold(text: str) -> str:
    """Lower-case and strip accents, so that accented and plain spellings compare equal.

    NFKD splits "ñ" into "n" + a combining tilde and "ç" into "c" + a cedilla, so dropping the
    combining marks maps them to "n" and "c" as well. Ligatures (œ, æ) are expanded explicitly.

    Args:
        text: Any text.

    Returns:
        The folded text; same words, no combining marks.
    """
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed if decomposed.isascii() else decomposed.translate(_MARKS)


class _CombiningMarks(dict[int, int | None]):
    """A ``str.translate`` table that drops combining marks, filled in as characters are met.

    Equivalent to filtering with ``unicodedata.combining`` character by character (checked over
    every code point in the tests), but the per-character work runs in C: fold was most of the
    time a search spent building snippets.
    """

    def __missing__(self, cp: int) -> int | None:
        kept = None if unicodedata.combining(chr(cp)) else cp
        self[cp] = kept
        return kept


_MARKS = _CombiningMarks()


@cache
def stopwords(lang: str | None) -> frozenset[str]:
    """The folded stop words of ``lang``; the union of all four lists for ``None``/unknown.

    Args:
        lang: A language code of :data:`LANGS`, or ``None``.

    Returns:
        A frozen set of folded words.
    """
    if lang not in LANGS:
        return frozenset().union(*(stopwords(code) for code in LANGS))
    words = set()
    for line in (_STOPWORD_DIR / f"{lang}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(fold(line))
    return frozenset(words)


@cache
def _stemmer(lang: str) -> Callable[[list[str]], list[str]]:
    import Stemmer  # PyStemmer; C extension, cheap, but keep import cost off module import

    return Stemmer.Stemmer(_STEMMER_NAMES[lang]).stemWords  # type: ignore[no-any-return]


def words(text: str) -> list[str]:
    """Split text into folded word tokens, without stop-word removal or stemming.

    Args:
        text: Any text.

    Returns:
        Folded tokens in text order.
    """
    out = []
    for match in _TOKEN_RE.finditer(text):
        token = fold(match.group())
        if "." in token and not token[0].isdigit():
            token = token.replace(".", "")  # dotted acronym
        if len(token) < 2 and not token.isdigit():
            continue  # one letter, or nothing: U+FF9E is a word character that folds away
        out.append(token)
    return out


def _stem(tokens: list[str], lang: str) -> list[str]:
    if lang == "pt":
        # folded "-ões" plurals would otherwise stem apart from their "-ão" singular
        tokens = [t[:-3] + "ao" if len(t) > 4 and t.endswith("oes") else t for t in tokens]
    stem = _stemmer(lang)
    # numbers and joined numbers pass through: stemmers may clip "1.500" or "2019/1896"
    return [t if t[0].isdigit() else s for t, s in zip(tokens, stem(tokens), strict=True)]


def tokenize(text: str, lang: str | None, *, stem: bool = True) -> list[str]:
    """Analyse text for BM25 in one language.

    Args:
        text: The text of a chunk or a query.
        lang: One of :data:`LANGS`; ``None`` or any other value means unknown (union of the stop
            lists, no stemming).
        stem: Whether to apply the language's Snowball stemmer.

    Returns:
        The index terms in text order (duplicates kept: BM25 counts term frequency).
    """
    stops = stopwords(lang)
    tokens = [t for t in words(text) if t not in stops]
    if stem and lang in LANGS and tokens:
        tokens = _stem(tokens, lang)
    return tokens


def _dedupe(tokens: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


def _name_like(text: str) -> str:
    """The words of ``text`` that look like names, acronyms or codes.

    That is: a capital letter anywhere but the first letter of the text (a sentence start proves
    nothing), or a digit.
    """
    picked = []
    for i, m in enumerate(_TOKEN_RE.finditer(text)):
        word = m.group()
        if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]) or (i and word[0].isupper()):
            picked.append(word)
    return " ".join(picked)


def query_terms(text: str, lang: str | None) -> list[str]:
    """Analyse a query into the distinct terms to look up in a sparse index.

    Chunks are indexed with their own language's stems, so a query must produce the stem each
    chunk language would have produced:

    - ``lang`` known: the query's words analysed in ``lang``; in addition, its name-like words
      (capitalised, acronyms, with digits) analysed in the other three languages, because names
      and codes do not change with the language of the document ("Desaguadero" stems to
      "desaguader" in Spanish but stays "desaguadero" in English).
    - ``lang`` None (short queries have no reliable language): the union of the four analyses,
      each with its own stop list (not the union of the lists: "sur" is a French stop word but
      the Spanish for "south"), plus the folded unstemmed words, which match chunks whose
      language was unknown at indexing time.

    Args:
        text: The query as typed (quotes allowed; they are ignored here, see :func:`phrases`).
        lang: The query language, or ``None`` for language-neutral analysis.

    Returns:
        Distinct terms, in first-seen order. Distinct because a term repeated by several
        analyses must not count twice in the BM25 sum.
    """
    return list(_query_terms(text, lang))  # a search analyses its query three times: BM25, expansion, highlights


@lru_cache(maxsize=2048)
def _query_terms(text: str, lang: str | None) -> tuple[str, ...]:
    if lang in LANGS:
        terms = tokenize(text, lang)
        names = _name_like(text)
        if names:
            for other in LANGS:
                if other != lang:
                    terms += tokenize(names, other)
        return tuple(_dedupe(terms))
    terms = []
    for code in LANGS:
        terms += tokenize(text, code)
    terms += tokenize(text, None, stem=False)
    return tuple(_dedupe(terms))


def phrases(query: str) -> list[str]:
    """The quoted phrases of a query: "straight", “curly” or «guillemet» quotes.

    Args:
        query: The query as typed.

    Returns:
        The phrases without their quotes, stripped, empty ones dropped, in query order.
    """
    found = []
    for match in _QUOTED_RE.finditer(query):
        phrase = next(g for g in match.groups() if g is not None).strip()
        if phrase:
            found.append(phrase)
    return found
