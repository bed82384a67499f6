"""Which fusion a hybrid search uses: normalised scores, unless the query names a specific entity."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import numpy as np

from kb.config import Config
from kb.read.context import ReadContext
from kb.read.search import _fuse

# dense puts 2 a hair above 1; BM25 puts 1 far above 2: scores say 1, ranks tie and the dense rank says 2
DENSE = (np.array([2, 1, 3], dtype=np.int64), np.array([0.900, 0.899, 0.800], dtype=np.float32))
SPARSE = (np.array([1, 2], dtype=np.int64), np.array([12.0, 3.0], dtype=np.float32))
CROSSING = SimpleNamespace(type="CROSSING")
CITY = SimpleNamespace(type="PLACE")


def _first(cfg: Config, matches: list) -> int:  # type: ignore[type-arg]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, lang TEXT, doc_id TEXT)")
    db.executemany("INSERT INTO chunks VALUES (?, 'es', ?)", [(i, f"d{i}") for i in (1, 2, 3)])
    ctx = ReadContext(db, cfg)
    return _fuse(ctx, "consulta de prueba en español", "es", DENSE, SPARSE, matches, {})[0][0]


def test_scores_decide_for_a_query_naming_no_specific_entity() -> None:
    assert _first(Config(), []) == 1
    assert _first(Config(), [(0, 4, CITY)]) == 1  # a city is too broad to count as naming one


def test_ranks_decide_for_a_query_naming_a_specific_entity_or_when_score_fusion_is_off() -> None:
    # BM25 weighs twice for such a query, so with ranks 1 leads as well: weigh both equally to see the rule
    assert _first(Config(entity_sparse_weight=1.0), [(0, 4, CROSSING)]) == 2
    assert _first(Config(score_fusion=False), []) == 2
