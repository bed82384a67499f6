"""The team commands through the ``kb`` command line: accounts, grants, ``--user``, tokens, audit.

Real argon2 hashes and a real store; the fake embedder keeps ingest cheap. Each test builds its
own knowledge base, since the commands change accounts.
"""

from __future__ import annotations

import json
import random
import sqlite3
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.service import KnowledgeBase
from kb.types import LoginFailed
from tests.helpers import FakeEmbedder

QUERY = "patrulla binacional Desaguadero contrabando combustible"


def reports(folder: Path, prefix: str, n: int, mentions: int) -> Path:
    """``n`` distinct documents that each say :data:`QUERY` ``mentions`` times among their own words.

    Their other words are random, so no two are near-duplicates (which searches fold into one).
    """
    rng = random.Random(prefix)
    folder.mkdir(parents=True)
    for i in range(n):
        own = " ".join("".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(60))
        (folder / f"{prefix}-{i:02d}.md").write_text(f"# {prefix} {i}\n\n{(QUERY + '. ') * mentions}{own}\n")
    return folder


@pytest.fixture
def team_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    """Six police reports (collection Police) and five minutes (Actas) on the same matter; no users.

    The police reports say it more often, so for the owner they rank first.
    """
    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    kb.ingest([reports(tmp_path / "police", "policia", 6, mentions=3)], "Police")
    kb.ingest([reports(tmp_path / "actas", "acta", 5, mentions=1)], "Actas")
    yield kb
    kb.close()


def run(kb: KnowledgeBase, *args: str, user: str | None = None, stdin: str | None = None) -> Result:
    prefix = ["--user", user] if user else []
    return CliRunner().invoke(cli, ["--kb", str(kb.root), *prefix, *args], obj={"kb": kb}, input=stdin)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def refused(result: Result, code: int, *fragments: str) -> str:
    """The one ``Error:`` line of a clean refusal with exit status ``code``."""
    assert type(result.exception) is SystemExit, result.exception
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], result.output
    return errors[0]


def as_json(result: Result) -> object:
    return json.loads(ok(result).stdout)


def hit_folders(result: Result) -> list[str]:
    return [Path(h["source"]).parent.name for h in as_json(result)]  # type: ignore[attr-defined]


def add_team(kb: KnowledgeBase) -> None:
    """root (admin), alice (reads Actas), bob (in analysts, who write Police)."""
    ok(run(kb, "users", "add", "root", "--admin", "--password-stdin", stdin="root-password\n"))
    for name in ("alice", "bob"):
        ok(run(kb, "users", "add", name, "--password-stdin", stdin=f"{name}-password\n"))
    ok(run(kb, "groups", "add", "analysts"))
    ok(run(kb, "groups", "members", "analysts", "--add", "bob"))
    ok(run(kb, "grant", "alice", "Actas", "read"))
    ok(run(kb, "grant", "analysts", "Police", "write"))


def test_first_user_must_be_an_admin_and_turns_on_multi_user_mode(team_kb: KnowledgeBase) -> None:
    refused(run(team_kb, "users", "add", "alice", "--password-stdin", stdin="alice-password\n"), 1, "administrator")
    assert not team_kb.multi_user
    result = ok(run(team_kb, "users", "add", "root", "--admin", stdin="root-password\nroot-password\n"))
    assert "added administrator root" in result.stdout
    assert "multi-user mode is on" in result.stderr
    assert team_kb.multi_user
    team_kb.login("root", "root-password")  # the prompted password is the one stored


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (["users", "add", "bad name", "--password-stdin"], "long-enough\n", "user names are 1-64"),
        (["users", "add", "carol", "--password-stdin"], "short\n", "at least 8 characters"),
        (["users", "add", "carol", "--password-stdin"], "\n", "gave no password"),
        (["groups", "add", "<script>"], None, "group names are 1-64"),
        (["grant", "alice", "Actas", "owner"], None, "'owner' is not one of 'read', 'write', 'admin'"),
        (["grant", "alice", "a/b", "read"], None, "not a collection name"),
        (["tokens", "revoke", "0"], None, "x>=1"),
        (["tokens", "create", "alice", "--days", "0"], None, "x>0"),
        (["audit", "--since", "yesterday"], None, "is not a date or time"),
        (["audit", "--since", "2026-02-30"], None, "is not a date or time"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_malformed_input_is_a_usage_error(
    team_kb: KnowledgeBase, args: list[str], stdin: str | None, fragment: str
) -> None:
    ok(run(team_kb, "users", "add", "root", "--admin", "--password-stdin", stdin="root-password\n"))
    ok(run(team_kb, "users", "add", "alice", "--password-stdin", stdin="alice-password\n"))
    refused(run(team_kb, *args, stdin=stdin), 2, fragment)
    assert [u["name"] for u in team_kb.users()] == ["alice", "root"]


def test_users_groups_grants_and_collections(team_kb: KnowledgeBase) -> None:
    add_team(team_kb)
    users = {u["name"]: u for u in as_json(run(team_kb, "users", "list", "--json"))}  # type: ignore[union-attr]
    assert sorted(users) == ["alice", "bob", "root"]
    assert users["root"]["admin"] and not users["alice"]["admin"]
    assert users["bob"]["groups"] == ["analysts"]
    assert "bob" in ok(run(team_kb, "users", "list")).stdout
    assert ok(run(team_kb, "groups", "members", "analysts")).stdout.split() == ["bob"]
    assert as_json(run(team_kb, "groups", "list", "--json")) == [{"name": "analysts", "members": ["bob"]}]
    refused(run(team_kb, "groups", "members", "nobody"), 1, "no group 'nobody'")
    refused(run(team_kb, "grant", "carol", "Actas", "read"), 1, "no user or group 'carol'")

    rows = {r["name"]: r for r in as_json(run(team_kb, "collections", "--json"))}  # type: ignore[union-attr]
    assert {n: r["documents"] for n, r in rows.items()} == {"Actas": 5, "Police": 6}
    assert [(g["subject"], g["role"]) for g in rows["Actas"]["grants"]] == [("alice", "read")]
    assert [(g["subject"], g["kind"], g["role"]) for g in rows["Police"]["grants"]] == [("analysts", "group", "write")]
    text = ok(run(team_kb, "collections")).stdout
    assert "Police" in text and "analysts (group): write" in text

    # a grant on a collection with no document yet is listed too, with no documents
    ok(run(team_kb, "grant", "alice", "Drafts", "read"))
    rows = {r["name"]: r for r in as_json(run(team_kb, "collections", "--json"))}  # type: ignore[union-attr]
    assert rows["Drafts"]["documents"] == 0 and rows["Drafts"]["grants"][0]["subject"] == "alice"

    # alice sees her collections only, with her role and without the grant list
    mine = as_json(run(team_kb, "collections", "--json", user="alice"))
    assert [(r["name"], r["documents"], r["role"]) for r in mine] == [("Actas", 5, "read"), ("Drafts", 0, "read")]  # type: ignore[index]
    assert all(r["grants"] == [] for r in mine)  # type: ignore[index, union-attr]


def test_user_view_is_scoped_before_ranking_and_hides_like_missing(team_kb: KnowledgeBase) -> None:
    add_team(team_kb)
    owner = hit_folders(run(team_kb, "search", QUERY, "-k", "5", "--json"))
    assert owner == ["police"] * 5  # the police reports rank first for the owner
    alice = hit_folders(run(team_kb, "search", QUERY, "-k", "5", "--json", user="alice"))
    assert alice == ["actas"] * 5  # only her collection, and still k hits
    assert set(hit_folders(run(team_kb, "search", QUERY, "-k", "20", "--json", user="bob"))) == {"police"}

    hidden = next(r.doc_id for r in team_kb.search(QUERY, k=20) if "policia" in r.doc_id)
    assert ok(run(team_kb, "show", hidden)).stdout.startswith("doc_id")  # the owner reads it
    hidden_error = refused(run(team_kb, "show", hidden, user="alice"), 1, "no document")
    missing_error = refused(run(team_kb, "show", "policia-99-000000", user="alice"), 1, "no document")
    assert hidden_error.replace(hidden, "ID") == missing_error.replace("policia-99-000000", "ID")
    refused(run(team_kb, "remove", hidden, user="alice"), 1, "no document")
    assert team_kb.document(hidden) is not None

    # writes and administration are refused as alice would be refused
    refused(run(team_kb, "ingest", "README.md", "--collection", "Police", user="alice"), 1, "may not write")
    refused(run(team_kb, "users", "list", user="alice"), 1, "only an administrator may list users")
    refused(run(team_kb, "grant", "alice", "Police", "read", user="alice"), 1, "may not change the grants")
    refused(run(team_kb, "audit", user="alice"), 1, "only an administrator")
    refused(run(team_kb, "search", QUERY, user="carol"), 1, "no user 'carol'")
    refused(run(team_kb, "app", user="alice"), 2, "--user does not apply")

    ok(run(team_kb, "revoke", "alice", "Actas"))
    assert "No results" in ok(run(team_kb, "search", QUERY, user="alice")).stdout  # deny by default
    refused(run(team_kb, "revoke", "alice", "Actas"), 1, "holds no grant")
    ok(run(team_kb, "users", "disable", "alice"))
    refused(run(team_kb, "search", QUERY, user="alice"), 1, "disabled")
    ok(run(team_kb, "users", "enable", "alice"))
    ok(run(team_kb, "search", QUERY, user="alice"))


def test_passwd_changes_the_password(team_kb: KnowledgeBase) -> None:
    add_team(team_kb)
    ok(run(team_kb, "users", "passwd", "alice", "--password-stdin", stdin="a-new-password\n"))
    team_kb.login("alice", "a-new-password")
    with pytest.raises(LoginFailed):
        team_kb.login("alice", "alice-password")
    refused(run(team_kb, "users", "passwd", "bob", "--password-stdin", user="alice", stdin="hijacked-pw\n"), 1)
    refused(run(team_kb, "users", "passwd", "nobody", "--password-stdin", stdin="long-enough\n"), 1, "no user")


def test_tokens_are_shown_once_listed_without_secret_and_revocable(team_kb: KnowledgeBase) -> None:
    add_team(team_kb)
    created = ok(run(team_kb, "tokens", "create", "alice", "--label", "nightly export", "--days", "30"))
    token = created.stdout.strip()
    assert token.startswith("kbt_") and len(created.stdout.splitlines()) == 1
    assert "not shown again" in created.stderr
    assert team_kb.for_token(token).principal.name == "alice"

    listing = ok(run(team_kb, "tokens", "list", "--json")).stdout
    assert token not in listing and token[4:20] not in listing
    (row,) = json.loads(listing)
    assert (row["user"], row["label"], row["state"]) == ("alice", "nightly export", "live")
    assert row["expires"] > row["created"]
    assert "nightly export" in ok(run(team_kb, "tokens", "list", "alice")).stdout
    assert as_json(run(team_kb, "tokens", "list", "bob", "--json")) == []
    refused(run(team_kb, "tokens", "list", "bob", user="alice"), 1, "only an administrator")
    assert len(as_json(run(team_kb, "tokens", "list", "alice", "--json", user="alice"))) == 1  # type: ignore[arg-type]
    assert len(as_json(run(team_kb, "tokens", "list", "--json", user="alice"))) == 1  # type: ignore[arg-type]
    assert as_json(run(team_kb, "tokens", "list", "--json", user="bob")) == []

    ok(run(team_kb, "tokens", "revoke", str(row["id"])))
    assert as_json(run(team_kb, "tokens", "list", "--json"))[0]["state"] == "revoked"  # type: ignore[index]
    with pytest.raises(LoginFailed):
        team_kb.for_token(token)
    refused(run(team_kb, "tokens", "revoke", str(row["id"])), 1, f"no live token {row['id']}")
    refused(run(team_kb, "tokens", "create", "carol"), 1, "no user 'carol'")


def test_audit_lists_filters_and_prints_json(team_kb: KnowledgeBase) -> None:
    add_team(team_kb)
    ok(run(team_kb, "search", QUERY, "--collection", "Actas", user="alice"))
    ok(run(team_kb, "search", "contrabando", user="bob"))
    rows = as_json(run(team_kb, "audit", "--json"))
    assert isinstance(rows, list)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)  # oldest first
    actions = [r["action"] for r in rows]
    assert actions[:3] == ["user_add", "user_add", "user_add"] and "grant" in actions and "group_join" in actions

    # `kb --user alice search` is the owner checking what alice sees: recorded as the owner, "as alice"
    assert as_json(run(team_kb, "audit", "--user", "alice", "--json")) == []
    searches = as_json(run(team_kb, "audit", "--user", "owner", "--action", "search", "--json"))
    (alice,) = [r for r in searches if r["detail"] == "as alice"]  # type: ignore[union-attr, index]
    assert (alice["action"], alice["query"], alice["filters"]) == ("search", QUERY, {"collection": ["Actas"]})
    assert alice["collections"] == ["Actas"] and len(alice["ids"]) == 5
    assert all(i.startswith("acta-") for i in alice["ids"])

    grants = as_json(run(team_kb, "audit", "--action", "grant", "--action", "revoke", "--json"))
    assert [(r["action"], r["detail"]) for r in grants] == [("grant", "alice read"), ("grant", "analysts write")]  # type: ignore[union-attr]
    newest = as_json(run(team_kb, "audit", "--limit", "2", "--json"))
    assert [r["id"] for r in newest] == [r["id"] for r in rows[-2:]]  # type: ignore[union-attr]
    assert [r["id"] for r in as_json(run(team_kb, "audit", "--action", "search", "--limit", "1", "--json"))] == [  # type: ignore[union-attr]
        rows[-1]["id"]
    ]
    refused(run(team_kb, "audit", "--action", "serach"), 2, "not a known audit action", "Did you mean 'search'?")
    assert as_json(run(team_kb, "audit", "--action", "lockout", "--json")) == []  # known, none happened
    assert as_json(run(team_kb, "audit", "--since", "2999", "--json")) == []
    assert len(as_json(run(team_kb, "audit", "--since", "2000-01-01T00:00", "--json"))) == len(rows)  # type: ignore[arg-type]

    granted = ok(run(team_kb, "audit", "--action", "grant")).stdout
    assert "alice read [Actas]" in granted and "analysts write [Police]" in granted
    text = [line for line in ok(run(team_kb, "audit", "--action", "search")).stdout.splitlines() if "as bob" in line]
    assert len(text) == 1 and "owner" in text[0] and '"contrabando"' in text[0]


def _verify(kb: KnowledgeBase) -> Result:
    return run(kb, "audit", "verify")


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit SET query = 'something else' WHERE action = 'search'", "does not match its hash"),
        ("UPDATE audit SET user = 'mallory' WHERE id = 2", "does not match its hash"),
        ("DELETE FROM audit WHERE id = 3", "does not follow the row before it"),
        ("DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)", "rows were removed"),
    ],
    ids=["edit query", "edit user", "delete a row", "delete the newest"],
)
def test_audit_verify_fails_after_the_trail_is_tampered_with(team_kb: KnowledgeBase, tamper: str, problem: str) -> None:
    add_team(team_kb)
    ok(run(team_kb, "search", QUERY, user="alice"))
    before = ok(_verify(team_kb)).stdout
    assert "audit trail intact" in before
    head = before.split("head ", 1)[1].split()[0]
    assert as_json(run(team_kb, "audit", "verify", "--json")) == {"ok": True, "problems": [], "head": head}

    with sqlite3.connect(team_kb.root / "store.sqlite") as db:
        assert db.execute(tamper).rowcount == 1
    db.close()
    result = _verify(team_kb)
    refused(result, 1, "the audit trail was altered")
    assert problem in result.stdout
    report = json.loads(run(team_kb, "audit", "verify", "--json").stdout)
    assert report["ok"] is False and any(problem in p for p in report["problems"])


def test_single_user_mode_is_unchanged(team_kb: KnowledgeBase) -> None:
    """No users: the CLI acts as the owner, reads everything, and no audit row is written."""
    hits = hit_folders(run(team_kb, "search", QUERY, "-k", "20", "--json"))
    assert sorted(set(hits)) == ["actas", "police"] and len(hits) == 11
    doc = team_kb.search(QUERY, k=1)[0].doc_id
    ok(run(team_kb, "show", doc))
    ok(run(team_kb, "entities"))
    ok(run(team_kb, "stats"))
    assert not team_kb.multi_user
    assert as_json(run(team_kb, "audit", "--json")) == []
    assert ok(run(team_kb, "audit", "verify")).stdout.startswith("audit trail intact: 0 rows")
    with sqlite3.connect(team_kb.root / "store.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
    db.close()
    refused(run(team_kb, "search", QUERY, user="alice"), 1, "no user 'alice'")


def test_text_output_escapes_control_characters_typed_by_others(team_kb: KnowledgeBase) -> None:
    """A user name tried at the login, a query or a token label cannot drive the administrator's terminal."""
    add_team(team_kb)
    with pytest.raises(LoginFailed):
        team_kb.login("\x1b[2Jroot", "whatever-password")
    ok(run(team_kb, "search", "contrabando \x9b31m", user="bob"))
    ok(run(team_kb, "tokens", "create", "bob", "--label", "ci\x1b]0;pwned\x07"))
    shown = ok(run(team_kb, "audit")).stdout + ok(run(team_kb, "tokens", "list")).stdout
    assert not any(c in shown for c in "\x1b\x9b\x07")
    assert "\\x1b[2Jroot" in shown and "\\x9b31m" in shown and "ci\\x1b]0;pwned\\x07" in shown
    failed = as_json(run(team_kb, "audit", "--action", "login_failed", "--json"))
    assert failed[0]["detail"] == "\x1b[2Jroot"  # type: ignore[index]  # JSON keeps the data as it was
