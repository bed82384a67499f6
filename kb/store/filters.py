"""Filter bitmaps per segment: what a filtered search may return, resolved without SQLite.

Each live segment has a ``filters.<generation>.npz`` beside its FAISS and BM25 files (numpy
arrays, no pickle), built from SQLite (the source of truth) by every commit that changes what a
filter must say: a new segment (ingest, compaction, reindex) and, for the segments holding the
documents concerned, ``kb set`` and ``kb relink``. A reader of generation *g* uses, per segment,
the newest file numbered *g* or less, so a metadata edit is seen exactly when its generation is;
a file numbered above the committed generation is what a killed writer left, and the next writer
deletes it (:func:`drop_uncommitted`). A segment without a file (a knowledge base built before
this module) makes the search fall back to SQL until a writer builds the missing files.

Layout, chosen by measurement (``bench/bench_filters.py``; 1M chunks): low-cardinality fields
(``lang`` and ``region`` of the passage, ``doc_type`` and ``collection`` of its document) are
one packed bitmap per value over the segment's rows (OR of two values and unpacking: 0.2 ms,
ten times less than a gather through a code array); document-level fields with many values
(``doc_id``, the date, ``entity``, ``country``, ``crossing``) are posting lists over the
segment's documents, turned into a document mask and gathered to the rows through ``chunk_doc``.
"""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.store.files import atomic_write

FILE = re.compile(r"^filters\.(\d+)\.npz$")
NULL = "\x01"  #: stands for SQL NULL (numpy strips a trailing NUL): no filter value equals it
BITMAP_FIELDS = ("lang", "region", "doc_type", "collection")
POSTING_FIELDS = ("entity", "country", "crossing")
FORMAT = 1


@dataclass(frozen=True)
class SegmentFilters:
    """One segment's filter arrays (read-only, shared by the threads of a process)."""

    ids: np.ndarray  # int64, the segment's chunk ids (rows)
    chunk_doc: np.ndarray  # int32, each row's document (index into doc_ids)
    doc_ids: np.ndarray  # str, the segment's documents
    doc_dates: np.ndarray  # str, each document's date (NULL where none)
    bitmaps: Mapping[str, tuple[dict[str, int], np.ndarray]]  # field -> (value -> row, packed bits)
    postings: Mapping[str, tuple[dict[str, int], np.ndarray, np.ndarray]]  # field -> (value -> i, offsets, docs)

    def __len__(self) -> int:
        return len(self.ids)


# -- building ------------------------------------------------------------------------------------
def _vocab(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct values, code of each value)``."""
    vocab, codes = np.unique(np.array(values, dtype=str), return_inverse=True)
    return vocab, codes.astype(np.int32)


def encode(
    ids: np.ndarray,
    chunk_doc: Sequence[str],
    chunk_fields: Mapping[str, Sequence[str]],
    docs: Mapping[str, Mapping[str, object]],
) -> dict[str, np.ndarray]:
    """The arrays of one segment from plain columns (also used by the benchmark's synthetic segments).

    Args:
        ids: The chunk ids, one per row.
        chunk_doc: Each row's document id.
        chunk_fields: Per row, ``lang`` and ``region`` (``NULL`` where none).
        docs: Per document id: ``doc_type``, ``collection``, ``date`` (strings, ``NULL`` where none) and
            ``entity``, ``country``, ``crossing`` (sequences of strings).
    """
    doc_ids, row_doc = _vocab(list(chunk_doc)) if len(chunk_doc) else (np.zeros(0, str), np.zeros(0, np.int32))
    out: dict[str, np.ndarray] = {
        "format": np.array([FORMAT]),
        "ids": np.asarray(ids, dtype=np.int64),
        "chunk_doc": row_doc,
        "doc_ids": doc_ids,
        "doc_dates": np.array([str(docs[d]["date"]) for d in doc_ids], dtype=str),
    }
    per_row = dict(chunk_fields)
    for field in ("doc_type", "collection"):
        per_doc = np.array([str(docs[d][field]) for d in doc_ids], dtype=str)
        per_row[field] = list(per_doc[row_doc]) if len(doc_ids) else []
    for field in BITMAP_FIELDS:
        vocab, codes = _vocab(list(per_row[field])) if len(ids) else (np.zeros(0, str), np.zeros(0, np.int32))
        bits = np.zeros((len(vocab), (len(ids) + 7) // 8), dtype=np.uint8)
        for v in range(len(vocab)):
            bits[v] = np.packbits(codes == v, bitorder="little")
        out[f"bv_{field}"], out[f"bm_{field}"] = vocab, bits
    for field in POSTING_FIELDS:
        pairs = sorted({(str(v), i) for i, d in enumerate(doc_ids) for v in docs[d][field]})  # type: ignore[attr-defined]
        vocab, counts = np.unique(np.array([v for v, _ in pairs], dtype=str), return_counts=True)
        out[f"pv_{field}"] = vocab
        out[f"po_{field}"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        out[f"pd_{field}"] = np.array([i for _, i in pairs], dtype=np.int32)
    return out


def from_store(db: sqlite3.Connection, seg_id: int) -> dict[str, np.ndarray]:
    """The arrays of segment ``seg_id`` as SQLite says now (tombstoned rows included: subtracted at search)."""
    import json

    rows = db.execute(
        "SELECT c.id, c.doc_id, c.lang, COALESCE(cr.region, d.region, 'other') FROM chunks c "
        "JOIN documents d ON d.id = c.doc_id LEFT JOIN chunk_regions cr ON cr.chunk_id = c.id "
        "WHERE c.segment = ? ORDER BY c.id",
        (seg_id,),
    ).fetchall()
    doc_set = sorted({r[1] for r in rows})
    docs: dict[str, dict[str, object]] = {}
    for part in range(0, len(doc_set), 900):
        ids = doc_set[part : part + 900]
        marks = ",".join("?" * len(ids))
        for d in db.execute(
            f"SELECT id, doc_type, COALESCE(collection, 'default'), date, countries, crossings FROM documents "
            f"WHERE id IN ({marks})",
            ids,
        ):
            docs[d[0]] = {
                "doc_type": _str(d[1]), "collection": _str(d[2]), "date": _str(d[3]), "entity": [],
                "country": [str(v) for v in json.loads(d[4] or "[]")],
                "crossing": [str(v) for v in json.loads(d[5] or "[]")],
            }  # fmt: skip
        for doc, ent in db.execute(
            "SELECT DISTINCT c.doc_id, m.entity_id FROM mentions m JOIN chunks c ON c.id = m.chunk_id "
            f"WHERE c.doc_id IN ({marks})",
            ids,
        ):
            docs[doc]["entity"].append(ent)  # type: ignore[attr-defined]
    fields = {"lang": [_str(r[2]) for r in rows], "region": [_str(r[3]) for r in rows]}
    return encode(np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows], fields, docs)


def _str(value: object) -> str:
    return NULL if value is None else str(value)


# -- files ---------------------------------------------------------------------------------------
def files_of(directory: Path) -> dict[int, Path]:
    """``{generation: path}`` of the filter files in a segment directory."""
    if not directory.is_dir():
        return {}
    return {int(m.group(1)): p for p in directory.iterdir() if (m := FILE.match(p.name))}


def save(directory: Path, gen: int, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``filters.<gen>.npz`` beside and into place; keep only the newest older file (readers of
    the previous generation may still load it)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    atomic_write(directory / f"filters.{gen}.npz", buf.getvalue())
    older = sorted(g for g in files_of(directory) if g < gen)
    for g in older[:-1]:
        (directory / f"filters.{g}.npz").unlink(missing_ok=True)


def load(path: Path) -> SegmentFilters:
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    if int(a["format"][0]) != FORMAT:
        raise ValueError(f"{path}: filter format {int(a['format'][0])} is not {FORMAT}")

    def index(vocab: np.ndarray) -> dict[str, int]:
        return {str(v): i for i, v in enumerate(vocab)}

    return SegmentFilters(
        ids=a["ids"], chunk_doc=a["chunk_doc"], doc_ids=a["doc_ids"], doc_dates=a["doc_dates"],
        bitmaps={f: (index(a[f"bv_{f}"]), a[f"bm_{f}"]) for f in BITMAP_FIELDS},
        postings={f: (index(a[f"pv_{f}"]), a[f"po_{f}"], a[f"pd_{f}"]) for f in POSTING_FIELDS},
    )  # fmt: skip


def write_for(db: sqlite3.Connection, segment_dir: object, seg_ids: Iterable[int], gen: int) -> None:
    """Build and save the filter files of ``seg_ids`` for generation ``gen`` from SQLite as ``db`` sees it
    (inside the commit's transaction: its own uncommitted rows included). ``segment_dir`` maps an id to its
    directory."""
    for sid in seg_ids:
        directory: Path = segment_dir(sid)  # type: ignore[operator]
        if directory.is_dir():
            save(directory, gen, from_store(db, sid))


def segments_of_document(db: sqlite3.Connection, doc_id: str) -> list[int]:
    """The live segments holding a document's live chunks (their filter files change with its metadata)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT c.segment FROM chunks c JOIN segments s ON s.id = c.segment AND s.live = 1 "
            "WHERE c.doc_id = ? AND c.deleted_gen IS NULL",
            (doc_id,),
        )
    ]


def missing(segment_dir: object, live: Iterable[int]) -> list[int]:
    """Live segments without any filter file (built before filter files existed)."""
    return [sid for sid in live if not files_of(segment_dir(sid))]  # type: ignore[operator]


def drop_uncommitted(segment_dirs: Iterable[Path], generation: int) -> None:
    """Delete filter files numbered above the committed generation: a killed writer's."""
    for directory in segment_dirs:
        for g, path in files_of(directory).items():
            if g > generation:
                path.unlink(missing_ok=True)


def load_for(
    segment_dir: object, gen: int, live: Iterable[int], previous: Mapping[int, tuple[Path, SegmentFilters]]
) -> dict[int, tuple[Path, SegmentFilters]]:
    """Per live segment, its filter file for generation ``gen`` (loaded, or reused from ``previous``);
    segments with none are left out, and a search then falls back to SQL."""
    out: dict[int, tuple[Path, SegmentFilters]] = {}
    for sid in live:
        usable = {g: p for g, p in files_of(segment_dir(sid)).items() if g <= gen}  # type: ignore[operator]
        if not usable:
            continue
        path = usable[max(usable)]
        if sid in previous and previous[sid][0] == path:
            out[sid] = previous[sid]
            continue
        try:
            out[sid] = (path, load(path))
        except (OSError, ValueError, KeyError):  # replaced meanwhile or unreadable: SQL answers instead
            continue
    return out
