"""Filter bitmaps per segment: what a filtered search may return, resolved without SQLite.

Each live segment has a ``filters.<generation>.npz`` beside its FAISS and BM25 files (numpy
arrays, no pickle), built from SQLite (the source of truth) by every commit that changes what a
filter must say: a new segment (ingest, compaction, reindex) and, for the segments holding the
documents concerned, ``kb set`` and ``kb relink``. A reader of generation *g* uses, per segment,
the newest file numbered *g* or less, so a metadata edit is seen exactly when its generation is;
a file numbered above the committed generation is what a killed writer left, and the next writer
deletes it (:func:`drop_uncommitted`). A segment without a file (a knowledge base built before
this module) makes the search fall back to SQL until a writer builds the missing files.

Layout, chosen by measurement (``bench/bench_filters.py``, 1M chunks): for every field, one
compressed bitmap of chunk ids per value (`pyroaring`, serialised in the file; deserialised on first
use): ``lang`` and ``region`` of the passage, ``doc_type``, ``collection``, ``date``, ``doc_id`` of
its document, and the ``entity``, ``country`` and ``crossing`` values of its document (posting lists,
compressed the same way). ``lang in (es, pt)`` to an id array: 0.17 ms with roaring bitmaps,
13-16 ms with packed numpy bitmaps (``np.unpackbits`` and a boolean index), 1.9 s in SQLite. A date
range is the union of the bitmaps of the stored dates inside it (compared as strings, as SQL does).
"""

from __future__ import annotations

import io
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.store.files import atomic_write

FILE = re.compile(r"^filters\.(\d+)\.npz$")
NULL = "\x01"  #: stands for SQL NULL (numpy strips a trailing NUL): no filter value equals it
FIELDS = ("lang", "region", "doc_type", "collection", "date", "doc_id", "entity", "country", "crossing")
FORMAT = 2
MAX_ID = (1 << 32) - 1  #: roaring bitmaps hold 32-bit ids; a segment with larger ids gets no filter file


class SegmentFilters:
    """One segment's bitmaps (shared by the threads of a process; a value's bitmap is decoded once)."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        from pyroaring import BitMap

        self._a = arrays
        self.vocab = {f: [str(v) for v in arrays[f"v_{f}"]] for f in FIELDS}
        self._index = {f: {v: i for i, v in enumerate(self.vocab[f])} for f in FIELDS}
        self.all = BitMap.deserialize(arrays["all"].tobytes())
        self._cache: dict[tuple[str, int], Any] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.all)

    def bitmap(self, field: str, i: int) -> Any:
        """The chunk ids of the ``i``-th value of ``field`` (a ``pyroaring.FrozenBitMap``)."""
        key = (field, i)
        got = self._cache.get(key)
        if got is None:
            from pyroaring import FrozenBitMap

            off = self._a[f"o_{field}"]
            got = FrozenBitMap.deserialize(self._a[f"b_{field}"][off[i] : off[i + 1]].tobytes())
            with self._lock:
                self._cache[key] = got
        return got

    def values(self, field: str, wanted: Iterable[str]) -> list[Any]:
        """The bitmaps of those of ``wanted`` that occur (no bitmap for a value nothing holds)."""
        index = self._index[field]
        return [self.bitmap(field, index[v]) for v in dict.fromkeys(wanted) if v in index]


# -- building ------------------------------------------------------------------------------------
def _serialise(groups: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(serialised bitmaps concatenated, offsets)``: one bitmap per id array."""
    from pyroaring import BitMap

    blobs = [BitMap(g.astype(np.uint32)).serialize() for g in groups]
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
    return np.frombuffer(b"".join(blobs), dtype=np.uint8), offsets


def _by_code(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(distinct values, the ids holding each)`` of a single-valued column."""
    vocab, codes = np.unique(values, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(vocab) + 1))
    return vocab, [ids[order[bounds[i] : bounds[i + 1]]] for i in range(len(vocab))]


def encode(
    ids: np.ndarray,
    chunk_doc: Sequence[str],
    chunk_fields: Mapping[str, Sequence[str]],
    docs: Mapping[str, Mapping[str, object]],
) -> dict[str, np.ndarray]:
    """The arrays of one segment from plain columns (also used by the benchmark's synthetic segments).

    Args:
        ids: The chunk ids, one per row (below 2**32).
        chunk_doc: Each row's document id.
        chunk_fields: Per row, ``lang`` and ``region`` (``NULL`` where none).
        docs: Per document id: ``doc_type``, ``collection``, ``date`` (strings, ``NULL`` where none) and
            ``entity``, ``country``, ``crossing`` (sequences of strings).

    Raises:
        ValueError: A chunk id beyond 32 bits (such a segment filters in SQL).
    """
    from pyroaring import BitMap

    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() > MAX_ID):
        raise ValueError("chunk ids beyond 32 bits: no filter bitmaps for this segment")
    out: dict[str, np.ndarray] = {"format": np.array([FORMAT])}
    out["all"] = np.frombuffer(BitMap(ids.astype(np.uint32)).serialize(), dtype=np.uint8)
    doc_ids, row_doc = np.unique(np.array(chunk_doc, dtype=str), return_inverse=True)
    columns: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
    for field in ("lang", "region"):
        columns[field] = _by_code(ids, np.array(chunk_fields[field], dtype=str))
    doc_vocab, doc_groups = _by_code(ids, row_doc)  # the ids of each document
    columns["doc_id"] = (doc_ids[doc_vocab], doc_groups)
    rows_of = {str(doc_ids[d]): g for d, g in zip(doc_vocab, doc_groups, strict=True)}
    for field in ("doc_type", "collection", "date", "entity", "country", "crossing"):
        holders: dict[str, list[np.ndarray]] = {}
        for d, group in rows_of.items():
            value = docs[d][field]
            for v in [value] if isinstance(value, str) else value:  # type: ignore[attr-defined]
                holders.setdefault(str(v), []).append(group)
        names = sorted(holders)
        columns[field] = (np.array(names, dtype=str), [np.concatenate(holders[v]) for v in names])
    for field, (vocab, groups) in columns.items():
        out[f"v_{field}"] = np.asarray(vocab, dtype=str)
        out[f"b_{field}"], out[f"o_{field}"] = _serialise(groups)
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
    return SegmentFilters(a)


def write_for(db: sqlite3.Connection, segment_dir: object, seg_ids: Iterable[int], gen: int) -> None:
    """Build and save the filter files of ``seg_ids`` for generation ``gen`` from SQLite as ``db`` sees it
    (inside the commit's transaction: its own uncommitted rows included). ``segment_dir`` maps an id to its
    directory."""
    for sid in seg_ids:
        directory: Path = segment_dir(sid)  # type: ignore[operator]
        if not directory.is_dir():
            continue
        try:
            arrays = from_store(db, sid)
        except ValueError:  # ids beyond 32 bits: this segment filters in SQL
            continue
        save(directory, gen, arrays)


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
