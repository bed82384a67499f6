"""The facade's report verbs: visit brief, practice comparison, clause alignment, evaluation, exports.

:class:`kb.service.KnowledgeBase` inherits these. Each hands the knowledge base itself to a
:mod:`kb.reports` builder, which uses only the facade's public methods; the builders are
imported when a verb runs, so opening a knowledge base does not load them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.types import Hit, SearchResult

if TYPE_CHECKING:
    from kb.reports.compare import Group
    from kb.reports.model import Report


class ReportVerbs:
    """Reports over this knowledge base (mixed into ``KnowledgeBase``)."""

    def brief(self, target: str, *, max_items: int = 12) -> Report:
        """Visit brief for a crossing, place, institution or country (any alias, any language).

        Raises:
            KBError: nothing in the knowledge base mentions ``target``.
        """
        from kb.reports.brief import build_brief

        return build_brief(self, target, max_items=max_items)

    def compare(self, topic: str, *, per_region: int = 8) -> dict[str, list[Group]]:
        """The best passages on ``topic`` in Europe and in Latin America, grouped by country or crossing."""
        from kb.reports.compare import compare_practices

        return compare_practices(self, topic, per_region=per_region)

    def comparison_report(self, topic: str, groups: dict[str, list[Group]] | None = None) -> Report:
        """The practice comparison on ``topic`` as a report (``groups`` from :meth:`compare`, else computed)."""
        from kb.reports.compare import comparison_report

        return comparison_report(topic, self.compare(topic) if groups is None else groups)

    @staticmethod
    def compared_regions() -> tuple[tuple[str, str], ...]:
        """``(region, label)`` of the sides of a comparison, in order."""
        from kb.reports.compare import REGIONS

        return REGIONS

    def align(self, doc_a: str, doc_b: str, *, threshold: float = 0.80) -> Report:
        """Two documents clause by clause across languages: matched clauses and those left over.

        Raises:
            KBError: either id is not a stored document.
        """
        from kb.reports.compare import align_documents, alignment_report

        return alignment_report(self, doc_a, doc_b, align_documents(self, doc_a, doc_b, threshold=threshold))

    def evaluate(
        self,
        directory: Path,
        *,
        modes: Sequence[str] = ("dense", "sparse", "hybrid"),
        limit: int | None = None,
        half: str | None = None,
    ) -> dict[str, Any]:
        """R@k, MRR@10 and nDCG@10 of this knowledge base's searches on the labelled set in ``directory``
        (only its ``dev`` or ``test`` half of ``split.tsv`` when ``half`` is given)."""
        from kb.reports.evaluate import run_eval

        return run_eval(self, directory, modes=modes, limit=limit, half=half)

    def evaluate_entities(self, gold: Path, *, by_name: bool = True) -> dict[str, Any]:
        """Entity extraction scored on a gold file of annotated excerpts (``corpus/eval/entities/gold.jsonl``):
        precision and recall per type and language over canonical entities and mentions, the worst misses.
        ``by_name=False`` matches gazetteer entities by id only, never by the name of a key the gold set made."""
        from kb.reports.entity_eval import run_entity_eval

        return run_entity_eval(self, gold, by_name=by_name)

    def evaluate_doctypes(self, labels: Path) -> dict[str, Any]:
        """Document type accuracy and confusion on a labelled list (``corpus/eval/doctypes.tsv``)."""
        from kb.reports.doctype_eval import run_doctype_eval

        return run_doctype_eval(self, labels)

    @staticmethod
    def entity_eval_table(result: dict[str, Any]) -> str:
        """An entity evaluation (:meth:`evaluate_entities`) as the text table ``kb eval --entities`` prints."""
        from kb.reports.entity_eval import format_entity_table

        return format_entity_table(result)

    @staticmethod
    def doctype_eval_table(result: dict[str, Any]) -> str:
        """A document type evaluation (:meth:`evaluate_doctypes`) as the text ``kb eval --doctypes`` prints."""
        from kb.reports.doctype_eval import format_doctype_table

        return format_doctype_table(result)

    @classmethod
    def open_for_eval(cls, directory: Path, path: Path | None = None, *, embedder: str | None = None) -> Any:
        """The knowledge base a set is scored on: its own (cached, built from ``corpus.jsonl``), else ``path``'s."""
        from kb.reports.evaluate import corpus_kb, has_corpus

        opener = cls.open  # type: ignore[attr-defined]
        return corpus_kb(directory, embedder, opener) if has_corpus(directory) else opener(path, embedder=embedder)

    @staticmethod
    def eval_table(result: dict[str, Any]) -> str:
        """An evaluation result (:meth:`evaluate`) as the text table ``kb eval`` prints."""
        from kb.reports.evaluate import format_table

        return format_table(result)

    @staticmethod
    def report_markdown(report: Report) -> str:
        """A report as Markdown, every piece of document text escaped (no links, images or HTML)."""
        from kb.reports.render import to_markdown

        return to_markdown(report)

    @staticmethod
    def report_docx(report: Report, path: Path) -> Path:
        """A report written as a Word document at ``path``."""
        from kb.reports.render import to_docx

        return to_docx(report, path)

    @staticmethod
    def results_markdown(query: str, results: Sequence[SearchResult]) -> str:
        """Search results as a Markdown list with citations (the app's export)."""
        from kb.reports.render import results_markdown

        return results_markdown(query, results)

    @staticmethod
    def hit_json(hit: Hit, *, passages: int = 1) -> dict[str, Any]:
        """A hit in the search JSON schema (README "JSON output"); ``passages`` its document's hit count."""
        from kb.read.hits import hit_json

        return hit_json(hit, passages=passages)
