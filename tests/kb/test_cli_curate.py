"""``kb curate``: each subcommand calls its facade verb; refusals are one clean line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from tests.helpers import collections_kb
from tests.kb.test_curation import PNP, SUNAT, docs


@pytest.fixture
def kb(tmp_path: Path) -> Any:
    kb = collections_kb(tmp_path, {"border": {"pnp.md": PNP}, "customs": {"sunat.md": SUNAT}})
    yield kb
    kb.close()


def run(kb: Any, *args: str, user: str | None = None) -> Result:
    prefix = ["--user", user] if user else []
    return CliRunner().invoke(cli, ["--kb", str(kb.root), *prefix, "curate", *args], obj={"kb": kb})


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def test_curate_commands(kb: Any, tmp_path: Path) -> None:
    assert "merged org:sunat into org:pnp" in ok(run(kb, "merge", "org:sunat", "org:pnp"))
    assert docs(kb, "org:sunat") == []
    assert ok(run(kb, "split", "org:pnp", "SUNAT", "--id", "org:sunat-ner")).strip() == "org:sunat-ner"
    ok(run(kb, "rename", "org:sunat-ner", "Sunat"))
    ok(run(kb, "retype", "org:sunat-ner", "person"))
    assert kb.entity("org:sunat-ner")["type"] == "PERSON"
    ok(run(kb, "alias", "org:pb", "Policía Boliviana", "--remove"))
    ok(run(kb, "alias", "org:anb", "combustible"))
    assert len(docs(kb, "org:anb")) == 1
    ok(run(kb, "wrong", "org:anb", docs(kb, "org:anb")[0], "--surface", "combustible"))
    assert docs(kb, "org:anb") == []
    listed = json.loads(ok(run(kb, "list", "--json")))
    assert [r["kind"] for r in listed] == ["merge", "split", "rename", "retype", "alias_remove", "alias_add", "wrong"]
    out = tmp_path / "curations.jsonl"
    ok(run(kb, "export", str(out)))
    assert len(out.read_text(encoding="utf-8").splitlines()) == 7
    bad = run(kb, "retype", "org:pnp", "DATE")
    assert bad.exit_code == 2 and "unknown entity type" in bad.output
    missing = run(kb, "merge", "org:nothing", "org:pnp")
    assert missing.exit_code == 1 and "no entity 'org:nothing'" in missing.output


def test_duplicates_and_reject(kb: Any) -> None:
    ok(run(kb, "split", "org:pnp", "PNP", "--id", "org:pnp-ner"))
    ok(run(kb, "rename", "org:pnp-ner", "Policia Nacional de Peru"))
    out = ok(run(kb, "duplicates"))
    assert "org:pnp (National Police of Peru, 1)  ~  org:pnp-ner (Policia Nacional de Peru, 2)" in out
    ok(run(kb, "reject", "org:pnp", "org:pnp-ner"))
    assert json.loads(ok(run(kb, "duplicates", "--json"))) == []


def test_a_reader_is_refused(kb: Any) -> None:
    kb.add_user("admin", "admin-password-1", admin=True)
    kb.add_user("alice", "alice-password-1")
    kb.grant("alice", "border", "read")
    result = run(kb, "rename", "org:pnp", "x", user="alice")
    assert result.exit_code == 1 and "may not write" in result.output
    assert kb.entity("org:pnp")["name"] == "National Police of Peru"
