"""Inline Markdown helpers shared by every renderer (the text formats, DOCX, PDF, the scans).

They live apart from ``render.py`` so that the format back ends (``render_office``,
``render_scan``) can use them without importing the script that imports them.
"""

from __future__ import annotations

import html
import re


def plain(text: str) -> str:
    """Inline Markdown removed: ``**bold**`` and ``*italic*`` become plain text."""
    return re.sub(r"\*{1,2}([^*]+)\*{1,2}", r"\1", text)


def inline_markup(text: str, bold: tuple[str, str], italic: tuple[str, str]) -> str:
    """Escape text for XML-ish targets and turn ``**x**``/``*x*`` into the given tags."""
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*([^*]+)\*\*", lambda m: bold[0] + m.group(1) + bold[1], out)
    return re.sub(r"\*([^*]+)\*", lambda m: italic[0] + m.group(1) + italic[1], out)
