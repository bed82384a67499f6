"""The frozen values that the search side returns: hits, grouped results.

Result-side types live here; the document-side ones (pages, chunks, entities, read
errors, the skip reasons) live in :mod:`ingest.types` at the bottom of the tree and are
re-exported below so that ``from kb.types import Chunk`` keeps working. Tuples inside,
never lists: a value that crossed a stage boundary cannot be changed behind the next
stage's back.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ingest.types import (
    DOC_TYPES,
    ENTITY_TYPES,
    PAGE_JOINER,
    REGIONS,
    SKIP_REASONS,
    Chunk,
    Entity,
    Mention,
    Page,
    RawDocument,
    ReadError,
)

__all__ = [
    "ALL_COLLECTIONS",
    "AUDIT_ACTIONS",
    "DEFAULT_COLLECTION",
    "DOC_TYPES",
    "ENTITY_TYPES",
    "MAX_K",
    "MAX_UPLOAD_MB",
    "PAGE_JOINER",
    "REGIONS",
    "SKIP_REASONS",
    "Chunk",
    "Entity",
    "EntityRef",
    "Forbidden",
    "Hit",
    "LoginFailed",
    "Mention",
    "NotFound",
    "OWNER",
    "Page",
    "Principal",
    "ROLES",
    "RawDocument",
    "ReadError",
    "SearchResult",
    "UPLOAD_FORMATS",
    "UPLOAD_TYPES",
    "UploadOutcome",
]

#: The most results one search may ask for. Candidates grow with k (k x per_doc x 2), so an
#: unbounded k is an unbounded allocation: 10**9 asked numpy for 37 GiB.
MAX_K = 1000


@dataclass(frozen=True, slots=True)
class EntityRef:
    id: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching passage, ready to show and cite."""

    chunk_id: int
    doc_id: str
    source: str
    title: str
    lang: str
    doc_type: str
    date: str | None
    page: int | None
    score: float
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    entities: tuple[EntityRef, ...]
    text: str = ""
    heading: str | None = None
    region: str | None = None  # the passage's region ("europe", "latam", "other"), may differ from its document's


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Hits grouped by document: the best passage first, the others behind it."""

    doc_id: str
    score: float
    hits: tuple[Hit, ...] = field(default_factory=tuple)
    duplicates: tuple[str, ...] = ()  # near-duplicate documents folded into this result

    @property
    def best(self) -> Hit:
        return self.hits[0]


class KBError(Exception):
    """A user-facing problem with a knowledge base (wrong embedder, damaged store, lock held)."""


class LockHeld(KBError):
    """Another process holds the writer lock."""


#: an ingest run's progress callback: (stage, done, total)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ReportRow:
    """What happened to one file in one ingest run."""

    path: str
    status: str  # ingested | updated | unchanged | duplicate | skipped | removed
    reason: str | None = None  # skip code, see kb.types.SKIP_REASONS
    detail: str | None = None
    doc_id: str | None = None


@dataclass(frozen=True, slots=True)
class IngestReport:
    """An ingest run's outcome: one row per file, and the generation it left the knowledge base at."""

    rows: tuple[ReportRow, ...]
    generation: int

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def skipped(self) -> tuple[ReportRow, ...]:
        return tuple(r for r in self.rows if r.status == "skipped")


#: what an upload (the app, the REST API) may be, by extension -> the formats its content may sniff as
UPLOAD_FORMATS: Mapping[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "docx": ("docx",),
    "html": ("html",),
    "htm": ("html",),
    "md": ("markdown", "html", "text"),
    "markdown": ("markdown", "html", "text"),
    "txt": ("text", "markdown", "html"),
}
UPLOAD_TYPES = tuple(sorted(UPLOAD_FORMATS))
#: the largest upload, in MB (also never above the knowledge base's ``max_file_mb``)
MAX_UPLOAD_MB = 50


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """What happened to one uploaded file: ``status`` as in an ingest report, or ``refused`` (never saved).

    ``name`` is the name the file was uploaded under (the uploader's, not the saved one); ``reason``
    is a skip code (:data:`SKIP_REASONS`) or a refusal's (``unsupported``, ``too_large``, ``empty``).
    """

    name: str
    status: str
    reason: str | None = None
    detail: str | None = None
    doc_id: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the file is in the knowledge base now (added, updated, unchanged or a duplicate)."""
        return self.status not in ("skipped", "refused")


#: document metadata a user may correct (``kb set``); a correction survives relink and re-ingest
EDITABLE = ("title", "doc_type", "date", "lang", "region", "collection")


def check_k(k: int, name: str = "k") -> int:
    """``k`` as an int in 1..MAX_K, else a ValueError that says so (the API boundary's guard)."""
    try:
        if isinstance(k, bool):
            raise TypeError
        n = operator.index(k)
    except TypeError:
        raise ValueError(f"{name} must be a whole number from 1 to {MAX_K}, got {k!r}") from None
    if not 1 <= n <= MAX_K:
        raise ValueError(f"{name} must be from 1 to {MAX_K}, got {n}")
    return n


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions applied before ranking. Empty tuples / None mean "any"."""

    lang: tuple[str, ...] = ()
    doc_type: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    crossing: tuple[str, ...] = ()
    entity: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    collection: tuple[str, ...] = ()
    doc_id: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, object] | None) -> Filters:
        if not data:
            return cls()
        kwargs: dict[str, object] = {}
        for key, value in data.items():
            if value is None or value == () or value == []:
                continue
            if key in ("since", "until"):
                kwargs[key] = str(value)
            elif isinstance(value, str):
                kwargs[key] = (value,)
            else:
                kwargs[key] = tuple(str(v) for v in value)  # type: ignore[attr-defined]
        return cls(**kwargs)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in self.__slots__)  # type: ignore[attr-defined]

    def as_dict(self) -> dict[str, object]:
        """The filters that are set (for the audit trail, a saved search, JSON)."""
        return {k: list(v) if isinstance(v, tuple) else v for k in self.__slots__ if (v := getattr(self, k))}  # type: ignore[attr-defined]


# -- search-side values (filters, limits, errors) ------------------------------------------------
from ingest.language import LANGS, OTHER  # noqa: E402 - kept beside what uses it

#: Languages a passage can be tagged with (the ``lang`` search filter): the four searched
#: languages, the others the detector names, and ``und`` (undetermined).
LANGUAGES = (*LANGS, *OTHER, "und")


# -- who is asking (issue 15: accounts and per-collection permissions) ---------------------------
#: The collection of a document stored without one: grants and filters name it like any other.
DEFAULT_COLLECTION = "default"
#: A grant on this collection name covers every collection, present and future.
ALL_COLLECTIONS = "*"
#: Grant roles, weakest first: each includes the ones before it.
ROLES = ("read", "write", "admin")
#: What the audit trail records (``kb audit --action`` and the admin page filter on these).
AUDIT_ACTIONS = (
    "login", "login_failed", "login_locked", "lockout", "logout", "search", "similar", "view", "download",
    "export", "brief", "compare", "entity", "upload", "ingest", "remove", "set", "relink", "grant", "revoke",
    "user_add", "user_disable", "user_enable", "passwd", "group_add", "group_join", "group_leave",
    "token_create", "token_revoke", "watch", "note", "curate", "curate_import", "duplicate_reject",
)  # fmt: skip


class Forbidden(KBError):
    """The principal may not do this write or administration (reads answer "not found" instead)."""


class NotFound(KBError):
    """No such document or entity, or none this principal may read: the two answer alike."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a facade acts for, with the collections resolved once from the grants.

    ``None`` for a set means every collection (the owner, a knowledge base administrator, a
    ``*`` grant). The local owner is the single-user mode's principal: full access, not a user.
    """

    name: str
    admin: bool = False  # manages users, groups and every grant
    read: frozenset[str] | None = None
    write: frozenset[str] | None = None
    manage: frozenset[str] | None = None  # collections whose grants it may change
    owner: bool = False
    via: str | None = None  # who is really acting, when an owner or admin looks through a user's eyes

    def can(self, role: str, collection: str | None) -> bool:
        """Whether this principal holds ``role`` on ``collection`` (``None`` = the default one)."""
        allowed = {"read": self.read, "write": self.write, "admin": self.manage}[role]
        return allowed is None or (collection or DEFAULT_COLLECTION) in allowed


OWNER = Principal("owner", admin=True, owner=True)


class LoginFailed(KBError):
    """A wrong user name or password, a disabled account, or one locked after repeated failures.

    The message never says which of the first three it was; ``locked_until`` (ISO time) is set
    while the account is locked, so a server can answer 429 with a retry time.
    """

    def __init__(self, message: str = "wrong user name or password", locked_until: str | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until
