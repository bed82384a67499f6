"""OCR of image-only PDF pages with Tesseract (spa+eng+por+fra), with a mean word confidence."""

from __future__ import annotations

import shutil
from functools import lru_cache


@lru_cache(maxsize=1)
def available() -> bool:
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        pytesseract.get_tesseract_version()
        return True
    except Exception:  # noqa: BLE001
        return False


@lru_cache(maxsize=1)
def installed_langs() -> frozenset[str]:
    import pytesseract

    try:
        return frozenset(pytesseract.get_languages(config=""))
    except Exception:  # noqa: BLE001
        return frozenset()


def ocr_pdf_page(
    path: str, index: int, langs: str, password: str | None = None, scale: float = 300 / 72
) -> tuple[str, float]:
    """Render page ``index`` (0-based) and OCR it; returns the text and the mean word confidence (0-100).

    Only the languages of ``langs`` that Tesseract has installed are asked for (English if none).
    """
    import pypdfium2 as pdfium
    import pytesseract

    pdf = pdfium.PdfDocument(path, password=password)
    try:
        page = pdf[index]
        image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        pdf.close()
    wanted = [lang for lang in langs.split("+") if lang in installed_langs()] or ["eng"]
    data = pytesseract.image_to_data(image.convert("L"), lang="+".join(wanted), output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confs = []
    for i, word in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if word.strip() and conf >= 0:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(word)
            confs.append(conf)
    text_lines, last_par = [], None
    for (block, par, _line), words in lines.items():
        if last_par is not None and (block, par) != last_par:
            text_lines.append("")
        text_lines.append(" ".join(words))
        last_par = (block, par)
    return "\n".join(text_lines), (sum(confs) / len(confs) if confs else 0.0)
