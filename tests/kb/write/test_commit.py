"""One commit path: a generation lands whole or not at all, and one document's lost file skips only it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.faults import hook
from kb.service import KnowledgeBase
from kb.store import writes
from kb.store.manifest import commit_generation
from tests.helpers import FakeEmbedder, make_docs


def open_kb(path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(path, embedder_impl=FakeEmbedder(), use_ner=False)


def test_an_original_that_vanishes_before_it_is_copied_skips_that_document_only(tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "docs", "d", 3)
    gone = docs / "d-01.md"
    with open_kb(tmp_path / "kb") as kb:
        with hook("read", gone.unlink):  # every file has been read; none is copied yet
            report = kb.ingest([docs])
        status = {Path(r.path).name: (r.status, r.reason) for r in report.rows}
        assert status == {
            "d-00.md": ("ingested", None),
            "d-01.md": ("skipped", "damaged"),
            "d-02.md": ("ingested", None),
        }
        assert kb.stats()["documents"] == 2
        results = kb.search("patrulla binacional combustible", k=10)
        found = {r.doc_id for r in results} | {d for r in results for d in r.duplicates}  # near-duplicates fold
        assert len(found) == 2, "the segment holds exactly the stored documents' chunks"
        manifest = kb.store.read_manifest() or {}
        assert manifest["counts"]["chunks"] == manifest["segments"][0]["n"] == kb.stats()["chunks"]


def test_a_commit_that_raises_leaves_the_previous_generation(tmp_path: Path) -> None:
    with open_kb(tmp_path / "kb") as kb:
        kb.ingest([make_docs(tmp_path / "docs", "d", 2)])
        before = (kb.root / "manifest.json").read_bytes()
        gen = kb.store.generation
        with pytest.raises(RuntimeError), commit_generation(kb.store) as (_, new_gen):
            assert new_gen == gen + 1
            writes.prune_entities(kb.store)
            writes.delete_document_rows(kb.store, kb.search("patrulla", k=1)[0].doc_id, new_gen, keep_paths=False)
            raise RuntimeError("a writer bug")
        assert kb.store.generation == gen and kb.stats()["documents"] == 2
        assert (kb.root / "manifest.json").read_bytes() == before


def test_reindex_and_relink_commit_a_generation_the_manifest_describes(tmp_path: Path) -> None:
    with open_kb(tmp_path / "kb") as kb:
        kb.ingest([make_docs(tmp_path / "docs", "d", 2)])
        for verb in (kb.reindex, kb.relink):
            gen = kb.store.generation
            verb()
            manifest = json.loads((kb.root / "manifest.json").read_text("utf-8"))
            assert manifest["generation"] == kb.store.generation == gen + 1
            assert manifest["counts"] == kb.store.counts()
            assert list(manifest) == sorted(manifest), "one writer: keys sorted whatever the verb"
