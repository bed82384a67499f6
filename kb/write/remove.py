"""``kb remove``: a document out of the store, its text out of the disk.

Its rows go and its chunks become tombstones with their text blanked, in one new generation;
then its original (unless another document shares it), the app's upload copy, and cached
vectors no live chunk uses. The segments keep its vectors and BM25 statistics until the next
compaction, which runs at once when there are more segments than ``compact_segments``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kb.store import Store
from kb.store import writes as w
from kb.store.lookups import document_paths, file_in_use, find_document, live_text_hashes, path_in_use, unused_hashes
from kb.store.manifest import commit_generation
from kb.write.compact import compact
from kb.write.context import WriteContext


def remove_document(ctx: WriteContext, doc_id_or_path: str) -> bool:
    """Remove a document (by id, or by the path it was ingested from); ``False`` when there is none."""
    store = ctx.store
    with store.writer_lock():
        store.remove_orphans()
        found = find_document(store, doc_id_or_path, str(Path(doc_id_or_path).expanduser().resolve()))
        if found is None:
            return False
        doc_id, file = found
        hashes = live_text_hashes(store, doc_id)
        paths = document_paths(store, doc_id)
        with commit_generation(store, points=("remove_committed", "remove_manifest_written")) as (_, gen):
            w.delete_document_rows(store, doc_id, gen, keep_paths=False)
            w.prune_entities(store)
        _delete_copies(store, file, paths)
        unused = unused_hashes(store, hashes)
        if unused:
            ctx.cache.discard(unused)
        store.purge_wal()
        if len(store.live_segments()) > ctx.config.compact_segments:
            compact(ctx, locked=True)
    return True


def _delete_copies(store: Store, file: str | None, paths: Sequence[str]) -> None:
    """Delete a removed document's original under ``files/`` (unless another document shares it) and
    the files an upload placed under ``<kb>/uploads`` (or a collection's folder there) for it. Sources
    elsewhere are the user's, left alone.
    """
    if file and not file_in_use(store, file):
        (store.root / file).unlink(missing_ok=True)
    uploads = (store.root / "uploads").resolve()
    for p in paths:
        path = Path(p)
        if uploads in path.resolve().parents and not path_in_use(store, p):
            path.unlink(missing_ok=True)
