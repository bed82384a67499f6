"""The app in real headless Chromium (Debian's chromium driven by Playwright) on the real default models.

The knowledge base is built with `kb ingest` and the real embedder, the app is started with
`streamlit run` on a free localhost port, and the browser searches in Spanish, sees an English or
French hit flagged as such, opens it, and checks that a document's `<script>` is shown as text
and never runs. Every request the browser makes is recorded and must stay on 127.0.0.1: a
document whose title and text hold Markdown images pointing at a small "beacon" server on
127.0.0.2 (another loopback address; nothing here may leave the machine) is searched for,
opened (with such an image in `?q=` too), listed on its entity page and in a visit brief, and
the beacon must get no request. Screenshots go to tmp_path, and to $KB_SCREENSHOTS (as
browser-*.png, so that the corpus screenshots in docs/screenshots are not replaced by this small
knowledge base) when it is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.browser import LONG, browse, need_browser, settle, streamlit_app, text_of
from tests.helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DOCS = {
    "frontex-joint-operations.md": "# Frontex joint operations\n\nFrontex coordinates joint operations in which "
    "border guards from several member states patrol the sea border together and share a single situation picture.\n",
    "ccpd-note.md": "# Les centres de coopération policière et douanière\n\nLes CCPD réunissent des policiers et des "
    "douaniers français et espagnols qui échangent chaque jour des informations sur les passeurs de migrants.\n",
    "acta-desaguadero.md": "# Acta de la reunión en Desaguadero\n\nLa Policía Nacional del Perú y la Policía "
    "Boliviana acordaron patrullajes binacionales en el río Desaguadero contra el contrabando de combustible.\n",
    "hostile.txt": "Hostile page\n\nThis note mentions <script>alert('xss')</script> and <b>bold markup</b> and "
    "<img src=x onerror=alert('img')> at the Desaguadero crossing, and must be shown as text.\n",
}


LOCAL_HOSTS = {"127.0.0.1", "localhost"}
BEACON_HOST = "127.0.0.2"  # loopback, so that a request to it never leaves the machine either


def beacon_doc(port: int) -> str:
    """A plain-text document whose title line and text carry Markdown images, a link and an HTML image."""
    base = f"http://{BEACON_HOST}:{port}"
    return (
        f"Beacon note ![t]({base}/title.png) [click]({base}/link)\n\nThis beacon note about the Desaguadero "
        f"crossing carries ![b]({base}/body.png) and <img src={base}/tag.png> in its text, shown as text.\n"
    )


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture(scope="module")
def beacon() -> Iterator[tuple[int, list[str]]]:
    """A tiny HTTP server on 127.0.0.2 that records every path requested from it."""
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    httpd = ThreadingHTTPServer((BEACON_HOST, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1]), hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def outside(requests: list[str]) -> list[str]:
    """The requests that went anywhere but this machine's app (data: and blob: URLs never leave the page)."""
    return [
        u for u in requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOCAL_HOSTS
    ]


def foreign_links(page: Any) -> list[str]:
    """Links and image sources in the page that point away from the app (an autolinked URL, an image)."""
    return [
        u
        for u in page.evaluate(
            "() => [...document.querySelectorAll('a[href], img[src], [srcset]')]"
            ".map(e => e.href || e.src || e.getAttribute('srcset'))"
        )
        if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOCAL_HOSTS
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, beacon: tuple[int, list[str]]) -> Iterator[str]:
    need_browser()
    root = tmp_path_factory.mktemp("browser")
    docs = root / "docs"
    docs.mkdir()
    for name, text in {**DOCS, "beacon-note.txt": beacon_doc(beacon[0])}.items():
        (docs / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "KB_EMBEDDER"}  # the real default embedder
    env.update(KB_PATH=str(root / "kb"), KB_BOOTSTRAP=str(root / "none"), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    built = subprocess.run(
        [sys.executable, "-m", "kb.cli", "--kb", str(root / "kb"), "ingest", str(docs)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    with streamlit_app(ROOT / "app.py", env, root / "streamlit.log") as url:
        yield url


def test_spanish_search_finds_other_languages_opens_and_escapes(server: str, tmp_path: Path) -> None:
    shots = Path(os.environ["KB_SCREENSHOTS"]) if os.environ.get("KB_SCREENSHOTS") else None
    dialogs: list[str] = []
    requests: list[str] = []
    with browse(requests) as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server)
        box = page.get_by_label("Search the knowledge base (any language)")
        box.wait_for(timeout=LONG)
        box.fill("operaciones conjuntas de guardias de frontera que patrullan el mar")
        box.press("Enter")
        page.get_by_text("Frontex joint operations").first.wait_for(timeout=LONG)
        card = page.locator(".kb-card", has_text="Frontex joint operations").first
        assert "in another language than your query" in card.inner_text()
        settle(page)
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
        if shots:
            page.screenshot(path=str(shots / "browser-search.png"))
        card.get_by_role("link", name="Frontex joint operations").click()
        page.get_by_text("Download the original").wait_for(timeout=LONG)
        assert "page=doc" in page.url
        assert page.get_by_role("heading", name="Frontex joint operations").first.is_visible()
        settle(page)
        page.screenshot(path=str(tmp_path / "document.png"), full_page=True)

        # the hostile document: its markup is text, its script never runs
        page.goto(server + "/?q=" + "Desaguadero%20crossing%20bold%20markup%20shown%20as%20text")
        hostile = page.locator(".kb-card", has_text="Hostile page").first
        hostile.wait_for(timeout=LONG)
        hostile.get_by_role("link", name="Hostile page").click()
        page.get_by_text("alert('xss')", exact=False).first.wait_for(timeout=LONG)
        assert page.get_by_text("<script>alert('xss')</script>", exact=False).first.is_visible()
        assert page.get_by_text("<b>bold markup</b>", exact=False).first.is_visible()
        settle(page)
        page.wait_for_timeout(1000)
        injected = page.evaluate(
            "() => [...document.querySelectorAll('script')].filter(s => s.textContent.includes('xss')).length"
            " + document.querySelectorAll('img[onerror]').length"
        )
        assert injected == 0
        page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
        page.goto(server + "/?page=entity&id=bc:desaguadero")
        page.get_by_text("Documents that mention it").wait_for(timeout=LONG)
        settle(page)
        assert "Hostile page" in page.inner_text("body")
        page.screenshot(path=str(tmp_path / "entity.png"))
        if shots:
            page.screenshot(path=str(shots / "browser-entity.png"))
    assert dialogs == [], f"a script from a document ran: {dialogs}"
    assert (tmp_path / "search.png").stat().st_size > 10_000
    assert any(urlsplit(u).hostname == "127.0.0.1" for u in requests)  # the recording works
    assert outside(requests) == [], f"requests left 127.0.0.1: {outside(requests)}"


def test_markdown_images_from_documents_and_q_fetch_nothing(
    server: str, beacon: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, hits = beacon
    base = f"http://{BEACON_HOST}:{port}"
    q = f"beacon note Desaguadero ![q]({base}/q.png)"
    requests: list[str] = []
    shown: dict[str, str] = {}  # page -> its visible text
    foreign: dict[str, list[str]] = {}  # page -> links or images pointing away from the app
    with browse(requests) as page:
        page.goto(f"{server}/?q={quote(q)}")
        card = page.locator(".kb-card", has_text="Beacon note").first
        card.wait_for(timeout=LONG)
        settle(page)
        shown["search card"] = card.inner_text().replace("\u2060", "")
        foreign["search"] = foreign_links(page)
        card.locator(".kb-title a").click()  # the document page: its title, and q in a caption
        page.get_by_text("Download the original").wait_for(timeout=LONG)
        # the page's text comes after the search for q's passages: wait for it, not only for the rerun to end
        page.locator('[data-testid="stExpander"]').first.wait_for(timeout=LONG)
        settle(page)
        shown["document"] = text_of(page)
        foreign["document"] = foreign_links(page)
        page.screenshot(path=str(tmp_path / "beacon-document.png"), full_page=True)
        page.goto(server + "/?page=entity&id=bc:desaguadero")
        page.get_by_text("Documents that mention it").wait_for(timeout=LONG)
        settle(page)
        shown["entity"] = text_of(page)
        foreign["entity"] = foreign_links(page)
        page.goto(server + "/?page=brief&target=Desaguadero")
        page.get_by_text("Beacon note").first.wait_for(timeout=LONG)
        settle(page)
        page.wait_for_timeout(1500)  # time for any image to be requested
        shown["brief"] = text_of(page)
        foreign["brief"] = foreign_links(page)
        page.screenshot(path=str(tmp_path / "beacon-brief.png"), full_page=True)
    assert hits == [], f"the beacon server on {BEACON_HOST} was contacted: {hits}"
    assert outside(requests) == [], f"requests left 127.0.0.1: {outside(requests)}"
    assert any(urlsplit(u).hostname == "127.0.0.1" for u in requests)  # the recording works
    assert {k: v for k, v in foreign.items() if v} == {}, "document text became links or images"
    title = f"Beacon note ![t]({base}/title.png) [click]({base}/link)"
    for name, text in shown.items():
        assert title in text, f"the title is not shown as written on the {name} page"
    assert f"![q]({base}/q.png)" in shown["document"]  # ?q= echoed as text
