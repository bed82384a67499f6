"""The offline crossing map in real headless Chromium: borders drawn, no request leaves 127.0.0.1.

The map has no tiles: every request the page makes must stay on the machine. The screenshot is
checked for the failure a wrongly wound polygon gives (d3-geo then fills the whole sphere): some
of the map must be land grey, and some of it not. Screenshots go to tmp_path, and to
$KB_SCREENSHOTS as browser-map.png when it is set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.app.test_browser_team import LAUNCHER
from tests.browser import browse, need_browser, settle, streamlit_app
from tests.helpers import APP_DOCS, ROOT, fake_kb

pytestmark = [pytest.mark.slow, pytest.mark.browser]
LAND = (0xE5, 0xE7, 0xEB)


@pytest.fixture(scope="module")
def map_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    root = tmp_path_factory.mktemp("map-browser")
    fake_kb(root, APP_DOCS).close()
    script = root / "launcher.py"
    script.write_text(LAUNCHER.format(path=str(root / "kb")), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), KB_BOOTSTRAP=str(root / "none"))
    with streamlit_app(script, env, root / "streamlit.log") as url:
        yield url


def test_the_crossings_map_shows_borders_offline(map_server: str, tmp_path: Path) -> None:
    from PIL import Image

    requests: list[str] = []
    with browse(requests) as page:
        page.goto(f"{map_server}/?page=crossings")
        settle(page)
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.locator("canvas, svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        shot = tmp_path / "map.png"
        chart.screenshot(path=str(shot))
    if os.environ.get("KB_SCREENSHOTS"):
        shutil.copy(shot, Path(os.environ["KB_SCREENSHOTS"]) / "browser-map.png")
    pixels = list(Image.open(shot).convert("RGB").getdata())
    land = sum(1 for p in pixels if all(abs(a - b) <= 3 for a, b in zip(p, LAND, strict=True))) / len(pixels)
    assert 0.05 < land < 0.9, land
    assert {urlsplit(u).hostname for u in requests} <= {"127.0.0.1", "localhost"}
