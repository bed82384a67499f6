"""Every PDF of the torture set and every real document: the expected outcome, asserted per file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.readers import ReadLimits, ocr_available
from ingest.sandbox import read_many_isolated
from kb.types import RawDocument, ReadError
from tests.conftest import shared_dir

# file prefix -> "text:<word>", "ocr", or the skip code
TORTURE = {
    "01": "encrypted",
    "02": "no_text",
    "03": "no_text",
    "04": "text:Topologie",
    "05": "text:Submit",
    "06": "text:Beautiful",
    "07": "text:Fingerprint",
    "08": "text:habibi",
    "09": "text:habibi",
    "10": "text:crazy",
    "11": "text:highlighted",
    "12": "text:Lorem",
    "13": "text:",
    "14": "text:password",
    "15": "text:password",
    "16": "encrypted",
    "17": "ocr",
    "18": "text:example",
    "19": "text:Vicksburg",
    "20": "text:",
    "21": "text:",
    "22": "text:",
}
PASSWORDS = {"01": "openpassword", "16": "password"}


def outcome(result: RawDocument | ReadError) -> str:
    if isinstance(result, ReadError):
        return result.code
    if any(p.ocr_confidence is not None for p in result.pages):
        return "ocr"
    return "text"


@pytest.mark.slow
def test_every_torture_pdf_has_its_expected_outcome() -> None:
    folder = shared_dir("data", "pdf-torture")
    manifest = json.loads((folder / "manifest.json").read_text())
    paths = [folder / e["file"] for e in manifest]
    assert len(paths) == 22
    if not ocr_available():
        pytest.skip("tesseract is not installed")
    got = dict(read_many_isolated(paths, ReadLimits(timeout_s=120), workers=2))
    for path in paths:
        want = TORTURE[path.name[:2]]
        result = got[path]
        kind, _, word = want.partition(":")
        assert outcome(result) == kind, f"{path.name}: {result}"
        if kind == "text" and word:
            assert word.lower() in " ".join(p.text for p in result.pages).lower(), path.name  # type: ignore[union-attr]
        if isinstance(result, ReadError):
            assert result.message, "every skip says why"


@pytest.mark.slow
def test_encrypted_pdfs_open_with_their_password() -> None:
    folder = shared_dir("data", "pdf-torture")
    for prefix, pw in PASSWORDS.items():
        [path] = folder.glob(f"{prefix}_*.pdf")
        [(_, result)] = list(read_many_isolated([path], ReadLimits(passwords=(pw,))))
        assert isinstance(result, RawDocument) and result.text.strip(), path.name


@pytest.mark.slow
def test_every_real_document_is_read() -> None:
    folder = shared_dir("data", "real-docs")
    manifest = json.loads((folder / "manifest.json").read_text())
    paths = [folder / e["file"] for e in manifest]
    assert len(paths) == 15
    if not ocr_available():
        pytest.skip("tesseract is not installed")
    got = dict(read_many_isolated(paths, ReadLimits(timeout_s=300), workers=2))
    scans = {p.name for p in paths if "scanned" in p.name or "morocco" in p.name}
    for path in paths:
        result = got[path]
        assert isinstance(result, RawDocument), f"{path.name}: {result}"
        assert len(result.text) > 500, path.name
        if path.name in scans:
            assert outcome(result) == "ocr", path.name


def test_a_hanging_file_times_out_and_the_batch_goes_on(tmp_path: Path) -> None:
    (tmp_path / ".kb-test-hang").write_text("")
    (tmp_path / "hang.txt").write_text("this file makes the test reader sleep forever")
    (tmp_path / "fine.txt").write_text("Un informe breve sobre el paso de Desaguadero.")
    results = list(read_many_isolated([tmp_path / "hang.txt", tmp_path / "fine.txt"], ReadLimits(timeout_s=2)))
    assert isinstance(results[0][1], ReadError) and results[0][1].code == "timeout"
    assert isinstance(results[1][1], RawDocument)
