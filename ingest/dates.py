"""Dates written in Spanish, English, Portuguese and French, normalised to ISO 8601.

Regular expressions over month-name tables; no dateparser. Recognised forms:

* day month year: "12 de marzo de 2024", "12 March 2024", "12 mars 2024", "1er avril 2023",
  "1º de abril de 2024", "12 de março de 2024", "3 Sept. 2024" -> ``2024-03-12``
* month day, year: "March 12, 2024" -> ``2024-03-12``
* ISO: "2024-03-12", "2024/03/12" -> ``2024-03-12``
* numeric: "12/03/2024", "12.03.2024", "12-03-2024" -> ``2024-03-12``
* month year: "marzo de 2024", "March 2024", "mars 2024" -> ``2024-03`` (full month names only)

Numeric dates are read **day-first** in every language: it is the official usage in Spanish,
Portuguese and French, and English documents in this domain come from the EU and Latin
America. The one exception: in English (``lang="en"``) a date whose day-first reading is
impossible but month-first is valid ("03/25/2024") is read month-first. Impossible dates
("31/02/2024") and years outside 1900–2100 are rejected. Bare years ("en 2023") are not
extracted: they are too often quantities or parts of references ("2019/1896").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_FULL = {
    1: "enero january janeiro janvier",
    2: "febrero february fevereiro février",
    3: "marzo march março mars",
    4: "abril april avril",
    5: "mayo may maio mai",
    6: "junio june junho juin",
    7: "julio july julho juillet",
    8: "agosto august août",
    9: "septiembre setiembre september setembro septembre",
    10: "octubre october outubro octobre",
    11: "noviembre november novembro novembre",
    12: "diciembre december dezembro décembre",
}
_ABBREV = {
    1: "ene jan janv",
    2: "feb fev fév févr",
    3: "mar",
    4: "abr apr avr",
    5: "mai",
    6: "jun juin",
    7: "jul juil",
    8: "ago aug aoû",
    9: "sep sept set",
    10: "oct out",
    11: "nov",
    12: "dic dec dez déc",
}


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _table(source: dict[int, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for month, names in source.items():
        for name in names.split():
            out[name] = month
            out[_fold(name)] = month
    return out


FULL_MONTHS = _table(_FULL)
MONTHS = {**_table(_ABBREV), **FULL_MONTHS}


def _alternation(names: dict[str, int]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def _month_matcher(names: dict[str, int]) -> re.Pattern[str]:
    """One named group per month, matched with the same flags as the date patterns.

    The month is read back from what the patterns matched by matching it again with this
    pattern, not by looking the matched text up in a dict: under ``re.IGNORECASE`` the long s
    "ſ" matches "s", the dotless "ı" and the dotted "İ" match "i" and the Kelvin sign matches
    "k", and no lower-casing or folding reproduces every such equivalence. Matching twice
    with the same engine and flags does, so whatever the patterns accept has a month.
    """
    by_month: dict[int, list[str]] = {}
    for name, month in names.items():
        by_month.setdefault(month, []).append(name)
    groups = (f"(?P<m{month}>{_alternation(dict.fromkeys(ns, month))})" for month, ns in sorted(by_month.items()))
    return re.compile("|".join(groups), re.IGNORECASE)


_MONTH_OF = _month_matcher(MONTHS)


def month_number(name: str) -> int | None:
    """The month (1-12) a month name or abbreviation in any of the four languages means, or None.

    Case-insensitive in the regular-expression sense (see :func:`_month_matcher`), so it accepts
    everything the date patterns accept and never raises.
    """
    m = _MONTH_OF.fullmatch(name)
    return int(m.lastgroup[1:]) if m is not None and m.lastgroup else None


_ANY = _alternation(MONTHS)
_FULL_ALT = _alternation(FULL_MONTHS)
_YEAR = r"(?P<y>\d{4})"
_DAY = r"(?P<d>[0-3]?\d)"
_ORD = r"(?:\s?(?:er|re|º|°|ª|o|st|nd|rd|th)\b|º|°|ª)?"
_L = r"(?<![\w/.-])"  # not glued to a longer number or word
_R = r"(?![\w/]|[.-]\d)"
_FLAGS = re.IGNORECASE

# Highest priority first: an earlier pattern's match blocks overlapping later ones.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "dmy",
        re.compile(
            rf"{_L}{_DAY}{_ORD}\s*(?:de\s+|of\s+)?(?P<m>{_ANY})\.?,?\s*(?:de\s+|del\s+|of\s+)?{_YEAR}{_R}",
            _FLAGS,
        ),
    ),
    ("mdy", re.compile(rf"{_L}(?P<m>{_ANY})\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}{_R}", _FLAGS)),
    ("iso", re.compile(rf"{_L}{_YEAR}(?P<sep>[-/])(?P<mm>[01]?\d)(?P=sep){_DAY}{_R}")),
    ("num", re.compile(rf"{_L}{_DAY}(?P<sep>[/.-])(?P<mm>[0-3]?\d)(?P=sep){_YEAR}{_R}")),
    ("my", re.compile(rf"{_L}(?P<m>{_FULL_ALT})\s+(?:de\s+|del\s+|of\s+)?{_YEAR}{_R}", _FLAGS)),
)


def _iso(year: int, month: int, day: int | None) -> str | None:
    if not 1900 <= year <= 2100 or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _value(kind: str, m: re.Match[str], lang: str | None) -> str | None:
    year = int(m.group("y"))
    if kind in ("my", "dmy", "mdy"):
        month = month_number(m.group("m"))
        if month is None:  # cannot happen (see _month_matcher), but a date is never worth a crash
            return None
        return _iso(year, month, None if kind == "my" else int(m.group("d")))
    first, second = int(m.group("d")), int(m.group("mm"))
    if kind == "iso":
        return _iso(year, second, first)
    iso = _iso(year, second, first)  # day-first
    if iso is None and (lang or "").lower().startswith("en"):
        iso = _iso(year, first, second)  # US month-first, only when day-first is impossible
    return iso


def find_dates(text: str, lang: str | None = None) -> list[tuple[int, int, str]]:
    """Every date in ``text`` as ``(start, end, iso)``, left to right, without overlaps.

    ``iso`` is ``YYYY-MM-DD``, or ``YYYY-MM`` for a month and year. ``lang`` only matters for
    numeric dates (see the module docstring); month names of all four languages are always
    recognised, since documents mix languages.
    """
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []  # invalid dates block too: "29 février 2023" is not "février 2023"
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(ts < e and s < te for ts, te in taken):
                continue
            taken.append((s, e))
            value = _value(kind, m, lang)
            if value is not None:
                found.append((s, e, value))
    return sorted(found)


#: Labels that introduce a document's own date ("Fecha: 12/03/2024", "Date : 1er avril 2023").
_LABEL = re.compile(r"(?im)^\W*(?:fecha|date|data|dated|fait le|lugar y fecha|place and date)\b[^\n:]{0,30}[:：]")


def document_date(text: str, lang: str | None = None, *, window: int = 1500) -> str | None:
    """The most plausible date of a document, ISO, from its first ``window`` characters.

    A full date on a "Fecha:"/"Date:"/"Data:" line wins; otherwise the first full date (the
    dateline); otherwise the first month-and-year. ``None`` when the opening has no date.
    """
    head = text[:window]
    dates = find_dates(head, lang)
    full = [d for d in dates if len(d[2]) == 10]
    for label in _LABEL.finditer(head):
        line_end = head.find("\n", label.end())
        line_end = len(head) if line_end < 0 else line_end
        for s, _e, iso in full:
            if label.end() <= s <= line_end:
                return iso
    if full:
        return full[0][2]
    return dates[0][2] if dates else None
