"""KnowledgeBase behaviour with a fake embedder and the gazetteer-only entity path (fast tier)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.service import KnowledgeBase
from kb.store import KBError, LockHeld
from tests.helpers import DOCS, write_docs


@pytest.fixture
def kb(tmp_path: Path, fake_embedder) -> KnowledgeBase:  # type: ignore[no-untyped-def]
    base = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False)
    yield base
    base.close()


def test_ingest_reports_every_file_and_skips_bad_ones(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>garbage")
    (docs / "empty.txt").write_bytes(b"")
    report = kb.ingest([docs])
    status = {Path(r.path).name: (r.status, r.reason) for r in report.rows}
    assert status["acta-desaguadero.md"] == ("ingested", None)
    assert status["visit-rumichaca.txt"] == ("ingested", None)
    assert status["note-ccpd.html"] == ("ingested", None)
    assert status["broken.pdf"][0] == "skipped" and status["broken.pdf"][1] in ("damaged", "empty")
    assert status["empty.txt"] == ("skipped", "empty")
    assert kb.stats()["documents"] == 3
    assert [r.status for r in kb.report()] == [r.status for r in report.rows]


def test_search_groups_by_document_and_cites(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.ingest([write_docs(tmp_path / "docs")])
    results = kb.search("contrabando de combustible Desaguadero", k=3)
    assert results, "expected hits"
    best = results[0].best
    assert Path(best.source).name == "acta-desaguadero.md"
    assert best.lang == "es"
    assert any(e.id == "bc:desaguadero" for e in best.entities)
    assert best.highlights, "matching words are highlighted"
    s, e = best.highlights[0]
    assert best.snippet[s:e]
    assert len({r.doc_id for r in results}) == len(results)


def test_filters_restrict_before_ranking(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.ingest([write_docs(tmp_path / "docs")])
    only_fr = kb.search("migration", k=5, filters={"lang": ["fr"]})
    assert only_fr and {r.best.lang for r in only_fr} == {"fr"}
    crossing = kb.search("police", k=5, filters={"crossing": ["Rumichaca"]})
    assert [Path(r.best.source).name for r in crossing] == ["visit-rumichaca.txt"]
    none = kb.search("police", k=5, filters={"since": "2030"})
    assert none == []


def test_quoted_phrase_matches_exactly(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.ingest([write_docs(tmp_path / "docs")])
    both = '"puente de Rumichaca" OR "Pan-American Highway"'
    assert kb.unmatched_phrases(both) == ("puente de Rumichaca", "Pan-American Highway")  # no chunk has both
    results = kb.search(both, k=5)  # so the phrases are ranked as words, not matched
    assert "visit-rumichaca.txt" in [Path(r.best.source).name for r in results]
    results = kb.search('"Pan-American Highway"', k=5)
    assert [Path(r.best.source).name for r in results] == ["visit-rumichaca.txt"]


def test_reopen_gives_identical_hits(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False) as kb:
        kb.ingest([write_docs(tmp_path / "docs")])
        before = [(r.doc_id, r.best.chunk_id, round(r.score, 6)) for r in kb.search("policía migración", k=5)]
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False) as kb:
        after = [(r.doc_id, r.best.chunk_id, round(r.score, 6)) for r in kb.search("policía migración", k=5)]
    assert before and before == after


def test_reingest_unchanged_does_no_work(kb: KnowledgeBase, tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    docs = write_docs(tmp_path / "docs")
    kb.ingest([docs])
    calls, gen = fake_embedder.calls, kb.store.generation
    report = kb.ingest([docs])
    assert {r.status for r in report.rows} == {"unchanged"}
    assert fake_embedder.calls == calls
    assert kb.store.generation == gen


def test_changed_file_replaces_its_chunks(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    kb.ingest([docs])
    (docs / "visit-rumichaca.txt").write_text(
        "Technical visit report: Rumichaca\n\nThe customs office now scans every lorry with a new x-ray scanner.\n",
        encoding="utf-8",
    )
    report = kb.ingest([docs])
    assert [r.status for r in report.rows if r.path.endswith("rumichaca.txt")] == ["updated"]
    assert kb.stats()["documents"] == 3
    assert kb.unmatched_phrases('"Pan-American Highway"') == ("Pan-American Highway",)  # the old text is gone
    assert [Path(r.best.source).name for r in kb.search('"x-ray scanner"', k=5)] == ["visit-rumichaca.txt"]


def test_duplicate_content_is_stored_once(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    (docs / "copy of acta.md").write_text(DOCS["acta-desaguadero.md"], encoding="utf-8")
    report = kb.ingest([docs])
    dup = [r for r in report.rows if r.status == "duplicate"]
    assert len(dup) == 1 and dup[0].doc_id
    assert kb.stats()["documents"] == 3
    assert len(kb.document(dup[0].doc_id)["paths"]) == 2


def test_remove_and_compact(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    kb.ingest([docs])
    doc_id = kb.search("Rumichaca", k=1)[0].doc_id
    original = Path(kb.document(doc_id)["file"])
    assert original.exists()
    assert kb.remove(str(docs / "visit-rumichaca.txt"))
    assert kb.document(doc_id) is None and not original.exists()
    assert all(r.doc_id != doc_id for r in kb.search("Rumichaca migrant smuggling", k=5))
    kb.ingest([tmp_path / "docs"])  # re-adds it: a second segment
    out = kb.compact()
    assert out["segments_after"] == 1 and out["purged"] > 0
    assert kb.search('"Pan-American Highway"', k=5)
    assert kb.stats()["tombstones"] == 0


def test_other_embedder_is_refused(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False) as kb:
        kb.ingest([write_docs(tmp_path / "docs")])
    with pytest.raises(KBError, match="was built with the embedder"):
        KnowledgeBase.open(tmp_path / "kb", embedder="use")


def test_second_writer_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    with kb.store.writer_lock(), pytest.raises(LockHeld):
        kb.ingest([write_docs(tmp_path / "docs")])


def test_entities_merge_aliases(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.ingest([write_docs(tmp_path / "docs")])
    ents = {e["id"]: e for e in kb.entities()}
    assert "bc:desaguadero" in ents and "bc:rumichaca" in ents
    view = kb.entity("Desaguadero")
    assert view is not None and view["id"] == "bc:desaguadero"
    assert view["lat"] is not None and view["documents"]


def test_near_duplicates_are_grouped_and_shown_once(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    release = (
        "EUROFRONT entrega equipos de verificación documental en Cúcuta. La Unión Europea entregó hoy a Migración "
        "Colombia diez estaciones de verificación de documentos para los puentes fronterizos de Cúcuta, que "
        "permitirán detectar pasaportes falsificados en pocos segundos, según explicó la directora regional."
    )
    (docs / "release.txt").write_text(release, encoding="utf-8")
    (docs / "release-republished.txt").write_text(
        "Publicado por la agencia regional. " + release.replace("hoy", "el miércoles"), encoding="utf-8"
    )
    kb.ingest([docs])
    results = kb.search("estaciones de verificación de documentos en Cúcuta", k=5)
    names = [Path(r.best.source).name for r in results]
    assert sum(n.startswith("release") for n in names) == 1
    first = next(r for r in results if Path(r.best.source).name.startswith("release"))
    assert len(first.duplicates) == 1


def test_reindex_migrates_to_another_embedder(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import FakeEmbedder

    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False) as kb:
        kb.ingest([write_docs(tmp_path / "docs")])
    other = FakeEmbedder(dim=32)
    other.info = type(other.info)("fake32", "fake/other", "test", 32)
    with pytest.raises(KBError, match="kb reindex"):
        KnowledgeBase.open(tmp_path / "kb", embedder_impl=other, use_ner=False)
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=other, use_ner=False, migrating=True) as kb:
        out = kb.reindex()
        assert out["chunks"] > 0
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=other, use_ner=False) as kb:
        assert kb.search("Rumichaca", k=1)
        assert kb.store.read_manifest()["embedder"]["family"] == "fake/other"


def test_a_passage_on_a_european_practice_has_its_own_region(tmp_path: Path, fake_embedder) -> None:
    """Region is per passage: a European paragraph inside a Latin American report is "europe"."""
    latam = (
        "La delegación visitó el CEBAF de Desaguadero entre Perú y Bolivia. La Policía Nacional del Perú y "
        "la Policía Boliviana describieron el contrabando de combustible en el río Desaguadero. "
    ) * 12
    europe = (
        "En España, la Guardia Civil y la Policía Nacional trabajan con Frontex y Europol en los centros de "
        "cooperación policial y aduanera de la frontera con Francia y Portugal. "
    ) * 12
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "informe-desaguadero.md").write_text(
        f"# Informe de visita a Desaguadero\n\n## La frontera\n\n{latam}\n\n## Práctica europea\n\n{europe}\n\n"
        f"## Conclusiones\n\n{latam}\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder, use_ner=False)
    try:
        kb.ingest([docs])
        [doc] = kb.store.db.execute("SELECT id, region FROM documents").fetchall()
        assert doc["region"] == "latam"
        europe_hits = [h for r in kb.search("Guardia Civil Frontex", filters={"region": ["europe"]}) for h in r.hits]
        assert europe_hits and all("Guardia Civil" in h.text for h in europe_hits)
        assert {h.region for h in europe_hits} == {"europe"}
        latam_hits = [h for r in kb.search("Guardia Civil Frontex", filters={"region": ["latam"]}) for h in r.hits]
        assert latam_hits and all("Guardia Civil" not in h.text for h in latam_hits)
        facets = {v: n for v, _, n in kb.facets()["region"]}
        assert facets == {"latam": 1, "europe": 1}  # one document, with passages in both regions
        # a metadata correction re-derives passage regions without re-embedding (kb relink)
        kb.store.db.execute("DELETE FROM chunk_regions")
        kb.relink()
        again = [h for r in kb.search("Guardia Civil Frontex", filters={"region": ["europe"]}) for h in r.hits]
        assert [h.chunk_id for h in again] == [h.chunk_id for h in europe_hits]
    finally:
        kb.close()
