"""The read paths: search, documents and their files, similar documents, entities, facets, collections.

Each takes the caller's view of the knowledge base (:func:`kb.api.auth.caller`), whose every
read is already scoped to the collections the caller may read, before ranking. These handlers
add only what HTTP needs: checked parameters (a misspelt filter value is a 422 with the nearest
known values, never a silent empty answer, as on the command line), the JSON shapes of
``kb search --json`` and ``kb show --json``, and the one 404 body for anything missing or hidden.
They are plain ``def`` functions: FastAPI runs them in its thread pool, and the facade gives each
thread its own SQLite connection.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse

from kb.api.auth import Caller
from kb.api.errors import ApiError, SafeJSON, error_responses, not_found
from kb.types import DOC_TYPES, ENTITY_TYPES, LANGUAGES, MAX_K, REGIONS

router = APIRouter()

MAX_QUERY = 2000  # characters of a query (a pasted paragraph fits)
MAX_VALUE = 200  # characters of one filter value
Values = Annotated[list[str], Query(max_length=20)]  # at most 20 values per filter
DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _canonical(field: str, values: list[str], known: tuple[str, ...]) -> list[str]:
    """Each value in its canonical spelling (case-insensitive), or a 422 listing the known ones."""
    out = []
    for value in values:
        match = next((k for k in known if k.casefold() == value.strip().casefold()), None)
        if match is None:
            raise ApiError(422, f"{field}: not a known value; known: {', '.join(known)}", code="unknown_value")
        out.append(match)
    return out


def _date(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    m = DATE.fullmatch(value.strip())
    try:
        if m is None:
            raise ValueError
        dt.date(*(int(g) if g else 1 for g in m.groups()))
    except ValueError:
        raise ApiError(422, f"{field}: not a date; use YYYY, YYYY-MM or YYYY-MM-DD") from None
    return value.strip()


def _open_values(field: str, values: list[str]) -> list[str]:
    if any(len(v) > MAX_VALUE for v in values):
        raise ApiError(422, f"{field}: a value is longer than {MAX_VALUE} characters")
    return values


def filters_of(kb: Any, **given: Any) -> dict[str, Any]:
    """The search filters, each value checked; open vocabularies against what the caller can read."""
    filters: dict[str, Any] = {
        "lang": _canonical("lang", given["lang"], LANGUAGES),
        "doc_type": _canonical("doc_type", given["doc_type"], DOC_TYPES),
        "region": _canonical("region", given["region"], REGIONS),
        "since": _date("since", given["since"]),
        "until": _date("until", given["until"]),
    }
    for field in ("country", "crossing", "entity", "collection"):
        filters[field] = _open_values(field, given[field])
    since, until = filters["since"], filters["until"]
    if since and until and since[: len(until)] > until:
        raise ApiError(422, "since is after until")
    for u in kb.unknown_filter_values(filters):
        hint = f" Did you mean: {', '.join(u.suggestions)}?" if u.suggestions else ""
        raise ApiError(422, f"{u.field}: no document you can read has this value.{hint}", code="unknown_value")
    return filters


@router.get("/search", tags=["search"], responses=error_responses(401, 422), response_model=list[dict[str, Any]])
def search(
    kb: Caller,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY)],
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    lang: Values = [],  # noqa: B006 - FastAPI copies defaults per request
    doc_type: Values = [],  # noqa: B006
    region: Values = [],  # noqa: B006
    country: Values = [],  # noqa: B006
    crossing: Values = [],  # noqa: B006
    entity: Values = [],  # noqa: B006
    collection: Values = [],  # noqa: B006
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    mode: Literal["hybrid", "dense", "sparse"] = "hybrid",
) -> Response:
    """Search what you may read: the same list of hit objects as ``kb search --json``.

    Repeat a filter to give several values (``?lang=es&lang=pt``); "quoted phrases" match exactly.
    When no passage you may read (within the filters) holds the quoted phrases, the search ranks on
    their words instead, and the ``X-KB-Unmatched-Phrases`` header lists them (percent-encoded,
    comma-separated).
    """
    filters = filters_of(
        kb, lang=lang, doc_type=doc_type, region=region, country=country, crossing=crossing,
        entity=entity, collection=collection, since=since, until=until,
    )  # fmt: skip
    unmatched = kb.unmatched_phrases(q, filters)
    headers = {"X-KB-Unmatched-Phrases": ",".join(quote(p, safe="") for p in unmatched)} if unmatched else None
    results = kb.search(q, k=k, filters=filters, mode=mode, snippets="best")
    # answered as is: the hits are plain JSON values already; FastAPI's checking and encoding them again
    # showed in a profile of the server under load
    return SafeJSON([kb.hit_json(r.best, passages=len(r.hits)) for r in results], headers=headers)


def _document(kb: Any, doc_id: str) -> dict[str, Any]:
    if len(doc_id) > MAX_VALUE:
        raise not_found()
    doc = kb.document(doc_id)
    if doc is None:
        raise not_found()
    return dict(doc)


@router.get("/documents/{doc_id}", tags=["documents"], responses=error_responses(401, 404))
def document(kb: Caller, doc_id: str) -> dict[str, Any]:
    """A document as ``kb show --json`` gives it, except ``file``: the path to download it from here
    (``null`` when no original is kept), not a path on the server."""
    doc = _document(kb, doc_id)
    doc["file"] = f"/api/v1/documents/{quote(doc_id, safe='')}/file" if doc.get("file") else None
    return doc


def download_name(source: str, doc_id: str) -> str:
    """The original's file name for ``Content-Disposition`` (no path, no control characters)."""
    name = Path(source.replace("\\", "/")).name
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable() and c not in '"\\;')
    return name.strip(" .") or doc_id


def disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987)."""
    fallback = _ASCII_NAME.sub("_", name).strip("._") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/documents/{doc_id}/file", tags=["documents"], responses=error_responses(401, 404))
def document_file(kb: Caller, doc_id: str) -> FileResponse:
    """The original file, as ingested (``Content-Disposition: attachment``)."""
    doc = _document(kb, doc_id)
    path = kb.original_file(doc_id)
    if path is None:
        raise not_found()
    headers = {"Content-Disposition": disposition(download_name(doc.get("source") or "", doc_id))}
    headers["X-Content-Type-Options"] = "nosniff"
    return FileResponse(path, media_type="application/octet-stream", headers=headers)


@router.get("/documents/{doc_id}/similar", tags=["documents"], responses=error_responses(401, 404))
def similar(kb: Caller, doc_id: str, k: Annotated[int, Query(ge=1, le=MAX_K)] = 10) -> list[dict[str, Any]]:
    """Documents most like this one, across languages (hit objects as ``/search`` gives them)."""
    if len(doc_id) > MAX_VALUE or kb.document(doc_id) is None:
        raise not_found()
    return [kb.hit_json(r.best, passages=len(r.hits)) for r in kb.similar(doc_id, k=k)]


@router.get("/entities", tags=["entities"], responses=error_responses(401, 422))
def entities(
    kb: Caller,
    type: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Entities with how many of your readable documents name each, most first (as ``kb entities --json``)."""
    etype = _canonical("type", [type], ENTITY_TYPES)[0] if type else None
    keys = ("id", "name", "type", "aliases", "doc_count")
    return [{key: r[key] for key in keys} for r in kb.entities(type=etype, limit=limit)]


@router.get("/entities/{entity_id}", tags=["entities"], responses=error_responses(401, 404))
def entity(kb: Caller, entity_id: str) -> dict[str, Any]:
    """One entity by id or any alias: its documents, co-mentions and timeline over what you can read."""
    view = kb.entity(entity_id) if len(entity_id) <= MAX_VALUE else None
    if view is None:
        raise not_found()
    return dict(view)


@router.get("/facets", tags=["search"], responses=error_responses(401))
def facets(kb: Caller, top: Annotated[int, Query(ge=1, le=100)] = 15) -> dict[str, list[dict[str, Any]]]:
    """Facet values with document counts over every document you can read."""
    out = kb.facets(top=top)
    return {field: [{"value": v, "label": label, "count": n} for v, label, n in rows] for field, rows in out.items()}


@router.get("/collections", tags=["collections"], responses=error_responses(401))
def collections(kb: Caller) -> list[dict[str, Any]]:
    """The collections you can read: name, documents, your role, and the grants you may see."""
    return list(kb.collections())
