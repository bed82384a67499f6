"""Language centring in the search: segments store their language sums; the dense ranking is the centred score."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import centring
from kb.read import dense_rank
from tests.helpers import FakeEmbedder
from tests.kb.read.test_bitmaps import DOCS_A, DOCS_B, _ingest


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from kb.service import KnowledgeBase

    root = tmp_path_factory.mktemp("centring")
    kb = KnowledgeBase.open(root / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    _ingest(kb, root / "a", DOCS_A, None)
    _ingest(kb, root / "b", DOCS_B, None)
    return kb


def vectors_and_langs(kb: Any) -> tuple[dict[int, np.ndarray], dict[int, str]]:
    view = kb._reading().view
    vecs: dict[int, np.ndarray] = {}
    for seg in view.segments.values():
        ids = seg.dense.ids()
        vecs.update(zip((int(i) for i in ids), seg.dense.reconstruct(ids), strict=True))
    langs = dict(kb.store.db.execute("SELECT id, lang FROM chunks WHERE deleted_gen IS NULL"))
    return vecs, langs


def test_each_segment_stores_its_languages_sums(kb: Any) -> None:
    vecs, langs = vectors_and_langs(kb)
    view = kb._reading().view
    assert len(view.segments) == 2
    for seg in view.segments.values():
        assert (kb.store.segment_dir(seg.id) / centring.CENTROIDS_FILE).is_file()
        ids = [int(i) for i in seg.dense.ids()]
        for lang, (total, n) in seg.centroids.items():
            mine = [i for i in ids if (langs[i] or "und") == lang]
            assert n == len(mine)
            np.testing.assert_allclose(total, np.sum([vecs[i] for i in mine], axis=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.8])
def test_the_dense_ranking_is_the_centred_score(kb: Any, alpha: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every passage ranked by unit(q - alpha * m[lang(q)]) . p + alpha * m[lang(q)] . m[lang(p)], the means
    those of the whole knowledge base (both segments); alpha 0 is the plain inner product."""
    from dataclasses import replace

    from ingest.language import query_language

    monkeypatch.setattr(dense_rank, "combine", functools.partial(centring.combine, min_passages=1))
    vecs, langs = vectors_and_langs(kb)
    ctx = kb._reading()
    ctx = replace(ctx, config=replace(ctx.config, language_centring=alpha))
    text = "patrullajes binacionales contra el contrabando en Desaguadero"
    qlang = query_language(text)
    ids, scores, _ = dense_rank.dense_ranking(ctx, text, qlang, len(vecs), None, None)
    q = np.ravel(kb.query_vector(text))
    by_lang: dict[str, list[np.ndarray]] = {}
    for i, v in vecs.items():
        by_lang.setdefault(langs[i] or "und", []).append(v)
    means = {lang: np.mean(rows, axis=0) for lang, rows in by_lang.items() if lang != "und"}
    overall = np.mean(list(vecs.values()), axis=0)
    mq = means.get(qlang, np.zeros_like(q)) if alpha else np.zeros_like(q)
    s = (q - alpha * mq) / np.linalg.norm(q - alpha * mq)
    want = {i: float(s @ v + alpha * mq @ means.get(langs[i] or "", overall)) for i, v in vecs.items()}
    assert sorted(int(i) for i in ids) == sorted(want)
    for i in ids:
        assert scores[int(i)] == pytest.approx(want[int(i)], abs=1e-4)
    got = [scores[int(i)] for i in ids]
    assert got == sorted(got, reverse=True)


def test_segments_written_before_centring_search_as_before(kb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No segment with sums (an older knowledge base until ``kb reindex``): the plain inner product."""
    from dataclasses import replace

    ctx = kb._reading()
    segments = {sid: replace(seg, centroids={}) for sid, seg in ctx.view.segments.items()}
    old = replace(ctx, view=replace(ctx.view, segments=segments))
    text = "joint patrols against fuel smuggling"
    ids, scores, _ = dense_rank.dense_ranking(old, text, "en", 50, None, None)
    plain, plain_scores, _ = dense_rank.dense_ranking(
        replace(ctx, config=replace(ctx.config, language_centring=0.0)), text, "en", 50, None, None
    )
    assert list(ids) == list(plain) and scores == plain_scores


def test_reindex_gives_older_segments_their_sums(tmp_path: Path) -> None:
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    _ingest(kb, tmp_path / "a", DOCS_A, None)
    for sid in kb._reading().view.segments:
        (kb.store.segment_dir(sid) / centring.CENTROIDS_FILE).unlink()
    kb.reindex()
    view = kb._reading().view
    assert all((kb.store.segment_dir(sid) / centring.CENTROIDS_FILE).is_file() for sid in view.segments)
    assert all(seg.centroids for seg in view.segments.values())
    kb.close()
