"""A shared knowledge base in real headless Chromium: alice signs in, searches, sees only her collection.

The knowledge base is tests.helpers.team_kb (fake embedder: no model to load), served by
`streamlit run` of a two-line launcher that hands the app that knowledge base, exactly as the
AppTest tests inject theirs. Alice reads "border" only; the "police" document (its text says
"reservado") must never reach her browser: not in the results, not by its URL, which answers
"Not found." like a missing id. Following a result link (a full page load, so a new Streamlit
session) keeps her signed in through the session cookie; signing out ends it, and the same link
then shows the login page. Screenshots go to tmp_path, and to $KB_SCREENSHOTS (as
browser-team-*.png) when it is set.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from kb.service import KnowledgeBase
from tests.browser import LONG, browse, need_browser, settle, streamlit_app, text_of
from tests.helpers import ROOT, TEAM_PASSWORDS, FakeEmbedder, team_kb

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SECRET = "reservado"  # only in the police collection's document
QUERY = "contrabando de combustible Desaguadero"
LAUNCHER = textwrap.dedent(
    """
    import streamlit as st
    from kb.service import KnowledgeBase
    from tests.helpers import FakeEmbedder

    @st.cache_resource
    def shared():
        return KnowledgeBase.open({path!r}, embedder_impl=FakeEmbedder(), use_ner=False)

    st.session_state["kb"] = shared()
    from kb.ui.app import main
    main()
    """
)


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The app on the team knowledge base; yields its URL, a document id of each collection, and its path."""
    need_browser()
    root = tmp_path_factory.mktemp("team-browser")
    kb = team_kb(root)
    ids = {c: kb.search(QUERY, k=1, filters={"collection": [c]})[0].doc_id for c in ("border", "police")}
    kb.close()
    script = root / "launcher.py"
    script.write_text(LAUNCHER.format(path=str(root / "kb")), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), KB_BOOTSTRAP=str(root / "none"))
    with streamlit_app(script, env, root / "streamlit.log") as url:
        yield url, {**ids, "kb": str(root / "kb")}


def sign_in(page: Any, user: str, password: str) -> None:
    page.get_by_label("User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def session_cookie(page: Any) -> dict[str, Any] | None:
    return next((c for c in page.context.cookies() if c["name"] == "kb_session"), None)


def test_alice_signs_in_searches_her_collection_and_signs_out(
    team_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, ids = team_server
    shots = Path(os.environ["KB_SCREENSHOTS"]) if os.environ.get("KB_SCREENSHOTS") else None
    requests: list[str] = []
    with browse(requests) as page:
        page.goto(url)
        page.get_by_label("User name").wait_for(timeout=LONG)
        assert "Search the knowledge base" not in text_of(page)
        sign_in(page, "alice", "not-her-password")
        page.get_by_text("Wrong user name or password.").wait_for(timeout=LONG)
        settle(page)
        page.screenshot(path=str(tmp_path / "login.png"), full_page=True)
        if shots:
            page.screenshot(path=str(shots / "browser-team-login.png"))
        sign_in(page, "alice", TEAM_PASSWORDS["alice"])

        box = page.get_by_label("Search the knowledge base (any language)")
        box.wait_for(timeout=LONG)
        box.fill(QUERY)
        box.press("Enter")
        card = page.locator(".kb-card", has_text="Acta de la reunión en Desaguadero").first
        card.wait_for(timeout=LONG)
        settle(page)
        shown = text_of(page)
        assert SECRET not in shown and ids["police"] not in page.content()
        assert "alice" in shown and "border · 2 documents · read" in shown and "police" not in shown
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
        if shots:
            page.screenshot(path=str(shots / "browser-team-search.png"))
        cookie = session_cookie(page)
        assert cookie is not None and cookie["sameSite"] == "Strict" and cookie["value"].startswith("kbt_")

        # a result link is a full page load (a new Streamlit session): the cookie keeps her signed in
        card.get_by_role("link", name="Acta de la reunión en Desaguadero").click()
        page.get_by_text("Download the original").wait_for(timeout=LONG)
        assert "page=doc" in page.url and page.get_by_role("heading", name="Acta de la reunión").first.is_visible()
        with page.expect_download(timeout=LONG) as download:
            page.get_by_role("button", name="Download the original").click()
        assert Path(download.value.path()).read_text("utf-8").startswith("# Acta de la reunión en Desaguadero")

        # the police document by its URL: "Not found.", exactly like an id that does not exist
        answers = {}
        for name, doc in (("hidden", ids["police"]), ("missing", "no-such-document")):
            page.goto(f"{url}/?page=doc&id={quote(doc)}")
            page.get_by_text("Not found.").wait_for(timeout=LONG)
            settle(page)
            answers[name] = text_of(page).replace(doc, "ID")
        assert answers["hidden"] == answers["missing"]
        assert SECRET not in answers["hidden"] and "Signed in as" in answers["hidden"]
        page.screenshot(path=str(tmp_path / "hidden.png"), full_page=True)

        page.get_by_role("button", name="Sign out").click()
        page.get_by_text("You are signed out.").wait_for(timeout=LONG)
        settle(page)
        assert session_cookie(page) is None  # the browser forgot it (and the server revoked it)
        page.goto(f"{url}/?page=doc&id={quote(ids['border'])}")
        page.get_by_label("User name").wait_for(timeout=LONG)
        settle(page)
        assert "Acta de la reunión" not in text_of(page)
    assert (tmp_path / "search.png").stat().st_size > 10_000
    with KnowledgeBase.open(ids["kb"], embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        rows = kb.audit_log(user="alice")
    actions = [r["action"] for r in rows]
    assert actions[0] == "login_failed" and actions[-1] == "logout"
    assert actions.count("download") == 1, actions  # the download when clicked, once
    # one view of her document; the hidden and the missing id are recorded as views of nothing
    opened = [r for r in rows if r["action"] == "view" and r["ids"]]
    refused = [r["query"] for r in rows if r["action"] == "view" and not r["ids"]]
    assert len(opened) == 1 and ids["police"] in refused and "no-such-document" in refused, rows


def test_alice_watches_a_search_and_sees_only_her_new_hits(
    team_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, ids = team_server
    requests: list[str] = []
    with browse(requests) as page:
        page.goto(f"{url}/?q={quote(QUERY)}")
        page.get_by_label("User name").wait_for(timeout=LONG)
        sign_in(page, "alice", TEAM_PASSWORDS["alice"])
        page.locator(".kb-card").first.wait_for(timeout=LONG)
        page.get_by_text("Watch this search").first.click()
        name = page.get_by_label("Name of the watch")
        name.fill("fuel")
        name.press("Enter")
        settle(page)  # Enter reruns the app: a click that lands during that rerun can be lost (it was, once in CI)
        page.get_by_role("button", name="Watch this search").click()
        page.get_by_text("Watching it").wait_for(timeout=LONG)
        with KnowledgeBase.open(ids["kb"], embedder_impl=FakeEmbedder(), use_ner=False) as kb:
            for collection in ("border", "police"):
                folder = tmp_path / collection
                folder.mkdir()
                word = SECRET if collection == "police" else "frontera"
                text = f"# Parte {collection}\n\nNuevo contrabando de combustible en Desaguadero, {word}.\n"
                (folder / f"parte-{collection}.md").write_text(text, encoding="utf-8")
                kb.ingest([folder], collection=collection)
        page.goto(f"{url}/?page=watched")
        page.get_by_text("fuel · 1 new").wait_for(timeout=LONG)
        page.get_by_role("button", name="Show what is new").click()
        page.locator(".kb-card", has_text="parte-border.md").wait_for(timeout=LONG)
        settle(page)
        assert "fuel · 0 new" in text_of(page) and SECRET not in text_of(page) and "parte-police" not in page.content()
        page.screenshot(path=str(tmp_path / "watched.png"), full_page=True)
        if os.environ.get("KB_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["KB_SCREENSHOTS"]) / "browser-team-watched.png"))
