"""The dense ranking of a search: every live segment's FAISS search, merged, language-centred.

Language centring (:mod:`index.centring`, setting ``language_centring``) shifts the query by its
language's mean passage vector and adds each hit its language's share back; the means are the
knowledge base's own, combined from the segments of the generation being read.
"""

from __future__ import annotations

import numpy as np

from index.centring import combine
from index.fusion import merge_topk
from kb.read.context import ReadContext
from kb.store import reads


def dense_ranking(
    ctx: ReadContext,
    text: str,
    qlang: str | None,
    n: int,
    allowed: np.ndarray | None,
    exclude: np.ndarray | None,
) -> tuple[np.ndarray, dict[int, float], dict[int, str]]:
    """The ``n`` best chunk ids for ``text`` by dense score (best first), their scores, and the languages
    of those it had to look up for centring (empty when it did not: the fusion looks up the rest)."""
    assert ctx.query_vector is not None
    segments = list(ctx.view.segments.values())
    query = ctx.query_vector(text)
    alpha = ctx.config.language_centring
    means = combine(seg.centroids for seg in segments) if alpha > 0 else None
    shifted = means.shifted_query(query, qlang, alpha) if means is not None else None
    parts = [
        seg.dense.search(query if shifted is None else shifted, n, allowed=allowed, exclude=exclude) for seg in segments
    ]
    if not parts:
        return np.zeros(0, dtype=np.int64), {}, {}
    scores, ids = merge_topk([(s[0], i[0]) for s, i in parts], n)
    keep = ids >= 0
    scores, ids = np.asarray(scores[keep], dtype=np.float32), ids[keep]
    langs: dict[int, str] = {}
    if shifted is not None and means is not None and qlang is not None and len(ids):
        langs = reads.chunk_column(ctx.db, "lang", [int(i) for i in ids])
        scores = scores + means.offsets(qlang, [langs.get(int(i)) or "" for i in ids], alpha)
        order = np.argsort(-scores, kind="stable")
        scores, ids = scores[order], ids[order]
    return ids, {int(i): float(s) for s, i in zip(scores, ids, strict=True)}, langs
