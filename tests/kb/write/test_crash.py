"""SIGKILL a writer at every commit stage of ingest, remove and compact.

After each kill the knowledge base opens in exactly the state the kill point implies (the old
generation before the SQLite commit, the new one after it), the next writer run leaves no orphan
segment directory or original, and re-running converges on what an uninterrupted run builds.
"""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest

from kb.faults import COMPACT_POINTS, INGEST_POINTS, REMOVE_POINTS
from kb.service import KnowledgeBase
from tests.helpers import FakeEmbedder, make_docs, run_ingest, run_script

OPS = textwrap.dedent(
    """
    import sys
    from kb.service import KnowledgeBase
    from tests.helpers import FakeEmbedder
    kb = KnowledgeBase.open(sys.argv[1], embedder_impl=FakeEmbedder(), use_ner=False)
    if sys.argv[2] == "remove":
        assert kb.remove(sys.argv[3])
    else:
        kb.compact()
    """
)


def run_op(kb_dir: Path, op: list[str], crash_at: str | None) -> int:
    return run_script([OPS, str(kb_dir), *op], crash_at)


def snapshot(kb_dir: Path) -> tuple[int, int, list[tuple[str, int]]]:
    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        manifest = kb.store.read_manifest() or {}
        counts = kb.store.counts()
        assert manifest["counts"]["chunks"] == counts["chunks"], "manifest counts agree with the store"
        assert manifest["generation"] == kb.store.generation
        per_doc = kb.store.db.execute(
            "SELECT doc_id, COUNT(*) FROM chunks WHERE deleted_gen IS NULL GROUP BY doc_id ORDER BY doc_id"
        ).fetchall()
        kb.search("contrabando de combustible", k=3)  # opens and searches every live segment
        live = {kb.store.segment_dir(s).name for s in kb.store.live_segments()}
        return counts["documents"], counts["chunks"], [tuple(r) for r in per_doc] + [("segments", len(live))]


def state(kb_dir: Path) -> dict[str, int]:
    """Documents, generation, live segments and tombstones of a reopened knowledge base (searched once)."""
    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        found = kb.search("patrulla binacional combustible", k=50)  # loads every live segment
        counts = kb.store.counts()
        return {
            "documents": counts["documents"],
            "found": len(found) + sum(len(r.duplicates) for r in found),
            "generation": int((kb.store.read_manifest() or {})["generation"]),
            "segments": len(kb.store.live_segments()),
            "tombstones": counts["tombstones"],
        }


def orphans(kb_dir: Path) -> tuple[set[str], set[str]]:
    """Segment directories and originals on disk that no committed document or segment refers to."""
    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        live = {kb.store.segment_dir(s).name for s in kb.store.live_segments()}
        kept = {r[0] for r in kb.store.db.execute("SELECT file FROM documents")}
    segments = {p.name for p in (kb_dir / "segments").iterdir()} - live
    files = {str(p.relative_to(kb_dir)) for p in (kb_dir / "files").rglob("*") if p.is_file()} - kept
    return segments, files


def next_writer_run(kb_dir: Path) -> None:
    """A writer run that adds nothing (an ingest of no files): it cleans up what a killed writer left."""
    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        kb.ingest([])


BEFORE, AFTER = {"documents": 3, "generation": 1}, {"documents": 7, "generation": 2}
INGEST_EXPECTED = {  # the state right after a kill at each point of an ingest, and what it leaves behind
    "read": (BEFORE, 0, 0),
    "embed": (BEFORE, 0, 0),
    "originals_kept": (BEFORE, 0, 4),
    "segment_written": (BEFORE, 1, 4),
    "store_committed": (AFTER, 0, 0),
    "manifest_written": (AFTER, 0, 0),
}


@pytest.mark.slow
@pytest.mark.parametrize("point", INGEST_POINTS)
def test_sigkill_at_each_ingest_stage_leaves_the_exact_state(tmp_path: Path, point: str) -> None:
    first = make_docs(tmp_path / "a", "a", 3)
    second = make_docs(tmp_path / "b", "b", 4)
    kb_dir = tmp_path / "kb"
    assert run_ingest(kb_dir, [first], None) == 0
    assert state(kb_dir) == {"documents": 3, "found": 3, "generation": 1, "segments": 1, "tombstones": 0}

    code = run_ingest(kb_dir, [first, second], point)
    assert code == -signal.SIGKILL, f"the ingest should have been killed at {point}"
    expected, orphan_segments, orphan_files = INGEST_EXPECTED[point]
    docs = expected["documents"]
    assert state(kb_dir) == {**expected, "found": docs, "segments": 1 + (docs == 7), "tombstones": 0}
    segments, files = orphans(kb_dir)
    assert (len(segments), len(files)) == (orphan_segments, orphan_files), (segments, files)
    next_writer_run(kb_dir)
    assert orphans(kb_dir) == (set(), set()), "the next writer removes what the killed one left"

    assert run_ingest(kb_dir, [first, second], None) == 0
    after = snapshot(kb_dir)
    reference = tmp_path / "ref"
    assert run_ingest(reference, [first, second], None) == 0
    expected_snapshot = snapshot(reference)
    assert after[0] == expected_snapshot[0] == 7
    assert after[1] == expected_snapshot[1], "no duplicate or orphan chunks after the re-run"
    assert orphans(kb_dir) == (set(), set())


def two_segments(tmp_path: Path) -> tuple[Path, Path]:
    """7 documents in 2 segments (generation 2); returns the folder of the first 3."""
    first = make_docs(tmp_path / "a", "a", 3)
    kb_dir = tmp_path / "kb"
    assert run_ingest(kb_dir, [first], None) == 0
    assert run_ingest(kb_dir, [make_docs(tmp_path / "b", "b", 4)], None) == 0
    return kb_dir, first


@pytest.mark.slow
@pytest.mark.parametrize("point", REMOVE_POINTS)
def test_sigkill_during_remove(tmp_path: Path, point: str) -> None:
    kb_dir, first = two_segments(tmp_path)
    assert run_op(kb_dir, ["remove", str(first / "a-00.md")], point) == -signal.SIGKILL
    # both points are after the commit: reopening rolls the manifest forward to generation 3
    assert state(kb_dir) == {"documents": 6, "found": 6, "generation": 3, "segments": 2, "tombstones": 1}
    segments, files = orphans(kb_dir)
    assert segments == set() and len(files) == 1, "the removed document's original is left behind"
    next_writer_run(kb_dir)
    assert orphans(kb_dir) == (set(), set())
    assert state(kb_dir)["documents"] == 6


COMPACT_EXPECTED = {  # generation, live segments, tombstones, orphan segment directories on disk
    "compact_segment_written": (3, 2, 1, 1),  # the merged segment, never committed
    "compact_committed": (4, 1, 0, 2),  # the two merged ones, retired but not yet deleted
    "compact_manifest_written": (4, 1, 0, 2),
}


@pytest.mark.slow
@pytest.mark.parametrize("point", COMPACT_POINTS)
def test_sigkill_during_compact(tmp_path: Path, point: str) -> None:
    kb_dir, first = two_segments(tmp_path)
    assert run_op(kb_dir, ["remove", str(first / "a-00.md")], None) == 0
    assert run_op(kb_dir, ["compact"], point) == -signal.SIGKILL
    gen, live, tombstones, orphan_segments = COMPACT_EXPECTED[point]
    expected = {"documents": 6, "found": 6, "generation": gen, "segments": live, "tombstones": tombstones}
    assert state(kb_dir) == expected
    segments, files = orphans(kb_dir)
    assert (len(segments), files) == (orphan_segments, set())
    next_writer_run(kb_dir)
    assert orphans(kb_dir) == (set(), set())
    assert run_op(kb_dir, ["compact"], None) == 0  # finishes the job, or finds it done
    assert state(kb_dir) == {"documents": 6, "found": 6, "generation": 4, "segments": 1, "tombstones": 0}
