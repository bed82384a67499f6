"""Places by rule: named water bodies and tunnels, administrative units, and road numbers.

The small spaCy models skip "río Desaguadero" (the lower-case noun breaks the name) or take only
"Desaguadero", which the gazetteer then reads as the border crossing of that name; and they drop
anything with digits, so "BR-463" and "Ruta PY05" are never places. A geographic noun in any of
the four languages followed by a capitalised name is one PLACE, named with the noun capitalised
("Río Desaguadero", "Rio Solimões", "Lago de Itaipú"); after a province, department or state
the name alone is the place ("provincia de El Oro"); a road number is a PLACE named as written.
"""

from __future__ import annotations

import re

#: Common nouns of named water bodies and works, folded forms not needed: written as they appear.
FEATURES = (
    "río rio river rivière fleuve lago lagoa lake lac laguna canal channel túnel tunnel "
    "bahía baía bay baie estrecho estreito strait détroit isla ilha île island cordillera serra"
).split()
_CONNECT = r"(?:(?:de|del|de la|do|da|dos|das|du|de l'|des|of the|of) )?"
_NAME = r"[A-ZÁÉÍÓÚÂÊÔÃÕÇÑÜÎ][\wÀ-ÿ'’\-]+(?: (?:de |do |da |del )?[A-ZÁÉÍÓÚÂÊÔÃÕÇÑÜÎ][\wÀ-ÿ'’\-]+){0,2}"
_FEATURE_RE = re.compile(
    r"(?<![\w\-])(?P<noun>(?i:" + "|".join(sorted(set(FEATURES), key=len, reverse=True)) + r")) " + _CONNECT + _NAME
)
#: Administrative units written as a lower-case noun before the name: the name alone is the place
#: ("departamento de Nariño" -> "Nariño", "provincia del Carchi" -> "Carchi", "estado de Roraima").
_ADMIN_RE = re.compile(
    r"(?<![\w\-])(?:provincia|provincias|departamento|estado|región|region|state|province|département|"
    r"municipio|município|distrito|cantón|canton|comuna|subzona) " + _CONNECT + r"(?P<name>" + _NAME + ")"
)
#: Brazilian federal and state highways ("BR-463", "MS-164"), Spanish "Ruta 5" / "Ruta PY05", French "RN 2".
_ROAD_RE = re.compile(
    r"(?<![\w\-])(?:(?:BR|MS|MT|PR|RS|SC|RR|AM|AP|RO|AC|PA|GO|MG|SP)-\d{3}"
    r"|Ruta (?:Nacional )?(?:PY|N)?\s?\d{1,3}[A-Z]?|Route nationale \d{1,3}|RN ?\d{1,3})(?![\w\-])"
)


def find_places(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, canonical name)`` of named features and road numbers in ``text``."""
    found = []
    for m in _FEATURE_RE.finditer(text):
        name = m.group()
        found.append((m.start(), m.end(), " ".join((name[:1].upper() + name[1:]).split())))
    found += [(m.start("name"), m.end("name"), m.group("name")) for m in _ADMIN_RE.finditer(text)]
    found += [(m.start(), m.end(), m.group()) for m in _ROAD_RE.finditer(text)]
    return sorted(found)
