"""``POST /api/v1/documents``: upload files into a collection (write permission on it).

The permission is checked before a byte is saved. Each file is written, under a bare safe
version of its name, into a private temporary folder (mode 0700, removed afterwards) and
ingested from there with :meth:`KnowledgeBase.ingest`, which copies the original into the
knowledge base: the document's source keeps the uploaded file's name, the folder is gone after
the request. The request body is limited to the knowledge base's ``max_file_mb`` per file (413
above it, see :mod:`kb.api.app`); each file's content is sniffed and must match its extension.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, UploadFile

from kb.api.auth import Caller
from kb.api.errors import BUSY, ApiError, error_responses
from kb.types import DEFAULT_COLLECTION, LockHeld

router = APIRouter()

#: extension -> content formats the sniffer may report for it
FORMATS: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "docx": ("docx",),
    "html": ("html",),
    "htm": ("html",),
    "md": ("markdown", "html", "text"),
    "txt": ("text", "markdown", "html"),
}
MAX_FILES = 20
_KEEP = re.compile(r"[^\w.\- ()]")


def bare_name(name: str) -> str:
    """The last component of an uploaded name, reduced to characters every filesystem takes."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/")).rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    stem = _KEEP.sub("_", stem if dot else base).strip(" ._")[:100]
    ext = ext.lower() if dot else ""
    return f"{stem or 'upload'}.{ext}" if ext else stem or "upload"


def _refusal(name: str, size: int, max_mb: int) -> str | None:
    ext = bare_name(name).rpartition(".")[2] if "." in bare_name(name) else ""
    if ext not in FORMATS:
        return f"unsupported: .{ext or '?'} is not one of {', '.join(sorted(FORMATS))}"
    if size > max_mb * 1024 * 1024:
        raise ApiError(413, f"{name}: over the {max_mb} MB limit")
    if size == 0:
        return "empty: zero-byte file"
    return None


def _save(folder: Path, upload: UploadFile, max_mb: int, taken: set[str]) -> tuple[Path | None, str | None]:
    """Copy one upload into ``folder``: its path, or why it was refused."""
    name = upload.filename or "upload"
    size = upload.size if upload.size is not None else 0
    why = _refusal(name, size, max_mb)
    if why is not None:
        return None, why
    clean = bare_name(name)
    if clean.casefold() in taken:
        return None, f"unsupported: another file of this upload is also named {clean}"
    target = folder / clean
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    from kb.service import KnowledgeBase

    kind = KnowledgeBase.content_format(target)
    if kind not in FORMATS[clean.rpartition(".")[2]]:
        return None, f"unsupported: the content is {kind or 'binary or unknown'}, not .{clean.rpartition('.')[2]}"
    taken.add(clean.casefold())
    return target, None


@router.post("/documents", tags=["documents"], status_code=201, responses=error_responses(400, 401, 403, 409, 413))
def upload(
    kb: Caller,
    files: list[UploadFile],
    collection: Annotated[str, Form(max_length=200)] = DEFAULT_COLLECTION,
) -> dict[str, Any]:
    """Ingest uploaded files into ``collection`` (default ``default``); one row per file, in order,
    with its status (``ingested``, ``updated``, ``unchanged``, ``duplicate``, ``skipped``,
    ``refused``) and document id."""
    if len(files) > MAX_FILES:
        raise ApiError(413, f"at most {MAX_FILES} files per upload")
    target = None if collection == DEFAULT_COLLECTION else collection
    if not kb.principal.can("write", target):
        raise ApiError(403, f"you may not write the collection {collection!r}")
    max_mb = int(kb.config.max_file_mb)
    folder = Path(tempfile.mkdtemp(prefix="kb-upload-"))  # mode 0700: private to this server's user
    try:
        rows: list[dict[str, Any] | None] = []
        placed: dict[str, int] = {}
        taken: set[str] = set()
        for upload_file in files:
            path, why = _save(folder, upload_file, max_mb, taken)
            name = upload_file.filename or "upload"
            if path is None:
                reason, _, detail = (why or "").partition(": ")
                rows.append(_row(name, "refused", reason, detail, None))
            else:
                placed[str(path.resolve())] = len(rows)
                rows.append(None)
        if placed:
            _ingest(kb, folder, target, files, placed, rows)
        return {"collection": collection, "files": rows}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ingest(
    kb: Any, folder: Path, target: str | None, files: list[UploadFile], placed: dict[str, int], rows: list[Any]
) -> None:
    try:
        report = kb.ingest([Path(p) for p in placed], target)
    except LockHeld:
        raise ApiError(409, BUSY) from None
    for r in report.rows:
        i = placed.get(str(Path(r.path).resolve()))
        if i is None:
            continue
        if r.status == "duplicate" and r.doc_id and kb.document(r.doc_id) is None:
            # the same bytes are stored in a collection the caller cannot read: never name that document
            rows[i] = _row(files[i].filename, r.status, None, "the same content is already stored", None)
        else:
            rows[i] = _row(files[i].filename, r.status, r.reason, r.detail, r.doc_id)
    for i, row in enumerate(rows):
        if row is None:
            rows[i] = _row(files[i].filename, "skipped", "damaged", "missing from the ingest report", None)


def _row(name: str | None, status: str, reason: str | None, detail: str | None, doc_id: str | None) -> dict[str, Any]:
    return {"name": name or "upload", "status": status, "reason": reason, "detail": detail, "doc_id": doc_id}
