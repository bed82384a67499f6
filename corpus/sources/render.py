"""Render the authoring sources in ``docs/*.md`` into the published corpus files.

Each source is Markdown with a small YAML-like front matter (see README.md). The ``format`` field
decides the one file written to ``corpus/documents/<id>.<ext>``: a real PDF (one or two columns),
a DOCX, an agency-style HTML page, Markdown, plain text, or an image-only "scanned" PDF. Output is
deterministic (fixed seeds, reportlab invariant mode, fixed ZIP timestamps) so re-rendering an
unchanged source leaves git clean.

Usage::

    .venv/bin/python corpus/sources/render.py            # render every source
    .venv/bin/python corpus/sources/render.py ID [ID...]  # render a few
    .venv/bin/python corpus/sources/render.py --out DIR   # write elsewhere (tests)
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
OUT = HERE.parent / "documents"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

EXTENSIONS = {
    "pdf": "pdf",
    "pdf-2col": "pdf",
    "docx": "docx",
    "html": "html",
    "md": "md",
    "txt": "txt",
    "scan": "pdf",
}
LIST_FIELDS = ("countries", "crossings", "practices")
REQUIRED = ("id", "title", "date", "type", "language", "region", "format")
PAGEBREAK = "<!-- pagebreak -->"

# The format back ends live beside this script (render_office, render_scan, render_html, render_markup).
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from render_markup import inline_markup, plain  # noqa: E402 - found through the path set just above


@dataclass(frozen=True, slots=True)
class Source:
    """One authoring source: front matter fields plus the Markdown body."""

    id: str
    title: str
    date: str
    type: str
    language: str
    countries: tuple[str, ...]
    crossings: tuple[str, ...]
    region: str
    format: str
    practices: tuple[str, ...]
    near_duplicate_of: str | None
    translation_of: str | None
    author: str
    encoding: str
    body: str
    path: Path

    @property
    def filename(self) -> str:
        """The published file name, e.g. ``visita-desaguadero.pdf``."""
        return f"{self.id}.{EXTENSIONS[self.format]}"


# --------------------------------------------------------------------------- parsing


def _strip_comment(value: str) -> str:
    # A '#' starts a comment only outside quotes, so titles may contain '#'.
    quote = ""
    for i, ch in enumerate(value):
        if ch in "\"'" and not quote:
            quote = ch
        elif ch == quote:
            quote = ""
        elif ch == "#" and not quote and (i == 0 or value[i - 1].isspace()):
            return value[:i].rstrip()
    return value.strip()


def _scalar(value: str) -> str | None:
    value = value.strip()
    if value in ("null", "~", ""):
        return None
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split a source into its front matter (as a dict) and its body.

    A tiny parser instead of PyYAML keeps the corpus test free of extra dependencies; it knows
    exactly the shapes the sources use: scalars, quoted strings, ``null`` and ``[a, b]`` lists.
    """
    if not text.startswith("---\n"):
        raise ValueError("source must start with '---' front matter")
    end = text.index("\n---\n", 3)
    meta: dict[str, object] = {}
    for line in text[4:end].splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, raw = line.partition(":")
        value = _strip_comment(raw)
        if value.startswith("[") and value.endswith("]"):
            items = [_scalar(v) for v in value[1:-1].split(",")]
            meta[key.strip()] = tuple(i for i in items if i)
        else:
            meta[key.strip()] = _scalar(value)
    return meta, text[end + 5 :].lstrip("\n")


def load_source(path: Path) -> Source:
    """Read and validate one ``docs/<id>.md`` source."""
    meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        raise ValueError(f"{path.name}: missing {missing}")
    if meta["format"] not in EXTENSIONS:
        raise ValueError(f"{path.name}: unknown format {meta['format']}")
    if meta["id"] != path.stem:
        raise ValueError(f"{path.name}: id {meta['id']} differs from file name")
    lists: dict[str, Any] = {k: tuple(meta.get(k) or ()) for k in LIST_FIELDS}  # type: ignore[arg-type]
    return Source(
        id=str(meta["id"]),
        title=str(meta["title"]),
        date=str(meta["date"]),
        type=str(meta["type"]),
        language=str(meta["language"]),
        region=str(meta["region"]),
        format=str(meta["format"]),
        near_duplicate_of=meta.get("near_duplicate_of"),  # type: ignore[arg-type]
        translation_of=meta.get("translation_of"),  # type: ignore[arg-type]
        author=str(meta.get("author") or ""),
        encoding=str(meta.get("encoding") or "utf-8"),
        body=body,
        path=path,
        **lists,
    )


def load_sources(docs: Path = DOCS) -> list[Source]:
    """Every source in ``docs``, sorted by id."""
    return [load_source(p) for p in sorted(docs.glob("*.md"))]


Block = tuple  # ("heading", level, text) | ("para", text) | ("olist"|"ulist", items) | ...


def parse_blocks(body: str) -> list[Block]:
    """Parse the Markdown subset the sources use into blocks.

    Returns ``("heading", level, text)``, ``("para", text)``, ``("olist", [(num, text)])``,
    ``("ulist", [text])``, ``("table", [[cell]])`` and ``("pagebreak",)`` tuples.
    """
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("para", " ".join(para)))
            para.clear()

    for raw in body.splitlines():
        line = raw.strip()
        num = re.match(r"^(\d+)[.)]\s+(.*)$", line)
        if not line:
            flush()
        elif line == PAGEBREAK:
            flush()
            blocks.append(("pagebreak",))
        elif line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            blocks.append(("heading", level, line[level:].strip()))
        elif line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                continue
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(cells)
            else:
                blocks.append(("table", [cells]))
        elif num or line.startswith(("- ", "* ")):
            flush()
            kind = "olist" if num else "ulist"
            item = (num.group(1), num.group(2)) if num else line[2:].strip()
            if blocks and blocks[-1][0] == kind:
                blocks[-1][1].append(item)
            else:
                blocks.append((kind, [item]))
        elif raw.startswith(("   ", "\t")) and blocks and blocks[-1][0] in ("olist", "ulist"):
            # continuation line of a list item
            items = blocks[-1][1]
            last = items[-1]
            items[-1] = (last[0], last[1] + " " + line) if isinstance(last, tuple) else last + " " + line
        else:
            para.append(line)
    flush()
    return blocks


# --------------------------------------------------------------------------- text formats

LABELS = {
    "es": {"page": "Página", "home": "Inicio", "news": "Noticias", "docs": "Documentos"},
    "pt": {"page": "Página", "home": "Início", "news": "Notícias", "docs": "Documentos"},
    "en": {"page": "Page", "home": "Home", "news": "News", "docs": "Documents"},
    "fr": {"page": "Page", "home": "Accueil", "news": "Actualités", "docs": "Documents"},
}


def render_md(src: Source) -> bytes:
    """Markdown: the body with the front matter reduced to title and date."""
    head = f'---\ntitle: "{src.title}"\ndate: {src.date}\n---\n\n'
    return (head + src.body.rstrip() + "\n").encode("utf-8")


def _wrap(text: str, width: int = 78, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=" " * len(indent))


def render_txt(src: Source) -> bytes:
    """Plain text in the source's declared encoding; headings underlined, tables aligned."""
    lines: list[str] = []
    for block in parse_blocks(src.body):
        kind = block[0]
        if kind == "heading":
            text = plain(block[2])
            lines += [text.upper() if block[1] == 1 else text, ("=" if block[1] <= 2 else "-") * len(text)]
        elif kind == "para":
            lines.append(_wrap(plain(block[1])))
        elif kind == "olist":
            lines += [_wrap(plain(t), indent=f"{n}. ") for n, t in block[1]]
        elif kind == "ulist":
            lines += [_wrap(plain(t), indent="- ") for t in block[1]]
        elif kind == "table":
            rows = [[plain(c) for c in r] for r in block[1]]
            widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(rows[0]))]
            lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
        else:  # page breaks have no meaning in plain text
            continue
        lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    newline = "\r\n" if src.encoding.lower() in ("cp1252", "windows-1252") else "\n"
    return text.replace("\n", newline).encode(src.encoding)


def _html_blocks(blocks: list[Block]) -> str:
    tags = ("<strong>", "</strong>"), ("<em>", "</em>")
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            level = min(block[1], 4)
            out.append(f"<h{level}>{inline_markup(block[2], *tags)}</h{level}>")
        elif kind == "para":
            out.append(f"<p>{inline_markup(block[1], *tags)}</p>")
        elif kind == "olist":
            items = "".join(f"<li>{inline_markup(t, *tags)}</li>" for _, t in block[1])
            out.append(f'<ol start="{block[1][0][0]}">{items}</ol>')
        elif kind == "ulist":
            out.append("<ul>" + "".join(f"<li>{inline_markup(t, *tags)}</li>" for t in block[1]) + "</ul>")
        elif kind == "table":
            head, *rows = block[1]
            th = "".join(f"<th>{inline_markup(c, *tags)}</th>" for c in head)
            trs = "".join("<tr>" + "".join(f"<td>{inline_markup(c, *tags)}</td>" for c in r) + "</tr>" for r in rows)
            out.append(f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>")
    return "\n".join(out)


def render_html(src: Source) -> bytes:
    """An agency web page: navigation, cookie banner, breadcrumb, article, sidebar, footer."""
    from render_html import page_chrome

    chrome = page_chrome(src.language, src.author, src.id)
    blocks = parse_blocks(src.body)
    heading = blocks[0][2] if blocks and blocks[0][0] == "heading" else src.title
    if blocks and blocks[0][0] == "heading":
        blocks = blocks[1:]
    body = _html_blocks(blocks)
    page = chrome.format(
        lang=src.language,
        title=html.escape(src.title),
        h1=html.escape(plain(heading)),
        date=src.date,
        article=body,
    )
    return page.encode("utf-8")


# --------------------------------------------------------------------------- office and PDF


def render_docx(src: Source) -> bytes:
    """DOCX with real Heading styles, Word tables and fixed core properties."""
    from render_office import build_docx

    return build_docx(src, parse_blocks(src.body))


def render_pdf(src: Source) -> bytes:
    """Text PDF (one or two columns) with DejaVu fonts, footers and metadata from the source."""
    from render_office import build_pdf

    return build_pdf(src, parse_blocks(src.body), columns=2 if src.format == "pdf-2col" else 1)


def render_scan(src: Source) -> bytes:
    """Image-only PDF that looks like a scanned paper page (no text layer)."""
    from render_scan import build_scan

    return build_scan(src, parse_blocks(src.body))


RENDERERS = {
    "pdf": render_pdf,
    "pdf-2col": render_pdf,
    "docx": render_docx,
    "html": render_html,
    "md": render_md,
    "txt": render_txt,
    "scan": render_scan,
}


def render(src: Source, out_dir: Path = OUT) -> Path:
    """Render one source and write it to ``out_dir``; returns the written path."""
    data = RENDERERS[src.format](src)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / src.filename
    target.write_bytes(data)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: render all sources or the ids given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="source ids to render (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help="output directory")
    parser.add_argument("--clean", action="store_true", help="remove outputs with no source")
    args = parser.parse_args(argv)
    sources = load_sources()
    chosen = [s for s in sources if not args.ids or s.id in args.ids]
    unknown = set(args.ids) - {s.id for s in sources}
    if unknown:
        parser.error(f"unknown ids: {sorted(unknown)}")
    for src in chosen:
        path = render(src, args.out)
        print(f"{path.stat().st_size:>8}  {path.name}")
    if args.clean:
        wanted = {s.filename for s in sources}
        for stale in sorted(args.out.iterdir()):
            if stale.is_file() and stale.name not in wanted:
                print(f"removing stale {stale.name}")
                stale.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
