"""The app in real headless Chromium (Debian's chromium driven by Playwright), on the real models."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

DOCS = {
    "frontex-joint-operations.md": "# Frontex joint operations\n\nFrontex coordinates joint operations in which "
    "border guards from several member states patrol the sea border together and share a single situation picture.\n",
    "ccpd-note.md": "# Les centres de coopération policière et douanière\n\nLes CCPD réunissent des policiers et des "
    "douaniers français et espagnols qui échangent chaque jour des informations sur les passeurs de migrants.\n",
    "hostile.md": "# Hostile page\n\nThis note mentions <script>alert('xss')</script> and <b>bold markup</b> at "
    "the Desaguadero crossing, and must be shown as text.\n",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    root = tmp_path_factory.mktemp("browser")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    env = dict(os.environ, KB_PATH=str(root / "kb"), KB_BOOTSTRAP=str(root / "none"))
    subprocess.run(
        [sys.executable, "-m", "kb.cli", "ingest", str(docs)], env=env, check=True, cwd=ROOT, capture_output=True
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_spanish_search_finds_other_languages_opens_and_escapes(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ["KB_SCREENSHOTS"]) if os.environ.get("KB_SCREENSHOTS") else None
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server)
        box = page.get_by_label("Search the knowledge base (any language)")
        box.wait_for(timeout=300_000)
        box.fill("operaciones conjuntas de guardias de frontera en el mar")
        box.press("Enter")
        page.get_by_text("Frontex joint operations").first.wait_for(timeout=300_000)
        assert page.get_by_text("in another language than your query").first.is_visible()
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
        if shots:
            page.screenshot(path=str(shots / "search.png"))
        page.get_by_role("link", name="Frontex joint operations").first.click()
        page.get_by_text("Download the original").wait_for(timeout=240_000)
        page.screenshot(path=str(tmp_path / "document.png"), full_page=True)
        # the hostile document: its markup is text, its script never runs
        page.goto(server + "/?q=" + "Desaguadero%20crossing%20bold%20markup")
        page.get_by_text("Hostile page").first.wait_for(timeout=240_000)
        page.get_by_role("link", name="Hostile page").first.click()
        page.get_by_text("alert('xss')", exact=False).first.wait_for(timeout=240_000)
        assert page.get_by_text("<script>alert('xss')</script>", exact=False).first.is_visible()
        page.wait_for_timeout(1000)
        if shots:
            page.goto(server + "/?page=entity&id=bc:desaguadero")
            page.get_by_text("Documents that mention it").wait_for(timeout=240_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(shots / "entity.png"))
        browser.close()
    assert dialogs == [], "a script from a document ran"
    assert (tmp_path / "search.png").stat().st_size > 10_000
