"""PDF: text per page with pypdf, metadata, passwords, and OCR for pages without a text layer."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.readers.registry import ReadLimits
from kb.types import Page, RawDocument, ReadError

MIN_CHARS = 25  # a page with fewer meaningful characters has no usable text layer


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
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files are expected; we report them ourselves
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(str(path), strict=False)
    except PdfReadError as exc:
        raise ReadError("damaged", f"unreadable PDF structure: {exc}") from exc
    password_used: str | None = None
    if reader.is_encrypted:
        for pw in ("", *limits.passwords):
            try:
                if reader.decrypt(pw):
                    password_used = pw
                    break
            except NotImplementedError as exc:
                raise ReadError("encrypted", f"encrypted with an unsupported method: {exc}") from exc
            except Exception:  # noqa: BLE001 - a wrong password can raise in odd files
                continue
        if password_used is None:
            raise ReadError("encrypted", "encrypted: password required (use --password-file)")
    try:
        n = len(reader.pages)
    except (PdfReadError, FileNotDecryptedError) as exc:
        raise ReadError("damaged", f"page tree unreadable: {exc}") from exc
    if n == 0:
        raise ReadError("empty", "the PDF has no pages")
    if n > limits.max_pages:
        raise ReadError("too_large", f"{n} pages is over the {limits.max_pages}-page limit")
    texts: list[str] = []
    for page in reader.pages:
        try:
            texts.append(page.extract_text() or "")
        except Exception:  # noqa: BLE001 - one broken page must not lose the others
            texts.append("")
    texts = [clean_page(t) for t in strip_running_lines(texts)]
    pages: list[Page] = []
    textless = [i for i, t in enumerate(texts) if _meaningful(t) < MIN_CHARS]
    ocr_text: dict[int, tuple[str, float]] = {}
    warnings: list[str] = []
    if textless and limits.ocr:
        from ingest.readers.ocr import available, ocr_pdf_page

        if available():
            for i in textless:
                try:
                    ocr_text[i] = ocr_pdf_page(str(path), i, limits.ocr_langs, password_used or None)
                except Exception as exc:  # noqa: BLE001
                    warnings.append(f"OCR failed on page {i + 1}: {type(exc).__name__}")
        elif len(textless) == n and sum(_meaningful(t) for t in texts) < 8:
            raise ReadError("no_text", "no text layer; OCR not available (install tesseract-ocr)")
    for i, text in enumerate(texts):
        ocr_chars = _meaningful(ocr_text[i][0]) if i in ocr_text else 0
        if ocr_chars >= max(MIN_CHARS, 2 * _meaningful(text)):
            pages.append(Page(i + 1, clean_page(ocr_text[i][0]), (), round(ocr_text[i][1], 1)))
        else:
            pages.append(Page(i + 1, text))
    ocr_found_text = any(_meaningful(t) for t, _ in ocr_text.values())
    if all(_meaningful(p.text) < MIN_CHARS for p in pages) and _has_images(reader) and not ocr_found_text:
        # image-only pages whose only "text" is a stray label: not a document to index silently
        if not limits.ocr:
            raise ReadError("no_text", "no text layer; OCR disabled")
        from ingest.readers.ocr import available

        raise ReadError(
            "no_text",
            "no text layer; OCR found no text"
            if available()
            else "no text layer; OCR not available (install tesseract-ocr)",
        )
    if sum(_meaningful(p.text) for p in pages) < 8:
        if ocr_text:
            raise ReadError("no_text", "no text layer; OCR found no text")
        if textless and not limits.ocr:
            raise ReadError("no_text", "no text layer; OCR disabled")
        raise ReadError("empty", "no extractable text")
    meta: dict[str, object] = dict(reader.metadata or {})
    title = str(meta.get("/Title") or "").strip() or None
    author = str(meta.get("/Author") or "").strip() or None
    return RawDocument(
        str(path),
        "pdf",
        tuple(pages),
        title=title,
        author=author,
        date=_pdf_date(meta.get("/CreationDate")),
        warnings=tuple(warnings),
    )


def _has_images(reader: object) -> bool:
    try:
        for page in reader.pages:  # type: ignore[attr-defined]
            resources = page.get("/Resources") or {}
            xobjects = resources.get("/XObject") or {}
            for ref in xobjects.values():
                if ref.get_object().get("/Subtype") == "/Image":
                    return True
    except Exception:  # noqa: BLE001
        return False
    return False


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
