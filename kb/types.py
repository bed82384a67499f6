"""The frozen values that every stage passes to the next.

One place defines them so that readers, chunking, entity extraction, indexing and the
search service agree on shape. Tuples inside, never lists: a value that crossed a stage
boundary cannot be changed behind the next stage's back.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Entity types known to the extractor and the gazetteer.
ENTITY_TYPES = (
    "PERSON",
    "ORG",
    "PLACE",
    "BORDER_CROSSING",
    "COUNTRY",
    "PROGRAMME",
    "CRIME_TYPE",
    "LEGAL_INSTRUMENT",
    "DATE",
)

#: Document types recognised by the metadata rules.
DOC_TYPES = ("report", "agreement", "protocol", "minutes", "news", "training", "analysis", "practice", "other")

#: Regions of documents and passages (the ``region`` search filter).
REGIONS = ("europe", "latam", "other")

#: The most results one search may ask for. Candidates grow with k (k x per_doc x 2), so an
#: unbounded k is an unbounded allocation: 10**9 asked numpy for 37 GiB.
MAX_K = 1000

#: Reasons a file is skipped. Stable codes: the CLI, report and tests rely on them.
SKIP_REASONS = (
    "unsupported",  # not a format kb reads
    "damaged",  # the file claims a format but cannot be parsed
    "encrypted",  # needs a password we do not have
    "empty",  # zero bytes, or no text at all
    "no_text",  # image-only pages and OCR unavailable or unproductive
    "too_large",  # over the size or page limit
    "timeout",  # parsing exceeded the per-file time budget
)


class ReadError(Exception):
    """A file could not be read; ``code`` is one of :data:`SKIP_REASONS`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class Page:
    """The text of one page (PDF) or of the whole file (formats without pages).

    ``number`` is 1-based for paged formats and ``None`` otherwise. ``headings`` holds
    ``(offset, title)`` pairs: a section heading that starts at ``offset`` in ``text``.
    """

    number: int | None
    text: str
    headings: tuple[tuple[int, str], ...] = ()
    ocr_confidence: float | None = None


@dataclass(frozen=True, slots=True)
class RawDocument:
    """What a reader returns: text by page plus the metadata the file itself carries."""

    path: str
    format: str  # "pdf", "docx", "html", "markdown", "text"
    pages: tuple[Page, ...]
    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601 date from the file's own metadata, if any
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return PAGE_JOINER.join(p.text for p in self.pages)


#: Pages are joined with this separator to form the document text that spans point into.
PAGE_JOINER = "\n\n"


@dataclass(frozen=True, slots=True)
class Chunk:
    """A sentence-aligned window of a document, with full provenance.

    ``char_start``/``char_end`` are offsets into the document text (pages joined with
    :data:`PAGE_JOINER`); ``page_start``/``page_end`` are 1-based or ``None``.
    """

    ordinal: int
    text: str
    char_start: int
    char_end: int
    page_start: int | None
    page_end: int | None
    heading: str | None
    lang: str


@dataclass(frozen=True, slots=True)
class Entity:
    """A canonical entity: gazetteer entries and names found by NER alike."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes
    lat: float | None = None
    lon: float | None = None
    region: str | None = None  # "europe", "latam", "other"


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of an entity in a chunk's text (offsets into ``Chunk.text``)."""

    entity_id: str
    type: str
    start: int
    end: int
    surface: str
    value: str | None = None  # normalised value, e.g. an ISO date for DATE mentions


@dataclass(frozen=True, slots=True)
class EntityRef:
    id: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching passage, ready to show and cite."""

    chunk_id: int
    doc_id: str
    source: str
    title: str
    lang: str
    doc_type: str
    date: str | None
    page: int | None
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    entities: tuple[EntityRef, ...]
    text: str = ""
    heading: str | None = None
    region: str | None = None  # the passage's region ("europe", "latam", "other"), may differ from its document's


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Hits grouped by document: the best passage first, the others behind it."""

    doc_id: str
    score: float
    hits: tuple[Hit, ...] = field(default_factory=tuple)
    duplicates: tuple[str, ...] = ()  # near-duplicate documents folded into this result

    @property
    def best(self) -> Hit:
        return self.hits[0]


class KBError(Exception):
    """A user-facing problem with a knowledge base (wrong embedder, damaged store, lock held)."""


class LockHeld(KBError):
    """Another process holds the writer lock."""


def check_k(k: int, name: str = "k") -> int:
    """``k`` as an int in 1..MAX_K, else a ValueError that says so (the API boundary's guard)."""
    try:
        if isinstance(k, bool):
            raise TypeError
        n = operator.index(k)
    except TypeError:
        raise ValueError(f"{name} must be a whole number from 1 to {MAX_K}, got {k!r}") from None
    if not 1 <= n <= MAX_K:
        raise ValueError(f"{name} must be from 1 to {MAX_K}, got {n}")
    return n


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions applied before ranking. Empty tuples / None mean "any"."""

    lang: tuple[str, ...] = ()
    doc_type: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    crossing: tuple[str, ...] = ()
    entity: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    collection: tuple[str, ...] = ()
    doc_id: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object] | None) -> Filters:
        if not data:
            return cls()
        kwargs: dict[str, object] = {}
        for key, value in data.items():
            if value is None or value == () or value == []:
                continue
            if key in ("since", "until"):
                kwargs[key] = str(value)
            elif isinstance(value, str):
                kwargs[key] = (value,)
            else:
                kwargs[key] = tuple(str(v) for v in value)  # type: ignore[attr-defined]
        return cls(**kwargs)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in self.__slots__)  # type: ignore[attr-defined]


# -- search-side values (filters, limits, errors) ------------------------------------------------
from ingest.language import LANGS, OTHER  # noqa: E402 - kept beside what uses it

#: Languages a passage can be tagged with (the ``lang`` search filter): the four searched
#: languages, the others the detector names, and ``und`` (undetermined).
LANGUAGES = (*LANGS, *OTHER, "und")
