"""Language-aware fusion: a passage in another language keeps its dense rank's worth."""

from __future__ import annotations

import numpy as np

from index.fusion import Fusion, fuse, fuse_documents, group_by_document


def test_plain_rrf_when_query_language_unknown() -> None:
    dense = np.array([1, 2, 3])
    sparse = np.array([2, 1])
    ids, scores = fuse(dense, sparse, {1: "es", 2: "en", 3: "en"}, None, Fusion(k=60))
    # 1 and 2 tie at 1/61 + 1/62: the tie goes to the better dense rank (1), then 3 with 1/63 alone
    assert ids.tolist() == [1, 2, 3]
    np.testing.assert_allclose(scores, [1 / 61 + 1 / 62, 1 / 62 + 1 / 61, 1 / 63], rtol=1e-6)
    # the same tie with the dense order swapped: dense rank decides, not the id
    ids, _ = fuse(np.array([2, 1, 3]), np.array([1, 2]), {}, None, Fusion(k=60))
    assert ids.tolist() == [2, 1, 3]


def test_foreign_dense_hit_is_not_buried_by_lexical_near_misses() -> None:
    # dense ranks the Spanish answer first; BM25 (English query) only finds English near-misses
    dense = np.array([10, 20, 30])
    sparse = np.array([20, 30, 40])
    langs = {10: "es", 20: "en", 30: "en", 40: "en"}
    plain_ids, plain = fuse(dense, sparse, langs, None)
    aware_ids, aware = fuse(dense, sparse, langs, "en")
    # plain RRF: 20 (1/62 + 1/61) > 30 (1/63 + 1/62) > 10 (1/61) > 40 (1/63): the Spanish answer is third
    assert plain_ids.tolist() == [20, 30, 10, 40]
    np.testing.assert_allclose(plain, [1 / 62 + 1 / 61, 1 / 63 + 1 / 62, 1 / 61, 1 / 63], rtol=1e-6)
    # language-aware: 10 stands in its dense rank for the sparse rank it cannot have (2/61) and leads
    assert aware_ids.tolist() == [10, 20, 30, 40]
    np.testing.assert_allclose(aware, [2 / 61, 1 / 62 + 1 / 61, 1 / 63 + 1 / 62, 1 / 63], rtol=1e-6)


def test_a_foreign_passage_keeps_its_better_sparse_rank() -> None:
    # 5 is Spanish, 3rd by dense but 1st by BM25 (a shared name): its sparse term takes the better
    # rank, 1/61, not the dense stand-in 1/63; that puts it just ahead of 7 (1/62 + 1/62)
    ids, scores = fuse(np.array([6, 7, 5]), np.array([5, 7]), {5: "es", 6: "en", 7: "en"}, "en")
    assert ids.tolist() == [5, 7, 6]
    np.testing.assert_allclose(scores, [1 / 63 + 1 / 61, 2 / 62, 1 / 61], rtol=1e-6)


def test_group_by_document_keeps_best_first() -> None:
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    groups = group_by_document(ranked, {1: "a", 2: "b", 3: "a", 4: "c"}, k=2)
    assert [(d, [c for c, _ in items]) for d, _, items in groups] == [("a", [1, 3]), ("b", [2])]


def test_document_fusion_credits_a_document_both_rankings_found_through_different_passages() -> None:
    # document "b": dense found its passage 2 second, BM25 its passage 3 second; "a" and "c" are each
    # first in one ranking only
    dense, sparse = np.array([1, 2, 5]), np.array([4, 3])
    doc_of = {1: "a", 2: "b", 3: "b", 4: "c", 5: "b"}
    langs = dict.fromkeys(doc_of, "en")
    passage_ids, _ = fuse(dense, sparse, langs, "en")
    assert [doc_of[i] for i in passage_ids][:2] == ["a", "c"]  # passage fusion: a (1/61), c (1/61), then b
    ids, scores = fuse_documents(dense, sparse, doc_of, langs, "en")
    # document fusion: b = 1/62 + 1/62 beats a = c = 1/61; a before c on the tie, as passage fusion has them
    assert [doc_of[i] for i in ids] == ["b", "b", "b", "a", "c"]
    # inside b its passages keep their passage-level order: 2 and 3 tie at 1/62, 2 has the dense rank
    assert ids.tolist()[:3] == [2, 3, 5]
    np.testing.assert_allclose(scores, [2 / 62] * 3 + [1 / 61] * 2, rtol=1e-6)


def test_document_fusion_is_language_aware_per_document() -> None:
    # an English query: dense ranks the Spanish document "es" first, BM25 only finds English near-misses
    dense, sparse = np.array([10, 20, 30]), np.array([20, 30, 40])
    doc_of = {10: "es", 20: "en1", 30: "en2", 40: "en3"}
    langs = {10: "es", 20: "en", 30: "en", 40: "en"}
    ids, scores = fuse_documents(dense, sparse, doc_of, langs, "en")
    assert ids.tolist() == [10, 20, 30, 40]
    np.testing.assert_allclose(scores[0], 2 / 61, rtol=1e-6)  # the dense rank stands in for the sparse one
    plain, _ = fuse_documents(dense, sparse, doc_of, langs, None)
    assert plain.tolist()[0] == 20  # without a query language: plain fusion, the near-miss leads


def test_document_fusion_drops_passages_without_a_document() -> None:
    ids, scores = fuse_documents(np.array([1, 2]), np.array([2]), {2: "d"}, {}, None)
    assert ids.tolist() == [2] and len(scores) == 1
    empty_ids, empty_scores = fuse_documents(np.zeros(0, np.int64), np.zeros(0, np.int64), {}, {}, "en")
    assert len(empty_ids) == 0 and len(empty_scores) == 0


def test_foreign_best_lets_a_name_matched_foreign_passage_count_its_bm25_rank_for_dense_too() -> None:
    # an English query naming a crossing: BM25 ranks the Spanish report (5) first through the name's
    # aliases, dense prefers English passages (the embedder's language bias) and puts it third
    dense, sparse = np.array([1, 2, 5]), np.array([5, 1])
    langs = {1: "en", 2: "en", 5: "es", 6: "es"}
    ids, scores = fuse(dense, sparse, langs, "en")
    assert ids.tolist() == [1, 5, 2]  # 1/61 + 1/62 beats 1/63 + 1/61
    ids, scores = fuse(dense, sparse, langs, "en", Fusion(foreign_best=True))
    assert ids.tolist() == [5, 1, 2]  # 5 takes its better rank (BM25's first) in both terms: 2/61
    np.testing.assert_allclose(scores, [2 / 61, 1 / 61 + 1 / 62, 1 / 62], rtol=1e-6)
    # a foreign passage only BM25 found counts its rank twice; same-language passages are unchanged
    ids, scores = fuse(np.array([1]), np.array([6, 1]), langs, "en", Fusion(foreign_best=True))
    assert ids.tolist() == [6, 1]
    np.testing.assert_allclose(scores, [2 / 61, 1 / 61 + 1 / 62], rtol=1e-6)
    # documents alike
    doc_ids, _ = fuse_documents(dense, sparse, {1: "a", 2: "b", 5: "c"}, langs, "en", Fusion(foreign_best=True))
    assert doc_ids.tolist() == [5, 1, 2]


def test_foreign_best_needs_bm25_to_have_found_the_passage() -> None:
    # the query names a crossing; BM25 found the Spanish report 5 (the name's aliases) and the English 1;
    # dense ranks first a Spanish passage 7 without the name: it does not get the name's credit, only the
    # usual stand-in (its dense rank, three worse), so the passage that holds the name leads
    dense, sparse = np.array([7, 1, 5]), np.array([5, 1])
    langs = {1: "en", 5: "es", 7: "es"}
    ids, scores = fuse(dense, sparse, langs, "en", Fusion(foreign_best=True, unseen_offset=3))
    assert ids.tolist() == [5, 1, 7]
    np.testing.assert_allclose(scores, [2 / 61, 1 / 62 + 1 / 62, 1 / 61 + 1 / 64], rtol=1e-6)


def test_a_foreign_passage_bm25_found_outranks_one_it_did_not_with_the_unseen_offset() -> None:
    """All candidates in another language (a search filtered to it): without the offset the dense first
    leads whatever BM25 says (it stands in 1/61 twice); with it, the passage BM25 ranked first (through a
    name) and dense second leads, while a same-language passage is untouched."""
    dense, sparse = np.array([1, 2, 3]), np.array([2])
    langs = {1: "es", 2: "es", 3: "es"}
    assert fuse(dense, sparse, langs, "en")[0].tolist() == [1, 2, 3]
    ids, scores = fuse(dense, sparse, langs, "en", Fusion(unseen_offset=5))
    assert ids.tolist() == [2, 1, 3]
    np.testing.assert_allclose(scores, [1 / 62 + 1 / 61, 1 / 61 + 1 / 66, 1 / 63 + 1 / 68], rtol=1e-6)
    # same language: BM25's missing rank is missing evidence, offset or not
    same = {1: "en", 2: "en", 3: "en"}
    assert (
        fuse(dense, sparse, same, "en", Fusion(unseen_offset=5))[1].tolist()
        == fuse(dense, sparse, same, "en")[1].tolist()
    )
    # document fusion takes it too
    doc_ids, _ = fuse_documents(dense, sparse, {1: "a", 2: "b", 3: "c"}, langs, "en", Fusion(unseen_offset=5))
    assert doc_ids.tolist()[0] == 2
