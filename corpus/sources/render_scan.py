"""Scanned-paper back end of ``render.py``: image-only PDFs that Tesseract can still read.

Pages are drawn with Pillow at 200 dpi in DejaVuSerif at an 11 pt equivalent, on a faintly grey
sheet, then turned by less than half a degree and sprinkled with light noise, as a flatbed
scanner would. The PDF holds only the JPEG images, so readers find no text layer and must OCR.
"""

from __future__ import annotations

import io
import time
import zlib
from pathlib import Path
from typing import Any

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
DPI = 200
PAGE_W, PAGE_H = 1654, 2339  # A4 at 200 dpi
MARGIN = 170
BODY_PX = round(11 * DPI / 72)
HEAD_PX = round(13 * DPI / 72)


def layout_pages(blocks: list[tuple]) -> list[list[tuple[str, str, int]]]:
    """Lay blocks out as pages of ``(font, text, x_indent)`` lines; ``("", "", 0)`` is a gap.

    Exposed so the gold-set tooling can tell on which page a sentence of a scan falls.
    """
    from PIL import ImageFont
    from render_markup import plain

    fonts = {
        "body": ImageFont.truetype(str(FONT_DIR / "DejaVuSerif.ttf"), BODY_PX),
        "head": ImageFont.truetype(str(FONT_DIR / "DejaVuSerif-Bold.ttf"), HEAD_PX),
    }
    width = PAGE_W - 2 * MARGIN
    line_h = int(BODY_PX * 1.45)
    per_page = (PAGE_H - 2 * MARGIN - 80) // line_h
    pages: list[list[tuple[str, str, int]]] = [[]]

    def wrap(text: str, font: str, avail: int) -> list[str]:
        out, line = [], ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if fonts[font].getlength(trial) <= avail or not line:
                line = trial
            else:
                out.append(line)
                line = word
        return out + ([line] if line else [])

    def emit(lines: list[tuple[str, str, int]], keep: bool = False) -> None:
        if keep and len(pages[-1]) + len(lines) > per_page:
            pages.append([])
        for line in lines:
            if len(pages[-1]) >= per_page:
                pages.append([])
            if line[1] or pages[-1]:  # no blank line at the top of a page
                pages[-1].append(line)

    for block in blocks:
        kind = block[0]
        if kind == "heading":
            emit([("", "", 0)] + [("head", t, 0) for t in wrap(plain(block[2]), "head", width)], keep=True)
        elif kind == "para":
            emit([("body", t, 0) for t in wrap(plain(block[1]), "body", width)] + [("", "", 0)])
        elif kind in ("olist", "ulist"):
            for item in block[1]:
                label, text = (f"{item[0]}.", item[1]) if kind == "olist" else ("–", item)
                lines = wrap(plain(text), "body", width - 60)
                emit([("body", f"{label} {lines[0]}", 0)] + [("body", t, 60) for t in lines[1:]])
            emit([("", "", 0)])
        elif kind == "table":
            ncols = max(len(r) for r in block[1])
            col_w = width // ncols
            for row in block[1]:
                cells = [wrap(plain(c), "body", col_w - 20) for c in row]
                for i in range(max(len(c) for c in cells)):
                    parts = [(c[i] if i < len(c) else "") for c in cells]
                    emit([("row", "\t".join(parts), col_w)])
            emit([("", "", 0)])
        elif kind == "pagebreak" and pages[-1]:
            pages.append([])
    return [p for p in pages if p]


def _draw_page(lines: list[tuple[str, str, int]], number: int, seed: int) -> Any:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    body = ImageFont.truetype(str(FONT_DIR / "DejaVuSerif.ttf"), BODY_PX)
    head = ImageFont.truetype(str(FONT_DIR / "DejaVuSerif-Bold.ttf"), HEAD_PX)
    rng = np.random.default_rng(seed + number)
    paper = 238 + int(rng.integers(0, 6))
    img = Image.new("L", (PAGE_W, PAGE_H), paper)
    draw = ImageDraw.Draw(img)
    y, line_h = MARGIN, int(BODY_PX * 1.45)
    for font, text, x in lines:
        if font == "row":
            for i, part in enumerate(text.split("\t")):
                draw.text((MARGIN + i * x, y), part, font=body, fill=20)
        elif text:
            draw.text((MARGIN + x, y), text, font=head if font == "head" else body, fill=15)
        y += line_h
    draw.text((PAGE_W // 2 - 30, PAGE_H - MARGIN + 40), f"- {number} -", font=body, fill=30)
    angle = float(rng.uniform(-0.45, 0.45))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=paper)
    pixels = np.asarray(img, dtype=np.int16)
    noise = rng.normal(0, 3, pixels.shape)
    specks = rng.random(pixels.shape) < 0.0004
    pixels = np.clip(pixels + noise - specks * 120, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, mode="L")


def build_scan(src: Any, blocks: list[tuple]) -> bytes:
    """Render the pages to images and save them as one image-only PDF."""
    seed = zlib.crc32(src.id.encode())
    pages = layout_pages(blocks)
    images = [_draw_page(lines, i + 1, seed) for i, lines in enumerate(pages)]
    when = time.strptime(src.date, "%Y-%m-%d")
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="PDF",
        save_all=True,
        append_images=images[1:],
        resolution=float(DPI),
        quality=50,
        title="",
        producer="Scanner",
        creationDate=when,
        modDate=when,
    )
    return buf.getvalue()
