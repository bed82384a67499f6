"""A fast, rule-based sentence splitter for es/en/pt/fr that returns character spans.

spaCy's parser would be more thorough but is far too slow to run over whole archives on two
cores; these rules handle what the documents here contain: abbreviations (Sr., Dra., art.,
núm., p. ej., e.g., M.), initials, decimals, numbered list items and headings on their own line.

The rules err on the side of *not* splitting: an unknown abbreviation before a capital merges
two sentences, which costs nothing downstream, whereas a false split puts half a sentence in
each of two chunks. Spans, not strings, come out, because chunks point back into the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Lower-cased, without the final period. Single letters (initials, "M.", "p.") and tokens with
# short inner parts ("e.g", "ee.uu", "p.ej", "u.s") are recognised by rules instead. Words that
# commonly end a sentence ("ago", "me", "mar", "min", "para") are deliberately absent.
ABBREVIATIONS = frozenset(
    """sr sra sras srta sres dr dra dres lic ing arq abog prof profa gral cnel cap tte sgto cmdte subof
    art arts núm num nro nros nº pág pag págs pp vol vols caps fig figs ej ejs etc inc av avda dpto depto
    dto admón adm gob sec secs cía ltda tel aprox ud uds vd vds dña excmo excma exmo exma ilmo ilma sto sta
    mr mrs ms messrs st jr co corp ltd vs cf cfr approx dept govt gen col lt sgt capt cmdr ref refs ch chap
    op cit ibid ed eds al exa exas obs ex mme mlle mmes mlles mgr env pr
    jan feb apr jun jul aug sep sept oct nov dec ene abr dic janv févr avr juil déc""".split()
)
#: "No. 5" is an abbreviation; "dijo que no. Luego" ends a sentence.
BEFORE_NUMBER = frozenset({"no", "nos"})
LIST_ITEM = re.compile(r"[ \t]*(?:\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-zA-Z]|[ivxIVX]{1,4})[.)]|[-•*–·▪◦‣])\s+")
MD_HEADING = re.compile(r"[ \t]*#{1,6}\s")
END = re.compile(r"[.!?…]+[\"'»”’)\]]*\s+")
OPENERS = "¿¡\"'«“‘([-–—"
_TOKEN_BEFORE = re.compile(r"(\S+)$")


def is_heading_line(line: str) -> bool:
    """Markdown headings and short all-caps lines ("INFORME DE VISITA TÉCNICA")."""
    if MD_HEADING.match(line):
        return True
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and len(line.split()) <= 15 and not any(c.islower() for c in letters)


def _cuts(text: str, start: int, end: int, breaks: Iterable[int]) -> list[int]:
    """Offsets where a sentence must end whatever the punctuation says.

    Blank lines, list items and heading lines are structure: a bullet or a title without a
    final period must not run into the next line. Wrapped lines of a paragraph do not cut.
    """
    cuts = {start, end}
    cuts.update(b for b in breaks if start < b < end)
    after_blank = True
    pos = start
    for line in text[start:end].split("\n"):
        ls, le = pos, pos + len(line)
        pos = le + 1
        if not line.strip():
            after_blank = True
            continue
        if after_blank or LIST_ITEM.match(line):
            cuts.add(ls)
        if is_heading_line(line):
            cuts.update((ls, le))
        after_blank = False
    return sorted(cuts)


def _ends_sentence(text: str, start: int, dot: int, nxt: int) -> bool:
    """Whether the punctuation at ``dot`` ends a sentence; ``nxt`` is where the next word starts."""
    follow = text[nxt : nxt + 8].lstrip(OPENERS)
    if not follow or not (follow[0].isupper() or follow[0].isdigit()):
        return False
    if text[dot] != "." or text.startswith("..", dot):
        return True  # ! ? … and a dotted ellipsis end a sentence before a capital
    m = _TOKEN_BEFORE.search(text, start, dot)
    token = m.group(1).lstrip(OPENERS).lower() if m else ""
    if not token:
        return True
    if token.isdigit():
        # "en 2019. Después" ends; "1. Reforzar" opening a list item does not
        return len(token) >= 2 and m is not None and m.start() > start
    if token.replace(".", "").replace(",", "").isdigit():
        return True  # "3.500.000. The"; decimals never get here (no space after their dot)
    if "." in token:
        return not all(len(part) <= 3 for part in token.split("."))  # e.g, ee.uu, p.ej vs a URL
    if len(token) == 1 and token.isalpha():
        return False  # initials and one-letter abbreviations: "J. Pérez", "M. Dupont", "p. 12"
    if token in BEFORE_NUMBER:
        return not follow[0].isdigit()
    return token not in ABBREVIATIONS


def split_spans(
    text: str, start: int = 0, end: int | None = None, *, breaks: Iterable[int] = ()
) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]``, trimmed of surrounding whitespace.

    Args:
        text: any text, possibly empty.
        start: where to begin.
        end: where to stop (default: the end of ``text``).
        breaks: offsets that must begin a new sentence, e.g. section headings from a reader.

    Returns:
        Sorted, non-overlapping ``(start, end)`` spans; every non-whitespace character of
        ``text[start:end]`` lies in exactly one of them.
    """
    end = len(text) if end is None else end
    cuts = _cuts(text, start, end, breaks)
    raw: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        cur = a
        for m in END.finditer(text, a, b):
            if m.end() < b and _ends_sentence(text, cur, m.start(), m.end()):
                raw.append((cur, m.end()))
                cur = m.end()
        raw.append((cur, b))
    return [span for s, e in raw if (span := _trim(text, s, e))[0] < span[1]]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
