"""OCR of image-only PDF pages with Tesseract, with a mean word confidence per page.

Tesseract is called directly (TSV on stdout, the page image on stdin) rather than through a
wrapper, for two reasons measured on the bundled scans:

- ``OMP_THREAD_LIMIT=1`` in the child's environment halves the time per page (8.9 s -> 4.4 s):
  Tesseract's OpenMP threads spin against each other and against the embedder on two cores.
  It must not be set in our own process, where it would also cap torch's OpenMP pool.
- Every extra language costs time (4 languages 5.2 s, one language 3.4 s per page). The first
  page is read with all configured languages; when its words clearly belong to one of them the
  remaining pages are read with that language alone, and a page that comes out poorly that way
  is read again with all of them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

PAGE_TIMEOUT_S = 180  # one page; the sandbox's per-file budget still applies around the whole file
NARROWED_MIN_CONFIDENCE = 75.0  # below this, a page read with one language is read again with all

# Frequent function words that tell the four corpus languages apart on a page of text.
_STOPWORDS = {
    "spa": {"el", "los", "las", "del", "y", "por", "con", "para", "una", "se", "al", "su", "es", "lo"},
    "por": {"o", "os", "as", "do", "da", "dos", "das", "e", "em", "no", "na", "com", "uma", "não", "ao"},
    "fra": {"le", "les", "des", "du", "et", "un", "une", "pour", "par", "est", "sur", "au", "aux", "dans"},
    "eng": {"the", "of", "and", "to", "in", "is", "for", "on", "that", "with", "by", "this", "are", "from"},
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=1)
def available() -> bool:
    exe = shutil.which("tesseract")
    if exe is None:
        return False
    try:
        return subprocess.run([exe, "--version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@lru_cache(maxsize=1)
def installed_langs() -> frozenset[str]:
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def page_language(text: str, candidates: list[str]) -> str | None:
    """The one candidate Tesseract language the page's function words point to, or None when unclear."""
    if len(candidates) < 2:
        return None
    counts = Counter(w for w in _WORD.findall(text.lower()))
    scores = sorted(((sum(counts[w] for w in _STOPWORDS.get(c, ())), c) for c in candidates), reverse=True)
    (best, lang), (second, _) = scores[0], scores[1]
    return lang if best >= 20 and best >= 2 * second else None


def ocr_image(image: Any, langs: list[str], dpi: int) -> tuple[str, float]:
    """OCR one greyscale PIL image: the text (lines, blank line between paragraphs) and the mean word confidence."""
    buf = io.BytesIO()
    image.save(buf, format="PPM")  # uncompressed: encoding a PNG costs more than piping 9 MB
    cmd = ["tesseract", "stdin", "stdout", "-l", "+".join(langs), "--dpi", str(dpi), "tsv"]
    done = subprocess.run(
        cmd,
        input=buf.getvalue(),
        capture_output=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        timeout=PAGE_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode("utf-8", "replace").strip()[-200:] or f"exit {done.returncode}")
    return _parse_tsv(done.stdout.decode("utf-8", "replace"))


def _parse_tsv(tsv: str) -> tuple[str, float]:
    lines: dict[tuple[str, str, str], list[str]] = {}
    confs: list[float] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or not cols[11].strip():
            continue
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if conf >= 0:
            lines.setdefault((cols[2], cols[3], cols[4]), []).append(cols[11])
            confs.append(conf)
    text_lines: list[str] = []
    last_par = None
    for (block, par, _line), words in lines.items():
        if last_par is not None and (block, par) != last_par:
            text_lines.append("")
        text_lines.append(" ".join(words))
        last_par = (block, par)
    return "\n".join(text_lines), (sum(confs) / len(confs) if confs else 0.0)


def ocr_pdf_pages(
    path: str, scales: dict[int, float], langs: str, password: str | None = None
) -> Iterator[tuple[int, tuple[str, float] | Exception]]:
    """OCR the pages ``scales`` names (0-based index -> render scale), yielding ``(index, (text, confidence))``.

    A page that cannot be rendered or read yields ``(index, exception)`` and the others go on.
    Only the languages of ``langs`` that Tesseract has installed are asked for (English if none).
    """
    import pypdfium2 as pdfium

    wanted = [lang for lang in langs.split("+") if lang in installed_langs()] or ["eng"]
    narrowed: list[str] | None = None
    pdf = pdfium.PdfDocument(path, password=password)
    try:
        for index, scale in scales.items():
            try:
                page = pdf[index]
                image = page.render(scale=scale).to_pil().convert("L")
                page.close()
                dpi = round(72 * scale)
                text, conf = ocr_image(image, narrowed or wanted, dpi)
                if narrowed and conf < NARROWED_MIN_CONFIDENCE:
                    text, conf = ocr_image(image, wanted, dpi)
                elif narrowed is None:
                    lang = page_language(text, wanted)
                    narrowed = [lang] if lang else None
            except Exception as exc:  # noqa: BLE001 - a page the renderer or Tesseract rejects stays unread
                yield index, exc
                continue
            yield index, (text, conf)
    finally:
        pdf.close()
