"""``POST /api/v1/documents``: upload files into a collection (write permission on it).

Thin over :meth:`KnowledgeBase.upload`, the app's upload path too: the permission is checked
before a byte is saved, names are made safe, type and content checked, and each file is kept
under ``<kb>/uploads`` (per collection), so uploading a new version of a file updates its
document (``updated``, the same id). What stays here is the HTTP's: the request body is limited
to the upload limit (:attr:`KnowledgeBase.max_upload_mb`, 413 above it, see :mod:`kb.api.app`),
a file over it or more than :data:`MAX_FILES` files answer 413 before anything is saved, and the
facade's refusals map to 403 (no write), 422 (a collection name no grant could name), 409 (busy).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, UploadFile

from kb.api.auth import Caller
from kb.api.errors import BUSY, ApiError, error_responses
from kb.types import DEFAULT_COLLECTION, Forbidden, LockHeld

router = APIRouter()

MAX_FILES = 20


@router.post("/documents", tags=["documents"], status_code=201, responses=error_responses(401, 403, 409, 413, 422))
def upload(
    kb: Caller,
    files: list[UploadFile],
    collection: Annotated[str, Form(max_length=200)] = DEFAULT_COLLECTION,
) -> dict[str, Any]:
    """Ingest uploaded files into ``collection`` (default ``default``); one row per file, in order,
    with its status (``ingested``, ``updated``, ``unchanged``, ``duplicate``, ``skipped``,
    ``refused``) and document id. Uploading a file under the same name into the same collection
    again updates its document."""
    if len(files) > MAX_FILES:
        raise ApiError(413, f"at most {MAX_FILES} files per upload")
    max_mb = kb.max_upload_mb
    for f in files:
        if f.size is not None and f.size > max_mb * 1024 * 1024:
            raise ApiError(413, f"{f.filename or 'upload'}: over the {max_mb} MB limit")
    try:
        outcomes = kb.upload([(f.filename or "upload", f.file) for f in files], collection)
    except Forbidden:
        raise ApiError(403, f"you may not write the collection {collection!r}") from None
    except LockHeld:
        raise ApiError(409, BUSY) from None
    except ValueError as exc:  # a collection name no grant could name ("*", a slash, control characters)
        raise ApiError(422, str(exc)) from None
    return {"collection": collection, "files": [asdict(o) for o in outcomes]}
