"""Searches keep answering, each from one whole generation, while another process ingests and compacts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.faults import hook
from kb.service import KnowledgeBase
from kb.store import LockHeld
from tests.helpers import ROOT, SCRIPT, FakeEmbedder, make_docs, run_ingest

WAIT_S = 240  # bounds every wait on the writer, so that a stuck writer fails the test instead of hanging it


@pytest.mark.slow
def test_searches_overlap_commits_and_compactions_and_never_fail(tmp_path: Path) -> None:
    kb_dir, pauses = tmp_path / "kb", tmp_path / "pauses"
    pauses.mkdir()
    assert run_ingest(kb_dir, [make_docs(tmp_path / "seed", "seed", 3)], None) == 0
    folders = [make_docs(tmp_path / f"batch{i}", f"batch{i}", 6) for i in range(4)]
    # one segment per folder; more than 2 live segments triggers a compaction (after batch 1 and 3),
    # and the writer waits before each compaction commit until a search holding the old segments lets it go
    env = dict(os.environ, PYTHONPATH=str(ROOT), KB_COMPACT_SEGMENTS="2", KB_PAUSE_AT="compact_segment_written")
    env["KB_PAUSE_DIR"] = str(pauses)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SCRIPT.replace("kb.ingest(sys.argv[2:])", "[kb.ingest([f]) for f in sys.argv[2:]]"),
            str(kb_dir),
            *map(str, folders),
        ],
        env=env,
        cwd=ROOT,
    )
    errors: list[str] = []
    searches: list[dict[str, object]] = []  # what each search saw and what committed while it ran
    released = 0

    def manifest_generation() -> int:
        return int(kb.store.read_manifest()["generation"])  # type: ignore[index]

    def hold_the_search() -> None:
        """Between taking its view and searching it: let the writer commit (and compact) first."""
        nonlocal released
        view = kb._view
        record: dict[str, object] = {"gen": view.generation, "segments": set(view.segments)}
        searches.append(record)
        deadline = time.monotonic() + WAIT_S
        while writer.poll() is None and time.monotonic() < deadline:
            if (pauses / f"compact_segment_written.{released + 1}.reached").exists():
                released += 1
                (pauses / f"compact_segment_written.{released}.go").touch()
                gone = lambda: not any(kb.store.segment_dir(s).exists() for s in view.segments)  # noqa: E731
                while not gone() and writer.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                record["compaction_deleted_its_segments"] = gone()
                break
            if manifest_generation() > view.generation:
                break
            time.sleep(0.005)
        record["manifest_gen_at_end"] = manifest_generation()

    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        with hook("search_view", hold_the_search):
            while writer.poll() is None and len(searches) < 50:
                try:
                    results = kb.search("patrulla binacional combustible", k=50)
                    # every hit belongs to a committed document; the generated reports are near-duplicates
                    ids = {r.doc_id for r in results} | {d for r in results for d in r.duplicates}
                    assert all(kb.document(d) is not None for d in ids)
                    searches[-1]["found"] = len(ids)
                except Exception as exc:  # noqa: BLE001 - any error is a failure, collected for the message
                    errors.append(repr(exc))
        writer.wait(timeout=WAIT_S)
        final = kb.search("patrulla binacional combustible", k=50)
        added = dict(kb.store.db.execute("SELECT added_gen, COUNT(*) FROM documents GROUP BY added_gen").fetchall())
        merged = kb.store.db.execute("SELECT COUNT(*) FROM segments WHERE live=0").fetchone()[0]
    assert writer.returncode == 0
    assert not errors, errors[:3]
    # generations: 1 seed, 2 batch0, 3 batch1, 4 compaction, 5 batch2, 6 batch3, 7 compaction
    assert manifest_generation_of(kb_dir) == 7 and merged == 6, "two compactions ran, each merging 3 segments"
    overlapped = [s for s in searches if int(s["manifest_gen_at_end"]) > int(s["gen"])]  # type: ignore[call-overload]
    assert overlapped, "some search started before a commit's manifest replace and finished after it"
    held = [s for s in searches if s.get("compaction_deleted_its_segments")]
    assert len(held) == 2, "a search ran on segments that a compaction committed over and deleted"
    for s in searches:  # each answered from exactly its own generation, whatever committed meanwhile
        expected = sum(n for gen, n in added.items() if gen <= int(s["gen"]))  # type: ignore[call-overload]
        assert s.get("found") == expected, s
    gens = [int(s["gen"]) for s in searches]  # type: ignore[call-overload]
    assert gens == sorted(gens), "a reader never goes back to an older generation"
    assert len(final) + sum(len(r.duplicates) for r in final) == 3 + 4 * 6


def manifest_generation_of(kb_dir: Path) -> int:
    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        return int((kb.store.read_manifest() or {})["generation"])


def test_second_writer_gets_a_clear_message(tmp_path: Path) -> None:
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        with kb.store.writer_lock():
            other = KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
            with pytest.raises(LockHeld, match="being written by another process"):
                other.remove("anything")
            other.close()
