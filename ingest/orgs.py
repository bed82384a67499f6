"""Institutions in one document: acronyms defined in the text, and short names of a longer one.

A report defines its acronyms once ("Servicio Nacional de Sanidad Agraria (SENASA)") and then
uses them; it names an institution in full once ("Subsecretaría de Migración del Ecuador") and
then shortly ("Subsecretaría de Migración"). Both later forms are the same entity as the full
name, which the small models cannot know: these rules link them within the document.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from ingest.persons import PARTICLES, name_key
from ingest.types import Entity, Mention

_DEFINED = re.compile(r"\(\s*([A-ZÁÉÍÓÚÑ][A-Za-zÁÉÍÓÚÑ]{1,9})\s*\)")
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def long_form(acronym: str, before: str) -> str | None:
    """The words just before ``(ACRONYM)`` that it abbreviates, or ``None`` (Schwartz and Hearst, 2003).

    Each letter of the acronym, last first, is found in the words going back, the first letter at
    the start of a word; the long form starts with a capitalised word and has no more than
    ``len(acronym) + 5`` words. "Departamento de Operações de Fronteira (DOF)" takes the initials of
    the capitalised words first, so "de Operações..." is not chosen for its "d".
    """
    if not acronym.isupper() or len(acronym) < 2:
        return None
    words = [(m.start(), m.group()) for m in _WORDS.finditer(before)][-(len(acronym) + 5) :]
    capitals = [(i, w) for i, (_, w) in enumerate(words) if w[:1].isupper()]
    for n in range(len(capitals), 0, -1):  # the capitalised words' initials: D(epartamento) O(perações) F(ronteira)
        tail = capitals[-n:]
        if "".join(w[0] for _, w in tail).upper() == acronym.upper() and _contiguous(words, tail[0][0]):
            return before[words[tail[0][0]][0] :].rstrip(" ,")
    text = before[words[0][0] :] if words else ""
    s, i = len(acronym) - 1, len(text) - 1
    while s >= 0:
        c = acronym[s].lower()
        while i >= 0 and (text[i].lower() != c or (s == 0 and i > 0 and text[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i, s = i - 1, s - 1
    found = text[i + 1 :].rstrip(" ,")
    return found if found[:1].isupper() else None


def _contiguous(words: list[tuple[int, str]], first: int) -> bool:
    """Whether every word from ``first`` on is capitalised or a particle (no stray words inside the name)."""
    return all(
        w[:1].isupper() or w.lower() in PARTICLES or w.lower() in ("y", "e", "et", "and") for _, w in words[first:]
    )


def definitions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, acronym)`` of the long name of each "Long Name (ACR)" in ``text``."""
    out = []
    for m in _DEFINED.finditer(text):
        before = text[max(0, m.start() - 160) : m.start()].rstrip()
        if "\n\n" in before:
            before = before.rsplit("\n\n", 1)[1]
        long = long_form(m.group(1), before)
        if long and " " in long.strip():
            end = m.start() - (len(text[: m.start()]) - len(text[: m.start()].rstrip()))
            start = end - len(long)
            if text[start:end] == long:
                out.append((start, end, m.group(1)))
    return out


def prefix_of(short: str, longer: list[tuple[str, str]]) -> str | None:
    """The one entity among ``(entity id, name)`` whose name starts with ``short`` as whole words, if exactly one."""
    key = name_key(short)
    ids = {eid for eid, name in longer if name_key(name).startswith(key + " ")}
    return next(iter(ids)) if len(ids) == 1 else None


_OF = re.compile(r" (?:del|de la|de|do|da|du|de l'|of the|of) ?$")


def with_country(
    text: str, ms: list[Mention], known: Callable[[str], bool], make: Callable[[int, int, str, str], Mention]
) -> list[Mention]:
    """NER institutions joined to the country that follows them: "Ministerio del Interior" + "del Ecuador".

    The country is part of the institution's name ("Subsecretaría de Migración del Ecuador"), and it
    tells apart the ministries of the interior of two countries met in one document.
    """
    out: list[Mention] = []
    for m in ms:
        prev = out[-1] if out else None
        if (
            prev is not None
            and m.type == "COUNTRY"
            and prev.type == "ORG"
            and not known(prev.entity_id)
            and _OF.fullmatch(" " + text[prev.end : m.start].strip(" ") + " ") is not None
            and text[prev.end : m.start].count(" ") <= 3
        ):
            out[-1] = make(prev.start, m.end, text[prev.start : m.end], text[prev.start : m.end])
            continue
        out.append(m)
    return out


def link_institutions(
    texts: Sequence[str],
    mentions: Sequence[Sequence[Mention]],
    known: Callable[[str], bool],
    make: Callable[[int, int, str, str], Mention],
) -> list[list[Mention]]:
    """One document's mentions with defined acronyms and short institution names linked to the full name.

    ``known(entity_id)`` says an id is the gazetteer's (its mentions are kept as they are);
    ``make(start, end, surface, entity_id or long name)`` builds an ORG mention.
    """
    out = [
        with_country(text, seated_institutions(text, list(ms), known, make), known, make)
        for text, ms in zip(texts, mentions, strict=True)
    ]
    acronyms: dict[str, set[str]] = {}
    for text, ms in zip(texts, out, strict=True):
        for start, end, acronym in definitions(text):
            over = [m for m in ms if m.start < end and start < m.end]
            same = [m for m in over if known(m.entity_id) and (m.start, m.end) == (start, end)]
            if any(known(m.entity_id) for m in over) and not same:
                continue  # the gazetteer holds part of it: leave its reading
            long = same[0] if same else make(start, end, text[start:end], text[start:end])
            ms[:] = [m for m in ms if m not in over] + ([] if same else [long])
            acronyms.setdefault(acronym, set()).add(long.entity_id)
    defined = {a: next(iter(ids)) for a, ids in acronyms.items() if len(ids) == 1}
    names = [(m.entity_id, m.surface) for ms in out for m in ms if m.type == "ORG"]
    for text, ms in zip(texts, out, strict=True):
        for i, m in enumerate(ms):
            if known(m.entity_id) or m.type not in ("ORG", "PLACE", "PERSON"):
                continue
            target = defined.get(m.surface) or (prefix_of(m.surface, names) if m.type == "ORG" else None)
            if target:
                ms[i] = make(m.start, m.end, m.surface, target)
        for acronym, eid in defined.items():
            for hit in re.finditer(rf"(?<![\w\-]){re.escape(acronym)}(?![\w\-])", text):
                if not any(m.start < hit.end() and hit.start() < m.end for m in ms):
                    ms.append(make(hit.start(), hit.end(), acronym, eid))
        ms.sort(key=lambda m: (m.start, m.end))
    return out


def short_names(entities: Iterable[Entity], is_place: Callable[[str], bool]) -> dict[str, set[str]]:
    """``{short name: institution ids}``: each institution's aliases without the country or place that ends them.

    "Migraciones Perú" -> "Migraciones", "Policía Nacional del Paraguay" -> "Policía Nacional": the
    name a document uses once its country is clear. Several institutions share most short names.
    """
    out: dict[str, set[str]] = {}
    for entity in entities:
        if entity.type not in ("ORG", "BORDER_CROSSING"):  # a crossing: "Santa Rosa (Perú)" -> "Santa Rosa"
            continue
        for alias in (entity.name, *entity.aliases):
            words = alias.split()
            for k in range(1, len(words)):
                if not is_place(" ".join(words[k:])):
                    continue
                head = words[:k]
                while head and head[-1].lower() in PARTICLES:
                    head.pop()
                if head and all(w[:1].isupper() or w in PARTICLES for w in head) and len(" ".join(head)) >= 4:
                    out.setdefault(" ".join(head), set()).add(entity.id)
                break
    return out


def by_country(
    texts: Sequence[str],
    mentions: list[list[Mention]],
    shorts: Mapping[str, set[str]],
    countries_of: Callable[[str], tuple[str, ...]],
    make: Callable[[int, int, str, str], Mention],
) -> None:
    """Short institution names linked to the one institution of the document's countries (in place).

    "Migraciones" in a report on the Peru–Bolivia border is Peru's National Superintendency of
    Migration; "Policía Nacional" in minutes on Posadas–Encarnación is Paraguay's: the institution
    whose country the document mentions most. A short name that fits none of the document's
    countries, or two equally, stays as NER left it.
    """
    seen: Counter[str] = Counter(c for ms in mentions for m in ms for c in countries_of(m.entity_id))
    if not seen:
        return
    for text, ms in zip(texts, mentions, strict=True):
        for short, ids in shorts.items():
            weight = sorted(((sum(seen[c] for c in countries_of(i)), i) for i in ids), reverse=True)
            if not weight[0][0] or (len(weight) > 1 and weight[1][0] == weight[0][0]):
                continue  # no institution of the document's countries, or two as likely
            fitting = [weight[0][1]]
            for hit in re.finditer(rf"(?<![\w\-]){re.escape(short)}(?![\w\-])", text):
                s, e = hit.start(), hit.end()
                over = [m for m in ms if m.start < e and s < m.end]
                inside = all(s <= m.start and m.end <= e for m in over)
                if inside and all(m.type in ("ORG", "PLACE") and not countries_of(m.entity_id) for m in over):
                    ms[:] = [m for m in ms if m not in over] + [make(s, e, short, fitting[0])]
        ms.sort(key=lambda m: (m.start, m.end))


#: First words of an institution named after its territory or its seat ("Préfecture de la Guyane", "Consulat
#: général du Brésil à Cayenne", "Polícia Militar do Amapá"). Local units of a national body ("Delegacia de
#: Tabatinga", "Intendencia de Aduana de Puno") are not among them: those are the body plus a place.
_SEATED = re.compile(
    r"(?<![\w\-])(?:Préfecture|Consulat|Consulado|Consulate|Embajada|Embaixada|Ambassade|Embassy|Direction|Dirección|"
    r"Direção|Directorate|Jefatura|Delegación|Gabinete|Gouvernement|Governo|Gobierno|Government|División|Divisão|"
    r"Superintendance|Superintendência|Superintendencia|Municipalidad|Municipality|Prefeitura|Mairie|Policía|"
    r"Polícia|Police)(?![\w\-])"
)
_PREPOSITIONS = frozenset("de del du des da do das dos à aux of em en dans".split())
_ARTICLES = frozenset("la las los le les l el the o a os as".split())


def _seated_words(between: str) -> bool:
    """Whether the words from an institution's first word to its place can be one name: capitalised words,
    prepositions, articles right after a preposition, and at most two lower-case words ("régionale", "douanes")."""
    if re.search(r"[.,;:!?()|\d]|\n\s*\n", between):
        return False
    words = re.findall(r"[^\W\d_]+", between.replace("’", "'"))
    if not words or len(words) > 14 or words[-1].lower() not in _PREPOSITIONS | _ARTICLES:
        return False
    lower = 0
    for before, word in zip(["de", *words], words, strict=False):
        if word.lower() in _ARTICLES and before.lower() not in _PREPOSITIONS:
            return False
        lower += int(word.islower() and word not in _PREPOSITIONS | _ARTICLES)
    return lower <= 2


def seated_institutions(
    text: str, ms: list[Mention], known: Callable[[str], bool], make: Callable[[int, int, str, str], Mention]
) -> list[Mention]:
    """Institutions named after the place that ends their name, with everything inside them (longest name wins).

    The place must be a gazetteer place or country; an institution word already inside a gazetteer name, or
    after "<institution>, " (a unit of that institution: "DIAN, Dirección Seccional de Ipiales"), is left alone.
    """
    for head in _SEATED.finditer(text):
        h = head.start()
        if any(m.start <= h < m.end and known(m.entity_id) for m in ms):
            continue
        if any(m.type == "ORG" and re.fullmatch(r",\s*", text[m.end : h]) for m in ms):
            continue
        places = [m for m in ms if m.start > h and m.type in ("PLACE", "COUNTRY") and known(m.entity_id)]
        end = next((p for p in reversed(places) if _seated_words(text[h : p.start])), None)  # the longest name
        if end is None:
            continue
        over = [m for m in ms if m.start < end.end and h < m.end]
        if all(h <= m.start and m.end <= end.end for m in over):
            ms = [m for m in ms if m not in over] + [make(h, end.end, text[h : end.end], text[h : end.end])]
    return sorted(ms, key=lambda m: (m.start, m.end))
