"""Cross-language pseudo-relevance feedback: the salient shared terms of the best other-language dense hits."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import numpy as np

from index.analyze import tokenize
from index.sparse import SparseIndex
from kb.config import Config
from kb.read.context import ReadContext
from kb.read.feedback import feedback_terms

CHUNKS = {
    1: ("es", "Incautación de cocaína en el puente de Desaguadero por la policía"),
    2: ("es", "La policía informó otra incautación de cocaína en Desaguadero"),
    3: ("en", "Cocaine seizures at the bridge"),
    4: ("es", "La policía organizó una reunión sobre el presupuesto"),
    5: ("es", "La policía visitó la escuela"),
}


def _ctx() -> ReadContext:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, lang TEXT, text TEXT, doc_id TEXT)")
    db.executemany("INSERT INTO chunks VALUES (?, ?, ?, 'd')", [(i, lang, t) for i, (lang, t) in CHUNKS.items()])
    ids = np.array(list(CHUNKS), dtype=np.int64)
    sparse = SparseIndex.build(ids, [t for _, t in CHUNKS.values()], [lang for lang, _ in CHUNKS.values()])
    view = SimpleNamespace(segments={1: SimpleNamespace(sparse=sparse)}, tombstones=np.zeros(0, np.int64))
    return ReadContext(db, Config(), view)


def test_shared_rare_terms_of_the_first_other_language_feed_back() -> None:
    got = feedback_terms(_ctx(), [3, 1, 2, 4], "en", passages=2, terms=3, weight=0.3)
    terms = [t for t, _ in got]
    # chunks 1 and 2 (Spanish) share "incautación", "cocaína", "Desaguadero" and "policía"; "policía" is in
    # every Spanish chunk, so it is the least salient; the English hit (same language as the query) gives nothing
    assert set(terms) == set(tokenize("incautación cocaína Desaguadero", "es"))
    assert all(w == 0.3 for _, w in got)


def test_no_feedback_without_a_query_language_or_another_language() -> None:
    assert feedback_terms(_ctx(), [1, 2], None, passages=2, terms=5, weight=0.3) == ()
    assert feedback_terms(_ctx(), [1, 2, 4], "es", passages=2, terms=5, weight=0.3) == ()
    assert feedback_terms(_ctx(), [1, 2], "en", passages=0, terms=5, weight=0.3) == ()


def test_bm25_weighs_more_only_for_queries_naming_a_specific_entity() -> None:
    from ingest.gazetteer import Gazetteer
    from kb.read.search import fusion_sparse_weight, names_specific_entity

    gaz = Gazetteer.load()
    cfg = Config(sparse_weight=1.0, entity_sparse_weight=2.0)
    ctx = ReadContext(sqlite3.connect(":memory:"), cfg, None, lambda: gaz)
    assert fusion_sparse_weight(ctx, "tiempo de espera de camiones en el CEBAF de Desaguadero") == 2.0
    assert fusion_sparse_weight(ctx, "tiempo de espera de camiones en la frontera") == 1.0
    assert fusion_sparse_weight(ctx, "talleres sobre trata de personas en la frontera") == 2.0  # a crime type
    assert fusion_sparse_weight(ctx, "¿Cuántos habitantes tiene Francia?") == 1.0  # a country is too broad
    # the same test gates foreign_name_rank, whatever the weights
    assert names_specific_entity(ctx, "tiempo de espera de camiones en el CEBAF de Desaguadero")
    assert not names_specific_entity(ctx, "¿Cuántos habitantes tiene Francia?")
    assert fusion_sparse_weight(ctx, "¿Qué hizo la Policía Nacional del Perú?") == 1.0  # so is an organisation
