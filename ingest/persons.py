"""People's names by rule: after a title or rank, or starting with a common given name; one name per person.

The small spaCy models miss names in table rows ("Hugo Paredes Lazo | SUNAT"), call a titled
person a place ("Inspetor Rogério Lemes" LOC), cut a name at a line break ("Ricardo Nogueira" /
"Lins") and keep the title in the name ("Auditora Patrícia Figueiredo"). Two rules find the
names they miss, in all four languages and without a Portuguese model:

- a title or rank ("Teniente coronel", "Comissário", "Deputy Commissioner", "Dr.") followed by
  capitalised words: the words are a name, the title is not part of it;
- a common given name (``data/given_names.txt``) followed by capitalised surnames.

Then, in one document, a person is one entity (:func:`link_people`): "Carhuavilca" and
"Nogueira Lins" are the "Jaime Carhuavilca" and "Ricardo Nogueira Lins" named in full elsewhere
in the same document, and every further occurrence of a full name or surname is linked to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

from ingest.gazetteer import fold

GIVEN_NAMES_PATH = Path(__file__).resolve().parent / "data" / "given_names.txt"

#: Titles, ranks and honorifics (folded) that precede a name in the four languages.
TITLES = frozenset(
    """
    comandante coronel teniente capitan mayor fiscal director directora jefe jefa ministro ministra
    embajador embajadora inspector inspectora comisario comisaria subcomisario superintendente
    superintendenta delegado delegada subprefecto prefecto intendente sargento suboficial cabo oficial
    doctor doctora licenciado licenciada ingeniero ingeniera senor senora sr sra srta dr dra lic ing
    don dona consul agente auditor auditora juez jueza procurador procuradora
    commander colonel captain lieutenant commissioner minister ambassador prosecutor officer sergeant
    chief chef cheffe chefe deputy inspector superintendent subprefect prefect major mr mrs ms dr judge consul auditor
    commissaire capitaine commandant procureur ministre ambassadeur directeur directrice adjudant
    brigadier gendarme prefet sous-prefet juge m mme mlle monsieur madame
    capitao tenente delegado delegada procurador ministro embaixador diretor diretora comissario
    comissaria inspetor inspetora auditor auditora agente escrivao perito perita juiz juiza
    senhor senhora doutor doutora sub vice adjunto adjunta general
    """.split()
)
#: Lower-case words inside a name ("Ramos de Almeida", "De León" is capitalised and passes anyway).
PARTICLES = frozenset("de da do dos das del la las los van von di du des".split())
#: Titles that also start ordinary phrases: they introduce a name only when followed by two words.
_WEAK_TITLES = frozenset("mayor major general sub vice adjunto adjunta m oficial agente don".split())
#: Capitalised words of titles and institutions that are never part of a person's name.
NOT_NAMES = frozenset(
    "general regional nacional national federal tecnico tecnica technical executive ejecutivo ejecutiva "
    "interino interina senoria excelencia vossa sua su".split()
)
#: Function words capitalised at a sentence's start: "Chief The ..." names nobody.
_FUNCTION = frozenset("the an and of el la los las le les lo os as et y en em no na".split())
#: Endings of abstract nouns ("Cooperación", "Gestão", "Seguridad"), never of a name.
NOUN_ENDING = re.compile(r"(?:cion|sion|cao|sao|dad|dade|encia|ancia|miento|ismo)$")
#: Marian names that are also given names and surnames ("Maria da Conceição", "Asunción").
_MARIAN = frozenset("conceicao concepcion assuncao asuncion encarnacao encarnacion ascensao ascension".split())


def unlike_a_name(name: str) -> bool:
    """Whether an NER "person" has a word no name has: a title's adjective, an address form, an abstract noun."""
    return any(fold(w) in NOT_NAMES or (NOUN_ENDING.search(fold(w)) and fold(w) not in _MARIAN) for w in name.split())


#: Words before a given name that make it part of a place's name.
PLACE_WORDS = frozenset("san santa santo sao saint sainte st puerto porto port villa vila ciudad cidade".split())
MAX_WORDS = 4

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")


@cache
def given_names(path: Path = GIVEN_NAMES_PATH) -> frozenset[str]:
    """The folded given names of the packaged list (``#`` lines are comments)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


def _is_name_word(word: str) -> bool:
    """Capitalised, then lower case: "Giménez", "Jean-Pierre", "D'Ávila"; not "PNP" nor "ACTA"."""
    core = word.rstrip(".")
    return len(core) >= 2 and core[0].isupper() and any(c.islower() for c in core[1:]) and not core.endswith("'")


def _is_title(word: str) -> bool:
    return fold(word.rstrip(".")).split("-")[0] in TITLES or fold(word.rstrip(".")) in TITLES


def _gap_ok(text: str, end: int, start: int, nxt: int) -> bool:
    """Whether two name words may be joined across ``text[end:start]``: one space, or a wrapped line.

    A line break is crossed only when the word after it ends its own line or clause
    ("Ricardo Nogueira" / "Lins" / "Chefe da delegacia"; "Claudia" / "Muñoz, jefa"), the way a
    PDF wraps a cell or a sentence, never into a table's next cell ("Helena Moreau" / "European Commission").
    """
    gap = text[end:start]
    if gap == " ":
        return True
    if gap.strip(" ") != "\n":
        return False
    rest = text[nxt : nxt + 2]
    return rest == "" or rest[0] in ",;\n" or rest.startswith(". ") or rest == "."


def _joined(text: str, words: list[tuple[int, int, str]], k: int) -> bool:
    """Whether word ``k`` may continue the run of words before it (see :func:`_gap_ok`)."""
    return _gap_ok(text, words[k - 1][1], words[k][0], words[k][1])


def find_people(text: str, is_known: Callable[[str], bool] = lambda _: False) -> list[tuple[int, int]]:
    """``(start, end)`` of the names the two rules find in ``text``, the title left out.

    ``is_known(span)`` says a span is something else the caller knows: "Pedro Juan Caballero" is a
    city in the gazetteer, not a person, unless a title precedes it.
    """
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    names = given_names()
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j, weak = i, False
        while j < len(words) and _is_title(words[j][2]) and (j == i or _joined(text, words, j)):
            weak = fold(words[j][2].rstrip(".")) in _WEAK_TITLES
            j += 1
        titled = j > i
        if titled and (j >= len(words) or text[words[j - 1][1] : words[j][0]] not in (" ", ". ")):
            i = j
            continue
        start = j
        if not titled and not (j < len(words) and fold(words[j][2]) in names and _is_name_word(words[j][2])):
            i += 1
            continue
        if not titled and j and text[words[j - 1][1] : words[j][0]] == " " and fold(words[j - 1][2]) in PLACE_WORDS:
            i += 1  # "Santa Ana de Yacuma", "Puerto Carlos": the given name is inside a place's name
            continue
        k, count, last, breaks = j, 0, j - 1, 0
        while k < len(words) and count < MAX_WORDS:
            word = words[k][2]
            if k > start:
                if not _joined(text, words, k) or breaks:
                    break
                breaks += "\n" in text[words[k - 1][1] : words[k][0]]
            core = word.rstrip(".")
            if _is_name_word(core) and not _is_title(core) and fold(core) not in NOT_NAMES | _FUNCTION:
                count, last = count + 1, k
                if core != word:  # "... e comissário Osvaldo Giménez. Prazo": the sentence ends the name
                    break
            elif not (k > start and word.lower() in PARTICLES and count):
                break
            k += 1
        need = 2 if (not titled or weak) else 1
        if count >= need and not (not titled and is_known(text[words[start][0] : words[last][1]])):
            found.append((words[start][0], words[last][0] + len(words[last][2].rstrip("."))))
            i = last + 1
        else:
            i = max(k, i + 1)
    return found


def name_key(text: str) -> str:
    """The folded, single-spaced form two mentions of one name share."""
    return " ".join(fold(text).split())


def short_forms(full: str) -> list[str]:
    """The forms a document may use for a person after naming them in full: the surname(s) alone.

    "Ricardo Nogueira Lins" -> "Nogueira Lins", "Nogueira", "Lins"; "Jaime Carhuavilca" -> "Carhuavilca".
    With two surnames either may be used alone: the first in Spanish ("Ríos" for "Manuel Ríos
    Aranda"), the last in Portuguese ("Lins").
    """
    words = [w for w in full.split() if w.lower() not in PARTICLES]
    forms = [" ".join(words[1:]), words[1]] if len(words) == 3 else []
    if len(words) >= 2:
        forms.append(words[-1])
    return [f for f in forms if len(f) >= 4]


def surname_index(full_names: Iterable[tuple[str, str]], reserved: Callable[[str], bool]) -> dict[str, tuple[str, str]]:
    """``{key: (entity id, surface)}`` for full names and their unambiguous short forms in one document.

    ``full_names`` are ``(entity id, name)``; a short form two people share, a given name, or a
    form ``reserved`` says is something else (a country: "Portugal") stays unlinked.
    """
    index: dict[str, dict[str, str]] = {}
    shorter: set[str] = set()
    for eid, name in sorted(full_names, key=lambda n: -len(n[1].split())):
        name = " ".join(name.split())
        if name_key(name) in shorter:  # "Nogueira Lins" found by NER is "Ricardo Nogueira Lins"
            continue
        shorter.update(name_key(f) for f in short_forms(name))
        index.setdefault(name_key(name), {})[eid] = name
        for form in short_forms(name):
            if name_key(form) not in given_names() and not reserved(form):
                index.setdefault(name_key(form), {})[eid] = form
    return {k: next(iter(ids.items())) for k, ids in index.items() if len(ids) == 1}


def occurrences(text: str, surfaces: Sequence[str]) -> list[tuple[int, int, str]]:
    """Where each capitalised surface occurs in ``text`` as whole words (spaces or one line break between)."""
    out = []
    for surface in surfaces:
        parts = [re.escape(p) for p in surface.split()]
        pattern = re.compile(r"(?<![\w\-])" + r"[ \t]*\n?[ \t]*".join(parts) + r"(?![\w\-])")
        out += [(m.start(), m.end(), surface) for m in pattern.finditer(text)]
    return out
