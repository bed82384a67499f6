"""What an ingest run must do with each file, before any is read: skip, leave, or queue it.

Split from :mod:`kb.ingest` (which writes) because it only reads the store: missing files,
unchanged paths, copies of stored documents and copies of another file of the same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kb.pipeline import document_id, file_sha256

if TYPE_CHECKING:
    from kb.service import KnowledgeBase, Progress, ReportRow

Todo = tuple[str, Path, str, int, str | None]  # doc_id, path, sha256, size, the doc_id it replaces


def scan(
    kb: KnowledgeBase, files: Sequence[Path], collection: str | None, progress: Progress | None
) -> tuple[list[ReportRow], list[Todo], list[tuple[Path, Todo]]]:
    """Sort the files into report rows (missing, unchanged, duplicates of stored documents), work to do,
    and copies of a file earlier in this run: ``(path, the earlier file's work item)``.

    A copy of a file of this run is not called a duplicate here: only once that file is read and
    stored is there a document to be a duplicate of (see :func:`settle_copies`).
    """
    from kb.service import ReportRow

    db = kb.store.db
    rows: list[ReportRow] = []
    todo: list[Todo] = []
    first_of: dict[str, Todo] = {}  # sha256 -> the first file of this run with those bytes
    same: list[tuple[Path, Todo]] = []
    for i, path in enumerate(files):
        if progress:
            progress("scan", i + 1, len(files))
        if not path.is_file():
            rows.append(ReportRow(str(path), "skipped", "unsupported", "not a regular file or missing"))
            continue
        try:
            size = path.stat().st_size
            sha = file_sha256(path)
        except OSError as exc:
            rows.append(ReportRow(str(path), "skipped", "damaged", f"cannot read file: {exc.strerror}"))
            continue
        known = db.execute(
            "SELECT d.id, d.sha256 FROM document_paths p JOIN documents d ON d.id = p.doc_id "
            "WHERE p.path=? AND p.collection IS ?",
            (str(path), collection),
        ).fetchone()
        if known and known["sha256"] == sha:
            rows.append(ReportRow(str(path), "unchanged", doc_id=known["id"]))
            continue
        if not known:
            dup = db.execute("SELECT id FROM documents WHERE sha256=? LIMIT 1", (sha,)).fetchone()
            if dup:
                rows.append(ReportRow(str(path), "duplicate", None, f"same content as {dup['id']}", dup["id"]))
                continue
            if sha in first_of:
                same.append((path, first_of[sha]))
                continue
        item = (
            known["id"] if known else document_id(path, collection),
            path,
            sha,
            size,
            known["id"] if known else None,
        )
        first_of.setdefault(sha, item)
        todo.append(item)
    return rows, todo, same


def settle_copies(rows: Sequence[ReportRow], same: Sequence[tuple[Path, Todo]]) -> list[ReportRow]:
    """Rows for the copies :func:`scan` set aside, now that the files they copy have their outcome.

    A copy of a stored file is its duplicate. A copy of a skipped file is skipped for the same
    reason: the same bytes read the same way, and reading them again would only cost time (a
    ``timeout`` twice over).
    """
    from kb.service import ReportRow

    outcome = {r.path: r for r in rows}
    out = []
    for path, (doc_id, first, *_) in same:
        r = outcome.get(str(first))
        if r is not None and r.status in ("ingested", "updated"):
            out.append(ReportRow(str(path), "duplicate", None, f"same content as {doc_id}", doc_id))
        else:
            reason, detail = (r.reason, r.detail) if r is not None else ("damaged", "not read")
            out.append(ReportRow(str(path), "skipped", reason, f"{detail} (same content as {first})"))
    return out
