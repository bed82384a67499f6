"""Entity extraction scored against a hand-annotated gold set (``kb eval --entities``).

The gold file (``corpus/eval/entities/gold.jsonl``, format in its README) holds verbatim excerpts of
document pages with every mention in them: ``surface``, ``start`` (in the excerpt), ``type`` and
``entity`` (a gazetteer id, or ``prefix:Canonical Name`` for an entity the gazetteer lacks). Each
excerpt is found in the stored page text and the knowledge base's mentions inside it are compared:

- entity level, per excerpt: the gold set of ``(type, key)`` against the predicted ``(type, entity)``;
  a gazetteer entity matches the key equal to its id, an entity found by NER matches a non-gazetteer
  key whose name (without a ``(disambiguation)`` suffix) is equal after accent and case folding;
- mention level: a gold mention is found when a predicted mention of the same type overlaps it; a
  PERSON name is *complete* when the predicted surface equals the whole gold surface.

Built on the facade's :meth:`evidence` only (handed the knowledge base as a parameter).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

TYPES = (
    "PERSON",
    "ORG",
    "PLACE",
    "COUNTRY",
    "BORDER_CROSSING",
    "PROGRAMME",
    "LEGAL_INSTRUMENT",
    "CRIME_TYPE",
)
WORST = 15


def fold(text: str) -> str:
    """Lowercase, accents removed, whitespace collapsed: the form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def is_gazetteer_key(key: str) -> bool:
    """Gazetteer ids are lowercase slugs (``org:pnp``); keys made for the gold set carry a name."""
    return re.fullmatch(r"[a-z_]+:[a-z0-9._-]+", key) is not None


def key_name(key: str) -> str:
    """The folded name of a non-gazetteer key: ``person:Marcos Tavares (Oiapoque)`` -> ``marcos tavares``."""
    return fold(re.sub(r"\s*\([^)]*\)\s*$", "", key.split(":", 1)[1]))


def _name_and_note(name: str) -> tuple[str, str | None]:
    """A folded name and its folded ``(disambiguation)`` suffix: "Amazonas (Colombia)" -> ("amazonas", "colombia")."""
    m = re.fullmatch(r"(.*?)\s*\(([^)]*)\)\s*", name)
    return (fold(m.group(1)), fold(m.group(2))) if m else (fold(name), None)


def same_name(entity_name: str, gold_key: str) -> bool:
    """Whether a gazetteer entity's canonical name is the name of a gold key made for an entity the
    gazetteer lacked when the gold set was keyed: the names agree, and so do their ``(…)`` notes where both
    have one ("Amazonas (Colombia)" is not ``place:Amazonas (Brasil)``)."""
    base, note = _name_and_note(entity_name)
    gold_base, gold_note = _name_and_note(gold_key.split(":", 1)[1])
    return base == gold_base and (note is None or gold_note is None or note == gold_note)


def matches(pred: dict[str, Any], gold_type: str, gold_key: str, *, by_name: bool = True) -> bool:
    """Whether a predicted entity is the gold one: same type, and the same id, or the same name for an NER
    entity, or (``by_name``) for a gazetteer entity added after the gold set was keyed (:func:`same_name`)."""
    if pred["type"] != gold_type:
        return False
    if pred["origin"] == "gazetteer":
        if pred["entity_id"] == gold_key:
            return True
        return by_name and not is_gazetteer_key(gold_key) and same_name(pred["name"], gold_key)
    return not is_gazetteer_key(gold_key) and fold(pred["name"]) == key_name(gold_key)


def load_gold(path: Path) -> list[dict[str, Any]]:
    """The excerpts of a gold file, one JSON object a line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def locate(kb: Any, item: dict[str, Any], docs: dict[str, str]) -> tuple[str, int | None, int] | None:
    """``(doc id, page number, offset)`` of an excerpt in the stored pages, or ``None``."""
    doc_id = docs.get(item["doc"])
    if doc_id is None:
        return None
    pages = kb.evidence().pages(doc_id)
    wanted = [p for p in pages if p[0] == item.get("page")] + pages
    for number, text in wanted:
        at = text.find(item["excerpt"])
        if at >= 0:
            return doc_id, number, at
    return None


def precision_recall(right: int, predicted: int, found: int, gold: int) -> dict[str, float | None]:
    """``right`` of ``predicted`` are correct, ``found`` of ``gold`` were found (None where nothing to divide)."""
    return {
        "precision": round(right / predicted, 3) if predicted else None,
        "recall": round(found / gold, 3) if gold else None,
    }


class Tally:
    """Hits, gold and predicted counts under named groups (``all``, a type, a language)."""

    def __init__(self) -> None:
        self.tp: Counter[str] = Counter()
        self.gold: Counter[str] = Counter()
        self.pred: Counter[str] = Counter()

    def add(self, groups: tuple[str, ...], *, tp: int = 0, gold: int = 0, pred: int = 0) -> None:
        for g in groups:
            self.tp[g] += tp
            self.gold[g] += gold
            self.pred[g] += pred

    def row(self, group: str) -> dict[str, Any]:
        tp, gold, pred = self.tp[group], self.gold[group], self.pred[group]
        return {
            "gold": gold,
            "predicted": pred,
            "matched": tp,
            **precision_recall(tp, pred, tp, gold),
        }

    def table(self, langs: list[str]) -> dict[str, Any]:
        present = [t for t in TYPES if self.gold[t] or self.pred[t]]
        return {
            "overall": self.row("all"),
            "by_type": {t: self.row(t) for t in present},
            "by_lang": {lang: self.row(f"lang:{lang}") for lang in langs},
        }


def score_excerpt(
    item: dict[str, Any],
    preds: list[dict[str, Any]],
    ents: Tally,
    ments: Tally,
    state: dict[str, Counter[str]],
    *,
    by_name: bool = True,
) -> None:
    """Add one excerpt's entity- and mention-level counts (``preds`` offsets are in the excerpt)."""
    lang = f"lang:{item['lang']}"
    gold_ents = sorted({(m["type"], m["entity"]) for m in item["mentions"]})
    pred_ents: dict[tuple[str, str], dict[str, Any]] = {}
    for p in preds:
        pred_ents.setdefault((p["type"], p["entity_id"]), p)
    unmatched = dict(pred_ents)
    for gtype, gkey in gold_ents:
        hit = next((k for k, p in unmatched.items() if matches(p, gtype, gkey, by_name=by_name)), None)
        ents.add(("all", gtype, lang), gold=1, tp=int(hit is not None))
        if hit is None:
            state["missed"][f"{gtype}\t{gkey}"] += 1
        else:
            del unmatched[hit]
    for ptype, _ in pred_ents:
        ents.add(("all", ptype, lang), pred=1)
    for (ptype, _), p in unmatched.items():
        state["spurious"][f"{ptype}\t{p['name']}\t{p['origin']}"] += 1
    for g in item["mentions"]:
        g_end = g["start"] + len(g["surface"])
        found = [p for p in preds if p["type"] == g["type"] and p["start"] < g_end and p["end"] > g["start"]]
        ments.add(("all", g["type"], lang), gold=1, tp=int(bool(found)))
        if g["type"] == "PERSON":
            complete = any(" ".join(p["surface"].split()) == " ".join(g["surface"].split()) for p in found)
            state["person"]["gold"] += 1
            state["person"]["found"] += int(bool(found))
            state["person"]["complete"] += int(complete)
    for p in preds:
        overlaps = any(
            g["type"] == p["type"] and g["start"] < p["end"] and g["start"] + len(g["surface"]) > p["start"]
            for g in item["mentions"]
        )
        ments.add(("all", p["type"], lang), pred=1)
        ments.tp[f"_p:{p['type']}"] += int(overlaps)
        ments.tp[f"_p:{lang}"] += int(overlaps)
        ments.tp["_p:all"] += int(overlaps)


def mention_table(ments: Tally, langs: list[str]) -> dict[str, Any]:
    """Mention-level figures: recall over gold mentions, precision over predicted mentions."""

    def row(group: str) -> dict[str, Any]:
        gold, pred = ments.gold[group], ments.pred[group]
        found, right = ments.tp[group], ments.tp[f"_p:{group}"]
        return {
            "gold": gold,
            "predicted": pred,
            "found": found,
            **precision_recall(right, pred, found, gold),
        }

    present = [t for t in TYPES if ments.gold[t] or ments.pred[t]]
    return {
        "overall": row("all"),
        "by_type": {t: row(t) for t in present},
        "by_lang": {lang: row(f"lang:{lang}") for lang in langs},
    }


def run_entity_eval(kb: Any, gold_path: Path, *, by_name: bool = True) -> dict[str, Any]:
    """Entity- and mention-level precision and recall of ``kb`` on the gold excerpts at ``gold_path``
    (``by_name=False``: a gazetteer entity matches only a key equal to its id, the first round's rule)."""
    gold = load_gold(gold_path)
    evidence = kb.evidence()
    docs = {Path(source).name: doc_id for doc_id, source, _ in evidence.document_list()}
    ents, ments = Tally(), Tally()
    state: dict[str, Counter[str]] = {"missed": Counter(), "spurious": Counter(), "person": Counter()}
    unlocated: list[str] = []
    mention_cache: dict[str, list[dict[str, Any]]] = {}
    for item in gold:
        where = locate(kb, item, docs)
        if where is None:
            unlocated.append(f"{item['doc']} p.{item.get('page')}: {item['excerpt'][:60]}")
            continue
        doc_id, page, at = where
        if doc_id not in mention_cache:
            mention_cache[doc_id] = evidence.page_mentions(doc_id)
        end = at + len(item["excerpt"])
        preds = [
            m | {"start": m["start"] - at, "end": m["end"] - at}
            for m in mention_cache[doc_id]
            if m["page"] == page and m["start"] >= at and m["end"] <= end
        ]
        score_excerpt(item, preds, ents, ments, state, by_name=by_name)
    langs = sorted({item["lang"] for item in gold})
    person = state["person"]
    return {
        "gold": str(gold_path),
        "excerpts": len(gold),
        "located": len(gold) - len(unlocated),
        "gazetteer_by_name": by_name,
        "unlocated": unlocated,
        "entities": ents.table(langs),
        "mentions": mention_table(ments, langs),
        "person_names": {
            "gold_mentions": person["gold"],
            "found": person["found"],
            "complete": person["complete"],
            "complete_rate": round(person["complete"] / person["gold"], 3) if person["gold"] else None,
            "complete_of_found": round(person["complete"] / person["found"], 3) if person["found"] else None,
        },
        "worst_missed": [
            {"type": k.split("\t")[0], "entity": k.split("\t")[1], "excerpts": n}
            for k, n in state["missed"].most_common(WORST)
        ],
        "worst_spurious": [
            {"type": k.split("\t")[0], "name": k.split("\t")[1], "origin": k.split("\t")[2], "excerpts": n}
            for k, n in state["spurious"].most_common(WORST)
        ],
    }


def _pr_rows(title: str, table: dict[str, Any], found_key: str) -> list[str]:
    lines = [f"{title:18} {'gold':>6} {'pred':>6} {'hit':>6} {'P':>6} {'R':>6}"]

    def line(name: str, r: dict[str, Any]) -> str:
        p = "-" if r["precision"] is None else f"{r['precision']:.3f}"
        rec = "-" if r["recall"] is None else f"{r['recall']:.3f}"
        return f"{name:18} {r['gold']:>6} {r['predicted']:>6} {r[found_key]:>6} {p:>6} {rec:>6}"

    lines.append(line("all (micro)", table["overall"]))
    lines += [line(t, r) for t, r in table["by_type"].items()]
    lines += [line(f"lang {lang}", r) for lang, r in table["by_lang"].items()]
    return lines


def format_entity_table(result: dict[str, Any]) -> str:
    """An entity evaluation (:func:`run_entity_eval`) as the text ``kb eval --entities`` prints."""
    out = [f"gold: {result['gold']}  excerpts located {result['located']}/{result['excerpts']}"]
    if not result.get("gazetteer_by_name", True):
        out.append("gazetteer entities matched by id only (--ids-only)")
    out += [f"  not found in the knowledge base: {u}" for u in result["unlocated"]]
    out += ["", "Canonical entities (per excerpt)"] + _pr_rows("", result["entities"], "matched")
    out += ["", "Mentions (overlap, same type; P over predicted mentions)"]
    out += _pr_rows("", result["mentions"], "found")
    pn = result["person_names"]
    out += [
        "",
        f"Person names complete: {pn['complete']}/{pn['gold_mentions']} gold PERSON mentions "
        f"({pn['complete_rate']}); {pn['complete_of_found']} of the {pn['found']} found",
        "",
        f"Worst misses (gold entities missed in most excerpts, top {WORST})",
    ]
    out += [f"  {m['excerpts']:>3}  {m['type']:17} {m['entity']}" for m in result["worst_missed"]]
    out += ["", f"Worst spurious (predicted entities not in the gold set, top {WORST})"]
    out += [f"  {m['excerpts']:>3}  {m['type']:17} {m['name']}  ({m['origin']})" for m in result["worst_spurious"]]
    return "\n".join(out)
