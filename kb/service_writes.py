"""The facade's write verbs: ingest, upload, remove, correct, relink, compact, reindex.

:class:`kb.service.KnowledgeBase` inherits these. Each checks the principal first (writing a
collection needs ``write`` on it; the whole-store operations need an administrator) and runs the
one write path (:mod:`kb.write`, published by ``kb.store.manifest.commit_generation``). A document
the principal cannot read is "no such document" here too, never "forbidden": the answer must not
tell that it exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from kb.types import DEFAULT_COLLECTION, IngestReport, KBError, Progress, UploadOutcome


class WriteVerbs:
    """Changes to stored documents (mixed into ``KnowledgeBase``)."""

    _db: Any
    principal: Any
    _writer: Any
    _require: Any
    _require_admin: Any
    _audit: Any
    _watch_hook: Any

    def ingest(
        self,
        paths: Iterable[str | Path],
        collection: str | None = None,
        *,
        passwords: Sequence[str] = (),
        progress: Progress | None = None,
        executor: Any = None,
    ) -> IngestReport:
        """Ingest files and folders (recursively) into ``collection``. Skips are reported, never raised.

        ``executor``: a Ray address (``auto``, ``local``, ``HOST:PORT``) or a ``RayExecutor`` to parse,
        analyse and embed on a cluster; this process still writes (docs/scaling.md).

        Raises:
            LockHeld: another process is writing this knowledge base.
            KBError: Ray is asked for but not installed, or its workers failed for good.
            Forbidden: the principal may not write ``collection``.
            ValueError: ``collection`` is not a name a grant could name (``*``, control characters, slashes).
        """
        from kb.access.accounts import check_collection
        from kb.write.ingest import run_ingest

        if collection is not None:
            check_collection(collection, star=False)
        self._require("write", collection)
        hook = self._watch_hook()  # None when nobody watches a search: then ingest does no watch work
        report = run_ingest(
            self._writer(), paths, collection, passwords=passwords, progress=progress, executor=executor, on_commit=hook
        )
        if hook is not None:
            hook.notify()
        stored = [r.doc_id for r in report.rows if r.doc_id and r.status in ("ingested", "updated")]
        self._audit("ingest", ids=stored, detail=f"{collection or 'default'}: {len(report.rows)} files")
        return report

    def upload(
        self,
        files: Sequence[tuple[str, bytes | BinaryIO]],
        collection: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> list[UploadOutcome]:
        """Keep uploaded ``(name, bytes or stream)`` files under ``<kb>/uploads`` and ingest them into
        ``collection`` (``None`` or ``default``: the default one); one outcome per file, in order.

        The one upload path of the app and the REST API (:mod:`kb.write.uploads`): names made safe,
        type, size (``max_upload_mb``) and content checked before a file is kept, a refused or
        skipped file taken back out. The same name uploaded again into the same collection is the
        same path, so it updates that document (``updated``) instead of adding a second one; a new
        version the ingest skips leaves the indexed one in place. Recorded once, as ``upload``.

        Raises:
            Forbidden: the principal may not write ``collection`` (checked before a byte is saved).
            ValueError: ``collection`` is not a name a grant could name.
            LockHeld: another process is writing this knowledge base; nothing was kept.
        """
        from kb.access.accounts import check_collection
        from kb.write.uploads import upload_files

        target = None if collection == DEFAULT_COLLECTION else collection
        if target is not None:
            check_collection(target, star=False)
        self._require("write", target)
        hook = self._watch_hook()  # uploads reach watched searches like any ingest
        outcomes = upload_files(self._writer(), files, target, progress=progress, on_commit=hook)
        if hook is not None:
            hook.notify()
        outcomes = [self._unnamed(o) for o in outcomes]
        stored = [o.doc_id for o in outcomes if o.doc_id and o.status in ("ingested", "updated")]
        self._audit("upload", ids=stored, detail=f"{target or DEFAULT_COLLECTION}: {len(outcomes)} files")
        return outcomes

    def _unnamed(self, out: UploadOutcome) -> UploadOutcome:
        """``out`` without the id of a stored copy the principal may not read (a hidden document is never named)."""
        from kb.store import reads

        if out.status != "duplicate" or not out.doc_id or self.principal.owner:
            return out
        if reads.document_id_for(self._db, out.doc_id) is not None:
            return out
        return replace(out, doc_id=None, detail="the same content is already stored")

    def remove(self, doc_id_or_path: str) -> bool:
        """Remove a document (by id or source path) everywhere; ``False`` when there is no such document
        (or none the principal may read).

        Raises:
            Forbidden: the principal reads the document but may not write its collection.
        """
        from kb.store import reads
        from kb.write.remove import remove_document

        target = doc_id_or_path
        if not self.principal.owner:  # the owner's remove resolves (and reports) inside the write path
            found = reads.document_id_for(self._db, doc_id_or_path)
            if found is None:
                return False
            self._require("write", found[1])
            target = found[0]
        removed = bool(remove_document(self._writer(), target))
        if removed:
            self._audit("remove", ids=[target])
        return removed

    def set_metadata(self, doc_id: str, values: dict[str, str]) -> None:
        """Correct a document's metadata (fields in ``kb.write.relink.EDITABLE``); it survives relink.

        Raises:
            KBError: a field is not editable, or there is no such document (or none readable).
            Forbidden: the principal may not write the document's collection, or the one it moves to.
        """
        from kb.store import reads
        from kb.write.relink import set_metadata

        if not self.principal.owner:
            found = reads.document_id_for(self._db, doc_id)
            if found is None or found[0] != doc_id:
                raise KBError(f"no document {doc_id!r}")
            self._require("write", found[1])
        if "collection" in values:
            self._require("write", values["collection"] or None)
        set_metadata(self._writer(), doc_id, values)
        self._audit("set", ids=[doc_id], detail=", ".join(f"{k}={v}" for k, v in sorted(values.items())))

    def compact(self) -> dict[str, int]:
        """Merge the live segments into one and purge tombstones: segments before and after, chunks purged."""
        from kb.write.compact import compact

        self._require_admin("compact the knowledge base")
        return compact(self._writer())

    def reindex(self, progress: Progress | None = None) -> dict[str, Any]:
        """Re-embed every live chunk with the configured embedder (after an embedder or format change)."""
        from kb.write.compact import reindex

        self._require_admin("reindex the knowledge base")
        return reindex(self._writer(), progress)

    def relink(self, progress: Progress | None = None) -> dict[str, int]:
        """Re-run entity linking and the place rules on the stored text (after a gazetteer edit)."""
        from kb.write.relink import relink

        self._require_admin("relink the knowledge base")
        counts = relink(self._writer(), progress)
        self._audit("relink")
        return counts
