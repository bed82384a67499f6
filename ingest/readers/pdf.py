"""PDF: text per page with pypdf, metadata, passwords, and OCR for pages without a text layer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.readers.limits import ReadLimits
from ingest.types import Page, RawDocument, ReadError

MIN_CHARS = 20  # a page with fewer meaningful (word) characters has no usable text layer


def _meaningful(text: str) -> int:
    return len(re.findall(r"\w", text))


def clean_page(text: str) -> str:
    """Join wrapped lines into paragraphs, undo end-of-line hyphenation, keep list items and blank lines."""
    text = text.replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    lines = [ln.rstrip() for ln in text.split("\n")]
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if out and out[-1] != "":
                out.append("")
            continue
        starts_item = re.match(r"^(?:\d{1,3}(?:\.\d+)*[.)]|[a-z][.)]|[-•*–·▪]|Art[ií]culo|Article|Artigo)\s", stripped)
        if (
            out
            and out[-1] != ""
            and not starts_item
            and not out[-1].endswith((".", ":", ";", "?", "!"))
            and len(out[-1]) > 50
        ):
            out[-1] = out[-1] + " " + stripped
        else:
            out.append(stripped)
    return re.sub(r"[ \t]{2,}", " ", "\n".join(out)).strip()


def _pdf_date(value: object) -> str | None:
    m = re.match(r"^D?:?(\d{4})(\d{2})?(\d{2})?", str(value or ""))
    if not m:
        return None
    y, mo, d = m.group(1), m.group(2) or "01", m.group(3) or "01"
    return f"{y}-{mo}-{d}" if 1900 < int(y) < 2100 and "01" <= mo <= "12" else None


def read_pdf(path: Path, limits: ReadLimits) -> RawDocument:
    """Text per page (OCR where a page is an image), metadata, and outline headings where present."""
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files are expected; we report them ourselves
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path), strict=False)
    except PdfReadError as exc:
        raise ReadError("damaged", f"unreadable PDF structure: {exc}") from exc
    password = _decrypt(reader, limits.passwords)
    try:
        n = len(reader.pages)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a broken page tree
        raise ReadError("damaged", f"page tree unreadable: {type(exc).__name__}: {exc}"[:200]) from exc
    if n == 0:
        raise ReadError("empty", "the PDF has no pages")
    if n > limits.max_pages:
        raise ReadError("too_large", f"{n} pages is over the {limits.max_pages}-page limit")
    texts = [clean_page(t) for t in strip_running_lines([_page_text(page) for page in reader.pages])]
    # pages without a usable text layer that show an image: scans, to be OCRed
    images = {i: _page_images(reader.pages[i]) for i, t in enumerate(texts) if _meaningful(t) < MIN_CHARS}
    imaged = [i for i, sizes in images.items() if sizes]
    # a page is a scan when it shows an image big enough to hold text (not an icon, not a logo)
    scans = {i: _render_scale(reader.pages[i], images[i]) for i in imaged if any(_legible(s) for s in images[i])}
    ocr, warnings = _ocr_pages(path, scans, password, limits)
    pages = []
    for i, text in enumerate(texts):
        found, conf = ocr.get(i, ("", 0.0))
        if _meaningful(found) >= max(MIN_CHARS, 2 * _meaningful(text)):
            pages.append(Page(i + 1, clean_page(found), (), round(conf, 1)))
        else:
            pages.append(Page(i + 1, text))
    if imaged and all(_meaningful(p.text) < MIN_CHARS for p in pages):
        # image-only pages whose only "text" is a stray label: flagged, never indexed as if empty
        if not scans:
            raise ReadError("no_text", "no text layer; its images are too small to hold text")
        raise ReadError("no_text", _no_text_reason(limits, ran=bool(ocr)))
    if not any(_meaningful(p.text) for p in pages):
        raise ReadError("empty", "no extractable text")
    pages = _with_outline_headings(reader, pages)
    meta: dict[str, object] = {}
    try:
        meta = dict(reader.metadata or {})
    except Exception:  # noqa: BLE001 - a broken Info dictionary loses the metadata, not the text
        warnings.append("metadata unreadable")
    return RawDocument(
        str(path),
        "pdf",
        tuple(pages),
        title=_meta_str(meta.get("/Title")),
        author=_meta_str(meta.get("/Author")),
        date=_pdf_date(meta.get("/CreationDate")),
        warnings=tuple(warnings),
    )


def _decrypt(reader: Any, passwords: tuple[str, ...]) -> str | None:
    """Open an encrypted PDF with the empty password, then each given one; the password that worked."""
    if not reader.is_encrypted:
        return None
    from pypdf.errors import DependencyError

    for pw in ("", *passwords):
        try:
            if reader.decrypt(pw):
                return pw
        except (NotImplementedError, DependencyError) as exc:
            raise ReadError("encrypted", f"unsupported encryption: {str(exc)[:120]}") from exc
        except Exception:  # noqa: BLE001,S112 - a wrong password can raise in odd files; try the next one
            continue
    tried = f" ({len(passwords)} given password(s) tried)" if passwords else ""
    raise ReadError("encrypted", f"password required{tried}")


def _page_text(page: Any) -> str:
    try:
        return page.extract_text() or ""
    except Exception:  # noqa: BLE001 - one broken page must not lose the others
        return ""


def _ocr_pages(
    path: Path, indexes: dict[int, float], password: str | None, limits: ReadLimits
) -> tuple[dict[int, tuple[str, float]], list[str]]:
    """OCR pages (index -> render scale) when OCR is on and installed: ``{index: (text, confidence)}``."""
    if not indexes or not limits.ocr:
        return {}, []
    from ingest.readers.ocr import available, ocr_pdf_pages

    if not available():
        return {}, [f"{len(indexes)} image-only page(s) not OCRed: tesseract is not installed"]
    done: dict[int, tuple[str, float]] = {}
    warnings: list[str] = []
    for i, result in ocr_pdf_pages(str(path), indexes, limits.ocr_langs, password or None):
        if isinstance(result, Exception):  # a page the renderer or Tesseract rejects stays unread
            warnings.append(f"OCR failed on page {i + 1}: {type(result).__name__}")
        else:
            done[i] = result
    return done, warnings


def _no_text_reason(limits: ReadLimits, ran: bool) -> str:
    from ingest.readers.ocr import available

    if not limits.ocr:
        return "no text layer; OCR not available (disabled)"
    if not available():
        return "no text layer; OCR not available (install tesseract-ocr)"
    return "no text layer; OCR found no text" if ran else "no text layer; OCR failed on every page"


def _meta_str(value: object) -> str | None:
    text = str(value or "").replace("\x00", "").strip()
    return text or None


def _with_outline_headings(reader: Any, pages: list[Page]) -> list[Page]:
    """Record the PDF's bookmarks as headings where the title is found on its page (cheap, optional)."""
    try:
        outline = list(_flatten(reader.outline, reader))[:5000]
    except Exception:  # noqa: BLE001 - outlines are often broken; they are a bonus
        return pages
    by_page: dict[int, list[tuple[int, str]]] = {}
    for number, title in outline:
        if not 0 <= number < len(pages) or not title:
            continue
        text = pages[number].text
        m = re.search(r"\s+".join(map(re.escape, title.split())), text, re.IGNORECASE)
        if m:
            by_page.setdefault(number, []).append((m.start(), text[m.start() : m.end()]))
    return [
        Page(p.number, p.text, tuple(sorted(set(by_page[i]))), p.ocr_confidence) if i in by_page else p
        for i, p in enumerate(pages)
    ]


def _flatten(items: Any, reader: Any, depth: int = 0) -> Iterator[tuple[int, str]]:
    for item in items:
        if isinstance(item, list):
            if depth < 8:
                yield from _flatten(item, reader, depth + 1)
            continue
        try:
            number = reader.get_destination_page_number(item)
        except Exception:  # noqa: BLE001
            continue
        yield number, " ".join(str(item.title or "").split())


def _page_images(page: Any) -> list[tuple[int, int]]:
    """Pixel sizes of the images a page draws (image XObjects, also inside forms); inline images as (0, 0)."""
    sizes: list[tuple[int, int]] = []
    try:
        _collect_images(page.get("/Resources"), sizes, 0)
        if not sizes:
            data = page.get_contents()
            if data is not None and re.search(rb"\bBI\b", data.get_data()):
                sizes.append((0, 0))
    except Exception:  # noqa: BLE001 - a broken resource dictionary: what was found so far
        pass
    return sizes


def _legible(size: tuple[int, int]) -> bool:
    return size == (0, 0) or min(size) >= 100


def _render_scale(page: Any, sizes: list[tuple[int, int]]) -> float:
    """Render near the scan's own resolution: up to 2x for coarse scans (Tesseract likes ~300 dpi), never above."""
    best = 300 / 72
    try:
        longest_pt = float(max(page.mediabox.width, page.mediabox.height))
        native = max(max(size) for size in sizes) / longest_pt
    except Exception:  # noqa: BLE001
        return best
    return best if native <= 0 else min(best, max(150 / 72, 2 * native))


def _collect_images(resources: Any, sizes: list[tuple[int, int]], depth: int) -> None:
    if resources is None or depth > 4 or len(sizes) > 100:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        obj = ref.get_object()
        subtype = obj.get("/Subtype")
        if subtype == "/Image":
            sizes.append((int(obj.get("/Width", 0) or 0), int(obj.get("/Height", 0) or 0)))
        elif subtype == "/Form":
            _collect_images(obj.get("/Resources"), sizes, depth + 1)


def strip_running_lines(texts: list[str]) -> list[str]:
    """Drop running headers and footers: edge lines repeated on most pages (page numbers ignored)."""
    if len(texts) < 2:
        return texts

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip().lower())

    def edges(text: str) -> list[str]:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        return lines[:3] + lines[-3:]

    counts: dict[str, int] = {}
    for text in texts:
        for k in {key(ln) for ln in edges(text)}:
            counts[k] = counts.get(k, 0) + 1
    running = {k for k, n in counts.items() if n >= max(2, 0.6 * len(texts)) and len(k) < 200}
    if not running:
        return texts
    out = []
    for text in texts:
        lines = text.split("\n")
        edge = set(edges(text))
        kept = "\n".join(ln for ln in lines if not (ln in edge and key(ln) in running)).strip()
        out.append(kept if _meaningful(kept) >= MIN_CHARS else text)  # never strip a page down to nothing
    return out
