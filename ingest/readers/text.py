"""Plain text (any encoding, detected) and Markdown (headings kept, markup stripped, front matter read)."""

from __future__ import annotations

import re
from pathlib import Path

from kb.types import Page, RawDocument, ReadError

FRONT_MATTER = re.compile(r"\A---\s*\n(?P<body>.*?)\n---\s*\n", re.DOTALL)
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def decode(data: bytes) -> str:
    """Decode bytes whose encoding is unknown: BOMs, UTF-8, then charset-normalizer's best guess."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    wide = b"\x00" in data[:4096]  # UTF-16/32 without a BOM has NUL bytes in Latin text
    if not wide and len(data) < 1000:
        # too short for a statistical guess: the Western code page of the four languages kb serves
        return data.decode("cp1252", errors="replace")
    for match in from_bytes(data[:2_000_000]):
        if wide or not match.encoding.startswith(("utf_16", "utf_32")):
            return data.decode(match.encoding, errors="replace")
    if wide:
        raise ReadError("unsupported", "not text in any known encoding")
    return data.decode("cp1252", errors="replace")


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"[ \t]+\n", "\n", text).strip("\n")


def read_text(path: Path) -> RawDocument:
    text = _clean(decode(path.read_bytes()))
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), None)
    if title and len(title) > 160:
        title = None
    return RawDocument(str(path), "text", (Page(None, text),), title=title)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text
    meta = {}
    for line in m.group("body").splitlines():
        if ":" in line and not line.startswith((" ", "\t", "-")):
            key, value = line.split(":", 1)
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[m.end() :]


def strip_markdown(text: str) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Markdown to plain text with heading offsets; tables become `a | b` lines."""
    lines, headings, pos = [], [], 0
    for raw in text.split("\n"):
        line = raw
        h = MD_HEADING.match(line)
        if h:
            line = h.group(2)
            headings.append((pos, line))
        elif re.match(r"^\s*\|?\s*:?-{3,}", line):
            continue  # table separator row
        else:
            if line.strip().startswith("|"):
                line = " | ".join(c.strip() for c in line.strip().strip("|").split("|"))
            line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", line)
            line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
            line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
            line = re.sub(r"(?<!\w)[*_](\S.*?\S|\S)[*_](?!\w)", r"\1", line)
            line = re.sub(r"`([^`]+)`", r"\1", line)
            line = re.sub(r"^\s{0,3}>\s?", "", line)
            line = re.sub(r"<!--.*?-->", "", line)
            line = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|~])", r"\1", line)  # markdown escapes
        lines.append(line)
        pos += len(line) + 1
    return "\n".join(lines), tuple(headings)


def read_markdown(path: Path) -> RawDocument:
    meta, body = _front_matter(decode(path.read_bytes()).replace("\r\n", "\n"))
    text, headings = strip_markdown(body)
    lead = len(text) - len(text.lstrip("\n"))
    text = text.strip("\n")
    headings = tuple((o - lead, t) for o, t in headings if 0 <= o - lead < len(text))
    date = meta.get("date")
    if date and not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", date):
        date = None
    title = meta.get("title") or (headings[0][1] if headings else None)
    return RawDocument(str(path), "markdown", (Page(None, text, headings),), title=title, date=date)
