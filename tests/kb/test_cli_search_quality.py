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
