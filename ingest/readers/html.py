"""HTML: the main text only (no navigation, cookie banners, footers, scripts), with its headings."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.readers.text import decode, strip_markdown
from kb.types import Page, RawDocument

DROP = ("script", "style", "noscript", "nav", "footer", "header", "aside", "form", "iframe", "svg", "template")


def read_html(path: Path) -> RawDocument:
    raw = path.read_bytes()
    html = decode(raw)
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
    import lxml.html

    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("|".join(f"//{t}" for t in DROP)):
        bad.drop_tree()
    title = tree.findtext(".//title")
    root = (tree.xpath("//main") or tree.xpath("//article") or tree.xpath("//body") or [tree])[0]
    parts = []
    for el in root.iter("h1", "h2", "h3", "h4", "p", "li", "td", "pre", "blockquote"):
        t = " ".join(el.text_content().split())
        if t:
            parts.append(("#" * int(el.tag[1]) + " " + t) if el.tag in ("h1", "h2", "h3", "h4") else t)
    return "\n\n".join(parts), title.strip() if title else None
