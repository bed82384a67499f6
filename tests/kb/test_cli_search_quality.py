"""Issue 17's search work seen from outside: "also searched" in ``kb search``, one half of a gold set."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.helpers import fake_kb


def test_search_says_what_else_it_searched_for(tmp_path: Path) -> None:
    kb = fake_kb(tmp_path, {"acta.md": "# Acta\n\nSe reforzó el control fronterizo en el puente de Desaguadero."})
    try:
        args = ["--kb", str(kb.root), "search", "how is border control organised at the bridge"]
        out = CliRunner().invoke(cli, args, obj={"kb": kb})
        assert out.exit_code == 0, out.output
        assert "also searched: control fronterizo (es)" in out.output
        assert "Acta" in out.output
        plain = CliRunner().invoke(cli, ["--kb", str(kb.root), "search", "bridge"], obj={"kb": kb})
        assert "also searched" not in plain.output
    finally:
        kb.close()


def test_search_says_when_a_quoted_phrase_matched_nothing(tmp_path: Path) -> None:
    kb = fake_kb(tmp_path, {"acta.md": "# Acta\n\nSe reforzó el control fronterizo en el puente de Desaguadero."})
    try:
        run = lambda q: CliRunner().invoke(cli, ["--kb", str(kb.root), "search", q], obj={"kb": kb})  # noqa: E731
        out = run('"puente fronterizo" Desaguadero')
        assert out.exit_code == 0, out.output
        assert 'no passage holds "puente fronterizo" exactly' in out.output and "Acta" in out.output
        held = run('"control fronterizo"')
        assert "Acta" in held.output and "no passage holds" not in held.output
    finally:
        kb.close()


def test_evaluate_one_half_needs_a_split_file(tmp_path: Path) -> None:
    kb = fake_kb(tmp_path, {"a.md": "# A\n\nUn documento.", "b.md": "# B\n\nOtro documento."})
    try:
        gold = tmp_path / "gold"
        gold.mkdir()
        (gold / "queries.jsonl").write_text(
            '{"id": "q1", "lang": "es", "text": "un documento"}\n'
            '{"id": "q2", "lang": "es", "text": "otro documento"}\n',
            "utf-8",
        )
        (gold / "qrels.tsv").write_text("query_id\tdoc_id\trelevance\nq1\ta.md\t1\nq2\tb.md\t1\n", "utf-8")
        with pytest.raises(ValueError, match="no split.tsv"):
            kb.evaluate(gold, modes=("sparse",), half="dev")
        (gold / "split.tsv").write_text("query_id\thalf\nq1\tdev\nq2\ttest\n", "utf-8")
        res = kb.evaluate(gold, modes=("sparse",), half="dev")
        assert res["queries"] == 1 and res["set"].endswith("(dev half)")
        assert kb.evaluate(gold, modes=("sparse",))["queries"] == 2
    finally:
        kb.close()


def _long_report(title: str, topic: str) -> str:
    filler = " ".join(f"Párrafo {n} sobre {topic} y los turnos del personal de la oficina." for n in range(60))
    return f"# {title}\n\n{filler}\n\nAl final se acordaron patrullajes conjuntos en el río."


def test_a_passage_deep_in_a_document_matches_the_words_of_its_title(tmp_path: Path) -> None:
    kb = fake_kb(
        tmp_path,
        {
            "acta.md": _long_report("Acta de la reunión de Desaguadero", "la logística"),
            "nota.md": _long_report("Nota de Rumichaca", "la logística"),
        },
    )
    try:
        extra = tmp_path / "more"  # a second batch: a second segment, so that compaction merges two
        extra.mkdir()
        (extra / "otro.md").write_text("# Otro\n\nUn documento breve sobre aduanas.", "utf-8")
        kb.ingest([extra])
        for step in ("ingest", "compact"):
            if step == "compact":
                assert kb.compact()["segments_after"] == 1
            with_title = kb.search("patrullajes en Desaguadero", k=1, mode="sparse", per_doc=1)
            assert with_title[0].best.title == "Acta de la reunión de Desaguadero", step
            assert "patrullajes conjuntos" in with_title[0].best.text, step  # the last passage, not the title page
        deep = kb.search("Desaguadero", k=1, mode="sparse", per_doc=5)[0].hits
    finally:
        kb.close()
    body_only = type(kb).open(kb.root, embedder_impl=kb._embedder, use_ner=False, title_weight=0.0)
    try:  # without the title field only the title page names Desaguadero; with it, every passage of the Acta
        assert len(body_only.search("Desaguadero", k=1, mode="sparse", per_doc=5)[0].hits) == 1
        assert len(deep) > 1
    finally:
        body_only.close()
