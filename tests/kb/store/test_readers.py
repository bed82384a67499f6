"""Readers next to a writer: a compaction under a search, and one thread's uncommitted write."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

import kb.store.segments
from kb.service import KnowledgeBase
from kb.store import KBError
from tests.helpers import FakeEmbedder, make_docs


def open_kb(path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(path, embedder_impl=FakeEmbedder(), use_ner=False)


def test_a_search_survives_a_compaction_between_reading_the_generation_and_loading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb_dir = tmp_path / "kb"
    with open_kb(kb_dir) as writer, open_kb(kb_dir) as reader:
        writer.ingest([make_docs(tmp_path / "a", "a", 2)])
        assert reader.search("patrulla binacional", k=10)  # the reader holds segment 1
        writer.ingest([make_docs(tmp_path / "b", "b", 2)])  # segment 2, not loaded by the reader yet

        real_load = kb.store.segments.load_segment
        armed = [True]
        merged: list[dict[str, int]] = []

        def load_after_a_compaction(seg_id: int, directory: Path) -> kb.store.segments.Segment:
            # the reader has read generation 2 (segments 1 and 2); now the compaction commits
            # generation 3 and deletes both, then the reader goes on to load segment 2
            if armed:
                armed.clear()  # the compaction loads segments too
                merged.append(writer.compact())
            return real_load(seg_id, directory)

        monkeypatch.setattr(kb.store.segments, "load_segment", load_after_a_compaction)
        results = reader.search("patrulla binacional combustible", k=10)
        assert merged == [{"segments_before": 2, "segments_after": 1, "purged": 0}]
        assert not (kb_dir / "segments" / "000002").exists(), "the compaction deleted what the reader wanted"
        found = {r.doc_id for r in results} | {d for r in results for d in r.duplicates}
        assert len(found) == 4, "the reader answered from the compacted generation, all documents in it"
        assert reader.generation == writer.generation == 3


def test_a_thread_never_sees_another_threads_uncommitted_write(tmp_path: Path) -> None:
    with open_kb(tmp_path / "kb") as base:
        base.ingest([make_docs(tmp_path / "a", "a", 2)])
        db = base.store.db  # this thread's connection: an upload being written by one app session
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO documents (id, source, sha256, title) VALUES ('ghost', '/x', 'x', 'Ghost')")
        assert base.stats()["documents"] == 3, "the writing thread sees its own write"
        seen: list[object] = []

        def other_session() -> None:  # another session of the app, same KnowledgeBase
            try:
                seen.append((base.stats()["documents"], base.document("ghost")))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                seen.append(exc)

        thread = threading.Thread(target=other_session)
        thread.start()
        thread.join()
        db.rollback()
        assert seen == [(2, None)]


def test_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    """The app runs every script rerun in a new thread: their connections must not pile up."""
    with open_kb(tmp_path / "kb") as base:
        base.ingest([make_docs(tmp_path / "a", "a", 1)])
        for _ in range(20):
            thread = threading.Thread(target=lambda: base.search("patrulla", k=1))
            thread.start()
            thread.join()
        assert len(base.store._conns) <= 2  # this thread's and the last thread's


def test_a_lost_segment_is_reported_as_damage_not_retried_forever(tmp_path: Path) -> None:
    with open_kb(tmp_path / "kb") as writer:
        writer.ingest([make_docs(tmp_path / "a", "a", 1)])
    shutil.rmtree(tmp_path / "kb" / "segments" / "000001")
    with open_kb(tmp_path / "kb") as reader, pytest.raises(KBError, match="segment 1 is missing.*damaged"):
        reader.search("patrulla", k=1)
