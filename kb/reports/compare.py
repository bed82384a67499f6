"""Practice comparison: the best passages on a topic, Europe beside Latin America.

And clause alignment of two documents: for each clause of one, the most similar clause of the
other across languages, with the similarity, and the clauses left unmatched.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kb.reports.model import Citation, Line, Report, Section
from kb.types import KBError

Facade = Any  # the KnowledgeBase, passed in: a report never imports kb.service (it sits above it)

REGIONS = (("europe", "Europe"), ("latam", "Latin America"))


@dataclass(frozen=True, slots=True)
class Group:
    region: str
    place: str  # country or crossing name
    summary: str  # key entities and document types
    lines: tuple[Line, ...]


def compare_practices(kb: Facade, topic: str, *, per_region: int = 8) -> dict[str, list[Group]]:
    """``{"europe": [groups], "latam": [groups]}``, groups ordered by their best passage."""
    out: dict[str, list[Group]] = {}
    for region, _label in REGIONS:
        results = kb.search(topic, k=per_region, filters={"region": [region]}, per_doc=2)
        groups: dict[str, list[Any]] = {}
        for res in results:
            doc = kb.document(res.doc_id) or {}
            place = _place_name(kb, doc, region)
            groups.setdefault(place, []).extend(res.hits)
        out[region] = [_group(kb, region, place, hits) for place, hits in groups.items()]
    return out


def _place_name(kb: Facade, doc: dict[str, Any], region: str) -> str:
    """The crossing (Latin America) or country of the region that the document is most about."""
    keys = ("countries",) if region == "europe" else ("crossings", "countries")
    for key in keys:
        for value in doc.get(key) or []:
            ent = kb.gazetteer.get(value) if ":" in value else kb.gazetteer.get(f"country:{value.lower()}")
            if ent is not None and (ent.region == region or key == "crossings"):
                return str(ent.name)
    return "General"


def _group(kb: Facade, region: str, place: str, hits: list[Any]) -> Group:
    ents: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for h in hits:
        types[h.doc_type] += 1
        ents.update(e.name for e in h.entities if e.type in ("ORG", "PROGRAMME", "CRIME_TYPE", "LEGAL_INSTRUMENT"))
    summary = "; ".join(
        x
        for x in (
            ", ".join(n for n, _ in ents.most_common(5)),
            ", ".join(f"{n} {t}" for t, n in types.most_common()),
        )
        if x
    )
    lines = tuple(
        Line(
            h.title,
            Citation(h.doc_id, h.title, h.source, h.page, h.lang),
            " ".join(h.snippet.split()),
            h.lang,
        )
        for h in hits
    )
    return Group(region, place, summary, lines)


def comparison_report(topic: str, groups: dict[str, list[Group]]) -> Report:
    sections = []
    for region, label in REGIONS:
        for g in groups.get(region, []):
            sections.append(Section(f"{label} — {g.place}", g.lines, note=g.summary))
        if not groups.get(region):
            sections.append(Section(label, (), f"No {label} passage on this topic."))
    return Report(f"Practice comparison: {topic}", "Europe and Latin America, side by side", tuple(sections))


CLAUSE = re.compile(
    r"^\s*(?:#+\s*)?(?:art[ií]culo|article|artigo|art\.|cl[aá]usula|clause|cláusula|section|secci[oó]n)\s+"
    r"(?:\d+|[IVXLC]+|[a-z]+)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+\S", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Clause:
    label: str
    text: str
    page: int | None


def split_clauses(pages: list[dict[str, Any]]) -> list[Clause]:
    """Articles ("Artículo 3", "Article 3", "Artigo 3"), else numbered paragraphs, else paragraphs."""
    for pattern in (CLAUSE, NUMBERED):
        clauses: list[Clause] = []
        for page in pages:
            text = page["text"]
            starts = [m.start() for m in pattern.finditer(text)]
            if clauses and starts and starts[0] > 0:
                prev = clauses[-1]
                clauses[-1] = Clause(prev.label, prev.text + "\n" + text[: starts[0]], prev.page)
            for i, s in enumerate(starts):
                e = starts[i + 1] if i + 1 < len(starts) else len(text)
                body = text[s:e].strip()
                clauses.append(Clause(body.splitlines()[0][:80], body, page["number"]))
        if len(clauses) >= 2:
            return clauses
    paras = [
        Clause(p.strip().splitlines()[0][:80], p.strip(), page["number"])
        for page in pages
        for p in re.split(r"\n\s*\n", page["text"])
        if len(p.split()) >= 8
    ]
    return paras


@dataclass(frozen=True, slots=True)
class Alignment:
    pairs: tuple[tuple[Clause, Clause, float], ...]
    unmatched_a: tuple[Clause, ...]
    unmatched_b: tuple[Clause, ...]


def align_documents(kb: Facade, doc_a: str, doc_b: str, *, threshold: float = 0.80) -> Alignment:
    a, b = kb.document(doc_a), kb.document(doc_b)
    if a is None or b is None:
        raise KBError(f"no document {doc_a if a is None else doc_b!r}")
    ca, cb = split_clauses(a["pages"]), split_clauses(b["pages"])
    if not ca or not cb:
        return Alignment((), tuple(ca), tuple(cb))
    va = kb.query_embedder.embed([c.text[:1500] for c in ca], "passage")
    vb = kb.query_embedder.embed([c.text[:1500] for c in cb], "passage")
    sim = va @ vb.T
    best_b = sim.argmax(axis=1)
    pairs, used_b = [], set()
    for i, j in enumerate(best_b):
        s = float(sim[i, j])
        if s >= threshold:
            pairs.append((ca[i], cb[int(j)], round(s, 3)))
            used_b.add(int(j))
    unmatched_a = tuple(ca[i] for i in range(len(ca)) if float(sim[i, best_b[i]]) < threshold)
    unmatched_b = tuple(cb[j] for j in range(len(cb)) if j not in used_b)
    return Alignment(tuple(pairs), unmatched_a, unmatched_b)


def alignment_report(kb: Facade, doc_a: str, doc_b: str, al: Alignment) -> Report:
    a, b = kb.document(doc_a) or {}, kb.document(doc_b) or {}

    def cit(doc: dict[str, Any], c: Clause) -> Citation:
        return Citation(doc["doc_id"], doc["title"], doc["source"], c.page, doc["lang"])

    paired = tuple(
        Line(
            f"{x.label}  ⇄  {y.label}  (similarity {s:.2f}; other side: {cit(b, y).label()})",
            cit(a, x),
            " ".join(y.text.split())[:400],
            b.get("lang"),
        )
        for x, y, s in al.pairs
    )
    only_a = tuple(Line(c.label, cit(a, c)) for c in al.unmatched_a)
    only_b = tuple(Line(c.label, cit(b, c)) for c in al.unmatched_b)
    return Report(
        f"Clause by clause: {a.get('title')} ⇄ {b.get('title')}",
        f"{len(al.pairs)} matched clauses",
        (
            Section("Matched clauses", paired),
            Section(f"Only in {a.get('title')}", only_a, "Every clause has a match."),
            Section(f"Only in {b.get('title')}", only_b, "Every clause has a match."),
        ),
    )
