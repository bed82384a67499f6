"""Language of documents, chunks and queries (lingua, restricted to a small set of languages).

Besides the four working languages a few others are known to the chunk detector, so that a
German or Italian text is called what it is rather than forced into Spanish. Queries, which
are short, are judged among the four working languages only: with Italian in the running,
"control migratorio en la frontera" comes out Italian.

The detectors are built lazily, once per process. lingua loads each language's n-gram models
on first use (about 2 s for the eight languages on an idle 2-core machine, up to 8 s when it is
busy, ~70 MB); ``with_preloaded_language_models()`` would load every model up front (~6 s,
~300 MB), which is not worth it. The models are shared between detectors, so the query
detector costs nothing more.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

LANGS = ("es", "en", "pt", "fr")
OTHER = ("de", "it", "nl", "ar")
MIN_WORDS = 3  # fewer words than this: "und"
MIN_CONFIDENCE = 0.5  # lingua's top confidence below this: "und"
QUERY_MIN_WORDS = 4  # a name or an acronym has no language
QUERY_MIN_CONFIDENCE = 0.5
MAX_CHARS = 5000  # a longer text is judged by its beginning: it is plenty, and lingua is linear in length
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# lone surrogates: lingua (Rust) cannot take them; a query typed as invalid UTF-8 arrives with some
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


@lru_cache(maxsize=2)
def _detector(codes: tuple[str, ...] = LANGS + OTHER) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_iso_codes_639_1(*(getattr(IsoCode639_1, c.upper()) for c in codes)).build()


def _code(language: Any) -> str:
    return str(language.iso_code_639_1.name).lower() if language is not None else "und"


def _best(confidences: Sequence[Any], threshold: float) -> str:
    if not confidences or confidences[0].value < threshold:
        return "und"
    return _code(confidences[0].language)


def detect(text: str) -> str:
    """ISO 639-1 code of ``text``; ``"und"`` when it is too short or the detector is unsure.

    Returns one of :data:`LANGS`, one of :data:`OTHER`, or ``"und"``.
    """
    return detect_many([text])[0]


def detect_many(texts: Sequence[str]) -> list[str]:
    """:func:`detect` for a batch, using lingua's parallel API (one call per chunking run)."""
    out = ["und"] * len(texts)
    todo = [i for i, t in enumerate(texts) if len(WORD.findall(t[:MAX_CHARS])) >= MIN_WORDS]
    if todo:
        sample = [_encodable(texts[i][:MAX_CHARS]) for i in todo]
        found = _detector().compute_language_confidence_values_in_parallel(sample)
        for i, confidences in zip(todo, found, strict=True):
            out[i] = _best(confidences, MIN_CONFIDENCE)
    return out


def document_language(chunk_langs: Sequence[str], chunk_lengths: Sequence[int]) -> str:
    """Length-weighted majority of the chunks' languages, ``"und"`` if none is known.

    Ties go to the language met first, so the result does not depend on hash order.
    """
    weights: Counter[str] = Counter()
    for lang, n in zip(chunk_langs, chunk_lengths, strict=True):
        if lang != "und":
            weights[lang] += max(n, 0)
    return max(weights, key=lambda lang: weights[lang]) if weights else "und"


def query_language(text: str) -> str | None:
    """The query's language among :data:`LANGS`, or None when it has none to speak of.

    Short queries (a name, an acronym, "PNP", "Desaguadero") and low-confidence ones are
    language-neutral: BM25 gating must not bet on a guess. Words in capitals are acronyms and
    do not count towards the length.
    """
    words = WORD.findall(text)
    if not all(w.isupper() for w in words):  # a query typed in capitals still has a language
        words = [w for w in words if not w.isupper()]
    if len(words) < QUERY_MIN_WORDS:
        return None
    confidences = _detector(LANGS).compute_language_confidence_values(_encodable(text[:MAX_CHARS]))
    code = _best(confidences, QUERY_MIN_CONFIDENCE)
    return code if code in LANGS else None
