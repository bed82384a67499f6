"""The facade's checks of what a user typed or uploaded: filter values, entity names, file content, language.

:class:`kb.service.KnowledgeBase` inherits these, so a front end (the CLI, the app, an API)
validates input through the facade alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from kb.read.context import ReadContext
from kb.read.filter_values import UnknownValue
from kb.types import Filters, RawDocument


class CheckVerbs:
    """Input checks over this knowledge base (mixed into ``KnowledgeBase``)."""

    config: Any
    root: Path

    def _reading(self, *, view: bool = True) -> ReadContext:
        raise NotImplementedError  # KnowledgeBase gives the read's collaborators

    def read_file(self, path: str | Path) -> RawDocument:
        """Read one file as ingest does, without storing it (the precedent finder's drafts).

        It is parsed in the parser sandbox with this knowledge base's size, time and memory limits,
        so a hostile file costs the caller (a web server) at most the per-file budget.

        Raises:
            ReadError: the file is skipped; ``code`` and ``message`` say why.
        """
        from ingest.sandbox import read_isolated
        from kb.write.ingest import read_limits

        return read_isolated(Path(path), read_limits(self.config))

    def also_searched(self, query: str) -> tuple[str, ...]:
        """The other-language glossary terms a search for ``query`` adds to its keyword query (each as
        "term (lang)"), so that a front end can say what else was searched for."""
        from kb.read.expand import also_searched

        return also_searched(query, self.config.glossary_weight)

    @staticmethod
    def content_format(path: str | Path) -> str | None:
        """The format a file's content shows (``pdf``, ``docx``, ``html``, ``markdown``, ``text``), else None."""
        from ingest.readers import sniff

        return sniff(Path(path))

    @staticmethod
    def text_language(text: str) -> str | None:
        """The language of a query or pasted text as the search sees it (None when too short to tell)."""
        from ingest.language import query_language  # lingua only: no heavy model

        return query_language(text)

    def unknown_filter_values(self, filters: Filters | Mapping[str, Any] | None) -> list[UnknownValue]:
        """The country, crossing, entity and collection filter values that match no document."""
        from kb.read.filter_values import unknown_values

        f = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        return unknown_values(self._reading(view=False), f)

    def entity_names(self) -> list[str]:
        """Names and aliases of every entity but dates (to suggest a spelling from)."""
        from kb.read.filter_values import entity_names

        return entity_names(self._reading(view=False))

    @property
    def max_upload_mb(self) -> int:
        """The largest file an upload (``upload``, ``read_upload``) may be, in MB; never above ``max_file_mb``."""
        from kb.write.uploads import upload_limit_mb

        return upload_limit_mb(self.config)

    def read_upload(self, name: str, data: bytes | BinaryIO) -> str:
        """The text of an uploaded file, read as :meth:`read_file` reads and not kept (the precedent
        finder's drafts): refused by name and size as an upload would be, parsed in the sandbox.

        Raises:
            ValueError: the file is refused or cannot be read; the message gives the reason code and why.
        """
        from kb.write.uploads import draft_text

        return draft_text(Path(self.root), name, data, lambda path: self.read_file(path).text, self.max_upload_mb)
