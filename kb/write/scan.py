"""What an ingest run must do with each file, before any is read: skip, leave, or queue it.

Split from :mod:`kb.write.ingest` (which writes) because it only reads the store: missing files,
unchanged paths, copies of stored documents and copies of another file of the same run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ingest.analyse import document_id, file_sha256
from kb.store import Store
from kb.store.lookups import document_with_content, known_path
from kb.types import Progress, ReportRow

SKIP_DIRS = {".git", "__pycache__", ".venv", "node_modules"}
Todo = tuple[str, Path, str, int, str | None]  # doc_id, path, sha256, size, the doc_id it replaces


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


def scan(
    store: Store, files: Sequence[Path], collection: str | None, progress: Progress | None
) -> tuple[list[ReportRow], list[Todo], list[tuple[Path, Todo]]]:
    """Sort the files into report rows (missing, unchanged, duplicates of stored documents), work to do,
    and copies of a file earlier in this run: ``(path, the earlier file's work item)``.

    A copy of a file of this run is not called a duplicate here: only once that file is read and
    stored is there a document to be a duplicate of (see :func:`settle_copies`).
    """
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
        known = known_path(store, str(path), collection)
        if known and known[1] == sha:
            rows.append(ReportRow(str(path), "unchanged", doc_id=known[0]))
            continue
        if not known:
            dup = document_with_content(store, sha, collection)
            if dup:
                rows.append(ReportRow(str(path), "duplicate", None, f"same content as {dup}", dup))
                continue
            if sha in first_of:
                same.append((path, first_of[sha]))
                continue
        item = (
            known[0] if known else document_id(path, collection),
            path,
            sha,
            size,
            known[0] if known else None,
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
