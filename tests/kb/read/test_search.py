"""The read path through the facade: filters restrict before ranking, views read only live rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.service import KnowledgeBase

TOPICS = ("puentes", "aduanas", "migración", "patrullas", "alertas", "capacitación", "combustible", "fronteras")


def _doc(n: int, passages: int) -> str:
    """A Spanish document of ``passages`` paragraphs long enough to be one chunk each."""
    paras = []
    for p in range(passages):
        topic = TOPICS[(n + p) % len(TOPICS)]
        words = " ".join(f"palabra{n}x{p}x{w}" for w in range(140))
        paras.append(f"Sección {p} del informe {n} sobre {topic} y la cooperación policial. {words}.")
    return "\n\n".join(paras)


@pytest.fixture
def many(tmp_path: Path, fake_embedder) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    """30 documents, 3 of them in the collection ``kept``."""
    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False)
    other, kept = tmp_path / "other", tmp_path / "kept"
    other.mkdir()
    kept.mkdir()
    for n in range(27):
        (other / f"informe-{n}.txt").write_text(_doc(n, 3), encoding="utf-8")
    for n in range(3):
        (kept / f"guardado-{n}.txt").write_text(_doc(100 + n, 3), encoding="utf-8")
    kb.ingest([other], "other")
    kb.ingest([kept], "kept")
    yield kb
    kb.close()


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_a_filter_keeping_few_documents_returns_all_k_of_them(many: KnowledgeBase, mode: str) -> None:
    kept = [r for r in many.search("cooperación policial", k=50, per_doc=50, mode=mode) if r.doc_id]
    kept_ids = {r.doc_id for r in kept if "guardado" in r.best.source}
    assert len(kept_ids) == 3, "the three kept documents are in the knowledge base"
    passages = sum(many.document(d)["chunks"] for d in kept_ids)
    assert passages >= 6, "each kept document has several passages"
    results = many.search("cooperación policial", k=3, per_doc=50, mode=mode, filters={"collection": ["kept"]})
    assert {r.doc_id for r in results} == kept_ids, "k = 3 documents exist behind the filter: all 3 come back"
    assert sum(len(r.hits) for r in results) == passages, "and every one of their passages"


def test_unknown_filter_values_come_through_the_facade(many: KnowledgeBase) -> None:
    unknown = many.unknown_filter_values({"collection": ["kep", "kept"]})
    assert [(u.field, u.value) for u in unknown] == [("collection", "kep")]
    assert unknown[0].suggestions == ("kept",)


def test_evidence_and_original_file(many: KnowledgeBase) -> None:
    doc_id = many.search("cooperación", k=1, filters={"collection": ["kept"]})[0].doc_id
    evidence = many.evidence()
    assert evidence.documents([doc_id])[doc_id]["collection"] == "kept"
    assert [n for n, _ in evidence.pages(doc_id)] == [None]  # a text file has no pages
    original = many.original_file(doc_id)
    assert original is not None and original.read_bytes().startswith("Sección 0".encode())
    assert many.original_file("no-such-document") is None


def test_concurrent_searches_answer_as_alone(many: KnowledgeBase) -> None:
    """Eight users at once (their queries may share encoder runs): each gets what it gets alone."""
    import threading

    queries = [f"{t} informe {n}" for n, t in enumerate(TOPICS)]
    alone = {q: [(r.doc_id, r.best.chunk_id) for r in many.search(q, k=5)] for q in queries}
    many._qcache.clear()  # embed again, this time together
    start, together = threading.Barrier(len(queries)), {}

    def user(q: str) -> None:
        start.wait()
        together[q] = [(r.doc_id, r.best.chunk_id) for r in many.search(q, k=5)]

    threads = [threading.Thread(target=user, args=(q,)) for q in queries]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert together == alone


def test_best_snippets_mark_only_each_documents_best_passage(many: KnowledgeBase) -> None:
    """``snippets="best"`` (the API and the CLI) highlights the best passages exactly as a full search does."""
    full = many.search("cooperación policial", k=5, per_doc=3)
    best = many.search("cooperación policial", k=5, per_doc=3, snippets="best")
    assert [r.doc_id for r in best] == [r.doc_id for r in full]
    for f, b in zip(full, best, strict=True):
        assert (b.best.snippet, b.best.highlights) == (f.best.snippet, f.best.highlights)
        assert b.best.highlights, "the best passage names the query's words"
        assert len(b.hits) == len(f.hits) > 1
        assert all(h.highlights == () and h.snippet == " ".join(h.text.split())[:200] for h in b.hits[1:])
        assert b.best.entities == f.best.entities  # the best passage's entities as in a full search
        assert all(h.entities == () for h in b.hits[1:])  # the others are counted, not shown


@given(st.text(alphabet=st.sampled_from("ab \n\t\u00a0é"), max_size=2500), st.integers(1, 300))
def test_a_plain_snippet_is_the_normalised_opening(text: str, width: int) -> None:
    """Without normalising a whole passage, the same first characters as normalising it."""
    from kb.read.hits import _opening

    assert _opening(text, width) == " ".join(text.split())[:width]


def test_a_quoted_phrase_no_passage_holds_is_searched_as_words(many: KnowledgeBase) -> None:
    """A quoted phrase filters to the passages that hold it; when none does (within the filters), the search
    ranks on its words instead of answering nothing, and ``unmatched_phrases`` says so."""
    held = many.search('"informe 7 sobre"', k=30, per_doc=5)
    assert held and {r.doc_id for r in held} == {r.doc_id for r in held if "informe-7" in r.best.source}
    assert many.unmatched_phrases('"informe 7 sobre"') == ()
    absent = '"policial cooperación del informe 7"'  # its words are everywhere, in another order
    assert many.unmatched_phrases(absent) == ("policial cooperación del informe 7",)
    words = many.search(absent, k=5)
    assert words and [r.doc_id for r in words] == [r.doc_id for r in many.search(absent.strip('"'), k=5)]
    # within a filter that the phrase does match, it still filters
    assert many.unmatched_phrases('"informe 7 sobre"', {"collection": ["kept"]}) == ("informe 7 sobre",)
    assert many.unmatched_phrases('"informe 100 sobre"', {"collection": ["kept"]}) == ()
    assert {r.best.source.split("/")[-1] for r in many.search('"informe 100 sobre"', k=5)} == {"guardado-0.txt"}
