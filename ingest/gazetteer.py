"""The domain gazetteer: canonical entities with their multilingual aliases and acronyms.

The entities live in ``ingest/data/gazetteer.jsonl`` (data, not code). This module loads and
validates that file and offers a spaCy-free matcher (:meth:`Gazetteer.find`) so query-time
entity expansion and unit tests never pay for a model load.

Matching works on *tokens*: runs of letters and digits, folded (accents stripped, case-folded).
Spaces, hyphens, en dashes, apostrophes and dots between tokens are all equivalent, so
"Aguas Verdes–Huaquillas", "Aguas Verdes - Huaquillas" and "aguas verdes-huaquillas" are the
same key. Aliases listed in ``case_sensitive`` (acronyms that are also common words, such as
"CAN") only match when the original tokens are identical.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ingest.types import ENTITY_TYPES, Entity

#: The packaged gazetteer.
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.jsonl"

#: Types a gazetteer line may carry (dates come from the date extractor, not the gazetteer).
GAZETTEER_TYPES = tuple(t for t in ENTITY_TYPES if t != "DATE")

# Letters and digits, plus combining accents so decomposed text ("e" + U+0301) stays one token.
_TOKEN_RE = re.compile(r"[^\W_][\w\u0300-\u036f]*")
# A match may not run across these: they end clauses, whereas "." also appears in "Dr." or "GLO.ACT".
_BREAK_RE = re.compile(r"[;!?\n]|\.\s+\S")
#: Words a line never ends a name with: after one of these a line break is a wrapped line
#: ("Dirección General de" / "Migración" in a PDF column), not the end of a cell or heading.
_WRAP_AFTER = frozenset("de del da do dos das di du des el la las los le les of the for y e et and em en".split())
#: A name of at least this many words may also run over a line break after any word ("Polícia Rodoviária" /
#: "Federal", "equipes" / "conjuntas de investigação"), when what precedes the break names nothing itself.
_WRAPPED_WORDS = 3
_END = "\x00"  # trie key marking "an alias ends here": never a folded token ("" is one: U+FF9E folds to nothing)


def fold(text: str) -> str:
    """Accent- and case-fold ``text``: "Policía" and "POLICIA" both become "policia"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokenize(text: str) -> list[tuple[int, int, str]]:
    """Split ``text`` into ``(start, end, token)`` word tokens with offsets into ``text``."""
    return [(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text)]


def alias_key(text: str) -> tuple[str, ...]:
    """The folded token sequence that identifies an alias."""
    return tuple(fold(tok) for _, _, tok in tokenize(text))


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One gazetteer line: the entity plus what only matching needs."""

    entity: Entity
    category: str | None
    case_sensitive: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Target:
    entity_id: str
    exact: tuple[str, ...] | None  # original tokens a case-sensitive alias demands


class Gazetteer:
    """Canonical entities and an alias index; build it with :meth:`load`."""

    def __init__(self, entries: Mapping[str, GazetteerEntry], version: str) -> None:
        self._entries = MappingProxyType(dict(entries))
        self.entities: Mapping[str, Entity] = MappingProxyType({k: e.entity for k, e in entries.items()})
        self._version = version
        self._index: dict[tuple[str, ...], list[_Target]] = {}
        self._trie: dict[str, Any] = {}
        for entry in entries.values():
            for surface in _surfaces(entry.entity):
                self._add(surface, entry)
        for entry in entries.values():  # after every alias, so that a variant never takes another's
            if entry.entity.type in INFLECTED:
                for surface in _surfaces(entry.entity):
                    if surface not in entry.case_sensitive:
                        for variant in number_variants(alias_key(surface)):
                            self._add_variant(variant, entry.entity.id)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read and validate a gazetteer file (default: the packaged one).

        Raises:
            ValueError: a line is not valid JSON, lacks a field, repeats an id, has an unknown
                type, is a border crossing without coordinates or a country pair, or shares an
                alias with another entity. The message names the file and line.
        """
        path = DEFAULT_PATH if path is None else Path(path)
        data = path.read_bytes()
        entries: dict[str, GazetteerEntry] = {}
        owner: dict[tuple[str, ...], tuple[str, int]] = {}
        for lineno, line in enumerate(data.decode("utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{path}:{lineno}"
            entry = _parse_line(line, where)
            eid = entry.entity.id
            if eid in entries:
                raise ValueError(f"{where}: duplicate id {eid!r}")
            for surface in _surfaces(entry.entity):
                key = alias_key(surface)
                if not key:
                    raise ValueError(f"{where}: alias {surface!r} has no letters or digits")
                other = owner.get(key)
                if other is not None and other[0] != eid:
                    raise ValueError(
                        f"{where}: alias {surface!r} of {eid!r} is already an alias of {other[0]!r} (line {other[1]})"
                    )
                owner[key] = (eid, lineno)
            entries[eid] = entry
        return cls(entries, hashlib.sha256(data).hexdigest())

    # ------------------------------------------------------------------ access
    @property
    def version(self) -> str:
        """sha256 of the gazetteer file: when it changes, stored mentions must be relinked."""
        return self._version

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities.values())

    def get(self, entity_id: str) -> Entity | None:
        """The entity with this canonical id, or ``None``."""
        return self.entities.get(entity_id)

    def entry(self, entity_id: str) -> GazetteerEntry | None:
        """The full gazetteer entry (category, case-sensitive aliases) for an id."""
        return self._entries.get(entity_id)

    def lookup(self, text: str) -> Entity | None:
        """The entity whose name or alias is exactly ``text`` (ignoring accents, case, punctuation).

        Case-sensitive aliases ("CAN", "PDI") only resolve when written exactly so.
        """
        toks = tokenize(text)
        targets = self._index.get(tuple(fold(t) for _, _, t in toks), [])
        original = tuple(t for _, _, t in toks)
        for target in targets:
            if target.exact is None or target.exact == original:
                return self.entities[target.entity_id]
        return None

    def aliases_in_other_languages(self, entity_id: str, *, besides: str | None = None) -> tuple[str, ...]:
        """Every distinct surface form of an entity (name first), for query expansion.

        Aliases are not tagged by language, so this returns all forms that differ after
        folding; ``besides`` (the form the user typed) is left out. Unknown ids give ``()``.
        """
        entity = self.get(entity_id)
        if entity is None:
            return ()
        seen = {alias_key(besides)} if besides else set()
        out: list[str] = []
        for surface in _surfaces(entity):
            key = alias_key(surface)
            if key not in seen:
                seen.add(key)
                out.append(surface)
        return tuple(out)

    def find(self, text: str) -> list[tuple[int, int, Entity]]:
        """All gazetteer mentions in ``text`` as ``(start, end, entity)``, left to right.

        At each position the longest alias wins and matches never overlap, so
        "Policía Nacional del Perú" is one ORG mention, not also the country "Perú".
        """
        toks = tokenize(text)
        folded = [fold(t) for _, _, t in toks]
        out: list[tuple[int, int, Entity]] = []
        i = 0
        while i < len(toks):
            best: tuple[int, str] | None = None
            node: dict[str, Any] | None = self._trie
            j = i
            wrapped = False
            while j < len(toks):
                if j > i and _breaks(text, toks[j - 1], toks[j]):
                    if best is not None or wrapped or text[toks[j - 1][1] : toks[j][0]].strip(" \t") != "\n":
                        break
                    wrapped = True  # a line wrapped inside a longer name: it must have _WRAPPED_WORDS words
                node = node.get(folded[j])  # type: ignore[union-attr]
                if node is None:
                    break
                j += 1
                if wrapped and j - i < _WRAPPED_WORDS:
                    continue
                for target in node.get(_END, ()):
                    if target.exact is None or target.exact == tuple(t for _, _, t in toks[i:j]):
                        best = (j, target.entity_id)
                        break
            if best is None:
                i += 1
                continue
            end, eid = best
            out.append((toks[i][0], toks[end - 1][1], self.entities[eid]))
            i = end
        return out

    # ------------------------------------------------------------------ internals
    def _add_variant(self, key: tuple[str, ...], entity_id: str) -> None:
        """Let :meth:`find` match ``key`` as ``entity_id`` unless some alias already ends there."""
        node = self._trie
        for tok in key:
            node = node.setdefault(tok, {})
        if _END not in node:
            node[_END] = [_Target(entity_id, None)]

    def _add(self, surface: str, entry: GazetteerEntry) -> None:
        toks = tokenize(surface)
        key = tuple(fold(t) for _, _, t in toks)
        exact = tuple(t for _, _, t in toks) if surface in entry.case_sensitive else None
        target = _Target(entry.entity.id, exact)
        bucket = self._index.setdefault(key, [])
        if target not in bucket:
            # Case-insensitive forms first: they accept any spelling, so lookups stop early.
            bucket.append(target)
            bucket.sort(key=lambda t: t.exact is not None)
        node = self._trie
        for tok in key:
            node = node.setdefault(tok, {})
        ends = node.setdefault(_END, [])
        if target not in ends:
            ends.append(target)
            ends.sort(key=lambda t: t.exact is not None)


#: Types named by common nouns, which take the plural ("trafics de stupéfiants", "contrôle juxtaposé").
INFLECTED = ("CRIME_TYPE", "LEGAL_INSTRUMENT", "PROGRAMME")


def _number(token: str) -> list[str]:
    """The token in the other grammatical number, by the regular endings of the four languages."""
    if len(token) < 4:
        return []
    if token.endswith("es"):
        return [token[:-2], token[:-1]]
    if token.endswith("s"):
        return [token[:-1]]
    return [token + "s", token + "es"]


def number_variants(key: tuple[str, ...]) -> set[tuple[str, ...]]:
    """An alias key with its head noun (first word in Spanish, Portuguese, French; last in English), or every
    word, in the other number: "centro de cooperacion policial" -> "centros de cooperacion policial", ...
    """
    out: set[tuple[str, ...]] = set()
    for position in {0, len(key) - 1}:
        out |= {key[:position] + (v,) + key[position + 1 :] for v in _number(key[position])}
    for choice in (0, -1):
        out.add(tuple((_number(t) or [t])[choice] for t in key))
    out.discard(key)
    return out


def _breaks(text: str, before: tuple[int, int, str], after: tuple[int, int, str]) -> bool:
    """Whether a match may not run from token ``before`` on to token ``after``."""
    gap = text[before[1] : after[0]]
    if gap.strip(" \t") == "\n" and before[2].lower() in _WRAP_AFTER:
        return False
    return _BREAK_RE.search(gap) is not None


def _surfaces(entity: Entity) -> tuple[str, ...]:
    return (entity.name, *entity.aliases)


def _parse_line(line: str, where: str) -> GazetteerEntry:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object")
    for field in ("id", "type", "name"):
        if not isinstance(obj.get(field), str) or not obj[field].strip():
            raise ValueError(f"{where}: missing or empty {field!r}")
    eid, etype = obj["id"], obj["type"]
    if etype not in GAZETTEER_TYPES:
        raise ValueError(f"{where}: {eid}: unknown type {etype!r} (expected one of {', '.join(GAZETTEER_TYPES)})")
    aliases = _str_list(obj, "aliases", where)
    countries = _str_list(obj, "countries", where)
    case_sensitive = _str_list(obj, "case_sensitive", where)
    for code in countries:
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError(f"{where}: {eid}: country {code!r} is not an ISO 3166-1 alpha-2 code")
    surfaces = {obj["name"], *aliases}
    for cs in case_sensitive:
        if cs not in surfaces:
            raise ValueError(f"{where}: {eid}: case-sensitive alias {cs!r} is not its name or an alias")
    lat, lon = obj.get("lat"), obj.get("lon")
    if etype == "BORDER_CROSSING":
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            raise ValueError(f"{where}: {eid}: a border crossing needs numeric 'lat' and 'lon'")
        if len(countries) != 2 or countries[0] == countries[1]:
            raise ValueError(f"{where}: {eid}: a border crossing needs exactly two different countries")
    if lat is not None and not (isinstance(lat, int | float) and -90 <= lat <= 90):
        raise ValueError(f"{where}: {eid}: latitude {lat!r} out of range")
    if lon is not None and not (isinstance(lon, int | float) and -180 <= lon <= 180):
        raise ValueError(f"{where}: {eid}: longitude {lon!r} out of range")
    region = obj.get("region")
    entity = Entity(
        id=eid,
        name=obj["name"],
        type=etype,
        aliases=tuple(dict.fromkeys(a for a in aliases if a != obj["name"])),
        countries=tuple(countries),
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
        region=region if isinstance(region, str) else None,
    )
    category = obj.get("category")
    return GazetteerEntry(entity, category if isinstance(category, str) else None, tuple(case_sensitive))


def _str_list(obj: dict[str, Any], field: str, where: str) -> list[str]:
    value = obj.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: {obj.get('id')}: {field!r} must be a list of non-empty strings")
    return value
