"""The ``kb`` command as a user meets it: clean messages and exit codes, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.service import KnowledgeBase
from kb.store import Store
from tests.helpers import FakeEmbedder, write_docs

ROOT = Path(__file__).resolve().parents[2]
WRITERS = [
    ["remove", "some-doc"],
    ["compact"],
    ["relink"],
    ["reindex"],
    ["ingest", "README.md"],
    ["set", "some-doc", "title=x"],
]


@pytest.fixture
def locked_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A knowledge base whose writer lock this test process holds, as a running ingest would."""
    monkeypatch.setenv("KB_USE_NER", "0")  # relink builds its entity extractor before taking the lock
    root = tmp_path / "kb"
    store = Store(root)
    with store.writer_lock():
        yield root
    store.close()


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: a[0])
def test_writing_commands_refuse_a_held_lock_with_one_clean_line(locked_kb: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--kb", str(locked_kb), *args], obj={})
    # an exception that escaped click is kept in result.exception; a handled error is a SystemExit
    assert type(result.exception) is SystemExit, result.exception
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Error: {locked_kb} is being written by another process")
    assert lines[0].endswith("try again when it finishes")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["reindex"], ["search", "x"], ["stats"]], ids=lambda a: a[0])
def test_unknown_setting_in_kb_toml_is_one_clean_line(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "kb.toml").write_text("chunk_wrods = 100\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--kb", str(tmp_path / "kb"), *args], obj={})
    assert type(result.exception) is SystemExit, result.exception
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown setting(s): chunk_wrods"


def test_held_lock_message_on_real_stderr(locked_kb: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "kb.cli", "--kb", str(locked_kb), "compact"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ") and "being written by another process" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# -- input validation: a wrong value is an error with a suggestion, never a silent empty answer ---------------


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """Three documents (es, en, fr; CO/EC, PE/BO; two crossings) in the collection "Actas"."""
    root = tmp_path_factory.mktemp("small")
    kb = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    kb.ingest([write_docs(root / "docs")], "Actas")
    yield kb
    kb.close()


def run_cli(kb: KnowledgeBase, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--kb", str(kb.root), *args], obj={"kb": kb})


def assert_usage_error(result: Result, option: str, *fragments: str) -> None:
    """Exit 2 with click's one-line ``Invalid value for '<option>'`` message and nothing else."""
    assert type(result.exception) is SystemExit, result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    error = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert error and error[0].startswith(f"Error: Invalid value for {option}"), result.output
    for fragment in fragments:
        assert fragment in error[0], result.output


@pytest.mark.parametrize(
    ("args", "option", "fragments"),
    [
        (["-k", "0"], "'-k' / '--k'", ["1<=x<=1000"]),
        (["-k", "-1"], "'-k' / '--k'", ["1<=x<=1000"]),
        (["-k", "1000000000"], "'-k' / '--k'", ["1<=x<=1000"]),
        (["--since", "notadate"], "'--since'", ["YYYY, YYYY-MM or YYYY-MM-DD"]),
        (["--until", "2023-13"], "'--until'", ["not a real date"]),
        (["--since", "2023-02-30"], "'--since'", ["not a real date"]),
        (["--lang", "fra"], "'--lang'", ["Did you mean 'fr'?", "Known: es, en, pt, fr"]),
        (["--type", "agrement"], "'--type'", ["Did you mean 'agreement'?"]),
        (["--region", "latin"], "'--region'", ["Did you mean 'latam'?"]),
        (
            ["--country", "Colombai"],
            "'--country'",
            ["no document", "Did you mean 'Colombia'?", "Known: BO (Bolivia), CO (Colombia)"],
        ),
        (["--country", "DE"], "'--country'", ["no document in this knowledge base has this country"]),
        (
            ["--crossing", "Rumichacha"],
            "'--crossing'",
            ["Did you mean 'Rumichaca'", "Known: Desaguadero (bc:desaguadero), Rumichaca (bc:rumichaca)."],
        ),
        (["--entity", "Migracion Colombiana"], "'--entity'", ["'Migración Colombia'", "`kb entities` lists them"]),
        (["--collection", "actas"], "'--collection'", ["Did you mean 'Actas'?", "Known: Actas."]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_search_refuses_bad_input_with_a_suggestion(
    small_kb: KnowledgeBase, args: list[str], option: str, fragments: list[str]
) -> None:
    assert_usage_error(run_cli(small_kb, "search", "control migratorio", *args), option, *fragments)


def test_search_refuses_since_after_until(small_kb: KnowledgeBase) -> None:
    result = run_cli(small_kb, "search", "visit", "--since", "2024-02", "--until", "2023")
    assert_usage_error(result, "'--since'", "--since 2024-02 is after --until 2023")


def test_valid_filters_in_any_case_and_spelling_still_find(small_kb: KnowledgeBase) -> None:
    # upper-case codes, a country's name, a crossing's name and partial dates are all accepted
    result = run_cli(
        small_kb, "search", "border crossing visit", "--json", "-k", "1000", "--lang", "EN", "--type", "Report",
        "--region", "LATAM", "--country", "Colombia", "--crossing", "rumichaca", "--entity", "org:migracion-co",
        "--collection", "Actas", "--since", "2023", "--until", "2023-06",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [h["title"] for h in json.loads(result.output)] == ["Technical visit report: Rumichaca border crossing"]


@pytest.mark.parametrize(
    ("args", "option", "fragment"),
    [
        (["entities", "--type", "orgg"], "'--type'", "Did you mean 'ORG'?"),
        (["entities", "--limit", "0"], "'--limit'", "x>=1"),
        (["report", "--run", "-1"], "'--run'", "x>=1"),
        (["eval", "--modes", "dense,hybird"], "'--modes'", "Did you mean 'hybrid'?"),
        (["set", "DOC", "dat=2020"], "ASSIGNMENTS", "Did you mean 'date'?"),
        (["set", "DOC", "title"], "ASSIGNMENTS", "not FIELD=VALUE"),
        (["set", "DOC", "date=notadate"], "'date'", "YYYY, YYYY-MM or YYYY-MM-DD"),
        (["set", "DOC", "doc_type=memo"], "'doc_type'", "Known: report, agreement"),
        (["app", "--port", "0"], "'--port'", "1<=x<=65535"),
        (["brief", "Rumichacha"], "TARGET", "Did you mean 'Rumichaca'"),
        (["entity", "Migracion Colombiana"], "ENTITY_ID", "'Migración Colombia'"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_other_commands_refuse_bad_input(small_kb: KnowledgeBase, args: list[str], option: str, fragment: str) -> None:
    doc = small_kb.search("Rumichaca", k=1)[0].doc_id
    assert_usage_error(run_cli(small_kb, *(doc if a == "DOC" else a for a in args)), option, fragment)
    assert (small_kb.document(doc) or {})["date"] == "2023-06-05"  # `set` changed nothing


@pytest.mark.parametrize("k", [0, -1, 1001, 10**9, True, 2.5, "3"])
def test_api_search_and_similar_refuse_k_out_of_range(small_kb: KnowledgeBase, k: object) -> None:
    with pytest.raises(ValueError, match="k must be"):
        small_kb.search("control migratorio", k=k)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be"):
        small_kb.similar("Rumichaca border crossing", k=k)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="per_doc must be"):
        small_kb.search("control migratorio", per_doc=k)  # type: ignore[arg-type]
    assert len(small_kb.search("control migratorio", k=1000)) == 3


def test_brief_and_entity_accept_any_alias(small_kb: KnowledgeBase) -> None:
    result = run_cli(small_kb, "entity", "migracion colombia")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Migración Colombia [ORG] org:migracion-co")
    result = run_cli(small_kb, "brief", "Rumichaca", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["title"] == "Visit brief: Rumichaca"
