"""A fast, rule-based sentence splitter for es/en/pt/fr that returns character spans.

spaCy's parser would be more thorough but is far too slow to run over whole archives on two
cores; these rules handle what the documents here contain: abbreviations (Sr., Dra., art.,
núm., p. ej., e.g., M.), initials, decimals, numbered list items and headings on their own line.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    """sr sra srta dr dra lic ing arq prof gral cnel cap tte sgto art arts núm num nro no nº pág pag págs pp p
    ej etc vol cap inc av avda dpto depto admón adm gob min sec mr mrs ms st jr sr co corp ltd inc e.g i.e vs
    cf fig approx dept est jan feb mar apr jun jul aug sep sept oct nov dec ene abr ago dic janv févr avr juil
    sept déc mme mlle mm me m dr pr sto sta exmo exma sra srs v.g a.c d.c""".split()
)
LIST_ITEM = re.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3})*[.)]|[a-z][.)]|[-•*–·▪])\s+")
END = re.compile(r"[.!?…]+[\"'»”’)\]]*\s+")
STARTS_SENTENCE = re.compile(r"[\"'«“¿¡(\[]?[A-ZÁÉÍÓÚÑÂÊÔÃÕÇÀÈÌÒÙÜ0-9]")


def _is_abbreviation(text: str, dot: int) -> bool:
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower().strip(".")
    if not word:
        return False
    if len(word) == 1 and text[dot - 1].isupper():  # an initial: "J. Pérez"
        return True
    return word in ABBREVIATIONS


def split_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]``; whitespace between sentences is left out."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    # lines: blank lines and list items always break; wrapped lines of a paragraph do not
    pos = start
    for line in re.finditer(r"[^\n]*(?:\n|$)", text[start:end]):
        if not line.group(0):
            continue
        ls, le = start + line.start(), start + line.end()
        body = text[ls:le]
        if not body.strip() or LIST_ITEM.match(body):
            if pos < ls:
                spans.extend(_sentences(text, pos, ls))
            if body.strip():
                spans.extend(_sentences(text, ls, le))
            pos = le
    if pos < end:
        spans.extend(_sentences(text, pos, end))
    return spans


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    cur = start
    for m in END.finditer(text, start, end):
        dot = m.start()
        nxt = m.end()
        if nxt < end and not STARTS_SENTENCE.match(text, nxt):
            continue
        if LIST_ITEM.fullmatch(text[cur:nxt]) or re.fullmatch(r"\s*\w{1,3}[.)]\s*", text[cur:nxt]):
            continue  # "1. " opening a list item is not a sentence
        if text[dot] == "." and _is_abbreviation(text, dot) and m.group(0).strip() == ".":
            continue
        if text[dot] == "." and dot > 0 and text[dot - 1].isdigit() and nxt < end and text[nxt].isdigit():
            continue
        out.append((cur, dot + len(m.group(0).rstrip())))
        cur = nxt
    if cur < end:
        out.append((cur, end))
    return [_trim(text, s, e) for s, e in out if text[s:e].strip()]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
