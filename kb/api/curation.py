"""Entity curation over HTTP: merge, split, aliases, names, types, wrong links, duplicates.

The same verbs as ``kb curate`` and the app's "Correct this entity" box, through the caller's
view of the facade: a curation needs ``write`` on every collection that mentions the entities it
touches (403 otherwise), an entity the caller cannot see is the one 404, and each change is in
the audit trail. Export and import of the whole curation log are for administrators.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from kb.api.auth import Caller
from kb.api.errors import error_responses
from kb.api.read import MAX_VALUE

router = APIRouter(tags=["curation"])

MAX_IMPORT = 5_000_000  # characters of JSONL in one import


class MergeIn(BaseModel):
    into: str = Field(min_length=1, max_length=MAX_VALUE)


class SplitIn(BaseModel):
    surface: str = Field(min_length=1, max_length=MAX_VALUE)
    new_id: str | None = Field(default=None, min_length=3, max_length=MAX_VALUE)


class AliasIn(BaseModel):
    alias: str = Field(min_length=1, max_length=MAX_VALUE)


class RenameIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_VALUE)


class RetypeIn(BaseModel):
    type: str = Field(min_length=1, max_length=40)


class WrongIn(BaseModel):
    doc_id: str = Field(min_length=1, max_length=MAX_VALUE)
    surface: str | None = Field(default=None, max_length=MAX_VALUE)


class PairIn(BaseModel):
    a: str = Field(min_length=1, max_length=MAX_VALUE)
    b: str = Field(min_length=1, max_length=MAX_VALUE)


class ImportIn(BaseModel):
    jsonl: str = Field(min_length=1, max_length=MAX_IMPORT)


CHANGES = error_responses(401, 403, 404, 422)


@router.post("/entities/{entity_id}/merge", responses=CHANGES)
def merge(kb: Caller, entity_id: str, body: MergeIn) -> dict[str, Any]:
    """Make this entity the same as ``into`` (its mentions move there, its name becomes an alias)."""
    return {"entity": body.into, "changed": kb.merge_entities(entity_id, body.into)}


@router.post("/entities/{entity_id}/split", responses=CHANGES, status_code=201)
def split(kb: Caller, entity_id: str, body: SplitIn) -> dict[str, Any]:
    """Move the mentions written ``surface`` to a new entity (undoing a wrong merge); answers its id."""
    return {"entity": kb.split_entity(entity_id, body.surface, body.new_id)}


@router.post("/entities/{entity_id}/aliases", responses=CHANGES)
def add_alias(kb: Caller, entity_id: str, body: AliasIn) -> dict[str, Any]:
    """Make ``alias`` a name of this entity (mentions written so, and new matches, link to it)."""
    return {"entity": entity_id, "changed": kb.add_alias(entity_id, body.alias)}


@router.delete("/entities/{entity_id}/aliases", responses=CHANGES)
def remove_alias(
    kb: Caller, entity_id: str, alias: Annotated[str, Query(min_length=1, max_length=MAX_VALUE)]
) -> dict[str, Any]:
    """Stop ``alias`` naming this entity."""
    return {"entity": entity_id, "changed": kb.remove_alias(entity_id, alias)}


@router.post("/entities/{entity_id}/rename", responses=CHANGES)
def rename(kb: Caller, entity_id: str, body: RenameIn) -> dict[str, Any]:
    """Show this entity under another name (its id and aliases stay)."""
    return {"entity": entity_id, "changed": kb.rename_entity(entity_id, body.name)}


@router.post("/entities/{entity_id}/retype", responses=CHANGES)
def retype(kb: Caller, entity_id: str, body: RetypeIn) -> dict[str, Any]:
    """Change this entity's type (PERSON, ORG, PLACE, COUNTRY, BORDER_CROSSING, ...)."""
    return {"entity": entity_id, "changed": kb.retype_entity(entity_id, body.type)}


@router.post("/entities/{entity_id}/wrong", responses=CHANGES)
def wrong(kb: Caller, entity_id: str, body: WrongIn) -> dict[str, Any]:
    """The linker was wrong in one document: drop this entity's mentions there (those written ``surface``)."""
    return {"entity": entity_id, "changed": kb.mark_wrong(entity_id, body.doc_id, body.surface)}


@router.get("/curations", responses=error_responses(401))
def curations(kb: Caller) -> list[dict[str, Any]]:
    """The curations you can see (every collection they affected is readable to you), oldest first."""
    return list(kb.curations())


@router.get("/curations/duplicates", responses=error_responses(401, 422))
def duplicates(
    kb: Caller,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    of: Annotated[str | None, Query(max_length=MAX_VALUE)] = None,
) -> list[dict[str, Any]]:
    """Pairs of readable entities whose names are near-identical, best first (``of``: one entity's pairs)."""
    return list(kb.entity_duplicates(limit=limit, of=of))


@router.post("/curations/duplicates/reject", responses=CHANGES)
def reject(kb: Caller, body: PairIn) -> dict[str, Any]:
    """Remember that two entities are different: the pair is not proposed again."""
    kb.reject_duplicate(body.a, body.b)
    return {"rejected": [body.a, body.b]}


@router.get("/curations/export", responses=error_responses(401, 403), response_class=PlainTextResponse)
def export(kb: Caller) -> PlainTextResponse:
    """Every curation as JSONL, to import into another knowledge base (administrators)."""
    return PlainTextResponse(kb.export_curations(), media_type="application/x-ndjson")


@router.post("/curations/import", responses=error_responses(401, 403, 422))
def import_(kb: Caller, body: ImportIn) -> dict[str, Any]:
    """Append an export's curations and relink so they apply (administrators)."""
    return {"imported": kb.import_curations(body.jsonl)}
