"""Commit one prepared batch: originals, a new segment, then every row in one transaction.

Order of a commit: originals and segment files are written and fsynced first, then one SQLite
transaction records documents, chunks, mentions, tombstones, the segment and the new generation,
then the manifest is replaced (``kb.store.manifest.commit_generation``). A kill at any point
leaves a consistent, openable knowledge base; what an uncommitted writer left on disk is
removed by the next writer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.analyse import Analysed
from kb.faults import checkpoint
from kb.store import Store, filters
from kb.store import writes as w
from kb.store.lookups import next_chunk_id, next_segment_id
from kb.store.manifest import commit_generation
from kb.types import Mention, ReportRow
from kb.write.concurrency import Stopwatch
from kb.write.context import WriteContext
from kb.write.curation import Overlay, entity_rows, load_overlay, store_entities
from kb.write.prepare import Prepared
from kb.write.scan import Todo


def keep_originals(store: Store, prepared: Prepared) -> tuple[dict[str, str], np.ndarray | None]:
    """Copy each document's original under ``files/``; a document whose file vanished since it was read
    is skipped (a report row), the rest of the batch goes on.

    Returns the originals' paths by document id, and which chunks (vector rows) are kept.
    """
    files: dict[str, str] = {}
    kept: list[Analysed] = []
    mask: list[bool] = []
    for a in prepared.analysed:
        try:
            files[a.doc_id] = store.keep_original(a.path, a.sha256)
        except OSError as exc:
            prepared.rows.append(ReportRow(str(a.path), "skipped", "damaged", f"cannot copy the original: {exc}"))
            mask.extend([False] * len(a.chunks))
            continue
        kept.append(a)
        mask.extend([True] * len(a.chunks))
    if len(kept) == len(prepared.analysed):
        return files, None
    prepared.analysed = kept
    return files, np.array(mask, dtype=bool)


@dataclass(frozen=True, slots=True)
class Committed:
    """What one batch commit published: its segment, the generation, the documents stored (post-commit hooks)."""

    segment: int
    generation: int
    doc_ids: tuple[str, ...]


#: called after each batch commit, under the writer lock, while the new segment's files certainly exist
OnCommit = Callable[[Committed], None]


def commit_batch(
    ctx: WriteContext,
    prepared: Prepared,
    batch: Sequence[Todo],
    collection: str | None,
    clock: Stopwatch,
    on_commit: OnCommit | None = None,
) -> list[ReportRow]:
    """Store a prepared batch as one new segment and generation; returns the rows of the stored documents.

    ``on_commit`` runs once the generation is committed (never when nothing was stored): the
    facade matches the watched searches against the new segment there.
    """
    from kb.store.segments import write_segment

    store = ctx.store
    vectors = prepared.vectors(lambda: int(ctx.embedder.info.dim))
    files, kept = keep_originals(store, prepared)
    checkpoint("originals_kept")
    if kept is not None:
        vectors = vectors[kept]
    analysed = prepared.analysed
    if not analysed:
        return []
    chunks = [c for a in analysed for c in a.chunks]
    first_id, seg_id = next_chunk_id(store), next_segment_id(store)
    ids = np.arange(first_id, first_id + len(chunks), dtype=np.int64)
    params = write_segment(
        store.segment_dir(seg_id), ids, vectors, [c.text for c in chunks], [c.lang for c in chunks],
        ivf_threshold=ctx.config.ivf_threshold, embed_queries=ctx.embed_queries(),
        titles=[a.title for a in analysed for _ in a.chunks],
    )  # fmt: skip
    checkpoint("segment_written")
    clock.lap("index")
    replaced = {doc_id for doc_id, *_, replaces in batch if replaces}
    rows: list[ReportRow] = []
    points = ("store_committed", "manifest_written")
    embedder = prepared.embedder or ctx.embedder_info()
    with commit_generation(store, embedder, points=points) as (_, gen):
        cid = first_id
        overlay = load_overlay(ctx)  # entity curations hold across re-ingests
        ids_mentioned: set[str] = set()
        for a in analysed:
            mentions = _store_document(
                store, a, collection, files[a.doc_id], gen, cid, seg_id, a.doc_id in replaced, overlay
            )
            ids_mentioned |= {m.entity_id for ms in mentions for m in ms}
            cid += len(a.chunks)
            status = "updated" if a.doc_id in replaced else "ingested"
            rows.append(ReportRow(str(a.path), status, None, f"{len(a.chunks)} chunks", a.doc_id))
        store_entities(ctx, overlay, ids_mentioned, entity_rows(ctx.analyser, prepared.entities))
        w.insert_segment(store, seg_id, gen, len(chunks), params)
        live = store.live_segments()  # the new one, and older ones without filter files (built before them)
        filters.write_for(
            store.db, store.segment_dir, dict.fromkeys([seg_id, *filters.missing(store.segment_dir, live)]), gen
        )
    clock.lap("store")
    if on_commit is not None:
        on_commit(Committed(seg_id, gen, tuple(a.doc_id for a in analysed)))
    return rows


def _store_document(
    store: Store,
    a: Analysed,
    collection: str | None,
    file: str,
    gen: int,
    first_id: int,
    seg_id: int,
    replaces: bool,
    overlay: Overlay,
) -> Sequence[Sequence[Mention]]:
    """Every row of one analysed document (an update first tombstones the version it replaces);
    returns its mentions as stored, the curations applied."""
    from ingest.neardup import THRESHOLD, similarity

    if replaces:
        w.delete_document_rows(store, a.doc_id, gen, keep_paths=True)
    w.insert_document(store, a, collection, file, gen)
    if a.signature is not None:
        w.mark_near_duplicate(store, a.doc_id, a.signature, similarity, THRESHOLD)
    ids = w.insert_chunks(store, a.doc_id, a.chunks, first_id, seg_id)
    mentions = overlay.apply(a.doc_id, [c.text for c in a.chunks], a.mentions) if overlay else a.mentions
    w.replace_passage_links(store, ids, mentions, a.regions)
    w.replace_structure(store, a.doc_id, ids, a.actions, a.affiliations)
    return mentions
