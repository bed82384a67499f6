"""The ``kb`` command as a user meets it: clean messages and exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.store import Store

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
