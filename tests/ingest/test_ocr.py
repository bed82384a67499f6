"""OCR driver: TSV parsing, page-language narrowing and the fallback to all languages (Tesseract faked)."""

from __future__ import annotations

from typing import Any

import pytest

import ingest.readers.ocr as ocr

ES_PAGE = " ".join(["el control de los pasos por la frontera con una policía y su personal para el paso"] * 4)
FR_PAGE = " ".join(["le contrôle des frontières et la coopération pour les pays dans un cadre sur la police"] * 4)
MIXED = "the border and la frontera y el control of the police"


def test_page_language_needs_a_clear_majority() -> None:
    langs = ["spa", "eng", "por", "fra"]
    assert ocr.page_language(ES_PAGE, langs) == "spa"
    assert ocr.page_language(FR_PAGE, langs) == "fra"
    assert ocr.page_language(MIXED, langs) is None  # too few words to judge
    assert ocr.page_language(ES_PAGE + " " + FR_PAGE, langs) is None  # a bilingual page keeps all languages
    assert ocr.page_language(ES_PAGE, ["spa"]) is None  # nothing to narrow


def test_parse_tsv_keeps_paragraphs_and_mean_confidence() -> None:
    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tActa",
        "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\tN.º3",
        "4\t1\t1\t2\t1\t0\t0\t0\t1\t1\t-1\t",
        "5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t70\tDesaguadero",
    ]
    text, conf = ocr._parse_tsv("\n".join([head, *rows]))
    assert text == "Acta N.º3\n\nDesaguadero"
    assert conf == pytest.approx(80.0)


class FakeTesseract:
    """Stands in for ``ocr_image``: answers per language list, records what it was asked."""

    def __init__(self, confidence_when_narrowed: float) -> None:
        self.calls: list[list[str]] = []
        self.narrowed_conf = confidence_when_narrowed

    def __call__(self, image: Any, langs: list[str], dpi: int) -> tuple[str, float]:
        self.calls.append(list(langs))
        return ES_PAGE, (95.0 if len(langs) > 1 else self.narrowed_conf)


@pytest.fixture
def three_page_pdf(tmp_path: Any) -> str:
    from PIL import Image

    path = tmp_path / "scan.pdf"
    pages = [Image.new("L", (200, 200), "white") for _ in range(3)]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:])
    return str(path)


def test_later_pages_use_the_first_pages_language(monkeypatch: pytest.MonkeyPatch, three_page_pdf: str) -> None:
    fake = FakeTesseract(confidence_when_narrowed=94.0)
    monkeypatch.setattr(ocr, "ocr_image", fake)
    monkeypatch.setattr(ocr, "installed_langs", lambda: frozenset({"spa", "eng", "por", "fra", "osd"}))
    out = dict(ocr.ocr_pdf_pages(three_page_pdf, {0: 1.0, 1: 1.0, 2: 1.0}, "spa+eng+por+fra"))
    assert sorted(out) == [0, 1, 2]
    assert fake.calls == [["spa", "eng", "por", "fra"], ["spa"], ["spa"]]


def test_a_poor_narrowed_page_is_read_again_with_all_languages(
    monkeypatch: pytest.MonkeyPatch, three_page_pdf: str
) -> None:
    fake = FakeTesseract(confidence_when_narrowed=40.0)
    monkeypatch.setattr(ocr, "ocr_image", fake)
    monkeypatch.setattr(ocr, "installed_langs", lambda: frozenset({"spa", "eng", "por", "fra"}))
    out = dict(ocr.ocr_pdf_pages(three_page_pdf, {0: 1.0, 1: 1.0}, "spa+eng+por+fra"))
    assert fake.calls == [["spa", "eng", "por", "fra"], ["spa"], ["spa", "eng", "por", "fra"]]
    assert out[1] == (ES_PAGE, 95.0)


def test_a_failing_page_is_reported_and_the_others_go_on(monkeypatch: pytest.MonkeyPatch, three_page_pdf: str) -> None:
    def flaky(image: Any, langs: list[str], dpi: int) -> tuple[str, float]:
        flaky.n += 1  # type: ignore[attr-defined]
        if flaky.n == 2:  # type: ignore[attr-defined]
            raise RuntimeError("Tesseract crashed")
        return ES_PAGE, 90.0

    flaky.n = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(ocr, "ocr_image", flaky)
    monkeypatch.setattr(ocr, "installed_langs", lambda: frozenset({"spa"}))
    out = dict(ocr.ocr_pdf_pages(three_page_pdf, {0: 1.0, 1: 1.0, 2: 1.0}, "spa+eng"))
    assert isinstance(out[1], RuntimeError) and out[0] == out[2] == (ES_PAGE, 90.0)
