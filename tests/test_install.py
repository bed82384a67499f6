"""scripts/install.sh's Debian-package step, run in its dry-run mode with a PATH the test controls.

The fake ``id``, ``tesseract`` and ``chromium`` on PATH decide who runs it and what is present;
fake ``apt-get`` and ``python3`` leave a mark if the dry run ever reaches them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

SCRIPT = ROOT / "scripts" / "install.sh"
OCR = ["tesseract-ocr", "tesseract-ocr-spa", "tesseract-ocr-por", "tesseract-ocr-fra", "tesseract-ocr-eng"]


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def dry_run(
    tmp_path: Path, *, dev: bool, uid: int, langs: tuple[str, ...] | None, chromium: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the script with KB_INSTALL_DRY_RUN=1; ``langs`` None means no tesseract at all."""
    bash, dirname = shutil.which("bash"), shutil.which("dirname")
    if bash is None or dirname is None:
        pytest.skip("needs bash and dirname")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "dirname").symlink_to(dirname)
    fake(bin_dir, "id", f"echo {uid}")
    marks = tmp_path / "reached"
    fake(bin_dir, "apt-get", f"echo apt-get >> {marks}")
    fake(bin_dir, "python3", f"echo python3 >> {marks}")
    if langs is not None:
        listing = "\\n".join(langs)
        fake(bin_dir, "tesseract", f'printf "List of available languages ({len(langs)}):\\n{listing}\\n"')
    if chromium:
        fake(bin_dir, "chromium", "exit 0")
    env = {"PATH": str(bin_dir), "KB_INSTALL_DRY_RUN": "1", "VENV": str(tmp_path / "venv"), "HOME": str(tmp_path)}
    args = [bash, str(SCRIPT), *(["--dev"] if dev else [])]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "dry run: stopping before the Python install" in done.stdout
    assert not marks.exists(), "a dry run reached apt-get or pip"
    return done


def packages(line_start: str, text: str) -> list[str]:
    """The package names on the one line that starts with ``line_start``."""
    lines = [ln for ln in text.splitlines() if ln.strip().startswith(line_start)]
    assert len(lines) == 1, text
    return lines[0].strip()[len(line_start) :].split()


def test_runtime_install_as_root_installs_tesseract_and_its_languages_not_chromium(tmp_path: Path) -> None:
    done = dry_run(tmp_path, dev=False, uid=0, langs=None)
    assert packages("would install Debian packages:", done.stdout) == OCR


def test_runtime_install_adds_only_the_missing_languages(tmp_path: Path) -> None:
    done = dry_run(tmp_path, dev=False, uid=0, langs=("eng", "osd", "spa"))
    assert packages("would install Debian packages:", done.stdout) == ["tesseract-ocr-por", "tesseract-ocr-fra"]


def test_runtime_install_with_everything_present_installs_nothing(tmp_path: Path) -> None:
    done = dry_run(tmp_path, dev=False, uid=0, langs=("eng", "fra", "osd", "por", "spa"))
    assert "Debian packages: all present" in done.stdout
    assert "install" not in done.stdout.replace("Python install", "") + done.stderr


def test_dev_install_adds_chromium(tmp_path: Path) -> None:
    done = dry_run(tmp_path, dev=True, uid=0, langs=None)
    assert packages("would install Debian packages:", done.stdout)[: len(OCR) + 1] == [*OCR, "chromium"]
    with_browser = dry_run(tmp_path / "again", dev=True, uid=0, langs=None, chromium=True)
    assert "chromium" not in packages("would install Debian packages:", with_browser.stdout)


def test_not_root_prints_the_one_apt_get_line_and_goes_on(tmp_path: Path) -> None:
    done = dry_run(tmp_path, dev=False, uid=1000, langs=("eng",))
    assert "would install" not in done.stdout
    assert packages("sudo apt-get install -y", done.stderr) == OCR[1:4]
    assert "scanned PDFs" in done.stderr
