"""Document metadata by rules: title, type and date, in the four languages.

The type rules are data: per type, *genre* words that name the kind of document ("acta",
"press release", "rapport") and *markers* that betray it in the body ("the parties",
"asistentes", "shall enter into force"). Every type is scored (a genre word in the title
weighs most, then in the opening lines, then in the body) and the best wins, so "Rapport de
formation" is training, not report, and a news item that mentions an agreement stays news.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.types import DOC_TYPES, RawDocument

#: Genre words and body markers per type, written folded (lower case, no accents). The order
#: breaks ties: a specific genre ("training") beats the generic "report" it is often called.
# fmt: off
TYPE_RULES: dict[str, dict[str, tuple[str, ...]]] = {
    "training": {
        "genre": ("taller", "workshop", "capacitacion", "formacao", "formation", "curso", "course",
                  "training", "seminario", "seminar", "atelier", "oficina de capacitacao", "treinamento"),
        "markers": ("participants trained", "capacitados", "formados", "formes", "trainees", "modulo",
                    "module", "ejercicio practico", "practical exercise", "exercice pratique",
                    "evaluacion final", "pre-test", "post-test", "instructores", "trainers", "formateurs"),
    },
    "minutes": {
        "genre": ("acta", "actas", "minutes", "ata", "proces-verbal", "compte rendu", "compte-rendu",
                  "acta de reunion", "ayuda memoria"),
        "markers": ("asistentes", "attendees", "participantes", "participants", "presentes",
                    "orden del dia", "agenda", "ordre du jour", "pauta", "encaminhamentos", "action items",
                    "suites a donner", "acuerdos adoptados", "decisions", "se levanta la sesion",
                    "next meeting", "proxima reunion", "prochaine reunion", "proxima reuniao"),
    },
    "news": {
        "genre": ("nota de prensa", "press release", "comunicado", "comunicado de prensa", "communique",
                  "communique de presse", "noticia", "noticias", "news", "actualite", "actualites",
                  "boletin", "nota a imprensa"),
        "markers": ("periodistas", "journalists", "journalistes", "jornalistas", "said", "dijo", "declaro",
                    "afirmo", "disse", "afirmou", "a declare", "a indique", "segundo a", "according to",
                    "related news", "noticias relacionadas"),
    },
    "protocol": {
        "genre": ("protocolo", "protocol", "protocole", "procedimiento operativo",
                  "procedimento operacional", "standard operating procedure", "sop", "pon", "pop",
                  "procedure operationnelle", "procedimiento", "procedure", "procedimento", "instructivo",
                  "guia operativa"),
        "markers": ("paso 1", "step 1", "etape 1", "etapa 1", "flujograma", "flowchart", "fluxograma",
                    "derivacion", "referral", "encaminhamento", "ambito de aplicacion", "scope",
                    "champ d'application", "ambito de aplicacao"),
    },
    "practice": {
        "genre": ("buenas practicas", "good practice", "good practices", "best practice", "best practices",
                  "lessons learned", "lecciones aprendidas", "bonnes pratiques", "boas praticas",
                  "licoes aprendidas", "practice note", "note de pratique", "nota de practica",
                  "nota de pratica", "nota tecnica", "technical note", "note technique", "briefing note",
                  "practical guide", "guia practica", "guide pratique", "guia pratico", "lessons for",
                  "lecciones para", "licoes para", "lecons pour"),
        "markers": ("estados miembros", "member states", "etats membres", "estados-membros", "schengen",
                    "modelo europeo", "european model", "modele europeen", "modelo europeu", "lessons for",
                    "lecciones para", "licoes para", "lecons pour", "transferable", "replicable",
                    "replicar", "transposable"),
    },
    "agreement": {
        "genre": ("acuerdo", "convenio", "memorando de entendimiento", "memorandum of understanding",
                  "memorandum de entendimento", "agreement", "mou", "accord", "acordo", "tratado",
                  "treaty", "convention", "convencion", "convencao", "carta de intencion",
                  "letter of intent"),
        "markers": ("articulo 1", "articulo primero", "article 1", "article premier", "artigo 1",
                    "artigo primeiro", "las partes", "the parties", "les parties", "as partes",
                    "entrara en vigor", "shall enter into force", "entrera en vigueur", "entrara em vigor",
                    "hereinafter", "en adelante", "ci-apres", "doravante", "clausula", "clause"),
    },
    "analysis": {
        "genre": ("analisis", "analysis", "analyse", "analise", "estudio", "study", "etude", "estudo",
                  "assessment", "diagnostico", "diagnostic", "evaluacion de riesgos", "risk analysis",
                  "evaluation des risques", "avaliacao de risco"),
        "markers": ("metodologia", "methodology", "methodologie", "tendencias", "trends", "tendances",
                    "fuentes", "sources", "fontes", "rutas", "routes", "rotas", "modus operandi",
                    "factores de riesgo", "risk factors", "facteurs de risque", "fatores de risco"),
    },
    "report": {
        "genre": ("informe", "report", "relatorio", "rapport", "visita tecnica", "technical visit",
                  "visite technique", "mission report", "informe de mision", "rapport de mission", "memo",
                  "internal memo", "nota interna", "oficio", "bilan", "follow-up note", "nota de seguimiento",
                  "nota de acompanhamento", "note de suivi"),
        "markers": ("hallazgos", "findings", "constatations", "constatacoes", "recomendaciones",
                    "recommendations", "recommandations", "recomendacoes", "conclusiones", "conclusions",
                    "conclusoes", "objetivo de la visita", "purpose of the visit", "objet de la mission",
                    "objetivo da visita", "after the visit", "following the visit", "tras la visita",
                    "despues de la visita", "apres la visite", "a la suite de la visite", "apos a visita"),
    },
}
# fmt: on
#: Patterns over the folded opening lines, with the type they point to and their weight: a
#: news dateline ("Madrid, 7 de febrero de 2024." / "Lima, March 12, 2024 -") is a strong sign.
LEAD_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    (
        "news",
        re.compile(
            r"^\W*[a-z][a-z .'\-]{1,40}, (?:\d{1,2}(?:er|o)? (?:de )?[a-z]+,? (?:de )?\d{4}|[a-z]+ \d{1,2},? \d{4})"
            r"\W*(?:\.|-|\u2013|\u2014)",
            re.M,
        ),
        3.0,
    ),
    (
        # "Protocole de coopération ... entre la PAF et la Polícia Federal": a bilateral instrument
        # between parties, not an operating procedure, whatever its genre word.
        "agreement",
        re.compile(
            r"\b(?:protocol[oe]?|memorand(?:o|um)|carta) (?:de |of |on )?(?:cooperacion|cooperation|cooperacao)\b"
            r"[^.]{0,160}?\b(?:entre|between)\b"
        ),
        8.0,
    ),
)
#: A document that names its own genre ("This note was prepared...", "La présente analyse s'appuie...",
#: "El presente informe...") says what it is more reliably than any keyword count: determiner + genre noun.
_SELF = r"(?:this|the present|el presente|la presente|este|esta|le present|la presente|cette|ce|o presente|a presente)"
SELF_REFERENCE: dict[str, re.Pattern[str]] = {
    doc_type: re.compile(rf"(?<!\w){_SELF} (?:{nouns})(?!\w)")
    for doc_type, nouns in {
        "practice": "note|nota|briefing|guide|guia",
        "analysis": "paper|analysis|analisis|analyse|analise|study|estudio|etude|estudo",
        "report": "report|informe|rapport|relatorio|memo|memorando",
        "protocol": "protocol|protocolo|protocole|procedure|procedimiento|procedimento",
        "agreement": "agreement|acuerdo|accord|acordo|convenio|memorandum",
    }.items()
}
SELF_WEIGHT = 3.0
TITLE_WEIGHT = {"report": 3.0}  # default 4: "report" is the generic name many specific genres take
LEAD_WEIGHT = 2.0  # a genre word in the first lines ("NOTA DE PRENSA", "ACTA N.º 3")
LEAD_CHARS = 300
BODY_CHARS = 2000
MIN_SCORE = 2.0  # below this, "other"
JUNK_TITLE = re.compile(
    r"^(microsoft (word|powerpoint|excel)\b|untitled|sin t[ií]tulo|sans titre|sem t[ií]tulo|documento?\s*\d*$"
    r"|presentaci[oó]n de powerpoint|powerpoint presentation|diapositiva \d|slide \d|title$|t[ií]tulo$)"
    r"|\.(docx?|pdf|odt|rtf|pptx?|xlsx?|html?|txt|md)$|^[\w\-. ]+\.(tmp|indd|qxd)$",
    re.I,
)


def fold(text: str) -> str:
    """Lower-case and drop accents, so "Análisis" and "ANALISIS" match the same rule."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _compile(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?!\w)")


_GENRE = {t: _compile(r["genre"]) for t, r in TYPE_RULES.items()}
_MARKERS = {t: _compile(r["markers"]) for t, r in TYPE_RULES.items()}
assert set(TYPE_RULES) <= set(DOC_TYPES)


@dataclass(frozen=True, slots=True)
class DocMeta:
    """What the search results and facets show about a document."""

    title: str
    doc_type: str
    date: str | None


def _meaningful(title: str | None) -> bool:
    if not title:
        return False
    t = " ".join(title.split())
    return 3 <= len(t) <= 250 and any(c.isalpha() for c in t) and not JUNK_TITLE.search(t)


def guess_title(doc: RawDocument) -> str:
    """The metadata title if it means something, else the first heading, else the first short line.

    Authoring tools fill the title field with "Microsoft Word - informe.docx" or "Untitled",
    so those are ignored. The file stem is the last resort.
    """
    if doc.title and _meaningful(doc.title):
        return " ".join(doc.title.split())
    for page in doc.pages:
        for _, heading in page.headings:
            if _meaningful(heading):
                return " ".join(heading.split())
        for line in page.text.splitlines():
            line = line.strip().lstrip("#").strip()
            if _meaningful(line) and len(line) <= 160 and len(line.split()) <= 20:
                return line
        if page.text.strip():
            break  # the title is on the first page with text or nowhere
    return Path(doc.path).stem.replace("_", " ").replace("-", " ")


def type_scores(title: str, text: str) -> dict[str, float]:
    """Score every type; exposed for tests and for tuning the rules."""
    t, lead, body = fold(title), fold(text[:LEAD_CHARS]), fold(text[:BODY_CHARS])
    scores: dict[str, float] = {}
    for doc_type in TYPE_RULES:
        genre, markers = _GENRE[doc_type], _MARKERS[doc_type]
        s = TITLE_WEIGHT.get(doc_type, 4.0) if genre.search(t) else 0.0
        s += LEAD_WEIGHT if genre.search(lead) else 0.0
        s += 0.5 * min(len(genre.findall(body)), 4)
        s += min(len(set(markers.findall(body))), 4)
        scores[doc_type] = s
    for doc_type, pattern in SELF_REFERENCE.items():
        if pattern.search(body):
            scores[doc_type] += SELF_WEIGHT
    for doc_type, pattern, weight in LEAD_PATTERNS:
        if pattern.search(lead):
            scores[doc_type] += weight
    return scores


def classify_type(title: str, text: str, lang: str | None = None) -> str:
    """One of :data:`ingest.types.DOC_TYPES`, by the keyword rules over the title and the first ~2000 characters.

    ``lang`` is accepted for the pipeline's signature; the rules hold all four languages at
    once, because titles and bodies are often in different ones.
    """
    scores = type_scores(title, text)
    best = max(scores, key=lambda k: scores[k])  # the first of equals: TYPE_RULES order
    return best if scores[best] >= MIN_SCORE else "other"


def extract_meta(
    doc: RawDocument, lang: str, date_finder: Callable[[str, str | None], str | None] | None = None
) -> DocMeta:
    """Title, type and date of a document.

    The date is the file's own metadata date when present, else whatever ``date_finder``
    (e.g. :func:`ingest.dates.document_date`) finds in the opening text, else None.
    """
    title = guess_title(doc)
    date = doc.date or (date_finder(doc.text[:3000], lang) if date_finder else None)
    return DocMeta(title, classify_type(title, doc.text, lang), date)
