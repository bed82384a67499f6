"""The domain gazetteer: canonical entities with aliases and acronyms in es/en/pt/fr.

The entities live in ``ingest/data/gazetteer.jsonl`` (data, not code): countries, border
crossings with coordinates, police / migration / customs / prosecution bodies, EU agencies,
implementers, programmes, crime types and legal instruments. Matching is case- and
accent-insensitive, except for the acronyms listed as ``case_sensitive`` (so "CAN" the Andean
Community never matches the English word "can").
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kb.types import ENTITY_TYPES, Entity

DEFAULT_PATH = Path(__file__).parent / "data" / "gazetteer.jsonl"


def fold_same_length(text: str) -> str:
    """Lower-case and strip accents without changing the length, so offsets map back 1:1."""
    out = []
    for ch in text:
        f = "".join(c for c in unicodedata.normalize("NFKD", ch.lower()) if not unicodedata.combining(c))
        out.append(f if len(f) == 1 else (ch.lower() if len(ch.lower()) == 1 else ch))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    entity: Entity
    category: str | None
    case_sensitive: tuple[str, ...]


class Gazetteer:
    def __init__(self, entries: Mapping[str, GazetteerEntry], version: str) -> None:
        self.entries = dict(entries)
        self.entities: dict[str, Entity] = {k: e.entity for k, e in self.entries.items()}
        self._version = version

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        path = path or DEFAULT_PATH
        data = path.read_bytes()
        entries: dict[str, GazetteerEntry] = {}
        owner: dict[str, str] = {}
        for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                row = json.loads(line)
                eid, etype, name = row["id"], row["type"], row["name"]
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{n}: not a gazetteer entry ({exc})") from exc
            if etype not in ENTITY_TYPES:
                raise ValueError(f"{path}:{n}: unknown type {etype!r}")
            if eid in entries:
                raise ValueError(f"{path}:{n}: duplicate id {eid!r}")
            countries = tuple(row.get("countries") or ())
            if etype == "BORDER_CROSSING" and (row.get("lat") is None or len(countries) != 2):
                raise ValueError(f"{path}:{n}: crossing {eid!r} needs lat, lon and two countries")
            aliases = tuple(a for a in row.get("aliases") or () if a and a != name)
            for alias in (name, *aliases):
                key = fold_same_length(alias)
                if key in owner and owner[key] != eid:
                    raise ValueError(f"{path}:{n}: alias {alias!r} of {eid!r} already belongs to {owner[key]!r}")
                owner[key] = eid
            entity = Entity(eid, name, etype, aliases, countries, row.get("lat"), row.get("lon"), row.get("region"))
            entries[eid] = GazetteerEntry(entity, row.get("category"), tuple(row.get("case_sensitive") or ()))
        return cls(entries, hashlib.sha256(data).hexdigest())

    @property
    def version(self) -> str:
        return self._version

    def get(self, entity_id: str) -> Entity | None:
        return self.entities.get(entity_id)

    @cached_property
    def _index(self) -> tuple[dict[str, str], dict[str, str]]:
        folded: dict[str, str] = {}
        exact: dict[str, str] = {}
        for eid, entry in self.entries.items():
            for alias in (entry.entity.name, *entry.entity.aliases):
                if alias in entry.case_sensitive:
                    exact[alias] = eid
                else:
                    folded[fold_same_length(alias)] = eid
        return folded, exact

    @cached_property
    def _patterns(self) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
        folded, exact = self._index

        def alternation(keys: list[str]) -> str:
            return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))

        fp = re.compile(rf"(?<!\w)(?:{alternation(list(folded))})(?!\w)")
        ep = re.compile(rf"(?<!\w)(?:{alternation(list(exact))})(?!\w)") if exact else None
        return fp, ep

    def lookup(self, text: str) -> Entity | None:
        """The entity an alias (any language, any case/accents; exact case for acronyms) names."""
        folded, exact = self._index
        text = " ".join(text.split())
        eid = exact.get(text) or folded.get(fold_same_length(text))
        if eid is None and len(text) <= 10:  # a typed acronym in lower case
            eid = exact.get(text.upper())
        return self.entities.get(eid) if eid else None

    def find(self, text: str) -> list[tuple[int, int, Entity]]:
        """All gazetteer mentions in ``text``: longest match first, no overlaps, in order."""
        folded_map, exact_map = self._index
        fp, ep = self._patterns
        hits: list[tuple[int, int, str]] = []
        for m in fp.finditer(fold_same_length(text)):
            hits.append((m.start(), m.end(), folded_map[m.group(0)]))
        if ep is not None:
            for m in ep.finditer(text):
                hits.append((m.start(), m.end(), exact_map[m.group(0)]))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[tuple[int, int, Entity]] = []
        last = -1
        for s, e, eid in hits:
            if s >= last:
                out.append((s, e, self.entities[eid]))
                last = e
        return out

    def aliases_in_other_languages(self, entity_id: str) -> tuple[str, ...]:
        ent = self.entities.get(entity_id)
        return (ent.name, *ent.aliases) if ent else ()

    def spacy_patterns(self) -> list[dict[str, object]]:
        """EntityRuler patterns: phrase patterns (matched on LOWER) plus exact ORTH tokens for acronyms."""
        patterns: list[dict[str, object]] = []
        for eid, entry in self.entries.items():
            ent = entry.entity
            for alias in (ent.name, *ent.aliases):
                if alias in entry.case_sensitive:
                    patterns.append({"label": ent.type, "id": eid, "pattern": [{"ORTH": t} for t in alias.split()]})
                else:
                    for variant in {alias, fold_same_length(alias)}:
                        patterns.append({"label": ent.type, "id": eid, "pattern": variant})
        return patterns
