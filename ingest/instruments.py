"""Legal instruments by rule: the long titles of agreements, conventions, protocols and memoranda.

A bilateral agreement is named by its parties and subject, not by a short name a gazetteer could
hold: "Acuerdo entre la República del Paraguay y la República Federativa del Brasil sobre
cooperación policial …", "accord entre le Gouvernement de la République française et le Gouvernement
de la République fédérative du Brésil dans le domaine de la sécurité publique", "Acordo sobre
Cooperação Policial". The countries and services inside such a title are part of its name, not
mentions of their own. Two shapes are read, in the four languages:

- *noun … between A and B [on subject]*: an instrument noun, at most a few qualifying words
  ("Marco de Cooperación", "de coopération transfrontalière"), "entre/between", two parties joined by
  y/e/et/and of which the first is a proper name, and optionally the subject;
- *Noun on Subject*: a capitalised instrument noun followed by "sobre/relativo a/relatif à/on" and the
  subject (a title-case subject ends at its first lower-case word, a sentence-case one at the clause end);

plus EU framework decisions by number ("Decisión marco 2002/465/JAI del Consejo"). A noun after an
indefinite article ("un acuerdo entre las autoridades…", "a local cooperation protocol between…") is a
kind of instrument, not a named one, and is left alone.
"""

from __future__ import annotations

import re

#: Instrument nouns, longest first so that "Memorandum of Understanding" wins over "Memorandum".
NOUNS = sorted(
    (
        "acuerdo acordo accord agreement convenio convênio convención convenção convention tratado traité treaty "
        "protocolo protocole protocol memorando memorándum mémorandum memorandum"
    ).split()
    + [
        "memorandum of understanding",
        "memorando de entendimiento",
        "memorando de entendimento",
        "mémorandum d'entente",
    ],
    key=len,
    reverse=True,
)
_NOUN_RE = re.compile(r"(?<![\w\-])(?i:" + "|".join(re.escape(n) for n in NOUNS) + r")(?![\w\-])")
_FRAMEWORK_RE = re.compile(
    r"(?<![\w\-])(?:Decisión marco|Decisão-Quadro|Décision-cadre|Framework Decision) \d{4}/\d{1,4}/(?:JAI|JHA)"
    r"(?: (?:del Consejo|do Conselho|du Conseil|of the Council))?"
)
_WORD_RE = re.compile(r"[^\W\d_][\w'’\-]*")
#: Words before the noun that make it a kind of instrument (a planned, generic or anaphoric one).
_INDEFINITE = frozenset("un una um uma une an a este esta ese esa this that ce cet cette présent presente".split())
_BETWEEN = frozenset("entre between".split())
_AND = frozenset("y e et and".split())
#: What introduces the subject of an instrument in the four languages (first words only).
_ON = frozenset("sobre relativo relativa relatif relative on sur concerning dans para pour".split())
#: Small words a title-case name keeps between its capitalised words.
_CONNECT = frozenset(
    "de del la las los el en y e et of the and on da do das dos du des a à para pour for sobre in aux l d".split()
)
#: Capitalised words that begin the next sentence when a title runs on without punctuation (PDF title blocks).
_RESTART = frozenset("La El Los Las Le Les The O Os As A Un Una Considerando Considérant Whereas".split())
#: Lower-case words that end a title: what follows is the sentence about it.
_STOP = frozenset(
    "que qui which that firmado firmada signed signé signée assinado assinada adoptado adopted suscrito celebrado "
    "vigente".split()
)
_MAX_WORDS = 45


def _clause(text: str, start: int) -> list[tuple[int, int, str]]:
    """The words from ``start`` to the end of the clause: punctuation, a digit or a blank line ends it."""
    end = len(text)
    stop = re.compile(r"[.,;:!?()«»\"“”\[\]|]|\d|\n\s*\n").search(text, start)
    if stop:
        end = stop.start()
    return [(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(text, start, end)][: _MAX_WORDS + 1]


def _indefinite(text: str, start: int) -> bool:
    before = [w.lower() for w in _WORD_RE.findall(text[max(0, start - 40) : start])][-3:]
    return any(w in _INDEFINITE for w in before)


def _title_end(words: list[tuple[int, int, str]], first: int) -> int:
    """Index after the last word of a subject starting at ``words[first]``."""
    title_case = words[first][2][:1].isupper()
    end = first
    for k in range(first, len(words)):
        w = words[k][2]
        low = w.lower().split("'")[0].split("’")[0]
        if low in _STOP or (w in _RESTART and k > first and words[k - 1][2].lower() not in _CONNECT):
            break
        if title_case and not w[:1].isupper() and low not in _CONNECT:
            break
        end = k + 1
    while end > first and words[end - 1][2].lower() in _CONNECT:
        end -= 1
    return end


def _parties_end(words: list[tuple[int, int, str]], first: int) -> int | None:
    """Index after two parties joined by and (the first a proper name), before any subject; else ``None``."""
    k = first
    while k < len(words) and words[k][2].lower() in ("la", "el", "los", "las", "le", "les", "the", "a", "o", "os"):
        k += 1
    if k >= len(words) or not words[k][2][:1].isupper():
        return None
    joined = False
    last_name = None
    for j in range(k, len(words)):
        w = words[j][2]
        if w.lower() in _ON or w.lower() in _STOP or (w in _RESTART and joined and j > k and last_name == j - 1):
            break
        joined = joined or w.lower() in _AND
        if w[:1].isupper():
            last_name = j
    return last_name + 1 if joined and last_name is not None and last_name > k else None


def _instrument(text: str, noun: re.Match[str]) -> int | None:
    """End offset of the instrument whose noun is ``noun``, or ``None`` when it is not a named one."""
    words = _clause(text, noun.end())
    capital = noun.group()[:1].isupper()
    # "noun ... entre A y B [sobre ...]": the linker within the first words after the noun
    link = next((i for i, w in enumerate(words[:7]) if w[2].lower() in _BETWEEN), None)
    if link is not None and not any(w[2].lower() in _ON for w in words[:link]):
        end = _parties_end(words, link + 1)
        if end is None:
            return None
        if end < len(words) and words[end][2].lower() in _ON:
            subject = end + 1 + int(end + 1 < len(words) and words[end + 1][2].lower() in ("le", "a", "of"))
            if subject < len(words):
                end = max(end, _title_end(words, subject))
        return words[end - 1][1]
    # "Noun [Marco] sobre/on Subject" (only a capitalised noun: "el acuerdo sobre la materia" is no title)
    k = 1 if words and words[0][2].lower() in ("marco", "framework", "cadre") else 0
    if not capital or k >= len(words) or words[k][2].lower() not in _ON:
        return None
    first = k + 1 + int(k + 1 < len(words) and words[k + 1][2].lower() in ("a", "à"))
    if first >= len(words):
        return None
    end = _title_end(words, first)
    return words[end - 1][1] if end - first >= 2 or (end > first and words[first][2][:1].isupper()) else None


def find_instruments(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, name)`` of the named legal instruments in ``text``, left to right, never overlapping."""
    found = [(m.start(), m.end(), m.group()) for m in _FRAMEWORK_RE.finditer(text)]
    for noun in _NOUN_RE.finditer(text):
        if any(s <= noun.start() < e for s, e, _ in found) or _indefinite(text, noun.start()):
            continue
        end = _instrument(text, noun)
        if end is not None:
            found.append((noun.start(), end, text[noun.start() : end]))
    out: list[tuple[int, int, str]] = []
    for s, e, surface in sorted(found):
        if not out or s >= out[-1][1]:
            name = " ".join(surface.split())
            out.append((s, e, name[:1].upper() + name[1:]))
    return out
