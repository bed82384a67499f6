"""Choose a reader by content sniffing (and suffix), enforce limits, and never raise anything but ReadError."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from kb.types import RawDocument, ReadError

TEXT_SUFFIXES = {".txt", ".text", ".csv", ".log", ""}
MD_SUFFIXES = {".md", ".markdown", ".mdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


@dataclass(frozen=True, slots=True)
class ReadLimits:
    max_bytes: int = 200 * 1024 * 1024
    max_pages: int = 2000
    timeout_s: float = 120.0
    ocr: bool = True
    ocr_langs: str = "spa+eng+por+fra"
    passwords: tuple[str, ...] = ()


DEFAULT_LIMITS = ReadLimits()


def sniff(path: Path) -> str | None:
    """The format of a file from its first bytes (and suffix where bytes are ambiguous)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                if "word/document.xml" in zf.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return "docx" if suffix == ".docx" else None
        return None
    if _is_binary(head):
        return None
    lowered = head[:2048].lower()
    if suffix in HTML_SUFFIXES or b"<!doctype html" in lowered or b"<html" in lowered:
        return "html"
    if suffix in MD_SUFFIXES:
        return "markdown"
    if suffix in (".pdf", ".docx", ".doc", ".xlsx", ".pptx", ".zip", ".png", ".jpg", ".jpeg"):
        return None  # text bytes under a binary format's name: do not guess
    return "text"


def _is_binary(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False  # a BOM: text
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control / len(head) > 0.05


def read_file(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> RawDocument:
    """Read one file into pages of text. Every failure is a ReadError with a specific code."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError("damaged", f"cannot open file: {exc.strerror or exc}") from exc
    if size == 0:
        raise ReadError("empty", "zero-byte file")
    if size > limits.max_bytes:
        raise ReadError("too_large", f"{size / 1e6:.1f} MB is over the {limits.max_bytes / 1e6:.0f} MB limit")
    try:
        kind = sniff(path)
    except OSError as exc:
        raise ReadError("damaged", f"cannot read file: {exc}") from exc
    if kind is None:
        what = "binary content" if path.suffix else "unknown content"
        if path.suffix.lower() == ".pdf":
            raise ReadError("damaged", "not a PDF: the file has no PDF header despite its .pdf name")
        raise ReadError(
            "unsupported", f"{what} ({path.suffix or 'no suffix'}): kb reads PDF, DOCX, HTML, Markdown, text"
        )
    try:
        doc = _dispatch(kind, path, limits)
    except ReadError:
        raise
    except MemoryError as exc:
        raise ReadError("too_large", "ran out of memory while parsing") from exc
    except RecursionError as exc:
        raise ReadError("damaged", "structure nested too deeply to parse") from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes a reasoned skip
        raise ReadError("damaged", f"{type(exc).__name__}: {str(exc)[:160]}") from exc
    if not any(p.text.strip() for p in doc.pages):
        raise ReadError("empty", "no text after extraction")
    return doc


def _dispatch(kind: str, path: Path, limits: ReadLimits) -> RawDocument:
    if kind == "pdf":
        from ingest.readers.pdf import read_pdf

        return read_pdf(path, limits)
    if kind == "docx":
        from ingest.readers.docx import read_docx

        return read_docx(path, limits)
    if kind == "html":
        from ingest.readers.html import read_html

        return read_html(path)
    from ingest.readers.text import read_markdown, read_text

    return read_markdown(path) if kind == "markdown" else read_text(path)


def ocr_available() -> bool:
    from ingest.readers.ocr import available

    return available()
