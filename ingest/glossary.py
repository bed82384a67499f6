"""The domain glossary: concepts of border management, customs, migration, policing, crime and law,
each with its terms in es, en, pt and fr (``ingest/data/glossary.jsonl``, described in docs/glossary.md).

This module only loads and validates the data; query expansion (matching a query's words against
the terms, in the query's language, and adding the other languages' terms to the keyword query)
is :mod:`kb.read.expand`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: The packaged glossary.
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "glossary.jsonl"

#: Languages every concept must have terms in.
GLOSSARY_LANGS = ("es", "en", "pt", "fr")


@dataclass(frozen=True, slots=True)
class Concept:
    """One concept: its id, domain and, per language, its terms (preferred term first)."""

    id: str
    domain: str
    terms: tuple[tuple[str, tuple[str, ...]], ...]  # (lang, terms) in GLOSSARY_LANGS order

    def in_lang(self, lang: str) -> tuple[str, ...]:
        """The terms in ``lang`` (empty for another language)."""
        return next((ts for code, ts in self.terms if code == lang), ())


def load_glossary(path: Path | None = None) -> tuple[Concept, ...]:
    """Read and validate a glossary file (default: the packaged one).

    Raises:
        ValueError: a line is not JSON, lacks an id or a language's terms, or repeats an id; the
            message names the file and line.
    """
    path = DEFAULT_PATH if path is None else Path(path)
    concepts: list[Concept] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            rec = json.loads(line)
            cid, terms = str(rec["id"]), rec["terms"]
            per_lang = tuple(
                (lang, tuple(str(t).strip() for t in terms[lang] if str(t).strip())) for lang in GLOSSARY_LANGS
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{where}: not a glossary concept ({exc})") from exc
        if cid in seen:
            raise ValueError(f"{where}: duplicate id {cid!r}")
        if any(not ts for _, ts in per_lang):
            raise ValueError(f"{where}: {cid!r} has no term in some language")
        seen.add(cid)
        concepts.append(Concept(cid, str(rec.get("domain", "")), per_lang))
    return tuple(concepts)


@cache
def packaged_glossary() -> tuple[Concept, ...]:
    """The packaged glossary, read once per process."""
    return load_glossary()
