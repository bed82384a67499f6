"""Choose a reader by content sniffing (and suffix), enforce limits, and never raise anything but ReadError.

The suffix alone is not trusted: a ``.pdf`` that holds a PNG, or a ``.txt`` that is an HTML page,
is recognised by its bytes, so every skip can say what the file really is.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ingest.readers.limits import DEFAULT_LIMITS, OverMemory, ReadLimits
from ingest.readers.text import BINARY_SHARE, control_share, utf16_without_bom
from ingest.types import RawDocument, ReadError

MD_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
#: suffixes of binary formats: text bytes under one of these names are not guessed at
BINARY_SUFFIXES = {".pdf", ".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt", ".odt", ".zip", ".png", ".jpg", ".jpeg"}

#: magic numbers of formats kb does not read, so that a skip names what was found
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office (OLE2: .doc/.xls/.ppt) file"),
    (b"{\\rtf", "RTF document"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!", "RAR archive"),
    (b"\x7fELF", "executable (ELF)"),
    (b"MZ", "executable (Windows)"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
)
_MD_SIGNALS = re.compile(
    r"^(?:#{1,6}\s+\S|\s{0,3}[-*+]\s+\S|\s{0,3}\d+\.\s+\S|```|>\s)|\]\([^)\s]+\)|\*\*\S", re.MULTILINE
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n[\w-]+:.*\n(?:.*\n)*?---[ \t]*\n")
_TAG = re.compile(r"</?(?:p|div|span|a|br|li|ul|table|tr|td|h[1-6]|body|head|meta|script|title)\b", re.IGNORECASE)


def sniff(path: Path) -> str | None:
    """The format of a file from its bytes, the suffix deciding only where bytes are ambiguous.

    Returns:
        ``"pdf"``, ``"docx"``, ``"html"``, ``"markdown"``, ``"text"``, or ``None`` when kb does not
        read the content (see :func:`describe` for what it is).
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if _zip_names(path, suffix) == "docx" else None
    if not head or _is_binary(head) or head.startswith(b"{\\rtf"):
        return None
    sample = _as_text(head)
    lowered = sample[:2048].lower()
    if lowered.lstrip("\ufeff \t\r\n").startswith(("<!doctype html", "<html", "<?xml")) and "<html" in lowered:
        return "html"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in MD_SUFFIXES:
        return "markdown"
    if "<html" in lowered or "<!doctype html" in lowered:
        return "html"
    if suffix in BINARY_SUFFIXES:
        return None  # text bytes under a binary format's name: do not guess
    tags = len(_TAG.findall(sample))
    if tags >= 8 and tags * 10 > len(sample.split()):
        return "html"  # markup-dense text without an <html> element: an HTML fragment
    if _FRONT_MATTER.match(sample) or (len(_MD_SIGNALS.findall(sample)) >= 4 and re.search(r"^#{1,6}\s", sample, re.M)):
        return "markdown"
    return "text"


def describe(path: Path) -> str:
    """A short human name for content that :func:`sniff` rejected (``"PNG image"``, ``"binary content"``)."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_names(Path(path), Path(path).suffix.lower())
        return {"damaged": "a damaged ZIP archive", "xlsx": "a spreadsheet (XLSX)", "pptx": "slides (PPTX)"}.get(
            kind, "a ZIP archive"
        )
    if not _is_binary(head):
        return "text content"
    return "binary content"


def _zip_names(path: Path, suffix: str) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "docx" if suffix == ".docx" else "damaged"  # a broken .docx is reported by its reader
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return "zip"


def _is_binary(head: bytes) -> bool:
    """The text reader's rule on the first 8 KB (a stray NUL is not binary, see ``control_share``)."""
    return control_share(head) > BINARY_SHARE


def _as_text(head: bytes) -> str:
    """Enough of a decoding to look for markup; the reader decodes the whole file properly."""
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(enc, errors="replace")
    return head.decode(utf16_without_bom(head) or "utf-8", errors="replace").replace("\r\n", "\n")


def read_file(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> RawDocument:
    """Read one file into pages of text.

    Raises:
        ReadError: every failure, with a code from ``ingest.types.SKIP_REASONS`` and a short reason;
            no other exception escapes.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise ReadError("empty", "zero-byte file")
        if size > limits.max_bytes:
            raise ReadError("too_large", f"{size / 1e6:.1f} MB is over the {limits.max_bytes / 1e6:.0f} MB limit")
        kind = sniff(path)
        if kind is None:
            raise _unsupported(path)
        doc = _dispatch(kind, path, limits)
    except ReadError:
        raise
    except OSError as exc:
        raise ReadError("damaged", f"cannot read file: {exc.strerror or exc}") from exc
    except MemoryError as exc:
        raise OverMemory(limits) from exc
    except RecursionError as exc:
        raise ReadError("damaged", "structure nested too deeply to parse") from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes a reasoned skip
        raise ReadError("damaged", f"{type(exc).__name__}: {str(exc)[:160]}") from exc
    if not any(p.text.strip() for p in doc.pages):
        raise ReadError("empty", "no text")
    return doc


def _unsupported(path: Path) -> ReadError:
    what = describe(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return ReadError("unsupported", f"{what}, not a PDF despite the .pdf suffix")
    if suffix == ".docx":
        return ReadError("unsupported", f"{what}, not a DOCX despite the .docx suffix")
    return ReadError("unsupported", f"{what} ({suffix or 'no suffix'}): kb reads PDF, DOCX, HTML, Markdown and text")


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
    """Whether Tesseract can be called here (the binary is on PATH and answers)."""
    from ingest.readers.ocr import available

    return available()
