"""The app in real headless Chromium: helpers shared by the browser tests (tests/app/test_browser*.py).

Debian's chromium driven by Playwright, the app started with `streamlit run` on a free localhost
port. Imports stay light (Playwright is imported when a browser starts), like tests/helpers.py.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT

CHROMIUM = os.environ.get("KB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
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
LONG = 300_000  # ms: the first query loads the embedder in the app process, on a loaded 2-core machine


def need_browser() -> None:
    """Skip the test when Chromium or Playwright is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium is not installed at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")


@contextmanager
def browse(requests: list[str]) -> Iterator[Any]:
    """A Chromium page whose every request URL (any frame, worker or redirect) is appended to ``requests``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 1000})
        context.on("request", lambda r: requests.append(r.url))
        try:
            yield context.new_page()
        finally:
            browser.close()


def text_of(page: Any) -> str:
    """The page's visible text without the invisible word joiners that ``render.esc`` adds."""
    return str(page.inner_text("body")).replace("\u2060", "")


def settle(page: Any) -> None:
    """Wait until the app has finished its rerun (no "Stop" button, no loading skeletons)."""
    page.get_by_role("button", name="Stop").wait_for(state="hidden", timeout=LONG)
    page.locator('[data-testid="stSkeleton"]').first.wait_for(state="detached", timeout=LONG)
    page.wait_for_timeout(300)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_app(script: Path, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`streamlit run script` on 127.0.0.1 and a free port until it answers its health check; yields its URL."""
    port = free_port()
    argv = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    argv += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(400):
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None:
                        pytest.fail("streamlit exited: " + log_path.read_text()[-2000:])
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
