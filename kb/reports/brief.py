"""The visit brief: everything the knowledge base knows about a crossing, place, institution or country.

Extractive only: sections list documents, entities and verbatim sentences, each cited to the
page that contains it. Nothing is paraphrased or generated. Built on the ``KnowledgeBase`` facade
only (its ``entity``, ``search`` and ``evidence``), passed in as ``kb``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from kb.reports.model import Citation, Line, Report, Section
from kb.types import KBError

Facade = Any  # the KnowledgeBase, passed in: a report never imports kb.service (it sits above it)

VISIT_TYPES = ("report", "minutes", "training", "news")
INSTRUMENT_TYPES = ("agreement", "protocol")


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that contains the span (verbatim, whitespace collapsed)."""
    from ingest.sentences import split_spans

    for s, e in split_spans(text):
        if s <= start < e:
            return " ".join(text[s:e].split())
    return " ".join(text[max(0, start - 80) : end + 80].split())


def cite(kb: Facade, doc: Any, quote: str | None, hint_page: int | None) -> Citation:
    """A citation whose page really contains ``quote`` (searched from the hint page on)."""
    page = hint_page
    if quote:
        needle = " ".join(quote.split())
        rows = kb.evidence().pages(doc["id"])
        ordered = sorted(rows, key=lambda r: (r[0] != hint_page, r[0] or 0))
        for number, text in ordered:
            if needle in " ".join(text.split()):
                page = number
                break
    return Citation(doc["id"], doc["title"] or "", doc["source"], page, doc["lang"] or "und")


def _first_mention(kb: Facade, doc_id: str, entity_id: str) -> tuple[str, int | None] | None:
    found = kb.evidence().first_mention(doc_id, entity_id)
    if found is None:
        return None
    text, page, start, end = found
    return sentence_at(text, start, end), page


def build_brief(kb: Facade, target: str, *, max_items: int = 12) -> Report:
    """Brief for a crossing, place, institution or country (any alias, any language)."""
    entity = kb.entity(target)
    if entity is None:
        raise KBError(f"nothing in the knowledge base mentions {target!r}; try another name or `kb entities`")
    eid = entity["id"]
    doc_rows = entity["documents"]
    docs = kb.evidence().documents([d["id"] for d in doc_rows])
    mentions_in = {d["id"]: d["mentions"] for d in doc_rows}
    sections = [
        _overview(kb, entity, docs),
        _chronology(kb, eid, docs),
        _instruments(kb, eid, docs),
        _people(kb, docs, max_items * 2),
        _problems(kb, docs, max_items),
        _actions(kb, docs, max_items),
        _european_practices(kb, docs, max_items=5),
        _read_first(kb, eid, docs, mentions_in),
        _team_notes(kb, docs, max_items * 2),
    ]
    countries = ", ".join(entity.get("countries") or []) or "—"
    subtitle = f"{entity['type'].replace('_', ' ').lower()} · {countries} · {len(docs)} documents in the knowledge base"
    return Report(f"Visit brief: {entity['name']}", subtitle, tuple(sections))


def _co_entities(kb: Facade, docs: dict[str, Any], types: tuple[str, ...]) -> list[tuple[str, str, str, int]]:
    result: list[tuple[str, str, str, int]] = kb.evidence().co_entities(list(docs), types)
    return result


def _cited_entity_line(kb: Facade, docs: dict[str, Any], eid: str, text: str) -> Line:
    for doc_id, doc in docs.items():
        found = _first_mention(kb, doc_id, eid)
        if found:
            quote, page = found
            return Line(text, cite(kb, doc, quote, page), quote, doc["lang"])
    return Line(text, None)


def _overview(kb: Facade, entity: dict[str, Any], docs: dict[str, Any]) -> Section:
    lines = []
    if entity.get("lat") is not None:
        lines.append(Line(f"{entity['name']} — coordinates {entity['lat']:.4f}, {entity['lon']:.4f}", None))
    if entity.get("aliases"):
        lines.append(Line("Also written: " + "; ".join(entity["aliases"][:10]), None))
    for kind, label in (("ORG", "Institution present"), ("PROGRAMME", "Programme active"), ("COUNTRY", "Country")):
        for oid, name, _t, n in _co_entities(kb, docs, (kind,))[:8]:
            if oid != entity["id"]:
                lines.append(_cited_entity_line(kb, docs, oid, f"{label}: {name} ({n} documents)"))
    return Section("Overview", tuple(lines))


def _first_mention_line(kb: Facade, eid: str, doc: dict[str, Any], text: str) -> Line:
    """A line about ``doc``, quoting and citing where it first mentions the entity (when it does)."""
    found = _first_mention(kb, doc["id"], eid)
    quote, page = found if found else (None, None)
    return Line(text, cite(kb, doc, quote, page), quote, doc["lang"])


def _chronology(kb: Facade, eid: str, docs: dict[str, Any]) -> Section:
    visits = sorted(
        (d for d in docs.values() if d["doc_type"] in VISIT_TYPES),
        key=lambda d: (d["date"] or "9999", d["title"] or ""),
    )
    lines = [
        _first_mention_line(kb, eid, d, f"{d['date'] or 'undated'} — {d['title']} ({d['doc_type']})") for d in visits
    ]
    return Section("Previous visits and meetings", tuple(lines), "No visit report or minutes mention it yet.")


def _instruments(kb: Facade, eid: str, docs: dict[str, Any]) -> Section:
    rows = sorted(
        (d for d in docs.values() if d["doc_type"] in INSTRUMENT_TYPES), key=lambda d: d["date"] or "", reverse=True
    )
    lines = [_first_mention_line(kb, eid, d, f"{d['title']} ({d['doc_type']}, {d['date'] or 'undated'})") for d in rows]
    return Section(
        "Agreements and protocols", tuple(lines), "No agreement or protocol in the knowledge base concerns it."
    )


def _people(kb: Facade, docs: dict[str, Any], limit: int) -> Section:
    if not docs:
        return Section("People met and their roles", ())
    rows = kb.evidence().affiliations(list(docs))
    lines, seen = [], set()
    for r in rows:
        if r["person_id"] in seen:
            continue
        seen.add(r["person_id"])
        role = ", ".join(x for x in (r["role"], r["org"]) if x)
        doc = docs[r["doc_id"]]
        lines.append(
            Line(f"{r['person']} — {role}", cite(kb, doc, r["sentence"], r["page"]), r["sentence"], doc["lang"])
        )
        if len(lines) >= limit:
            break
    return Section("People met and their roles", tuple(lines), "No named person with a stated role was found.")


def _problems(kb: Facade, docs: dict[str, Any], limit: int) -> Section:
    if not docs:
        return Section("Recurring problems", ())
    years = [int(d["date"][:4]) for d in docs.values() if d["date"]]
    latest = max(years) if years else 0
    score: dict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()
    names: dict[str, str] = {}
    where: dict[str, list[str]] = defaultdict(list)
    for eid, name, doc_id in kb.evidence().mentions_of_type(list(docs), "CRIME_TYPE"):
        date = docs[doc_id]["date"]
        age = latest - int(date[:4]) if date and latest else 3
        score[eid] += 1.0 / (1.0 + max(age, 0) / 2.0)  # recent mentions weigh more
        count[eid] += 1
        names[eid] = name
        if doc_id not in where[eid]:
            where[eid].append(doc_id)
    lines = []
    for cid, _ in sorted(score.items(), key=lambda kv: -kv[1])[:limit]:
        sub = {d: docs[d] for d in sorted(where[cid], key=lambda d: docs[d]["date"] or "", reverse=True)}
        text = f"{names[cid]} — {count[cid]} mentions in {len(sub)} documents"
        lines.append(_cited_entity_line(kb, sub, cid, text))
    return Section("Recurring problems", tuple(lines), "No crime type is mentioned in these documents.")


def _actions(kb: Facade, docs: dict[str, Any], limit: int) -> Section:
    if not docs:
        return Section("Open action items", ())
    rows = kb.evidence().action_items(list(docs))
    lines = []
    for r in rows[: limit * 2]:
        doc = docs[r["doc_id"]]
        extra = "; ".join(
            x for x in (r["owner"] and f"owner: {r['owner']}", r["deadline"] and f"by {r['deadline']}") if x
        )
        head = f"{r['heading']} — {doc['title']} ({doc['date'] or 'undated'})" + (f"; {extra}" if extra else "")
        lines.append(Line(head, cite(kb, doc, r["text"], r["page"]), r["text"], doc["lang"]))
    return Section("Open action items", tuple(lines[: limit * 2]), "No minutes or visit record lists action items.")


def _european_practices(kb: Facade, docs: dict[str, Any], max_items: int) -> Section:
    problems = [ln.text.split(" — ")[0] for ln in _problems(kb, docs, 3).lines]
    query = " ".join(problems) + " cross-border cooperation" if problems else "cross-border police cooperation"
    results = kb.search(query, k=max_items * 3, filters={"region": ["europe"]}, per_doc=1)
    picked = mmr([r.best for r in results], max_items)
    lines = []
    for hit in picked:
        doc = {"id": hit.doc_id, "title": hit.title, "source": hit.source, "lang": hit.lang}
        quote = " ".join(hit.text.split())
        quote = quote[:400] + ("…" if len(quote) > 400 else "")
        lines.append(Line(hit.title, cite(kb, doc, None, hit.page), quote, hit.lang))
    return Section(
        "Comparable European practices",
        tuple(lines),
        f"No European practice document matches: {query!r}.",
    )


def mmr(hits: list[Any], k: int, lam: float = 0.7) -> list[Any]:
    """Maximal marginal relevance over passage texts: near-duplicates are shown once."""
    from rapidfuzz import fuzz

    chosen: list[Any] = []
    pool = list(hits)
    top = max((h.score for h in pool), default=1.0) or 1.0
    while pool and len(chosen) < k:

        def gain(h: Any) -> float:
            sim = max((fuzz.token_set_ratio(h.text, c.text) / 100 for c in chosen), default=0.0)
            return lam * h.score / top - (1 - lam) * sim

        best = max(pool, key=gain)
        pool.remove(best)
        if all(fuzz.token_set_ratio(best.text, c.text) < 90 for c in chosen):
            chosen.append(best)
    return chosen


def _read_first(kb: Facade, eid: str, docs: dict[str, Any], mentions: dict[str, int]) -> Section:
    weight = {"report": 1.5, "agreement": 1.4, "protocol": 1.3, "minutes": 1.2}
    ranked = sorted(
        docs.values(),
        key=lambda d: (-(mentions.get(d["id"], 0) * weight.get(d["doc_type"], 1.0)), -(int((d["date"] or "0")[:4]))),
    )
    lines = []
    for d in ranked[:8]:
        found = _first_mention(kb, d["id"], eid)
        page = found[1] if found else None
        lines.append(
            Line(
                f"{d['title']} ({d['doc_type']}, {d['lang']}, {d['date'] or 'undated'}; "
                f"{mentions.get(d['id'], 0)} mentions)",
                cite(kb, d, found[0] if found else None, page),
            )
        )
    return Section("Documents to read first", tuple(lines))


def _team_notes(kb: Facade, docs: dict[str, Any], limit: int) -> Section:
    """What colleagues noted on these documents (newest first), with author and date, cited to the page."""
    notes = sorted(kb.notes_for(list(docs)), key=lambda n: n["id"], reverse=True)[:limit]
    lines = []
    for n in notes:
        doc = docs[n["doc_id"]]
        text = f"{n['author']}, {n['created'][:10]}: {n['text']}"
        cited = Citation(doc["id"], doc["title"] or "", doc["source"], n["page"], doc["lang"] or "und")
        lines.append(Line(text, cited, n["quote"] or None, doc["lang"] if n["quote"] else None))
    return Section("Team notes", tuple(lines), "Nobody has written a note on these documents yet.")
