"""Possible duplicate entities: names near-identical across languages, accents or spelling.

"Policía Nacional del Perú" and "Policia Nacional do Peru", "PNP" found by NER as ``org:pnp-2``
and the gazetteer's ``org:pnp``: each pair is proposed once for a person to confirm (a merge) or
reject (remembered in the store, never proposed again). Names are accent- and case-folded, then
compared with rapidfuzz's token-sort ratio, whose C implementation compares thousands of names
against each other in well under a second (a hand-written Levenshtein loop would take minutes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ingest.gazetteer import fold

#: the least token-sort ratio (0..100) for two folded names to be proposed
THRESHOLD = 88.0


def duplicate_pairs(
    rows: Sequence[Any],
    rejected: Iterable[tuple[str, str]],
    threshold: float = THRESHOLD,
    limit: int = 100,
    of: str | None = None,
) -> list[dict[str, Any]]:
    """Pairs of entities (``rows``: id, name, type, aliases, n) of one type with near-identical names,
    best first, ``a`` before ``b`` by id; a pair in ``rejected`` (sorted ids) is left out. With ``of``,
    only the pairs of that entity (its names against all: what one entity's page needs, much faster)."""
    import numpy as np
    from rapidfuzz import fuzz, process

    names: list[str] = []
    owner: list[int] = []
    for i, r in enumerate(rows):
        for name in {fold(n).strip() for n in [r["name"], *json.loads(r["aliases"] or "[]")] if n}:
            names.append(name)
            owner.append(i)
    if not names:
        return []
    mine = [i for i, o in enumerate(owner) if of is None or rows[o]["id"] == of]
    queries = [names[i] for i in mine]
    scores = process.cdist(queries, names, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, workers=-1)
    best: dict[tuple[int, int], float] = {}
    for x, y in zip(*np.nonzero(scores), strict=True):
        a, b = sorted((owner[mine[x]], owner[y]))
        if a != b and rows[a]["type"] == rows[b]["type"]:
            best[(a, b)] = max(best.get((a, b), 0.0), float(scores[x, y]))
    skip = set(rejected)
    out = []
    for (a, b), score in sorted(best.items(), key=lambda kv: (-kv[1], kv[0])):
        ra, rb = sorted((rows[a], rows[b]), key=lambda r: str(r["id"]))  # a pair reads the same every time
        if (ra["id"], rb["id"]) in skip:
            continue
        out.append({
            "a": ra["id"], "a_name": ra["name"], "a_mentions": ra["n"],
            "b": rb["id"], "b_name": rb["name"], "b_mentions": rb["n"],
            "type": ra["type"], "score": round(score, 1),
        })  # fmt: skip
        if len(out) >= limit:
            break
    return out
