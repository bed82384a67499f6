"""Language of documents, chunks and queries (lingua, restricted to a small set of languages).

Besides the four working languages a few others are known to the detector, so that a German or
Italian text is called what it is rather than forced into Spanish.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

LANGS = ("es", "en", "pt", "fr")
OTHER = ("de", "it", "nl")
MIN_WORDS = 3
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in LANGS + OTHER]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_minimum_relative_distance(0.0).build()


def _code(language) -> str:  # type: ignore[no-untyped-def]
    return str(language.iso_code_639_1.name).lower() if language is not None else "und"


def detect(text: str) -> str:
    """ISO 639-1 code of ``text``, or ``"und"`` when it is too short to tell."""
    if len(WORD.findall(text)) < MIN_WORDS:
        return "und"
    return _code(_detector().detect_language_of(text))


def detect_many(texts: Sequence[str]) -> list[str]:
    if not texts:
        return []
    long_enough = [i for i, t in enumerate(texts) if len(WORD.findall(t)) >= MIN_WORDS]
    out = ["und"] * len(texts)
    if long_enough:
        found = _detector().detect_languages_in_parallel_of([texts[i] for i in long_enough])
        for i, lang in zip(long_enough, found, strict=True):
            out[i] = _code(lang)
    return out


def document_language(chunk_langs: Sequence[str], chunk_lengths: Sequence[int]) -> str:
    """Length-weighted majority of the chunks' languages."""
    weights: Counter[str] = Counter()
    for lang, n in zip(chunk_langs, chunk_lengths, strict=True):
        if lang != "und":
            weights[lang] += n
    return weights.most_common(1)[0][0] if weights else "und"


def query_language(text: str) -> str | None:
    """The query's language, or None for short queries (a name, an acronym): language-neutral."""
    words = WORD.findall(text)
    if len(words) < 4:
        return None
    detector = _detector()
    confidences = detector.compute_language_confidence_values(text)
    if not confidences:
        return None
    best = confidences[0]
    if best.value < 0.5:
        return None
    code = _code(best.language)
    return code if code in LANGS else None
