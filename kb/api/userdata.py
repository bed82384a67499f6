"""What users keep in the knowledge base: watched searches, notes on documents, and bulk export.

Each handler acts for the caller's view (:func:`kb.api.auth.caller`), so a watch's hits, a
document's notes and an export hold only what the caller may read now, with the grants as they
are at the request (not as they were when the watch was saved). A watch or a document that is
missing or hidden answers the one 404 body of :mod:`kb.api.errors`. Bodies are JSON.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from kb.api.auth import Caller
from kb.api.errors import ApiError, error_responses, not_found
from kb.api.read import MAX_QUERY, MAX_VALUE, disposition, filters_of
from kb.types import MAX_K, KBError

router = APIRouter()

FILTER_FIELDS = ("lang", "doc_type", "region", "country", "crossing", "entity", "collection")
MAX_EXPORT_IDS = 1000
EXPORT_MAX_MB = 200  # the originals in one export (the facade's default limit)


class Filters(BaseModel):
    """Search filters as ``/search`` takes them (lists of values; dates as YYYY[-MM[-DD]])."""

    lang: list[str] = Field(default_factory=list, max_length=20)
    doc_type: list[str] = Field(default_factory=list, max_length=20)
    region: list[str] = Field(default_factory=list, max_length=20)
    country: list[str] = Field(default_factory=list, max_length=20)
    crossing: list[str] = Field(default_factory=list, max_length=20)
    entity: list[str] = Field(default_factory=list, max_length=20)
    collection: list[str] = Field(default_factory=list, max_length=20)
    since: str | None = Field(default=None, max_length=10)
    until: str | None = Field(default=None, max_length=10)


class WatchIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_VALUE)
    q: str = Field(min_length=1, max_length=MAX_QUERY)
    filters: Filters = Field(default_factory=Filters)
    k: int = Field(default=10, ge=1, le=MAX_K)
    notify: str | None = Field(default=None, max_length=2000)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    page: int | None = Field(default=None, ge=1)
    quote: str | None = Field(default=None, max_length=20_000)


class ExportIn(BaseModel):
    """Either ``doc_ids`` or a search (``q`` with optional ``filters`` and ``k``)."""

    doc_ids: list[Annotated[str, Field(max_length=MAX_VALUE)]] = Field(default_factory=list, max_length=MAX_EXPORT_IDS)
    q: str | None = Field(default=None, max_length=MAX_QUERY)
    filters: Filters = Field(default_factory=Filters)
    k: int = Field(default=50, ge=1, le=MAX_K)
    title: str = Field(default="kb export", max_length=200)
    max_mb: float = Field(default=EXPORT_MAX_MB, gt=0, le=EXPORT_MAX_MB)  # a client may ask for less


def _filters(kb: Any, given: Filters) -> dict[str, Any]:
    """Checked filters (422 on an unknown value), keeping only the fields given."""
    checked = filters_of(kb, **given.model_dump())
    return {k: v for k, v in checked.items() if v}


def _value_error(exc: ValueError) -> ApiError:
    return ApiError(422, str(exc))


@router.get("/watches", tags=["watches"], responses=error_responses(401))
def watches(kb: Caller) -> list[dict[str, Any]]:
    """Your watched searches: name, query, filters, k, created, last_run and ``new`` (hits not yet seen)."""
    return list(kb.watches())


@router.post("/watches", tags=["watches"], status_code=201, responses=error_responses(401, 422))
def watch_add(kb: Caller, watch: WatchIn) -> dict[str, Any]:
    """Watch a search: documents that arrive from now on and match it become its new hits."""
    filters = _filters(kb, watch.filters)
    try:
        return dict(kb.watch_add(watch.name, watch.q, filters, k=watch.k, notify=watch.notify))
    except ValueError as exc:
        raise _value_error(exc) from None


@router.get("/watches/{name}/new", tags=["watches"], responses=error_responses(401, 404))
def watch_new(kb: Caller, name: str, peek: bool = False) -> dict[str, Any]:
    """The watch's hits since you last looked (hit objects as ``/search`` gives them, plus ``found``);
    they count as seen from then on unless ``?peek=1``."""
    if len(name) > MAX_VALUE:
        raise not_found()
    return dict(kb.watch_new(name, mark_seen=not peek))  # NotFound → 404


@router.delete("/watches/{name}", tags=["watches"], responses=error_responses(401, 404))
def watch_remove(kb: Caller, name: str) -> dict[str, Any]:
    """Forget one of your watches and its unseen hits."""
    if len(name) > MAX_VALUE or not kb.watch_remove(name):
        raise not_found()
    return {"removed": name}


@router.get("/documents/{doc_id}/notes", tags=["notes"], responses=error_responses(401, 404))
def notes(kb: Caller, doc_id: str) -> list[dict[str, Any]]:
    """The notes on a document you may read, oldest first, with author and date."""
    if len(doc_id) > MAX_VALUE or kb.document(doc_id) is None:
        raise not_found()
    return list(kb.notes(doc_id))


@router.post("/documents/{doc_id}/notes", tags=["notes"], status_code=201, responses=error_responses(401, 404, 422))
def note_add(kb: Caller, doc_id: str, note: NoteIn) -> dict[str, Any]:
    """Attach a note (optionally on a page and a quoted passage) to a document you may read."""
    if len(doc_id) > MAX_VALUE:
        raise not_found()
    try:
        return dict(kb.note_add(doc_id, note.text, page=note.page, quote=note.quote))  # NotFound → 404
    except ValueError as exc:
        raise _value_error(exc) from None


@router.get("/notes", tags=["notes"], responses=error_responses(401, 422))
def notes_search(
    kb: Caller,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Notes you may read whose text or quoted passage has every word of ``q``, newest first."""
    return list(kb.notes_search(q, limit=limit))


@router.post("/export", tags=["documents"], responses=error_responses(401, 413, 422))
def export(kb: Caller, body: ExportIn) -> FileResponse:
    """A ZIP of the originals you may read, ``documents.csv`` and ``index.md``, for the given document
    ids or the results of a search. Over the size limit: 413 with the reason, nothing written."""
    if bool(body.doc_ids) == bool(body.q):
        raise ApiError(422, "give either doc_ids or q")
    wanted: list[Any] = list(body.doc_ids)
    if body.q:
        wanted = list(kb.search(body.q, k=body.k, filters=_filters(kb, body.filters)))
    folder = Path(tempfile.mkdtemp(prefix="kb-export-"))
    path = folder / "kb-export.zip"
    try:
        summary = kb.export(wanted, path, max_mb=body.max_mb, title=body.title)
    except KBError as exc:
        _cleanup(folder)
        raise ApiError(413, str(exc)) from None
    except BaseException:
        _cleanup(folder)
        raise
    headers = {"Content-Disposition": disposition("kb-export.zip"), "X-Kb-Documents": str(summary["documents"])}
    return FileResponse(
        path, media_type="application/zip", headers=headers, background=BackgroundTask(_cleanup, folder)
    )


def _cleanup(folder: Path) -> None:
    for p in folder.iterdir():
        p.unlink(missing_ok=True)
    folder.rmdir()
