"""Dates written in Spanish, English, Portuguese and French, normalised to ISO 8601.

Numeric dates are read day-first (as in all four languages' official usage in this domain),
except ``YYYY-MM-DD`` and English ``MM/DD/YYYY`` when the day-first reading is impossible.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    # es
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    # pt
    "janeiro": 1,
    "fevereiro": 2,
    "março": 3,
    "marco": 3,
    "maio": 5,
    "junho": 6,
    "julho": 7,
    "setembro": 9,
    "outubro": 10,
    "novembro": 11,
    "dezembro": 12,
    # fr
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
    # en
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
YEAR = r"(?P<y>(?:19|20)\d{2})"
PATTERNS = [
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:º|°|er|st|nd|rd|th)?\s+(?:de\s+)?(?P<m>{MONTH})\.?,?\s+(?:de\s+|del\s+|of\s+)?{YEAR}\b",
        re.I,
    ),
    re.compile(rf"\b(?P<m>{MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{YEAR}\b", re.I),
    re.compile(rf"\b{YEAR}-(?P<mm>\d{{2}})-(?P<d>\d{{2}})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})[/.](?P<mm>\d{{1,2}})[/.]{YEAR}\b"),
    re.compile(rf"\b(?P<m>{MONTH})\s+(?:de\s+|of\s+)?{YEAR}\b", re.I),
]


def _iso(y: int, m: int, d: int | None) -> str | None:
    if not 1900 <= y <= 2100 or not 1 <= m <= 12:
        return None
    if d is None:
        return f"{y:04d}-{m:02d}"
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def find_dates(text: str, lang: str | None = None) -> list[tuple[int, int, str]]:
    """``(start, end, iso)`` for every date in ``text``; overlapping readings keep the longest."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for i, pattern in enumerate(PATTERNS):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            y = int(m.group("y"))
            groups = m.groupdict()
            month = MONTHS[groups["m"].lower()] if groups.get("m") else int(groups["mm"])
            day = int(groups["d"]) if groups.get("d") else None
            iso = _iso(y, month, day)
            if iso is None and i == 3 and lang == "en" and day is not None:
                iso = _iso(y, day, month)  # MM/DD/YYYY
            if iso is None:
                continue
            found.append((m.start(), m.end(), iso))
            taken.append((m.start(), m.end()))
    return sorted(found)


def document_date(text: str, lang: str | None = None) -> str | None:
    """The document's own date: the first full date near the top (dateline, "Fecha:")."""
    head = text[:1500]
    labelled = re.search(r"(?:fecha|date|data|le)\s*:?\s*", head, re.I)
    dates = find_dates(head, lang)
    full = [d for d in dates if len(d[2]) == 10]
    if labelled:
        after = [d for d in full if d[0] >= labelled.end() and d[0] - labelled.end() < 5]
        if after:
            return after[0][2]
    if full:
        return full[0][2]
    return dates[0][2] if dates else None
