"""Turn read documents into analysed records: chunks, languages, metadata, entities.

Pure functions over the frozen types: no disk, no index. The service feeds them documents from
the readers and hands their output to the store and the segment writer.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.config import Config
from kb.types import Chunk, Entity, Mention, RawDocument


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


class Analyser:
    """Chunking, language, metadata and entities for batches of documents.

    Holds the loaded language detector and spaCy pipelines, so build one per process and reuse it.
    """

    def __init__(self, config: Config, gazetteer: object | None = None) -> None:
        from ingest.entities import EntityExtractor
        from ingest.gazetteer import Gazetteer

        self.config = config
        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
        self.extractor = EntityExtractor(self.gazetteer, use_ner=config.use_ner)  # type: ignore[arg-type]

    def analyse(
        self, items: Sequence[tuple[str, Path, str, int, RawDocument]], timings: dict[str, float] | None = None
    ) -> list[Analysed]:
        """Analyse ``(doc_id, path, sha256, size, raw)`` items; entity extraction runs as one batch."""
        import time

        t0 = time.perf_counter()
        from ingest.chunk import chunk_document
        from ingest.dates import document_date
        from ingest.language import document_language
        from ingest.metadata import extract_meta

        staged = []
        for doc_id, path, sha, size, raw in items:
            chunks = chunk_document(raw, target_words=self.config.chunk_words, max_words=self.config.chunk_max_words)
            if not chunks:
                continue
            lang = document_language([c.lang for c in chunks], [len(c.text) for c in chunks])
            meta = extract_meta(raw, lang, document_date)
            staged.append((doc_id, path, sha, size, raw, chunks, lang, meta))
        texts = [c.text for s in staged for c in s[5]]
        langs = [c.lang for s in staged for c in s[5]]
        t1 = time.perf_counter()
        found = self.extractor.extract(texts, langs) if texts else []
        if timings is not None:
            timings["chunk"] = timings.get("chunk", 0.0) + t1 - t0
            timings["entities"] = timings.get("entities", 0.0) + time.perf_counter() - t1
        out: list[Analysed] = []
        pos = 0
        for doc_id, path, sha, size, raw, chunks, lang, meta in staged:
            mentions = tuple(found[pos : pos + len(chunks)])
            pos += len(chunks)
            countries, crossings, region = self._places(mentions)
            out.append(
                Analysed(
                    doc_id,
                    path,
                    sha,
                    size,
                    raw,
                    meta.title,
                    lang,
                    meta.doc_type,
                    meta.date,
                    tuple(chunks),
                    mentions,
                    countries,
                    crossings,
                    region,
                )
            )
        return out

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

    def _places(self, mentions: Sequence[Sequence[Mention]]) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
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
