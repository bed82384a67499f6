"""The ``KnowledgeBase`` API: the one entry point for the CLI, the app and Python users."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from kb.config import Config, default_kb_path
from kb.read.context import ReadContext
from kb.read.filter_values import UnknownValue, close_matches
from kb.service_access import AccessVerbs
from kb.service_checks import CheckVerbs
from kb.service_curation import CurationVerbs
from kb.service_queries import QueryVerbs
from kb.service_replicas import ReplicaVerbs
from kb.service_reports import ReportVerbs
from kb.service_userdata import UserDataVerbs
from kb.service_writes import WriteVerbs
from kb.store import FORMAT_VERSION, KBError, Store
from kb.types import (
    EntityRef,
    Filters,
    Forbidden,
    IngestReport,
    LoginFailed,
    NotFound,
    Principal,
    ReportRow,
    SearchResult,
    check_k,
)

if TYPE_CHECKING:
    from kb.read.evidence import Evidence
    from kb.write.context import WriteContext


class KnowledgeBase(
    AccessVerbs, WriteVerbs, CheckVerbs, ReportVerbs, ReplicaVerbs, UserDataVerbs, CurationVerbs, QueryVerbs
):
    """A knowledge base directory opened for search and ingest.

    Models load lazily on first use and stay loaded: build one instance per process, and one view
    of it per user with :meth:`as_user` (see :mod:`kb.service_access`).
    """

    def __init__(self, root: Path, config: Config, embedder: Any = None, *, migrating: bool = False) -> None:
        self.root = root
        self.config = config
        self.store = Store(root)
        self._embedder: Any = embedder  # an Embedder object overrides config.embedder (tests, notebooks)
        self._analyser: Any = None
        self._cache: Any = None
        self._view: Any = None  # kb.store.segments.Snapshot, replaced whole (threads read it without a lock)
        self._view_lock = threading.Lock()
        self._qcache: dict[str, np.ndarray] = {}
        self._query_embedder: Any = embedder  # a given embedder embeds its own queries, never an ONNX copy of e5
        self._batcher: tuple[Any, Any] | None = None  # (encoder, QueryBatcher of it)
        self._encoder_lock = threading.RLock()
        self.timings: dict[str, float] = {}  # seconds per ingest stage, summed over this process
        self._base: KnowledgeBase | None = None  # set on a principal's view: the instance that loads things
        if not migrating:
            self._check_open()

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls, path: str | Path | None = None, *, embedder_impl: Any = None, migrating: bool = False, **settings: Any
    ) -> KnowledgeBase:
        """Open (or create) the knowledge base at ``path`` (default ``KB_PATH`` / per-user dir).

        ``settings`` override :class:`kb.config.Config` fields (e.g. ``embedder="use"``).
        """
        root = Path(path).expanduser() if path is not None else default_kb_path()
        config = Config.load(root if root.exists() else None, **settings)
        return cls(root, config, embedder_impl, migrating=migrating)

    def _check_open(self) -> None:
        from index.models import expected_family

        manifest = self.store.read_manifest()
        if manifest is None:
            if self.store.generation:
                raise KBError(f"{self.root}: manifest.json is missing but the store has data")
            return
        if manifest.get("format_version") != FORMAT_VERSION:
            raise KBError(
                f"{self.root} has format version {manifest.get('format_version')}, this kb reads "
                f"{FORMAT_VERSION}: run `kb reindex` to migrate it"
            )
        emb = manifest.get("embedder") or {}
        want = self._embedder.info.family if self._embedder is not None else expected_family(self.config.embedder)
        if emb and emb.get("family") != want:
            raise KBError(
                f"{self.root} was built with the embedder {emb.get('name')!r} ({emb.get('family')}); "
                f"it cannot be searched with {self.config.embedder!r} ({want}). Open it with "
                f"--embedder {emb.get('name')} (or KB_EMBEDDER), or rebuild it with `kb reindex`."
            )
        if not self._readonly_consistent(manifest):
            self._recover_or_fail(manifest)

    def _readonly_consistent(self, manifest: Mapping[str, Any]) -> bool:
        return int(manifest.get("generation", 0)) == self.store.generation

    def _recover_or_fail(self, manifest: Mapping[str, Any]) -> None:
        """The store is ahead of the manifest: a writer died after its commit. Roll forward."""
        gen = self.store.generation
        if gen != int(manifest.get("generation", 0)) + 1:
            raise KBError(
                f"{self.root}: store generation {gen} does not match manifest generation "
                f"{manifest.get('generation')}; the knowledge base is damaged"
            )
        for seg in self.store.live_segments():
            if not (self.store.segment_dir(seg) / "segment.json").exists():
                raise KBError(f"{self.root}: segment {seg} is missing; the knowledge base is damaged")
        from kb.store import LockHeld
        from kb.store.manifest import write_manifest

        try:
            with self.store.writer_lock():
                write_manifest(self.store, dict(manifest.get("embedder") or {}))
        except LockHeld:
            pass  # the running writer will write it; the store itself is consistent

    def _writer(self) -> WriteContext:
        """The collaborators a write takes (``kb.write.context.WriteContext``); models still load lazily."""
        from kb.write.context import WriteContext

        return WriteContext(
            self.store,
            self.config,
            lambda: self.embedder,
            lambda: self.query_embedder,
            lambda: self.analyser,
            lambda: self.cache,
            self.timings,
        )

    # -- lazy components --------------------------------------------------------------------
    @property
    def embedder(self) -> Any:
        if self._base is not None:
            return self._base.embedder
        if self._embedder is None:
            from index.models import load_embedder

            try:  # an unknown embedder, or a GPU asked for where there is none, is the user's to fix
                self._embedder = load_embedder(self.config.embedder, self.config.device)
            except ValueError as exc:
                raise KBError(str(exc)) from exc
        return self._embedder

    @property
    def analyser(self) -> Any:
        if self._base is not None:
            return self._base.analyser
        if self._analyser is None:
            from ingest.analyse import Analyser, AnalysisSettings

            # the gazetteer loaded for a view before any ingest is reused, not read twice
            self._analyser = Analyser(AnalysisSettings.of(self.config), getattr(self, "_gazetteer", None))
        return self._analyser

    @property
    def gazetteer(self) -> Any:
        if self._base is not None:
            return self._base.gazetteer
        if self._analyser is not None:
            return self._analyser.gazetteer
        from ingest.gazetteer import Gazetteer

        if not hasattr(self, "_gazetteer"):
            self._gazetteer = Gazetteer.load()
        return self._gazetteer

    @property
    def cache(self) -> Any:
        if self._base is not None:
            return self._base.cache
        if self._cache is None:
            from kb.store.cache import EmbeddingCache

            self._cache = EmbeddingCache(self.root / "cache" / "embeddings.sqlite")
        return self._cache

    # -- reading view -----------------------------------------------------------------------
    def _refresh(self) -> Any:
        """The view of the current generation (a ``kb.store.segments.Snapshot``): one whole generation.

        A search takes the view once and uses only it, so a commit (or a compaction deleting the
        segments it merged) while the search runs never mixes two generations into its answer.
        """
        from kb.store.segments import Snapshot, refresh_snapshot

        if self._base is not None:
            return self._base._refresh()
        with self._view_lock:  # one thread loads a new generation's segments; the others wait for it
            self._view = refresh_snapshot(self.store, self._view or Snapshot())
            return self._view

    @property
    def generation(self) -> int:
        return int(self._refresh().generation)

    # -- public API -------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | Mapping[str, Any] | None = None,
        *,
        mode: str = "hybrid",
        per_doc: int = 5,
        snippets: bool | Literal["best"] = True,
    ) -> list[SearchResult]:
        """Search what the principal may read; results grouped by document, best passage first.

        ``snippets="best"`` builds highlighted snippets and entity lists for each document's best
        passage only (the others keep their first 200 characters, no entities): what the REST API and
        the CLI show, at a fraction of the work.

        Raises:
            ValueError: ``k`` or ``per_doc`` is not in 1..:data:`kb.types.MAX_K`.
        """
        from kb.read.search import search

        k, per_doc = check_k(k), check_k(per_doc, "per_doc")
        f = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        scoped = self._scoped(f)
        out = (
            []
            if scoped is None
            else search(self._reading(), query, k, scoped, mode=mode, per_doc=per_doc, snippets=snippets)
        )
        self._audit("search", query=query, filters=f.as_dict(), ids=[r.doc_id for r in out])
        return out

    def similar(
        self, doc_id_or_text: str, k: int = 10, filters: Filters | Mapping[str, Any] | None = None
    ) -> list[SearchResult]:
        """Documents most like a stored document (by id) or a pasted text, across languages."""
        from kb.read.search import similar

        k = check_k(k)
        f = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        scoped = self._scoped(f)
        out = [] if scoped is None else similar(self._reading(), doc_id_or_text, k, scoped)
        self._audit("similar", query=doc_id_or_text[:200], filters=f.as_dict(), ids=[r.doc_id for r in out])
        return out

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """A document's metadata, paths, entities by type and pages (``None``: no such id, or not readable)."""
        from kb.read.views import document_view

        view = document_view(self._db, self.root, doc_id)
        self._audit("view", ids=[doc_id] if view else [], query=None if view else doc_id[:200])
        return view

    def original_file(self, doc_id: str) -> Path | None:
        """The stored copy of a document's original file (to download), if it is there and readable."""
        from kb.store import reads

        row = reads.document_row(self._db, doc_id)
        path = self.root / row["file"] if row is not None and row["file"] else None
        if path is None or not path.is_file():
            return None
        self._audit("download", ids=[doc_id])
        return path

    def entity(self, entity_id: str) -> dict[str, Any] | None:
        """One entity by id, name or alias: its documents, co-mentioned entities, mentions per year
        (over the readable documents; ``None`` when none of them mentions it)."""
        from kb.read.views import entity_view

        view = entity_view(self._reading(view=False), entity_id)
        if view is not None:
            self._audit("entity", query=entity_id, ids=[d["id"] for d in view["documents"]])
        return view

    def entities(self, type: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Entities (of ``type``, else all but dates) with how many readable documents name each, most first."""
        from kb.read.views import entity_list

        return entity_list(self._db, type, limit)

    def facets(self, doc_ids: Sequence[str] | None = None, top: int = 15) -> dict[str, list[tuple[str, str, int]]]:
        """Facet values with document counts (over ``doc_ids``, or every readable document)."""
        from kb.read.views import facet_counts

        return facet_counts(self._reading(view=False), doc_ids, top)

    def evidence(self) -> Evidence:
        """The stored facts reports cite (documents, pages, mentions, roles, action items): a
        :class:`kb.read.evidence.Evidence` over this thread's connection, scoped to the principal."""
        from kb.read.evidence import Evidence

        return Evidence(self._db)

    def report(self, run: int | None = None) -> list[ReportRow]:
        """What an ingest run did with each file (the last run when ``run`` is ``None``); a principal
        that reads only some collections sees only the rows of documents it may read."""
        from kb.store.reads import report_rows

        return report_rows(self._db, run)

    def stats(self) -> dict[str, Any]:
        """Counts (documents, chunks, entities...), by language, type and format; the embedder and generation."""
        from kb.store import reads

        manifest = self.store.read_manifest() or {}
        db = self._db
        return {
            "path": str(self.root),
            "generation": manifest.get("generation", 0),
            "embedder": manifest.get("embedder"),
            "segments": len(manifest.get("segments", [])),
            **self.store.counts(db),
            "languages": reads.count_by(db, "lang"),
            "doc_types": reads.count_by(db, "doc_type"),
            "formats": reads.count_by(db, "format"),
        }

    def _reading(self, *, view: bool = True) -> ReadContext:
        """The collaborators of one read; with ``view``, the current generation's segments (loaded once)."""
        return ReadContext(
            self._db,
            self.config,
            self._refresh() if view else None,
            load_gazetteer=lambda: self.gazetteer,
            query_vector=self.query_vector,
            embed_passages=lambda texts: self.query_embedder.embed(texts, "passage"),
        )

    def close(self) -> None:
        """Close the store and caches; on a principal's view, nothing (the knowledge base stays open)."""
        if self._base is not None:
            return
        if self._cache is not None:
            self._cache.close()
        self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "KnowledgeBase",
    "Forbidden",
    "LoginFailed",
    "NotFound",
    "Principal",
    "IngestReport",
    "ReportRow",
    "Filters",
    "KBError",
    "EntityRef",
    "UnknownValue",
    "close_matches",
]
