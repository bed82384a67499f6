"""The app of a shared knowledge base (issue 15): login, the user's view on every page, uploads by role, admin.

The knowledge base is tests.helpers.team_kb: "border" (two documents, alice reads it, bob writes
it) and "police" (one document whose text says "reservado", readable by administrators only).
Every assertion that alice does not see something is paired with one that an administrator does,
so that a test cannot pass because the page shows nothing at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb.service import KnowledgeBase
from kb.types import Forbidden, LoginFailed
from tests.helpers import TEAM_PASSWORDS, cards, html_of, run_app, run_app_as, shown

pytest.importorskip("streamlit.testing.v1")

SECRET = "reservado"  # only in the police collection's document (and never typed into a page)
QUERY = "contrabando de combustible Desaguadero"


def doc_id(kb: KnowledgeBase, collection: str) -> str:
    return kb.search(QUERY, k=5, filters={"collection": [collection]})[0].doc_id


def everything(at: Any) -> str:
    """Every element of a run, main area and sidebar, as its message text (markup, labels, chart data)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return shown("\n".join(out))


def sign_in(at: Any, user: str, password: str) -> Any:
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_password").input(password)
    return next(b for b in at.button if b.label == "Sign in").click().run()


def menu(at: Any) -> str:
    return next(str(m.value) for m in at.sidebar.markdown if "kb-nav" in str(m.value))


# -- single-user mode is unchanged -------------------------------------------------------------
def test_single_user_mode_has_no_login_and_no_admin_page(app_kb: KnowledgeBase) -> None:
    at = run_app(app_kb)
    assert not at.exception and at.text_input(key="query")
    assert not [t for t in at.text_input if t.key == "login_user"]
    assert "page=upload" in menu(at) and "page=admin" not in menu(at)
    assert not any("Signed in as" in str(m.value) for m in at.sidebar.markdown)
    at = run_app(app_kb, page="admin")
    assert [e.value for e in at.error] == ["You may not open this page."]


# -- signing in and out ------------------------------------------------------------------------
def test_login_page_wrong_password_then_success(shared_team_kb: KnowledgeBase) -> None:
    at = run_app(shared_team_kb, q=QUERY)
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert not [t for t in at.text_input if t.key == "query"] and not cards(at)  # nothing before a login
    assert SECRET not in everything(at) and "Desaguadero" not in html_of(at)
    sign_in(at, "alice", "not-her-password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    sign_in(at, "nobody", "not-a-password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]  # the same for an unknown user
    sign_in(at, "alice", TEAM_PASSWORDS["alice"])
    assert not at.exception and not at.error
    found = cards(at)  # ?q= survived the login: the search runs as alice
    assert found and any("Acta de la reunión en Desaguadero" in c for c in found)
    assert not any(SECRET in c for c in found)


def test_locked_account_says_until_when(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app(fresh_team_kb)
    for _ in range(5):
        sign_in(at, "bob", "wrong-password")
    sign_in(at, "bob", TEAM_PASSWORDS["bob"])  # the right password does not open a locked account
    message = shown(at.error[0].value)
    assert message.startswith("Too many failed sign-ins: this account is locked until 20") and "(UTC)" in message
    assert [t.value for t in at.title] == ["Sign in"]


def test_logout_revokes_the_session(shared_team_kb: KnowledgeBase) -> None:
    at = run_app_as(shared_team_kb, "alice")
    token = at.session_state["kb_token"]
    assert shared_team_kb.for_token(token).principal.name == "alice"
    at.button(key="logout").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"] and [i.value for i in at.info] == ["You are signed out."]
    with pytest.raises(LoginFailed):
        shared_team_kb.for_token(token)
    assert at.run() and [t.value for t in at.title] == ["Sign in"]  # and it stays signed out


def test_revoked_token_or_disabled_user_returns_to_the_login_page(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app_as(fresh_team_kb, "alice", q=QUERY)
    assert cards(at)
    fresh_team_kb.logout(at.session_state["kb_token"])  # revoked elsewhere (an administrator, another tab)
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not cards(at)
    assert "Your session has ended" in at.info[0].value
    at = run_app_as(fresh_team_kb, "alice", q=QUERY)
    fresh_team_kb.disable_user("alice")
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not cards(at)


def test_expired_session_returns_to_the_login_page(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app_as(fresh_team_kb, "alice", q=QUERY)
    assert cards(at)
    hours = float(fresh_team_kb.config.session_hours)
    real = fresh_team_kb.clock
    fresh_team_kb.clock = lambda: real() + hours * 3600 + 60  # type: ignore[method-assign]
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not cards(at)


# -- what a user sees --------------------------------------------------------------------------
def test_sidebar_shows_the_user_and_the_collections_it_reads(shared_team_kb: KnowledgeBase) -> None:
    at = run_app_as(shared_team_kb, "alice")
    side = "\n".join(str(m.value) for m in at.sidebar.markdown)
    assert "Signed in as **alice**" in side and "border · 2 documents · read" in side
    assert "police" not in side
    assert "2 documents" in " ".join(c.value for c in at.sidebar.caption)  # counts are alice's too
    assert "page=upload" not in menu(at) and "page=admin" not in menu(at)
    at = run_app_as(shared_team_kb, "admin", ui="es")
    side = "\n".join(str(m.value) for m in at.sidebar.markdown)
    assert "Sesión de **admin** · Administrador" in side
    assert "border · 2 documentos · administración" in side and "police · 1 documentos · administración" in side
    assert "page=upload" in menu(at) and "page=admin" in menu(at)


PAGES: list[tuple[str, dict[str, str], tuple[str, str] | None]] = [
    ("search", {"q": QUERY}, None),
    ("doc", {"id": "POLICE"}, None),
    ("doc", {"id": "BORDER", "q": QUERY}, None),  # its "similar documents" list
    ("similar", {"id": "BORDER"}, None),
    ("similar", {"id": "POLICE"}, None),
    ("entity", {"id": "bc:desaguadero"}, None),
    ("crossings", {}, None),
    ("brief", {"target": "Desaguadero"}, None),
    ("compare", {}, ("compare_topic", "contrabando de combustible")),
    ("precedents", {}, ("precedent_text", "Informe policial sobre el contrabando de combustible en el río")),
]


def visit(
    kb: KnowledgeBase, user: str, page: str, params: dict[str, str], typed: tuple[str, str] | None, ids: dict[str, str]
) -> str:
    at = run_app_as(kb, user, page=page, **{k: ids.get(v, v) for k, v in params.items()})
    if typed is not None:
        key, text = typed
        widget = at.text_area(key=key) if key == "precedent_text" else at.text_input(key=key)
        widget.input(text).run()
    assert not at.exception, (page, params, at.exception)
    return everything(at)


#: the facade's reads: in multi-user mode the app must make every one of them through a user's view
READS = ("search", "similar", "document", "original_file", "entity", "entities", "facets", "evidence", "stats",
         "brief", "compare", "collections")  # fmt: skip


def never_as_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each read fail when it is made through the owner's knowledge base (the app's cached object)."""
    for name in READS:
        original = getattr(KnowledgeBase, name)

        def guarded(self: KnowledgeBase, *args: Any, __name: str = name, __original: Any = original, **kw: Any) -> Any:
            assert not self.principal.owner, f"the app called {__name}() on the owner's knowledge base"
            return __original(self, *args, **kw)

        monkeypatch.setattr(KnowledgeBase, name, guarded)


def test_no_page_reads_as_the_owner_or_shows_alice_the_police_collection(
    shared_team_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = {"POLICE": doc_id(shared_team_kb, "police"), "BORDER": doc_id(shared_team_kb, "border")}
    never_as_owner(monkeypatch)
    seen_by_admin = []
    for page, params, typed in PAGES:
        text = visit(shared_team_kb, "alice", page, params, typed, ids)
        assert SECRET not in text and ids["POLICE"] not in text, f"{page} {params} shows alice the police document"
        if SECRET in visit(shared_team_kb, "admin", page, params, typed, ids):
            seen_by_admin.append(page)
    # the same visits as an administrator do show it: the pages above would have leaked it
    assert {"search", "doc", "similar", "entity", "brief", "precedents"} <= set(seen_by_admin)


def test_hidden_document_by_url_is_not_found_like_a_missing_one(shared_team_kb: KnowledgeBase) -> None:
    police = doc_id(shared_team_kb, "police")
    hidden = run_app_as(shared_team_kb, "alice", page="doc", id=police)
    missing = run_app_as(shared_team_kb, "alice", page="doc", id="no-such-document")
    assert [e.value for e in hidden.error] == [e.value for e in missing.error] == ["Not found."]
    assert not hidden.title and not hidden.get("download_button")
    opened = run_app_as(shared_team_kb, "admin", page="doc", id=police)
    assert opened.title[0].value == "Informe policial reservado"


def test_opening_a_document_logs_a_view_not_a_download(fresh_team_kb: KnowledgeBase) -> None:
    border = doc_id(fresh_team_kb, "border")
    at = run_app_as(fresh_team_kb, "alice", page="doc", id=border)
    assert [b.label for b in at.get("download_button")] == ["Download the original"]
    actions = [r["action"] for r in fresh_team_kb.audit_log(user="alice") if r["ids"] == [border]]
    assert "view" in actions and "download" not in actions  # the file is read when the button is clicked


# -- uploads by role ---------------------------------------------------------------------------
def test_upload_is_offered_only_into_writable_collections(shared_team_kb: KnowledgeBase) -> None:
    at = run_app_as(shared_team_kb, "alice", page="upload")
    assert [e.value for e in at.error] == ["You may not open this page."] and not at.get("file_uploader")
    at = run_app_as(shared_team_kb, "bob", page="upload")
    assert at.selectbox(key="upload_collection").options == ["border"]
    assert "page=upload" in menu(at)
    at = run_app_as(shared_team_kb, "admin", page="upload")
    box = at.selectbox(key="upload_collection")
    assert box.options == ["border", "police", "New collection…"]
    box.select("").run()
    assert not at.get("file_uploader")  # no name yet
    at.text_input(key="upload_new_collection").input("a/b").run()
    assert [e.value for e in at.error] == [
        "A collection name has 1 to 128 characters, without / or \\ or control characters, and is not *."
    ]


def test_bob_uploads_into_border_and_alice_finds_it(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app_as(fresh_team_kb, "bob", page="upload")
    at.get("file_uploader")[0].set_value(
        [("informe-tacna.txt", "Informe sobre el paso de Tacna–Arica y la PDI de Chile.".encode(), "text/plain")]
    ).run()
    at.button(key="ingest").click().run()
    assert not at.exception and "informe-tacna.txt: added" in shown(at.success[0].value)
    alice = fresh_team_kb.as_user("alice")
    found = [r for r in alice.search("PDI de Chile Tacna", k=5) if "informe-tacna" in r.best.source]
    assert found and alice.document(found[0].doc_id)["collection"] == "border"
    folders = [p for p in (Path(fresh_team_kb.root) / "uploads").iterdir() if p.is_dir()]
    assert [p.name for p in folders] == [Path(found[0].best.source).parent.name]
    assert folders[0].name.startswith("collection-border-")


def test_admin_uploads_into_a_new_collection(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app_as(fresh_team_kb, "admin", page="upload")
    at.selectbox(key="upload_collection").select("").run()
    at.text_input(key="upload_new_collection").input("minutes").run()
    at.get("file_uploader")[0].set_value([("acta.md", b"# Acta\n\nReunion sobre Tacna y Arica.", "text/markdown")])
    at.run()
    at.button(key="ingest").click().run()
    assert not at.exception and at.success
    assert {c["name"] for c in fresh_team_kb.collections()} == {"border", "police", "minutes"}

    def sources(kb: KnowledgeBase) -> list[str]:
        return [Path(r.best.source).name for r in kb.search("Reunion sobre Tacna y Arica", k=5)]

    assert "acta.md" in sources(fresh_team_kb.as_user("admin"))
    assert "acta.md" not in sources(fresh_team_kb.as_user("bob"))  # bob has no grant on "minutes"


def test_a_refused_upload_keeps_nothing(fresh_team_kb: KnowledgeBase) -> None:
    """The facade refuses a collection the user may not write (a grant taken back meanwhile): nothing stays."""
    bob = fresh_team_kb.as_user("bob")
    before = fresh_team_kb.stats()["documents"]
    with pytest.raises(Forbidden):
        bob.upload([("note.txt", b"Nota sobre Tacna.")], "police")
    uploads = Path(fresh_team_kb.root) / "uploads"
    assert [p for p in uploads.rglob("*") if p.is_file()] == []
    assert fresh_team_kb.stats()["documents"] == before


# -- administration ----------------------------------------------------------------------------
def test_admin_page_only_for_administrators(shared_team_kb: KnowledgeBase) -> None:
    for user in ("alice", "bob"):
        at = run_app_as(shared_team_kb, user, page="admin")
        assert [e.value for e in at.error] == ["You may not open this page."] and not at.tabs
    at = run_app_as(shared_team_kb, "admin", page="admin", ui="fr")
    assert not at.exception and at.title[0].value == "Administration"
    assert [t.label for t in at.tabs] == ["Utilisateurs", "Groupes", "Autorisations", "Journal d'audit"]


def submit(at: Any, label: str) -> Any:
    return next(b for b in at.button if b.label == label).click().run()


def test_admin_adds_a_user_a_group_and_a_grant(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app_as(fresh_team_kb, "admin", page="admin")
    at.text_input(key="new_user_name").input("carol")
    at.text_input(key="new_user_password").input("short")
    submit(at, "Add")
    assert "8" in shown(at.error[0].value) and "carol" not in [u["name"] for u in fresh_team_kb.users()]
    at.text_input(key="new_user_name").input("carol")
    at.text_input(key="new_user_password").input("carol-password-1")
    submit(at, "Add")
    assert not at.exception and [s.value for s in at.success] == ["Saved."]
    assert "carol" in [u["name"] for u in fresh_team_kb.users()]
    at.text_input(key="new_group_name").input("analysts")
    [b for b in at.button if b.label == "Add"][1].click().run()  # the first "Add" is the users' form's
    assert ("analysts", []) in fresh_team_kb.groups()
    at.selectbox(key="member_group").select("analysts")
    at.selectbox(key="member_user").select("carol")
    submit(at, "Add to the group")
    assert ("analysts", ["carol"]) in fresh_team_kb.groups()
    at.selectbox(key="grant_subject").select("analysts")
    at.selectbox(key="grant_collection").select("police")
    at.selectbox(key="grant_role").select("read")
    submit(at, "Grant")
    assert {"subject": "analysts", "kind": "group", "collection": "police", "role": "read"} in fresh_team_kb.grants()
    police = doc_id(fresh_team_kb, "police")
    assert fresh_team_kb.as_user("carol").document(police) is not None  # the grant reaches the member
    submit(at, "Revoke")
    assert fresh_team_kb.as_user("carol").document(police) is None


def test_admin_disables_and_resets_a_password(fresh_team_kb: KnowledgeBase) -> None:
    at = run_app_as(fresh_team_kb, "admin", page="admin")
    at.selectbox(key="state_user").select("alice")
    submit(at, "Disable")
    with pytest.raises(LoginFailed):
        fresh_team_kb.login("alice", TEAM_PASSWORDS["alice"])
    submit(at, "Enable")
    at.selectbox(key="password_user").select("alice")
    at.text_input(key="password_new").input("a-new-password-2")
    submit(at, "Reset a password")
    assert fresh_team_kb.login("alice", "a-new-password-2")["access_token"].startswith("kbt_")


def test_audit_log_filters_and_verifies(fresh_team_kb: KnowledgeBase) -> None:
    run_app_as(fresh_team_kb, "alice", q=QUERY)  # alice signs in and searches: two rows of hers
    at = run_app_as(fresh_team_kb, "admin", page="admin")
    table = at.dataframe[-1].value
    assert {"login", "search", "grant"} <= set(table["Action"])
    at.selectbox(key="audit_user").select("alice").run()
    table = at.dataframe[-1].value
    assert set(table["User"]) == {"alice"} and "search" in set(table["Action"])
    assert QUERY in set(table["Query"])
    at.button(key="verify_audit").click().run()
    assert at.success and at.success[-1].value.startswith("The audit trail is intact (head ")
