"""The facade's bulk verbs: batch look-ups (a table of queries) and bulk export (a ZIP of results).

:class:`kb.service.KnowledgeBase` inherits these. Both run on the principal's own view: a batch
row is an ordinary search (scoped and audited like one), and an export contains only documents
the principal may read — a hidden or missing id is left out, exactly alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from kb.types import SearchResult, check_k

#: the default size limit of an export's original files
EXPORT_MAX_MB = 200


class BulkVerbs:
    """Batch look-ups and bulk export (mixed into ``KnowledgeBase``)."""

    _db: Any
    root: Path
    _audit: Any

    @staticmethod
    def batch_rows(text: str) -> list[dict[str, str]]:
        """The rows of an uploaded CSV (comma or semicolon separated) with a ``query`` column.

        Raises:
            ValueError: the table has no ``query`` column.
        """
        from kb.reports.batch import read_rows

        return read_rows(text)

    def batch(
        self, rows: Sequence[Mapping[str, str]], k: int = 3, progress: Callable[[int], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        """One search per row (column ``query``, optional lang, collection, doc_type, country, crossing,
        entity, since, until; ``;`` separates several values): per row ``{"row", "input", "error",
        "hits"}`` with the top ``k`` hits in the search JSON schema. A bad row gets ``error``; the run goes on.
        ``progress(1)`` is called after each row."""
        from kb.reports.batch import run_batch

        return run_batch(self, rows, check_k(k), progress)

    @staticmethod
    def batch_csv(results: Iterator[dict[str, Any]], out: IO[str], input_columns: Sequence[str], k: int) -> int:
        """Write batch results as CSV, one line per input row (UTF-8 with BOM for spreadsheets; formula-safe)."""
        from kb.reports.batch import write_csv

        return write_csv(results, out, input_columns, k)

    def export(
        self,
        results_or_doc_ids: Sequence[SearchResult | str],
        path: str | Path,
        *,
        max_mb: float = EXPORT_MAX_MB,
        title: str = "kb export",
    ) -> dict[str, Any]:
        """Write a ZIP of the given results (or document ids): the original files the principal may read,
        ``documents.csv`` (metadata and citations) and ``index.md`` (the snippets). Documents the principal
        cannot read are left out; a result's folded near-duplicates go in after it.
        Returns ``{"path", "documents", "files", "bytes"}``.

        Raises:
            KBError: the originals exceed ``max_mb`` (nothing is written; the message says so).
        """
        from kb.reports.export import export_zip
        from kb.store import reads

        wanted: list[tuple[str, tuple[Any, ...]]] = []  # (doc id, hits); a result's near-duplicates follow it
        for entry in results_or_doc_ids:
            if isinstance(entry, str):
                wanted.append((entry, ()))
            else:
                wanted += [(entry.doc_id, entry.hits), *((d, ()) for d in entry.duplicates)]
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for doc_id, hits in wanted:
            row = reads.document_row(self._db, doc_id) if doc_id not in seen else None
            if row is None:  # unreadable, missing or listed twice
                continue
            seen.add(doc_id)
            file = self.root / row["file"] if row["file"] else None
            items.append(
                {**{k: row[k] for k in ("title", "source", "collection", "lang", "doc_type", "date")}, "doc_id": doc_id,
                 "file": file if file is not None and file.is_file() else None,
                 "snippets": [{"snippet": h.snippet, "page": h.page, "score": round(h.score, 6)} for h in hits]}
            )  # fmt: skip
        summary = export_zip(items, Path(path), int(max_mb * 2**20), title)
        self._audit("export", ids=[i["doc_id"] for i in items], detail=f"{Path(path).name}: {summary['bytes']} bytes")
        return summary
