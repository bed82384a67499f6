"""Compaction and reindex: every live chunk into one new segment, tombstones purged.

Compaction reuses the stored vectors (reconstructed from the segments); reindex embeds every
live chunk again with the configured embedder (a new embedder, a new format version). Both
delete the merged segments right after their commit: readers still loading one re-read the new
generation (``kb.store.segments.refresh_snapshot``), and a removed document's words leave the
disk with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kb.store import filters
from kb.store import writes as w
from kb.store.lookups import live_chunks, next_segment_id, tombstone_count
from kb.store.manifest import commit_generation
from kb.types import Progress
from kb.write.context import WriteContext

COMPACT_POINTS = ("compact_committed", "compact_manifest_written")


def compact(ctx: WriteContext, *, locked: bool = False) -> dict[str, int]:
    """Merge all live segments into one and purge tombstoned chunks (``locked``: the caller holds the lock)."""
    from kb.store.segments import load_segment

    store = ctx.store
    if not locked:
        with store.writer_lock():
            store.remove_orphans()
            return compact(ctx, locked=True)
    live = store.live_segments()
    dead = tombstone_count(store)
    if len(live) <= 1 and not dead:
        return {"segments_before": len(live), "segments_after": len(live), "purged": 0}
    rows = live_chunks(store)
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    dim = int((store.read_manifest() or {}).get("embedder", {}).get("dim", 0) or 0)
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    for sid in live:
        seg = load_segment(sid, store.segment_dir(sid))
        mask = np.array([r["segment"] == sid for r in rows], dtype=bool)
        if mask.any():
            vectors[mask] = seg.dense.reconstruct(ids[mask])  # type: ignore[attr-defined]
    _merge(ctx, rows, vectors, None, prune=True, written="compact_segment_written", points=COMPACT_POINTS)
    return {"segments_before": len(live), "segments_after": 1, "purged": int(dead)}


def reindex(ctx: WriteContext, progress: Progress | None = None) -> dict[str, Any]:
    """Re-embed every live chunk with the configured embedder into one new segment.

    Used when the embedder or the format version changes: the store (documents, chunks,
    entities) is kept, only vectors and BM25 arrays are rebuilt.
    """
    from index.embed import embed_cached

    store = ctx.store
    with store.writer_lock():
        store.remove_orphans()
        before = (store.read_manifest() or {}).get("embedder") or {}
        rows = live_chunks(store)
        texts = [r["text"] for r in rows]
        parts = []
        for s in range(0, len(texts), 256):
            parts.append(embed_cached(ctx.embedder, texts[s : s + 256], ctx.cache))
            if progress:
                progress("embed", min(s + 256, len(texts)), len(texts))
        vectors = np.vstack(parts) if parts else np.zeros((0, ctx.embedder.info.dim), np.float32)
        _merge(ctx, rows, vectors, ctx.embedder_info(), prune=False)
    return {"chunks": len(rows), "from": before.get("name"), "to": ctx.embedder.info.name}


def _merge(
    ctx: WriteContext,
    rows: Sequence[Any],
    vectors: np.ndarray,
    embedder: Mapping[str, Any] | None,
    *,
    prune: bool,
    written: str | None = None,
    points: tuple[str, str] | None = None,
) -> None:
    """Write one segment over ``rows`` (live chunks by id) and commit it as the only live one.

    ``embedder`` is what the manifest records (``None``: unchanged); ``prune`` drops entities no
    chunk mentions; ``written`` and ``points`` are the fault-injection checkpoints.
    """
    from kb.faults import checkpoint
    from kb.store.segments import write_segment

    store = ctx.store
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    seg_id = next_segment_id(store)
    params = write_segment(
        store.segment_dir(seg_id), ids, vectors, [r["text"] for r in rows], [r["lang"] for r in rows],
        ivf_threshold=ctx.config.ivf_threshold, embed_queries=ctx.embed_queries(), titles=[r["title"] for r in rows],
    )  # fmt: skip
    if written:
        checkpoint(written)
    with commit_generation(store, embedder, points=points) as (_, gen):
        w.merge_into_segment(store, seg_id, gen, len(rows), params)
        filters.write_for(store.db, store.segment_dir, [seg_id], gen)
        if prune:
            w.prune_entities(store)
    store.remove_orphans()  # the merged segments, and originals an update replaced
    store.purge_wal()
