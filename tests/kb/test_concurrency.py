"""Searches keep answering, with consistent results, while another process ingests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.service import KnowledgeBase
from kb.store import LockHeld
from tests.conftest import ROOT, FakeEmbedder
from tests.kb.test_crash import SCRIPT, make_docs, run_ingest


@pytest.mark.slow
def test_searches_during_ingest_never_fail(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    assert run_ingest(kb_dir, [make_docs(tmp_path / "seed", "seed", 3)], None) == 0
    folders = [make_docs(tmp_path / f"batch{i}", f"batch{i}", 6) for i in range(4)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
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
    searches = 0
    seen_docs: list[int] = []
    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        deadline = time.monotonic() + 240
        while writer.poll() is None and time.monotonic() < deadline:
            try:
                results = kb.search("patrulla binacional combustible", k=50)
                searches += 1
                # every hit belongs to a committed document of the generation the reader sees
                ids = {r.doc_id for r in results} | {d for r in results for d in r.duplicates}
                assert all(kb.document(d) is not None for d in ids)
                seen_docs.append(len(ids))
            except Exception as exc:  # noqa: BLE001 - any error is a failure, collected for the message
                errors.append(repr(exc))
        writer.wait(timeout=60)
        final = kb.search("patrulla binacional combustible", k=50)
    assert writer.returncode == 0
    assert searches > 0 and not errors, errors[:3]
    assert seen_docs == sorted(seen_docs), "a reader never goes back to an older generation"
    # the generated reports are near-duplicates of each other: count the folded ones too
    assert len(final) + sum(len(r.duplicates) for r in final) == 3 + 4 * 6


def test_second_writer_gets_a_clear_message(tmp_path: Path) -> None:
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        with kb.store.writer_lock():
            other = KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
            with pytest.raises(LockHeld, match="being written by another process"):
                other.remove("anything")
            other.close()
