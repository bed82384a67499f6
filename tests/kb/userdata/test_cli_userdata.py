"""``kb watch``, ``kb notes``, ``kb batch`` and ``kb search --export`` as a user meets them."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from kb.cli import cli
from tests.kb.userdata.conftest import FUEL, write


def _run(kb: Any, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--kb", str(kb.root), *args], obj={"kb": kb})


def test_watch_commands(two_collections: dict[str, Any]) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    assert _run(kb, "watch", "add", "fuel", "combustible", "--collection", "A", "-k", "5").exit_code == 0
    listed = _run(kb, "watch", "list")
    assert "fuel: combustible --collection A" in listed.output and "(0 new)" in listed.output
    write(src / "A9", "fuel-a9.md", FUEL.format(n=11, place="Puno"))
    kb.ingest([src / "A9"], "A")
    assert "(1 new)" in _run(kb, "watch", "list").output
    peek = _run(kb, "watch", "run", "fuel", "--peek", "--json")
    assert [Path(h["source"]).name for h in json.loads(peek.output)["hits"]] == ["fuel-a9.md"]
    shown = _run(kb, "watch", "run", "fuel")
    assert shown.exit_code == 0 and "1 new hit since it was added" in shown.output and "fuel-a9.md" in shown.output
    assert "0 new hits since 20" in _run(kb, "watch", "run", "fuel").output
    bad = _run(kb, "watch", "add", "fuel", "again")
    assert bad.exit_code == 2 and "already" in bad.output
    assert _run(kb, "watch", "run", "nope").exit_code == 1
    assert _run(kb, "watch", "remove", "fuel").exit_code == 0
    assert "No watched searches" in _run(kb, "watch", "list").output


def test_notes_commands(two_collections: dict[str, Any]) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    added = _run(kb, "notes", "add", ids["fuela"], "Ask the customs chief", "--page", "1", "--quote", "12 bidones")
    assert added.exit_code == 0 and added.output.startswith("note #1 on")
    listed = _run(kb, "notes", "list", ids["fuela"])
    assert "owner" in listed.output and '"12 bidones"' in listed.output and "Ask the customs chief" in listed.output
    assert json.loads(_run(kb, "notes", "search", "customs", "--json").output)[0]["doc_id"] == ids["fuela"]
    missing = _run(kb, "notes", "add", "no-such-doc", "x")
    assert missing.exit_code == 1 and "no document" in missing.output
    assert _run(kb, "notes", "add", ids["fuela"], " ").exit_code == 2
    assert _run(kb, "notes", "remove", "1").exit_code == 0 and _run(kb, "notes", "remove", "1").exit_code == 1


def test_batch_command(two_collections: dict[str, Any], tmp_path: Path) -> None:
    kb = two_collections["kb"]
    table = tmp_path / "names.csv"
    table.write_text("query,collection\ncombustible,A\n,\ncomité,nowhere\n", encoding="utf-8")
    done = _run(kb, "batch", str(table), "-k", "2")
    assert done.exit_code == 0, done.output
    assert "3 rows (2 with an error)" in done.output
    out = list(csv.DictReader((tmp_path / "names-results.csv").read_text("utf-8-sig").splitlines()))
    assert [r["query"] for r in out] == ["combustible", "", "comité"]
    assert out[0]["hit1_document"] == "fuela.md" and out[1]["error"] == "empty query" and "nowhere" in out[2]["error"]
    assert _run(kb, "batch", str(table), "--out", str(tmp_path / "x.xlsx")).exit_code == 2


def test_search_export(two_collections: dict[str, Any], tmp_path: Path) -> None:
    kb = two_collections["kb"]
    done = _run(kb, "search", "combustible", "--mode", "sparse", "--export", str(tmp_path / "r.zip"))
    assert done.exit_code == 0 and "exported 2 documents (2 files)" in done.output
    assert {"documents.csv", "index.md"} <= set(zipfile.ZipFile(tmp_path / "r.zip").namelist())
