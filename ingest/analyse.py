"""Analysis: turn read documents into records ready to store (chunks, languages, metadata, entities,
passage regions, near-duplicate signature, action items and affiliations).

Pure functions over the frozen types: no disk, no index, nothing from ``kb``. An ingest run
(``kb.write.ingest``) feeds it documents from the readers and hands its output, complete, to the
embedder and then to the store: nothing is analysed inside the store's transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ingest.types import Chunk, Entity, Mention, RawDocument

if TYPE_CHECKING:
    from ingest.metadata import DocMeta


Item = tuple[str, Path, str, int, RawDocument]  # doc_id, path, sha256, size, what the reader made of it
_T = TypeVar("_T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """What the analysis reads from the knowledge base's configuration (``kb.config.Config`` fields)."""

    chunk_words: int = 160
    chunk_max_words: int = 220
    max_chunks_per_doc: int = 2500
    use_ner: bool = True

    @classmethod
    def of(cls, config: Any) -> AnalysisSettings:
        """The analysis settings of any object with these attribute names (a ``kb.config.Config``)."""
        return cls(config.chunk_words, config.chunk_max_words, config.max_chunks_per_doc, config.use_ner)


@dataclass(frozen=True, slots=True)
class ActionRow:
    """An action item or decision listed on one page."""

    page: int | None
    heading: str
    kind: str
    text: str
    owner: str | None
    deadline: str | None


@dataclass(frozen=True, slots=True)
class AffiliationRow:
    """Who works where, found in one chunk (``chunk`` is the chunk's position in the document)."""

    chunk: int
    page: int | None
    person_id: str
    org_id: str | None
    role: str | None
    sentence: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A document the analysis skips: ``reason`` is one of :data:`ingest.types.SKIP_REASONS`."""

    doc_id: str
    path: Path
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class _Staged:
    """A document chunked and dated, waiting for the batch's entity extraction."""

    item: Item
    chunks: tuple[Chunk, ...]
    lang: str
    meta: DocMeta


@dataclass(frozen=True, slots=True)
class Analysed:
    """One document ready to store: its chunks and the mentions found in each chunk."""

    doc_id: str
    path: Path
    sha256: str
    size: int
    raw: RawDocument
    title: str
    lang: str
    doc_type: str
    date: str | None
    chunks: tuple[Chunk, ...]
    mentions: tuple[tuple[Mention, ...], ...]  # parallel to chunks
    countries: tuple[str, ...]
    crossings: tuple[str, ...]
    region: str | None
    regions: tuple[str | None, ...] = ()  # each chunk's region, parallel to chunks
    signature: np.ndarray | None = None  # near-duplicate MinHash of the whole text (ingest.neardup)
    actions: tuple[ActionRow, ...] = ()
    affiliations: tuple[AffiliationRow, ...] = ()


def slug(text: str, limit: int = 48) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:limit].strip("-") or "doc"


def document_id(path: Path, collection: str | None) -> str:
    """Stable for a source path within a collection, readable, and short."""
    key = f"{collection or ''}\0{path.resolve()}".encode()
    return f"{slug(path.stem)}-{hashlib.sha1(key).hexdigest()[:6]}"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(raw: RawDocument) -> RawDocument:
    """``raw`` with every lone surrogate code point replaced by U+FFFD, offsets unchanged.

    pypdf decodes fonts' ToUnicode maps with ``surrogatepass``, so one bad glyph mapping puts a
    lone surrogate in a PDF's text; no UTF-8 encoder (lingua, the tokenizer, SQLite) accepts one.
    One replacement character for one code point keeps every span into the text valid.
    """
    pages = raw.pages
    texts = (
        raw.title,
        raw.author,
        raw.date,
        *raw.warnings,
        *(p.text for p in pages),
        *(h for p in pages for _, h in p.headings),
    )
    if not any(t and _SURROGATE.search(t) for t in texts):
        return raw

    def fix(text: str | None) -> Any:
        return None if text is None else _SURROGATE.sub("\ufffd", text)

    return replace(
        raw,
        pages=tuple(replace(p, text=fix(p.text), headings=tuple((o, fix(h)) for o, h in p.headings)) for p in pages),
        title=fix(raw.title),
        author=fix(raw.author),
        date=fix(raw.date),
        warnings=tuple(fix(w) for w in raw.warnings),
    )


class Analyser:
    """Chunking, language, metadata and entities for batches of documents.

    Holds the loaded language detector and spaCy pipelines, so build one per process and reuse it.
    """

    def __init__(self, settings: AnalysisSettings, gazetteer: object | None = None) -> None:
        from ingest.gazetteer import Gazetteer

        self.settings = settings
        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
        self.extractor = self._extractor()

    def _extractor(self) -> Any:
        from ingest.entities import EntityExtractor

        return EntityExtractor(self.gazetteer, use_ner=self.settings.use_ner)  # type: ignore[arg-type]

    def reload_gazetteer(self) -> None:
        """Re-read the gazetteer file and rebuild the entity extractor on it (``kb relink``)."""
        from ingest.gazetteer import Gazetteer

        self.gazetteer = Gazetteer.load()
        self.extractor = self._extractor()

    def analyse(self, items: Sequence[Item], timings: dict[str, float] | None = None) -> list[Analysed | Rejected]:
        """Analyse ``(doc_id, path, sha256, size, raw)`` items: one outcome per item, in order.

        Entity extraction runs as one batch (spaCy is much faster so). Failures are per document:
        an exception while chunking, dating, tagging or placing one document rejects that document
        as ``damaged`` with the exception's message, and the others go on, so one odd character can
        never sink a whole ingest. A document with no text is rejected as ``empty``, one that cuts
        into more than ``settings.max_chunks_per_doc`` chunks as ``too_large`` (before the costly
        entity extraction and embedding).
        """
        import time

        t0 = time.perf_counter()
        staged = [self._guarded(item, "chunking and dating", self._stage, item) for item in items]
        ready = [s for s in staged if isinstance(s, _Staged)]
        t1 = time.perf_counter()
        found = self._extract(ready)
        if timings is not None:
            timings["chunk"] = timings.get("chunk", 0.0) + t1 - t0
            timings["entities"] = timings.get("entities", 0.0) + time.perf_counter() - t1
        tagged = iter(found)  # parallel to the staged documents
        out: list[Analysed | Rejected] = []
        for s in staged:
            if not isinstance(s, _Staged):
                out.append(s)
                continue
            mentions = next(tagged)
            out.append(
                mentions
                if isinstance(mentions, Rejected)
                else self._guarded(s.item, "placing", self._finish, s, mentions)
            )
        return out

    def _stage(self, item: Item) -> _Staged | Rejected:
        """Chunks, language and metadata (title, type, date) of one document."""
        from ingest.chunk import TooManyChunks, chunk_document
        from ingest.dates import document_date
        from ingest.language import document_language
        from ingest.metadata import extract_meta

        cfg = self.settings
        raw = without_surrogates(item[4])
        item = (*item[:4], raw)
        try:
            chunks = chunk_document(
                raw, target_words=cfg.chunk_words, max_words=cfg.chunk_max_words, max_chunks=cfg.max_chunks_per_doc
            )
        except TooManyChunks as exc:
            return Rejected(item[0], item[1], "too_large", f"{exc} (setting max_chunks_per_doc)")
        if not chunks:
            return Rejected(item[0], item[1], "empty", "no text to index after extraction")
        lang = document_language([c.lang for c in chunks], [len(c.text) for c in chunks])
        return _Staged(item, chunks, lang, extract_meta(raw, lang, document_date))

    def _extract(self, ready: Sequence[_Staged]) -> list[tuple[tuple[Mention, ...], ...] | Rejected]:
        """Each staged document's mentions per chunk: one batch, or one document at a time after a failure."""
        langs = [c.lang for s in ready for c in s.chunks]
        if not langs:
            return []
        self.extractor.load(langs)  # outside the guard: a missing model is no document's fault
        try:
            found = self.extractor.extract([c.text for s in ready for c in s.chunks], langs)
        except Exception:  # noqa: BLE001 - one document at a time finds the one at fault
            return [self._guarded(s.item, "tagging", self._extract_one, s) for s in ready]
        out: list[tuple[tuple[Mention, ...], ...] | Rejected] = []
        pos = 0
        for s in ready:
            texts = [c.text for c in s.chunks]
            out.append(tuple(self.extractor.link_document(texts, found[pos : pos + len(s.chunks)])))
            pos += len(s.chunks)
        return out

    def _extract_one(self, s: _Staged) -> tuple[tuple[Mention, ...], ...]:
        texts = [c.text for c in s.chunks]
        return tuple(self.extractor.link_document(texts, self.extractor.extract(texts, [c.lang for c in s.chunks])))

    def _finish(self, s: _Staged, mentions: tuple[tuple[Mention, ...], ...]) -> Analysed:
        from ingest.neardup import signature

        doc_id, path, sha, size, raw = s.item
        countries, crossings, region = self.places(mentions)
        meta = s.meta
        return Analysed(
            doc_id, path, sha, size, raw, meta.title, s.lang, meta.doc_type, meta.date, s.chunks, mentions,
            countries, crossings, region, tuple(self.passage_regions(mentions, region)), signature(raw.text),
            *document_structure(raw, s.chunks, mentions),
        )  # fmt: skip

    @staticmethod
    def _guarded(item: Item, stage: str, fn: Callable[..., _T], *args: Any) -> _T | Rejected:
        """``fn(*args)``, or the document rejected as ``damaged`` when it raises."""
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - any bug or odd input: skip this document, keep the batch
            log.warning("analysis of %s failed while %s", item[1], stage, exc_info=True)
            message = str(exc) or type(exc).__name__
            return Rejected(
                item[0], item[1], "damaged", f"analysis failed while {stage}: {type(exc).__name__}: {message}"
            )

    def entity(self, entity_id: str) -> Entity | None:
        return self.extractor.entity(entity_id)

    def passage_regions(self, mentions: Sequence[Sequence[Mention]], doc_region: str | None) -> list[str | None]:
        """Each passage's region: the region most of its gazetteer mentions belong to, else the document's.

        A Latin American visit report often has a paragraph on a European practice (a CCPD, Frontex):
        that paragraph is "europe" even though the report is "latam". A tie keeps the document's region
        when it is among the tied ones, so one passing mention does not relabel a passage.
        """
        out: list[str | None] = []
        for chunk_mentions in mentions:
            regions: Counter[str] = Counter()
            for m in chunk_mentions:
                ent = self.gazetteer.get(m.entity_id)  # type: ignore[attr-defined]
                if ent is not None and ent.region:
                    regions[ent.region] += 1
            if not regions:
                out.append(doc_region)
                continue
            top = regions.most_common()
            best = [r for r, n in top if n == top[0][1]]
            out.append(doc_region if doc_region in best or len(best) > 1 else best[0])
        return out

    def places(self, mentions: Sequence[Sequence[Mention]]) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """Countries and crossings a document concerns, and its region, from its gazetteer mentions."""
        countries: Counter[str] = Counter()
        crossings: Counter[str] = Counter()
        regions: Counter[str] = Counter()
        for chunk_mentions in mentions:
            for m in chunk_mentions:
                ent = self.gazetteer.get(m.entity_id)  # type: ignore[attr-defined]
                if ent is None:
                    continue
                if ent.type == "BORDER_CROSSING":
                    crossings[ent.id] += 1
                    countries.update(ent.countries)
                elif ent.type == "COUNTRY":
                    countries.update(ent.countries or (ent.id.split(":")[-1].upper(),))
                if ent.region:
                    regions[ent.region] += 1
        region = regions.most_common(1)[0][0] if regions else None
        return (
            tuple(c for c, _ in countries.most_common()),
            tuple(c for c, _ in crossings.most_common()),
            region,
        )


def document_structure(
    raw: RawDocument, chunks: Sequence[Chunk], mentions: Sequence[Sequence[Mention]]
) -> tuple[tuple[ActionRow, ...], tuple[AffiliationRow, ...]]:
    """Action items (per page) and affiliations (per chunk, from its PERSON and ORG mentions) of one document."""
    from ingest.structure import action_items, affiliations

    actions = tuple(
        ActionRow(page.number, item.heading, item.kind, item.text, item.owner, item.deadline)
        for page in raw.pages
        for item in action_items(page.text)
    )
    found: list[AffiliationRow] = []
    for offset, (chunk, chunk_mentions) in enumerate(zip(chunks, mentions, strict=True)):
        persons = [(m.start, m.end) for m in chunk_mentions if m.type == "PERSON"]
        if not persons:
            continue
        orgs = [m for m in chunk_mentions if m.type in ("ORG", "PROGRAMME")]
        by_span: dict[tuple[int, int | None], str] = {(m.start, m.end): m.entity_id for m in chunk_mentions}
        for aff in affiliations(chunk.text, persons, [(m.start, m.end) for m in orgs]):
            org_id = by_span.get((aff.org_start, aff.org_end)) if aff.org_start is not None else None
            person = by_span[(aff.person_start, aff.person_end)]
            found.append(AffiliationRow(offset, chunk.page_start, person, org_id, aff.role, aff.sentence))
    return actions, tuple(found)
