"""Document metadata by rules: title, type and date, in the four languages.

The type rules are data (keyword lists per type, weighted more in the title than in the text),
scored rather than first-match, so "Acta de la reunión sobre el acuerdo..." is minutes, not an
agreement.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.analyze import fold
from kb.types import RawDocument

TYPE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "agreement": (
        "acuerdo",
        "convenio",
        "memorando de entendimiento",
        "memorandum of understanding",
        "agreement",
        "mou",
        "accord",
        "acordo",
        "tratado",
        "treaty",
        "convention",
        "convencion",
        "articulo 1",
        "article 1",
        "artigo 1",
        "las partes",
        "the parties",
        "les parties",
        "as partes",
    ),
    "protocol": (
        "protocolo",
        "protocol",
        "protocole",
        "procedimiento operativo",
        "procedimento operacional",
        "standard operating procedure",
        "sop",
        "pon ",
        "procedure operationnelle",
        "procedimiento",
    ),
    "minutes": (
        "acta",
        "minutes",
        "ata de reuniao",
        "ata da reuniao",
        "proces-verbal",
        "compte rendu",
        "compte-rendu",
        "asistentes",
        "attendees",
        "participantes",
        "participants",
        "orden del dia",
        "agenda",
        "ordre du jour",
        "pauta",
        "encaminhamentos",
        "action items",
        "suites a donner",
    ),
    "report": (
        "informe",
        "report",
        "relatorio",
        "rapport",
        "visita tecnica",
        "technical visit",
        "visite technique",
        "mission report",
        "informe de mision",
        "hallazgos",
        "findings",
        "constatations",
        "constatacoes",
    ),
    "news": (
        "nota de prensa",
        "press release",
        "comunicado",
        "communique",
        "noticia",
        "news",
        "actualite",
        "boletin",
        "journalists",
        "periodistas",
    ),
    "training": (
        "taller",
        "workshop",
        "capacitacion",
        "formacao",
        "formation",
        "curso",
        "course",
        "training",
        "seminario",
        "seminar",
        "atelier",
        "participants trained",
        "capacitados",
        "formados",
    ),
    "analysis": (
        "analisis",
        "analysis",
        "analyse",
        "analise",
        "estudio",
        "study",
        "etude",
        "estudo",
        "assessment",
        "diagnostico",
        "diagnostic",
        "evaluacion de riesgos",
        "risk analysis",
        "tendencias",
        "trends",
    ),
    "practice": (
        "buenas practicas",
        "good practice",
        "best practice",
        "lessons learned",
        "lecciones aprendidas",
        "bonnes pratiques",
        "boas praticas",
        "licoes aprendidas",
        "practice note",
        "nota de practica",
        "note de pratique",
        "european practice",
        "practica europea",
        "pratique europeenne",
    ),
}
TITLE_WEIGHT = 4.0
JUNK_TITLE = re.compile(r"^(microsoft word|untitled|sin titulo|documento\d*|document\d*)\b|\.(docx?|pdf|odt)$", re.I)


@dataclass(frozen=True, slots=True)
class DocMeta:
    title: str
    doc_type: str
    date: str | None


def guess_title(doc: RawDocument) -> str:
    if doc.title and doc.title.strip() and not JUNK_TITLE.search(doc.title.strip()) and len(doc.title) < 250:
        return " ".join(doc.title.split())
    for page in doc.pages:
        if page.headings:
            return page.headings[0][1].strip()
        for line in page.text.splitlines():
            line = line.strip().lstrip("#").strip()
            if 3 <= len(line) <= 160 and len(line.split()) <= 20:
                return line
        break
    return Path(doc.path).stem.replace("_", " ").replace("-", " ")


def classify_type(title: str, text: str, lang: str | None = None) -> str:
    t, body = fold(title), fold(text[:2500])
    scores: dict[str, float] = {}
    for doc_type, words in TYPE_KEYWORDS.items():
        s = 0.0
        for w in words:
            pattern = re.compile(rf"\b{re.escape(w.strip())}\b")
            if pattern.search(t):
                s += TITLE_WEIGHT
            s += min(len(pattern.findall(body)), 3)
        if s:
            scores[doc_type] = s
    if not scores:
        return "other"
    return max(scores.items(), key=lambda kv: (kv[1], -list(TYPE_KEYWORDS).index(kv[0])))[0]


def extract_meta(
    doc: RawDocument, lang: str, date_finder: Callable[[str, str | None], str | None] | None = None
) -> DocMeta:
    title = guess_title(doc)
    date = doc.date or (date_finder(doc.text[:3000], lang) if date_finder else None)
    return DocMeta(title, classify_type(title, doc.text, lang), date)
