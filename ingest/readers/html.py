"""HTML: the main text only (no navigation, cookie banners, footers, scripts), with its headings."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.readers.text import decode, strip_markdown
from ingest.types import Page, RawDocument

DROP = ("script", "style", "noscript", "nav", "footer", "header", "aside", "form", "iframe", "svg", "template")


def read_html(path: Path) -> RawDocument:
    """The page's main text via trafilatura (Markdown output, so headings survive), else a tag-aware dump."""
    raw = path.read_bytes()
    html = decode(raw, declared_charset(raw))
    text, title, date = _trafilatura(html)
    if not text or len(text.split()) < 5:
        text, title2 = _fallback(html)
        title = title or title2
    body, headings = strip_markdown(text)
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    return RawDocument(
        str(path),
        "html",
        (Page(None, body, tuple((o, t) for o, t in headings if o < len(body))),),
        title=title,
        date=date,
    )


def declared_charset(raw: bytes) -> str | None:
    """The encoding an HTML page declares in ``<meta charset>`` or ``http-equiv``, if any."""
    m = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", raw[:4096], re.IGNORECASE)
    return m.group(1).decode("ascii", "replace") if m else None


def _trafilatura(html: str) -> tuple[str, str | None, str | None]:
    import trafilatura

    text = (
        trafilatura.extract(
            html,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_links=False,
            include_images=False,
            favor_precision=True,
            deduplicate=True,
            with_metadata=False,
        )
        or ""
    )
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta is not None and meta.title else None
    date = meta.date if meta is not None and meta.date and re.match(r"^\d{4}-\d{2}-\d{2}$", meta.date) else None
    return text, title, date


def _fallback(html: str) -> tuple[str, str | None]:
    import lxml.etree
    import lxml.html

    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input that declares an encoding
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return "", None  # nothing parseable: reported as "empty"
    for bad in tree.xpath("|".join(f"//{t}" for t in DROP)):
        bad.drop_tree()
    for bad in tree.xpath("//*[not(self::html or self::body or self::main or self::article)][@id or @class or @role]"):
        marks = " ".join((bad.get("id", ""), bad.get("class", ""), bad.get("role", ""))).lower()
        if (
            re.search(r"cookie|consent|gdpr|banner|navigation|\bnav\b|footer|menu", marks)
            and bad.getparent() is not None
        ):
            bad.drop_tree()
    title = tree.findtext(".//title")
    root = (tree.xpath("//main") or tree.xpath("//article") or tree.xpath("//body") or [tree])[0]
    parts = []
    for el in root.iter("h1", "h2", "h3", "h4", "p", "li", "td", "pre", "blockquote"):
        t = " ".join(el.text_content().split())
        if t:
            parts.append(("#" * int(el.tag[1]) + " " + t) if el.tag in ("h1", "h2", "h3", "h4") else t)
    if not parts:  # text straight in <div>s or <body>
        parts = [" ".join(line.split()) for line in root.text_content().splitlines() if line.strip()]
    return "\n\n".join(parts), title.strip() if title else None
