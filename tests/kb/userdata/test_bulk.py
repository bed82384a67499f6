"""Batch look-ups (a table of queries) and bulk export (a ZIP), both within the principal's permissions."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from kb.types import KBError


def test_each_row_gets_its_hits_or_its_error(two_collections: dict[str, Any]) -> None:
    kb = two_collections["kb"]
    table = (
        "query;lang;collection;since\ncombustible contrabando;es;A;\n;es;;\ncomité;xx;;\ncomité;;Z;\n"
        "comité;;;20x4\nRumichaca;;B;2020\n"
    )
    rows = kb.batch_rows(table)  # semicolons, as a Spanish spreadsheet exports
    ticks: list[int] = []
    out = list(kb.batch(rows, k=2, progress=ticks.append))
    assert len(ticks) == len(rows) == len(out) == 6
    errors = [o["error"] for o in out]
    assert errors[0] is None and errors[5] is None
    assert "empty query" in errors[1] and "'xx'" in errors[2] and "'Z'" in errors[3] and "date" in errors[4]
    names = [Path(h["source"]).name for h in out[0]["hits"]]
    assert names[0] == "fuela.md" and set(names) <= {"fuela.md", "comitea.md"}  # the collection filter held
    assert out[0]["hits"][0]["snippet"] and out[0]["hits"][0]["page"] is None
    buf = io.StringIO()
    assert kb.batch_csv(iter(out), buf, ["query", "lang", "collection", "since"], 2) == 6
    lines = list(csv.reader(io.StringIO(buf.getvalue())))
    assert lines[0][:7] == ["query", "lang", "collection", "since", "error", "hits", "hit1_document"]
    assert lines[1][6] == "fuela.md" and lines[1][5] == str(len(names)) and lines[3][4].startswith("lang")


def test_a_quoted_look_up_is_exact(two_collections: dict[str, Any]) -> None:
    """A quoted name no passage holds is reported, not replaced by near matches (a search would rank words)."""
    kb = two_collections["kb"]
    out = list(
        kb.batch(
            [{"query": '"Rumichaca"'}, {"query": '"Rumichaca" '}, {"query": '"Rumichaca"', "collection": "A"}], k=3
        )
    )
    assert out[0]["error"] is None and {Path(h["source"]).name for h in out[0]["hits"]} <= {"fuelb.md", "comiteb.md"}
    assert out[0]["hits"] and out[1]["hits"] == out[0]["hits"]
    assert out[2]["hits"] == [] and out[2]["error"] == 'no passage holds "Rumichaca" exactly'
    assert kb.search('"Rumichaca"', k=3, filters={"collection": ["A"]})  # where a search shows near matches


def test_a_table_without_a_query_column_is_refused(two_collections: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="'query' column"):
        two_collections["kb"].batch_rows("name,lang\nx,es\n")


def test_cells_that_a_spreadsheet_would_run_are_defused(two_collections: dict[str, Any], tmp_path: Path) -> None:
    kb = two_collections["kb"]
    buf = io.StringIO()
    kb.batch_csv(iter(kb.batch([{"query": '=HYPERLINK("http://x")'}], k=1)), buf, ["query"], 1)
    assert list(csv.reader(io.StringIO(buf.getvalue())))[1][0].startswith("'=")


def test_a_users_batch_sees_only_its_collections(two_collections: dict[str, Any]) -> None:
    bob = two_collections["kb"].as_user("bob")
    out = list(bob.batch([{"query": "combustible"}, {"query": "combustible", "collection": "A"}], k=5))
    assert {Path(h["source"]).name for h in out[0]["hits"]} <= {"fuelb.md", "comiteb.md"}
    assert out[1]["error"] is not None and "fuela" not in json.dumps(out)


def test_export_zips_originals_metadata_and_snippets(two_collections: dict[str, Any], tmp_path: Path) -> None:
    kb = two_collections["kb"]
    results = kb.search("combustible", k=5, mode="sparse")
    done = kb.export(results, tmp_path / "out.zip", title="fuel")
    assert done["documents"] == done["files"] == 2
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        names = zf.namelist()
        assert sorted(n.split("-", 1)[1] for n in names if n.startswith("files/")) == ["fuela.md", "fuelb.md"]
        table = list(csv.DictReader(io.StringIO(zf.read("documents.csv").decode("utf-8-sig"))))
        index = zf.read("index.md").decode()
        original = zf.read(next(n for n in names if n.endswith("fuela.md"))).decode()
    assert {r["collection"] for r in table} == {"A", "B"} and all(r["citation"] for r in table)
    assert table[0]["snippet"] and table[1]["snippet"] == ""  # the second is the first's near-duplicate, folded
    assert index.startswith("# fuel") and "combustible" in index and "> — fuela.md" in index
    assert "bidones de combustible" in original


def test_export_leaves_out_what_the_user_cannot_read(two_collections: dict[str, Any], tmp_path: Path) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    bob = kb.as_user("bob")
    done = bob.export([ids["fuela"], ids["fuelb"], "no-such-doc", ids["fuelb"]], tmp_path / "bob.zip")
    assert done["documents"] == 1
    with zipfile.ZipFile(tmp_path / "bob.zip") as zf:
        everything = b"".join(zf.read(n) for n in zf.namelist())
    assert b"fuela" not in everything and b"Desaguadero" not in everything and ids["fuela"].encode() not in everything
    (row,) = [r for r in kb.audit_log() if r["action"] == "export"]
    # the owner acting through bob's eyes is recorded as the owner, "as bob"
    assert (row["user"], row["detail"].split(";")[0]) == ("owner", "as bob") and row["ids"] == [ids["fuelb"]]


def test_an_export_over_the_limit_says_so_and_writes_nothing(two_collections: dict[str, Any], tmp_path: Path) -> None:
    kb, ids = two_collections["kb"], two_collections["ids"]
    with pytest.raises(KBError, match="over the limit of 0 MB"):
        kb.export([ids["fuela"]], tmp_path / "big.zip", max_mb=0.00001)
    assert list(tmp_path.iterdir()) == [] or not (tmp_path / "big.zip").exists()
