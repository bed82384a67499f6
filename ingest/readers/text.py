"""Plain text (any encoding, detected) and Markdown (headings kept, markup stripped, front matter read)."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.types import Page, RawDocument, ReadError

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
# "##Title" without the space CommonMark asks for is common in converted legal texts: accepted from "##" on
WESTERN = ("cp1252", "latin_1", "iso8859_15")
MD_HEADING = re.compile(r"^\s{0,3}(#{1,6}[ \t]+|#{2,6}(?=[^\s#]))(.+?)(?:[ \t]+#+)?[ \t]*$")


def utf16_without_bom(head: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when the bytes look like UTF-16 without a byte-order mark.

    Latin-script UTF-16 has a NUL in every other byte, all on the same side; binary data has NULs
    scattered on both sides.
    """
    sample = head[: min(len(head), 8192) // 2 * 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
#: C0 control bytes except tab, line feed, vertical tab, form feed and carriage return, plus DEL
CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
BINARY_SHARE = 0.05  # more control bytes than this: binary, not text


def control_share(data: bytes) -> float:
    """The share of control bytes (NUL included) in ``data``; 0 for UTF-16 or a byte-order mark.

    This is the one rule that tells text from binary, NULs included, wherever they are: content
    sniffing applies it to a file's first 8 KB, :func:`decode` to the whole file, and above
    :data:`BINARY_SHARE` the file is binary. Below it, control bytes are noise (a bad export, a
    write padded with zeros): :func:`decode` removes the NULs, in the first 8 KB as much as later.
    """
    if not data or data.startswith(tuple(bom for bom, _ in BOMS)) or utf16_without_bom(data[:8192]):
        return 0.0
    return (len(data) - len(data.translate(None, CONTROL_BYTES))) / len(data)


def decode(data: bytes, declared: str | None = None) -> str:
    """Decode bytes whose encoding is unknown; NUL characters are removed from the result.

    Order: a byte-order mark, UTF-16 without one, strict UTF-8, an encoding the file declares
    (HTML ``<meta charset>``), then charset-normalizer's best guess; short files that are none of
    these are taken as cp1252, the Western code page of the four languages kb serves.

    Raises:
        ReadError: ``unsupported`` when the bytes are binary by :func:`control_share`.
    """
    return _decode(data, declared).replace("\x00", "")


def _decode(data: bytes, declared: str | None) -> str:
    for bom, enc in BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    wide = utf16_without_bom(data[:8192])
    if wide:
        return data.decode(wide, errors="replace")
    share = control_share(data)
    if share > BINARY_SHARE:
        raise ReadError("unsupported", f"binary content: {share:.0%} of the bytes are control bytes, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(_normalise_encoding(declared), errors="replace")
        except LookupError:
            pass
    if len(data) < 1000:
        return data.decode("cp1252", errors="replace")  # too short for a statistical guess
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data[:2_000_000]) if not m.encoding.startswith(("utf_16", "utf_32"))]
    if matches:
        best = matches[0]
        # near-ties go to cp1252: Central European or Mac code pages misread Spanish ñ and Portuguese ã
        western = [
            m for m in matches if m.encoding in ("cp1252", "latin_1", "iso8859_15") and m.chaos <= best.chaos + 0.02
        ]
        return data.decode("cp1252" if western else best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")


def _normalise_encoding(name: str) -> str:
    name = name.strip().lower()
    # browsers read "iso-8859-1" and "latin-1" as windows-1252 (the WHATWG encoding standard)
    return "cp1252" if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii") else name


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def _first_line_title(text: str) -> str | None:
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), None)
    return title if title and len(title) <= 200 else None


def read_text(path: Path) -> RawDocument:
    """Plain text in any common encoding; the title is the first short line."""
    text = _clean(decode(path.read_bytes()))
    return RawDocument(str(path), "text", (Page(None, text),), title=_first_line_title(text))


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Top-level ``key: value`` pairs of a YAML front matter block, and the text without it.

    A hand-rolled reader on purpose: only scalars are needed, and a YAML parser on untrusted input
    brings its own failure modes.
    """
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text
    meta = {}
    for line in m.group("body").splitlines():
        if ":" in line and not line.startswith((" ", "\t", "-", "#")):
            key, value = line.split(":", 1)
            meta[key.strip().lower()] = value.strip().strip("\"'").strip()
    return meta, text[m.end() :]


def _front_matter_prose(source: str) -> str:
    """The prose values of a front matter block, as Markdown: ids, flags and numbers left out."""
    m = FRONT_MATTER.match(source)
    out = []
    for line in (m.group("body") if m else "").splitlines():
        kv = re.match(r"^([\w-]+):\s*(.*)$", line)
        if kv:
            value = kv.group(2).strip().strip("'\"")
            if len(value.split()) < 3:
                continue
            line = value
        elif line.startswith("#"):
            line = "## " + line.lstrip("# ")  # a YAML comment used as a section title
        out.append(line.strip().strip("'\""))
    return "\n".join(out)


def _inline(line: str) -> str:
    line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
    line = re.sub(r"(?<!\w)[*_](\S.*?\S|\S)[*_](?!\w)", r"\1", line)
    line = re.sub(r"`([^`]+)`", r"\1", line)
    line = re.sub(r"<!--.*?-->", "", line)
    # inline HTML tags go, their text stays; an escaped "\<input>" is text (trafilatura escapes "&lt;" so)
    line = re.sub(r"(?<!\\)</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>", "", line)
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|~])", r"\1", line)  # markdown escapes


def strip_markdown(text: str) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Markdown to plain text with ``(offset, title)`` heading pairs; tables become ``a | b`` lines.

    Only the markup is removed; every word stays where a reader would see it, so that chunk
    offsets and snippets match the document.
    """
    lines: list[str] = []
    headings: list[tuple[int, str]] = []
    pos = 0
    fenced = False
    for raw in text.split("\n"):
        line = raw
        if re.match(r"^\s{0,3}(```|~~~)", line):
            fenced = not fenced
            continue
        h = None if fenced else MD_HEADING.match(line)
        if h:
            line = _inline(h.group(2)).strip()
            if line:
                headings.append((pos, line))
        elif fenced:
            pass
        elif re.match(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", line) or re.match(
            r"^\s{0,3}([-*_])(\s*\1){2,}\s*$", line
        ):
            continue  # table separator row or horizontal rule
        else:
            if line.strip().startswith("|"):
                line = " | ".join(c.strip() for c in line.strip().strip("|").split("|"))
            line = _inline(re.sub(r"^\s{0,3}>\s?", "", line))
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue  # at most one blank line between paragraphs
        lines.append(line)
        pos += len(line) + 1
    return "\n".join(lines), tuple(headings)


def read_markdown(path: Path) -> RawDocument:
    """Markdown: front matter read and dropped, headings recorded, markup lightly stripped."""
    source = decode(path.read_bytes()).replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    meta, body = _front_matter(source)
    if not re.search(r"\w", body) and meta:
        body = _front_matter_prose(source)  # a metadata-only page: its prose lives in the front matter
    text, headings = strip_markdown(body)
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    headings = tuple((o - lead, t) for o, t in headings if 0 <= o - lead < len(text))
    date = meta.get("date", "")[:10] or None
    if date and not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", date):
        date = None
    title = meta.get("title") or _first_line_title(text)
    return RawDocument(str(path), "markdown", (Page(None, text, headings),), title=title, date=date)
