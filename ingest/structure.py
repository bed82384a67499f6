"""Structure inside the text: action items and decisions, and who works where (affiliations).

Both are extractive and rule-based, in the four languages: they only ever return spans of the
source text, so everything shown to a user can be cited to its page. No language model runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Headings under which minutes and visit records list what was agreed or must be done.
ACTION_HEADINGS = re.compile(
    r"^\s*(?:#+\s*|\d+(?:\.\d+)*[.)]?\s+|[IVX]+[.)]\s+)?(?:"
    r"acuerdos?(?: adoptados| alcanzados)?|compromisos?|decisiones?|decisions?(?: taken)?|action items?|"
    r"actions?(?: points| agreed)?|next steps|follow[- ]up(?: actions)?|pr[oó]ximos pasos|tareas pendientes|"
    r"recomendaciones|recommendations?|encaminhamentos?|decis[oõ]es|pr[oó]ximos passos|deliberaç[oõ]es|"
    r"recomendaç[oõ]es|suites? [àa] donner|d[ée]cisions?|relev[ée] de d[ée]cisions|prochaines [ée]tapes|"
    r"actions? [àa] mener|recommandations?"
    r")\s*:?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
DECISION_WORDS = re.compile(r"acuerd|decisi|decis|d[ée]cision|deliber", re.IGNORECASE)
ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-z][.)]|[-•*–])\s+(?P<text>\S.*)$", re.MULTILINE)
OWNER = re.compile(
    r"(?:responsables?|respons[aá]vel|owner|lead|responsable|a cargo de|à charge de|encargad[oa])\s*:?\s*"
    r"(?P<owner>[^.;()\n]{3,80})",
    re.IGNORECASE,
)
DEADLINE = re.compile(
    r"(?:plazo|fecha l[ií]mite|deadline|by|prazo|até|[ée]ch[ée]ance|d'ici (?:le|au)|antes del?|before)\s*:?\s*"
    r"(?P<when>[^.;()\n]{3,40})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ActionItem:
    text: str
    heading: str
    kind: str  # "decision" or "action"
    start: int  # offset of the item in the text it came from
    owner: str | None = None
    deadline: str | None = None


def action_items(text: str) -> list[ActionItem]:
    """Numbered or bulleted items listed under an "acuerdos" / "action items" / ... heading."""
    out: list[ActionItem] = []
    for head in ACTION_HEADINGS.finditer(text):
        heading = head.group(0).strip(" #:\n")
        kind = "decision" if DECISION_WORDS.search(heading) else "action"
        pos = head.end()
        blank_run = 0
        for line_match in re.finditer(r"[^\n]*\n?", text[pos:]):
            line = line_match.group(0)
            if not line:
                break
            stripped = line.strip()
            if not stripped:
                blank_run += 1
                if blank_run > 1 and out and out[-1].heading == heading:
                    break
                continue
            blank_run = 0
            item = ITEM.match(line)
            if item is None:
                if out and out[-1].heading == heading and not stripped.startswith("#") and len(stripped) > 40:
                    continue  # a wrapped continuation line of the previous item
                break
            body = item.group("text").strip()
            owner = OWNER.search(body)
            deadline = DEADLINE.search(body)
            out.append(
                ActionItem(
                    body,
                    heading,
                    kind,
                    pos + line_match.start() + item.start("text"),
                    owner.group("owner").strip() if owner else None,
                    deadline.group("when").strip() if deadline else None,
                )
            )
    return out


ROLE_WORDS = (
    r"jef[ae]|director[a]?|subdirector[a]?|coordinador[a]?|comisari[oa]|comandante|coronel|mayor|capit[aá]n|"
    r"teniente|inspector[a]?|fiscal|agente|oficial|intendente|gerente|administrador[a]?|asesor[a]?|"
    r"responsable|representante|delegad[oa]|cónsul|consul|embajador[a]?|ministr[oa]|viceministr[oa]|"
    r"head|chief|director|deputy|officer|commander|superintendent|prosecutor|adviser|advisor|coordinator|"
    r"manager|representative|liaison officer|minister|ambassador|"
    r"chefe|delegad[oa]|superintendente|procurador[a]?|assessor[a]?|coordenador[a]?|diretor[a]?|"
    r"chef|commissaire|capitaine|commandant|procureur|conseill[eè]re?|chargée? de mission|préfet|attaché"
)
ROLE = re.compile(rf"\b(?:{ROLE_WORDS})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Affiliation:
    person_start: int
    person_end: int
    role: str | None
    org_start: int | None
    org_end: int | None
    sentence: str


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    s, e = (left + 1 if left >= 0 else 0), right
    if len(text[s:e].split()) < 6:  # a table cell: the row is the previous, this and the next line
        prev = text.rfind("\n", 0, max(s - 1, 0))
        nxt = text.find("\n", e + 1)
        s, e = (prev + 1 if prev >= 0 else 0), (nxt if nxt >= 0 else len(text))
    return s, e


def affiliations(text: str, persons: list[tuple[int, int]], orgs: list[tuple[int, int]]) -> list[Affiliation]:
    """Link each person mention to a role and the organisation stated beside it.

    Patterns (all four languages): apposition "Name, role de/of ORG", role before the name
    "el comisario Name, de la ORG", and "Name (ORG)". The organisation must sit in the same
    sentence, after the person within a short window or right before the name.
    """
    out: list[Affiliation] = []
    for ps, pe in persons:
        s, e = sentence_around(text, ps, pe)
        sentence = text[s:e].strip()
        next_person = min((s2 for s2, _ in persons if s2 > ps), default=len(text))
        after = [
            (os_, oe)
            for os_, oe in orgs
            if pe <= os_ <= pe + 120 and os_ < e and os_ < next_person and ";" not in text[pe:os_]
        ]
        before = [(os_, oe) for os_, oe in orgs if s <= os_ and oe <= ps and ps - oe <= 60]
        org = after[0] if after else (before[-1] if before else None)
        # the role: words between the name and the organisation, else just before the name
        role = None
        windows = [text[pe : org[0]]] if org and org[0] >= pe else []
        windows.append(text[max(s, ps - 50) : ps])
        for window in windows:
            role_match = ROLE.search(window)
            if role_match:
                role = _clean_role(window[role_match.start() :])
                break
        if org is None and role is None:
            continue
        if org is not None and org[0] >= pe:
            between = text[pe : org[0]]
            if len(between) > 120 or between.count(",") > 3 or re.search(r"\b(y|and|e|et)\s+[A-Z]", between):
                org = None if role is None else org
        out.append(Affiliation(ps, pe, role, org[0] if org else None, org[1] if org else None, sentence))
    return out


TRAILING = re.compile(
    r"(?:[\s,]+|\b(?:de la|de las|del|de los|de|of the|of|da|do|das|dos|de l'|du|des|en|in|at|the|el|la|le|les"
    r"|o|a)\s*)$",
    re.IGNORECASE,
)


def _clean_role(fragment: str) -> str | None:
    role = re.split(r"[,;()\n]", fragment.strip())[0].strip()
    previous = None
    while role and role != previous:
        previous = role
        role = TRAILING.sub("", role).strip()
    return role or None
