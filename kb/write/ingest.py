"""Ingest runs, removal and compaction: every write to a knowledge base goes through here.

Each batch of new documents becomes one new segment. Order of a commit: segment files and
originals are written and fsynced first, then one SQLite transaction records documents, chunks,
mentions, tombstones, the segment and the new generation, then the manifest is replaced. See
``kb.store`` for why a kill at any point leaves a consistent, openable knowledge base.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.faults import checkpoint
from kb.overlap import CORES, Stopwatch, read_ahead, reading_order
from kb.pipeline import Analysed, Rejected
from kb.scan import Todo, scan, settle_copies

if TYPE_CHECKING:
    from kb.service import IngestReport, KnowledgeBase, Progress, ReportRow

BATCH_DOCS = 200  # documents per segment commit: bounds memory and the work a crash can lose
GROUP_DOCS = 8  # documents analysed and embedded together while the reader parses the next ones
SKIP_DIRS = {".git", "__pycache__", ".venv", "node_modules"}


def expand(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order; hidden files are left out."""
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                rel = sub.relative_to(p).parts
                if any(part.startswith(".") or part in SKIP_DIRS for part in rel):
                    continue
                if sub.is_file() and sub.resolve() not in seen:
                    seen.add(sub.resolve())
                    yield sub.resolve()
        elif p.exists() or p.is_symlink():
            if p.resolve() not in seen:
                seen.add(p.resolve())
                yield p.resolve()
        else:
            yield p.absolute()  # reported as missing


def read_limits(kb: KnowledgeBase, passwords: Sequence[str] = ()) -> Any:
    """The budgets every file read for ``kb`` gets: ingest and the precedent finder's drafts alike."""
    from ingest.readers import ReadLimits

    c = kb.config
    return ReadLimits(
        max_bytes=c.max_file_mb * 1024 * 1024,
        max_pages=c.max_pages,
        timeout_s=c.file_timeout_s,
        max_memory_mb=c.max_parser_memory_mb,
        ocr=c.ocr,
        ocr_langs=c.ocr_langs,
        passwords=tuple(passwords),
    )


def run_ingest(
    kb: KnowledgeBase,
    paths: Iterable[str | Path],
    collection: str | None,
    *,
    passwords: Sequence[str] = (),
    progress: Progress | None = None,
) -> IngestReport:
    from kb.service import IngestReport

    files = list(expand(paths))
    store = kb.store
    db = store.db
    with store.writer_lock():
        cleanup_orphans(kb)
        run = int(db.execute("SELECT COALESCE(MAX(run), 0) + 1 FROM report").fetchone()[0])
        rows, todo, same = scan(kb, files, collection, progress)
        for start in range(0, len(todo), BATCH_DOCS):
            batch = todo[start : start + BATCH_DOCS]
            rows.extend(_ingest_batch(kb, batch, collection, passwords, progress, run, start, len(todo)))
        rows.extend(settle_copies(rows, same))
        # duplicates point at documents that exist (in the store, or ingested by this run): record their paths
        with db:
            for r in rows:
                if r.status == "duplicate" and r.doc_id:
                    db.execute(
                        "INSERT OR IGNORE INTO document_paths SELECT ?,?,? "
                        "WHERE EXISTS (SELECT 1 FROM documents WHERE id=?)",
                        (r.doc_id, r.path, collection, r.doc_id),
                    )
            db.executemany(
                "INSERT INTO report VALUES (?,?,?,?,?,?,?)",
                [(run, r.path, r.status, r.reason, r.detail, r.doc_id, time.time()) for r in rows],
            )
        if len(store.live_segments()) > kb.config.compact_segments:
            compact(kb, locked=True)
    return IngestReport(tuple(rows), store.generation)


def _ingest_batch(
    kb: KnowledgeBase,
    batch: Sequence[Todo],
    collection: str | None,
    passwords: Sequence[str],
    progress: Progress | None,
    run: int,
    offset: int,
    total: int,
) -> list[ReportRow]:
    from kb.service import ReportRow
    from kb.types import ReadError

    rows: list[ReportRow] = []
    clock = Stopwatch(kb.timings)
    by_path = {p: (doc_id, sha, size, replaces) for doc_id, p, sha, size, replaces in batch}
    analysed: list[Any] = []
    parts: list[np.ndarray] = []
    group: list[tuple[str, Path, str, int, Any]] = []
    n_read = 0

    def embed(outcomes: list[Analysed | Rejected], upto: int) -> None:
        """Embed an analysed group; ``upto`` is how many files had been read when it was handed over."""
        from index.embed import embed_cached

        found = [a for a in outcomes if isinstance(a, Analysed)]
        for r in outcomes:
            if isinstance(r, Rejected):
                rows.append(ReportRow(str(r.path), "skipped", r.reason, r.message))
        texts = [c.text for a in found for c in a.chunks]
        parts.append(embed_cached(kb.embedder, texts, kb.cache, batch_size=16, pace=CORES.pace))
        analysed.extend(found)
        if progress:
            progress("embed", offset + upto, total)
        clock.lap("embed")

    # Parsing (sandbox child, reader thread), analysis of group k+1 (a thread: spaCy's matrix products
    # and torch's release the GIL) and embedding of group k (this thread) overlap: see kb.overlap.
    pending: tuple[Future[list[Analysed | Rejected]], int] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="kb-analyse") as analysis, CORES.shared():

        def hand_over(group: list[tuple[str, Path, str, int, Any]]) -> None:
            """Queue ``group`` for analysis, then embed the group analysed before it (if any)."""
            nonlocal pending
            previous = pending
            pending = (analysis.submit(CORES.run, kb.analyser.analyse, group, kb.timings), n_read) if group else None
            if previous is not None:
                outcomes = previous[0].result()
                clock.lap(None)  # waiting for the analysis is not a stage of its own
                embed(outcomes, previous[1])

        for path, result in read_ahead(reading_order([p for _, p, *_ in batch]), read_limits(kb, passwords)):
            n_read += 1
            clock.lap("read")  # only the time spent waiting for the reader counts as reading
            if progress:
                progress("read", offset + n_read, total)
            doc_id, sha, size, replaces = by_path[path]
            if isinstance(result, ReadError):
                rows.append(ReportRow(str(path), "skipped", result.code, result.message))
                continue
            group.append((doc_id, path, sha, size, result))
            if len(group) >= GROUP_DOCS:
                hand_over(group)
                group = []
        checkpoint("read")
        hand_over(group)
        hand_over([])
    if progress:
        progress("embed", offset + n_read, total)
    if not analysed:
        return in_input_order(rows, batch)
    texts = [c.text for a in analysed for c in a.chunks]
    from index.embed import text_hash

    vectors = np.vstack(parts) if parts else np.zeros((0, kb.embedder.info.dim), dtype=np.float32)
    checkpoint("embed")
    clock.lap("embed")
    store, db = kb.store, kb.store.db
    first_id = int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM chunks").fetchone()[0])
    ids = np.arange(first_id, first_id + len(texts), dtype=np.int64)
    seg_id = int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM segments").fetchone()[0])
    from kb.segments import write_segment

    params = write_segment(
        store.segment_dir(seg_id),
        ids,
        vectors,
        texts,
        [c.lang for a in analysed for c in a.chunks],
        ivf_threshold=kb.config.ivf_threshold,
        embed_queries=_embed_queries(kb),
    )
    checkpoint("segment_written")
    clock.lap("index")
    files = {a.doc_id: store.keep_original(a.path, a.sha256) for a in analysed}
    checkpoint("originals_kept")
    gen = store.generation + 1
    replaced = {doc_id: replaces for doc_id, _, _, _, replaces in batch if replaces}
    with db:
        cid = first_id
        for a in analysed:
            if a.doc_id in replaced:
                _delete_document_rows(kb, a.doc_id, gen, keep_paths=True)
            _insert_document(kb, a, collection, files[a.doc_id], gen)
            _mark_near_duplicate(kb, a)
            insert_structure(kb, a, cid)
            regions = kb.analyser.passage_regions(a.mentions, a.region)
            db.executemany(
                "INSERT OR REPLACE INTO chunk_regions VALUES (?,?)",
                [(cid + i, r) for i, r in enumerate(regions) if r is not None],
            )
            for chunk, mentions in zip(a.chunks, a.mentions, strict=True):
                db.execute(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
                    (
                        cid,
                        a.doc_id,
                        chunk.ordinal,
                        chunk.text,
                        chunk.char_start,
                        chunk.char_end,
                        chunk.page_start,
                        chunk.page_end,
                        chunk.heading,
                        chunk.lang,
                        text_hash(chunk.text),
                        seg_id,
                    ),
                )
                db.executemany(
                    "INSERT INTO mentions VALUES (?,?,?,?,?,?)",
                    [(cid, m.entity_id, m.start, m.end, m.surface, m.value) for m in mentions],
                )
                cid += 1
            status = "updated" if a.doc_id in replaced else "ingested"
            rows.append(ReportRow(str(a.path), status, None, f"{len(a.chunks)} chunks", a.doc_id))
        _upsert_entities(kb, {m.entity_id for a in analysed for ms in a.mentions for m in ms})
        db.execute(
            "INSERT INTO segments VALUES (?,?,?,1,?)", (seg_id, gen, len(texts), json.dumps(params, sort_keys=True))
        )
        store.set_meta("generation", str(gen))
    checkpoint("store_committed")
    kb._write_manifest(_embedder_info(kb))
    checkpoint("manifest_written")
    clock.lap("store")
    return in_input_order(rows, batch)


def in_input_order(rows: list[ReportRow], batch: Sequence[tuple[str, Path, str, int, str | None]]) -> list[ReportRow]:
    position = {str(p): i for i, (_, p, *_) in enumerate(batch)}
    return sorted(rows, key=lambda r: position.get(r.path, len(position)))


def _embed_queries(kb: KnowledgeBase) -> Callable[[list[str]], np.ndarray]:
    """Texts -> query embeddings: what an IVF segment's recall tuning probes with."""
    return lambda texts: kb.query_embedder.embed(texts, "query")


def _mark_near_duplicate(kb: KnowledgeBase, a: Analysed) -> None:
    """Point a re-published text at the document it repeats (inside the caller's transaction)."""
    from kb.neardup import THRESHOLD, signature, similarity

    db = kb.store.db
    sig = signature(a.raw.text)
    rows = db.execute("SELECT doc_id, sig FROM fingerprints WHERE doc_id != ?", (a.doc_id,)).fetchall()
    if rows:
        others = np.stack([np.frombuffer(r["sig"], dtype=np.uint64) for r in rows])
        sims = similarity(sig, others)
        best = int(np.argmax(sims))
        if sims[best] >= THRESHOLD:
            target = rows[best]["doc_id"]
            root = db.execute("SELECT near_dup_of FROM documents WHERE id=?", (target,)).fetchone()
            target = root[0] if root and root[0] else target
            db.execute("UPDATE documents SET near_dup_of=? WHERE id=?", (target, a.doc_id))
    db.execute("INSERT OR REPLACE INTO fingerprints VALUES (?,?)", (a.doc_id, sig.tobytes()))


def insert_structure(kb: KnowledgeBase, a: Analysed, first_chunk_id: int) -> None:
    """Action items (per page) and affiliations (per chunk) of one document."""
    from ingest.structure import action_items, affiliations

    db = kb.store.db
    db.execute("DELETE FROM actions WHERE doc_id=?", (a.doc_id,))
    db.execute("DELETE FROM affiliations WHERE doc_id=?", (a.doc_id,))
    for page in a.raw.pages:
        for item in action_items(page.text):
            db.execute(
                "INSERT INTO actions VALUES (?,?,?,?,?,?,?)",
                (a.doc_id, page.number, item.heading, item.kind, item.text, item.owner, item.deadline),
            )
    for offset, (chunk, mentions) in enumerate(zip(a.chunks, a.mentions, strict=True)):
        persons = [(m.start, m.end) for m in mentions if m.type == "PERSON"]
        if not persons:
            continue
        orgs = [m for m in mentions if m.type in ("ORG", "PROGRAMME")]
        by_span: dict[tuple[int, int | None], str] = {(m.start, m.end): m.entity_id for m in mentions}
        found = affiliations(chunk.text, persons, [(m.start, m.end) for m in orgs])
        for aff in found:
            org_id = by_span.get((aff.org_start, aff.org_end)) if aff.org_start is not None else None
            db.execute(
                "INSERT INTO affiliations VALUES (?,?,?,?,?,?,?)",
                (
                    a.doc_id,
                    first_chunk_id + offset,
                    chunk.page_start,
                    by_span[(aff.person_start, aff.person_end)],
                    org_id,
                    aff.role,
                    aff.sentence,
                ),
            )


def _embedder_info(kb: KnowledgeBase) -> dict[str, Any]:
    info = kb.embedder.info
    return {"name": info.name, "family": info.family, "runtime": info.runtime, "dim": info.dim}


def _insert_document(kb: KnowledgeBase, a: Analysed, collection: str | None, file: str, gen: int) -> None:
    from kb.types import PAGE_JOINER

    db = kb.store.db
    raw = a.raw
    ocr = any(p.ocr_confidence is not None for p in raw.pages)
    meta = {"author": raw.author, "warnings": list(raw.warnings)}
    db.execute(
        "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            a.doc_id,
            str(a.path),
            a.sha256,
            a.size,
            raw.format,
            a.title,
            a.lang,
            a.doc_type,
            a.date,
            collection,
            len(raw.pages) if raw.format == "pdf" else None,
            a.region,
            json.dumps(a.countries),
            json.dumps(a.crossings),
            file,
            int(ocr),
            None,
            gen,
            json.dumps(meta),
        ),
    )
    db.execute("INSERT OR REPLACE INTO document_paths VALUES (?,?,?)", (a.doc_id, str(a.path), collection))
    offset = 0
    for i, page in enumerate(raw.pages):
        db.execute(
            "INSERT OR REPLACE INTO pages VALUES (?,?,?,?,?,?)",
            (a.doc_id, i, page.number, page.text, offset, page.ocr_confidence),
        )
        offset += len(page.text) + len(PAGE_JOINER)


def _upsert_entities(kb: KnowledgeBase, ids: set[str]) -> None:
    db = kb.store.db
    known = {r[0] for r in db.execute("SELECT id FROM entities")}
    for eid in sorted(ids - known):
        ent = kb.analyser.entity(eid)
        if ent is None:
            if not eid.startswith("date:"):
                continue
            name, etype, aliases, countries, lat, lon, region, origin = (
                eid[5:],
                "DATE",
                [],
                [],
                None,
                None,
                None,
                "dates",
            )
        else:
            name, etype, aliases = ent.name, ent.type, list(ent.aliases)
            countries, lat, lon, region = list(ent.countries), ent.lat, ent.lon, ent.region
            origin = "gazetteer" if kb.gazetteer.get(eid) is not None else "ner"
        db.execute(
            "INSERT OR REPLACE INTO entities VALUES (?,?,?,?,?,?,?,?,?)",
            (
                eid,
                name,
                etype,
                json.dumps(aliases, ensure_ascii=False),
                json.dumps(countries),
                lat,
                lon,
                region,
                origin,
            ),
        )


def _delete_document_rows(kb: KnowledgeBase, doc_id: str, gen: int, *, keep_paths: bool) -> None:
    """Tombstone a document's chunks at ``gen`` and drop its rows (inside the caller's transaction).

    A tombstone keeps only what searches need to exclude the chunk until compaction (id, segment,
    ``deleted_gen``, and the text hash that frees cached vectors): its text is blanked now, and
    ``secure_delete`` overwrites the freed bytes, so removed text is gone from the store at once.
    """
    db = kb.store.db
    db.execute(
        "DELETE FROM mentions WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id=? AND deleted_gen IS NULL)",
        (doc_id,),
    )
    db.execute(
        "DELETE FROM chunk_regions WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id=? AND deleted_gen IS NULL)",
        (doc_id,),
    )
    db.execute(
        "UPDATE chunks SET deleted_gen=?, text='', heading=NULL WHERE doc_id=? AND deleted_gen IS NULL", (gen, doc_id)
    )
    db.execute("DELETE FROM pages WHERE doc_id=?", (doc_id,))
    db.execute("DELETE FROM actions WHERE doc_id=?", (doc_id,))
    db.execute("DELETE FROM affiliations WHERE doc_id=?", (doc_id,))
    if not keep_paths:
        db.execute("DELETE FROM fingerprints WHERE doc_id=?", (doc_id,))
        db.execute("UPDATE documents SET near_dup_of=NULL WHERE near_dup_of=?", (doc_id,))
        db.execute("DELETE FROM document_paths WHERE doc_id=?", (doc_id,))
        db.execute("DELETE FROM documents WHERE id=?", (doc_id,))


def _prune_entities(kb: KnowledgeBase) -> None:
    """Drop entities no chunk mentions any more, unless they come from the gazetteer (inside a transaction).

    Names found by NER and dates are text of the documents that mentioned them.
    """
    kb.store.db.execute(
        "DELETE FROM entities WHERE origin IS NOT 'gazetteer' AND id NOT IN (SELECT entity_id FROM mentions)"
    )


def remove_document(kb: KnowledgeBase, doc_id_or_path: str) -> bool:
    """Remove a document everywhere: rows, chunk text (tombstones stay), unused cached vectors, its original,
    and the app's copy of it under ``<kb>/uploads``.

    The segments keep the chunks' vectors and BM25 statistics until the next compaction.
    """
    store, db = kb.store, kb.store.db
    with store.writer_lock():
        cleanup_orphans(kb)
        row = db.execute("SELECT id, sha256, file FROM documents WHERE id=?", (doc_id_or_path,)).fetchone()
        if row is None:
            p = str(Path(doc_id_or_path).expanduser().resolve())
            row = db.execute(
                "SELECT d.id, d.sha256, d.file FROM document_paths x JOIN documents d ON d.id=x.doc_id WHERE x.path=?",
                (p,),
            ).fetchone()
        if row is None:
            return False
        hashes = [
            bytes(r[0])
            for r in db.execute("SELECT text_hash FROM chunks WHERE doc_id=? AND deleted_gen IS NULL", (row["id"],))
        ]
        paths = [r[0] for r in db.execute("SELECT path FROM document_paths WHERE doc_id=?", (row["id"],))]
        gen = store.generation + 1
        with db:
            _delete_document_rows(kb, row["id"], gen, keep_paths=False)
            _prune_entities(kb)
            store.set_meta("generation", str(gen))
        checkpoint("remove_committed")
        manifest = store.read_manifest() or {}
        kb._write_manifest(manifest.get("embedder") or {})
        checkpoint("remove_manifest_written")
        _delete_copies(kb, row["file"], paths)
        _drop_unused_vectors(kb, hashes)
        store.purge_wal()
        if len(store.live_segments()) > kb.config.compact_segments:
            compact(kb, locked=True)
    return True


def _delete_copies(kb: KnowledgeBase, file: str | None, paths: Sequence[str]) -> None:
    """Delete a removed document's original under ``files/`` (unless another document shares it) and
    the files the app placed under ``<kb>/uploads`` for it. Sources elsewhere are the user's, left alone.
    """
    store, db = kb.store, kb.store.db
    if file and not db.execute("SELECT 1 FROM documents WHERE file=? LIMIT 1", (file,)).fetchone():
        (store.root / file).unlink(missing_ok=True)
    uploads = (store.root / "uploads").resolve()
    for p in paths:
        path = Path(p)
        if (
            path.parent.resolve() == uploads
            and not db.execute("SELECT 1 FROM document_paths WHERE path=? LIMIT 1", (p,)).fetchone()
        ):
            path.unlink(missing_ok=True)


def _drop_unused_vectors(kb: KnowledgeBase, hashes: Sequence[bytes]) -> None:
    db = kb.store.db
    unused = [
        h
        for h in hashes
        if not db.execute("SELECT 1 FROM chunks WHERE text_hash=? AND deleted_gen IS NULL LIMIT 1", (h,)).fetchone()
    ]
    if unused:
        kb.cache.drop(unused)


def compact(kb: KnowledgeBase, *, locked: bool = False) -> dict[str, int]:
    """Merge all live segments into one and purge tombstoned chunks.

    The merged segments are deleted right after the commit: readers still loading one of them
    re-read the new generation (``kb.segments.refresh_view``), and a removed document's words
    leave the disk with them.
    """
    if not locked:
        with kb.store.writer_lock():
            cleanup_orphans(kb)
            return compact(kb, locked=True)
    from kb.segments import load_segment, write_segment

    store, db = kb.store, kb.store.db
    live = store.live_segments()
    dead = db.execute("SELECT COUNT(*) FROM chunks WHERE deleted_gen IS NOT NULL").fetchone()[0]
    if len(live) <= 1 and not dead:
        return {"segments_before": len(live), "segments_after": len(live), "purged": 0}
    rows = db.execute("SELECT id, text, lang, segment FROM chunks WHERE deleted_gen IS NULL ORDER BY id").fetchall()
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    dim = int((store.read_manifest() or {}).get("embedder", {}).get("dim", 0) or 0)
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    for sid in live:
        seg = load_segment(sid, store.segment_dir(sid))
        mask = np.array([r["segment"] == sid for r in rows], dtype=bool)
        if mask.any():
            vectors[mask] = seg.dense.reconstruct(ids[mask])  # type: ignore[attr-defined]
    seg_id = int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM segments").fetchone()[0])
    params = write_segment(
        store.segment_dir(seg_id),
        ids,
        vectors,
        [r["text"] for r in rows],
        [r["lang"] for r in rows],
        ivf_threshold=kb.config.ivf_threshold,
        embed_queries=_embed_queries(kb),
    )
    checkpoint("compact_segment_written")
    gen = store.generation + 1
    with db:
        db.execute("DELETE FROM chunks WHERE deleted_gen IS NOT NULL")
        db.execute("DELETE FROM chunk_regions WHERE chunk_id NOT IN (SELECT id FROM chunks)")
        db.execute("UPDATE chunks SET segment=?", (seg_id,))
        db.execute("UPDATE segments SET live=0 WHERE live=1")
        db.execute(
            "INSERT INTO segments VALUES (?,?,?,1,?)", (seg_id, gen, len(rows), json.dumps(params, sort_keys=True))
        )
        _prune_entities(kb)
        store.set_meta("generation", str(gen))
    checkpoint("compact_committed")
    manifest = store.read_manifest() or {}
    kb._write_manifest(manifest.get("embedder") or {})
    checkpoint("compact_manifest_written")
    cleanup_orphans(kb)  # the merged segments, and originals an update replaced
    store.purge_wal()
    return {"segments_before": len(live), "segments_after": 1, "purged": int(dead)}


def cleanup_orphans(kb: KnowledgeBase) -> None:
    """Remove what no committed generation references: segment directories and originals.

    Run by every writer (under the writer lock) before it writes, and after a compaction:
    a writer killed before its commit leaves a segment directory and copied originals, and
    a compaction or an updated document leaves retired segments and replaced originals.
    """
    store = kb.store
    live = {store.segment_dir(s).name for s in store.live_segments()}
    for d in (store.root / "segments").iterdir():
        if d.name not in live:
            shutil.rmtree(d, ignore_errors=True)
    files = store.root / "files"
    kept = {r[0] for r in store.db.execute("SELECT DISTINCT file FROM documents WHERE file IS NOT NULL")}
    for path in sorted(files.rglob("*"), reverse=True):  # files before the folders holding them
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()  # only when empty
        elif str(path.relative_to(store.root)) not in kept:
            path.unlink(missing_ok=True)


def reindex(kb: KnowledgeBase, progress: Progress | None = None) -> dict[str, Any]:
    """Re-embed every live chunk with the configured embedder into one new segment.

    Used when the embedder or the format version changes: the store (documents, chunks,
    entities) is kept, only vectors and BM25 arrays are rebuilt.
    """
    from index.embed import embed_cached
    from kb.segments import write_segment

    store, db = kb.store, kb.store.db
    with store.writer_lock():
        cleanup_orphans(kb)
        before = (store.read_manifest() or {}).get("embedder") or {}
        rows = db.execute("SELECT id, text, lang FROM chunks WHERE deleted_gen IS NULL ORDER BY id").fetchall()
        ids = np.array([r["id"] for r in rows], dtype=np.int64)
        texts = [r["text"] for r in rows]
        parts = []
        for s in range(0, len(texts), 256):
            parts.append(embed_cached(kb.embedder, texts[s : s + 256], kb.cache))
            if progress:
                progress("embed", min(s + 256, len(texts)), len(texts))
        vectors = np.vstack(parts) if parts else np.zeros((0, kb.embedder.info.dim), np.float32)
        seg_id = int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM segments").fetchone()[0])
        params = write_segment(
            store.segment_dir(seg_id),
            ids,
            vectors,
            texts,
            [r["lang"] for r in rows],
            kb.config.ivf_threshold,
            _embed_queries(kb),
        )
        gen = store.generation + 1
        with db:
            db.execute("DELETE FROM chunks WHERE deleted_gen IS NOT NULL")
            db.execute("DELETE FROM chunk_regions WHERE chunk_id NOT IN (SELECT id FROM chunks)")
            db.execute("UPDATE chunks SET segment=?", (seg_id,))
            db.execute("UPDATE segments SET live=0 WHERE live=1")
            db.execute("INSERT INTO segments VALUES (?,?,?,1,?)", (seg_id, gen, len(rows), json.dumps(params)))
            store.set_meta("generation", str(gen))
        kb._write_manifest(_embedder_info(kb))
        cleanup_orphans(kb)
        store.purge_wal()
    return {"chunks": len(rows), "from": before.get("name"), "to": kb.embedder.info.name}
