"""SIGKILL an ingest at every commit stage: the knowledge base stays openable and re-runs converge."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kb.faults import POINTS
from kb.service import KnowledgeBase
from tests.conftest import ROOT, FakeEmbedder

SCRIPT = textwrap.dedent(
    """
    import sys
    from kb.service import KnowledgeBase
    from tests.conftest import FakeEmbedder
    kb = KnowledgeBase.open(sys.argv[1], embedder_impl=FakeEmbedder(), use_ner=False)
    kb.ingest(sys.argv[2:])
    """
)


def make_docs(folder: Path, prefix: str, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"{prefix}-{i:02d}.md").write_text(
            f"# Informe {prefix} {i}\n\nLa patrulla binacional {prefix} número {i} revisó el paso fronterizo "
            f"de Desaguadero y registró {i * 7} vehículos con contrabando de combustible.\n",
            encoding="utf-8",
        )
    return folder


def run_ingest(kb_dir: Path, folders: list[Path], crash_at: str | None) -> int:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("KB_CRASH_AT", None)
    if crash_at:
        env["KB_CRASH_AT"] = crash_at
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(kb_dir), *map(str, folders)], env=env, cwd=ROOT, timeout=300
    )
    return proc.returncode


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


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_at_each_stage_leaves_a_consistent_kb(tmp_path: Path, point: str) -> None:
    first = make_docs(tmp_path / "a", "a", 3)
    second = make_docs(tmp_path / "b", "b", 4)
    kb_dir = tmp_path / "kb"
    assert run_ingest(kb_dir, [first], None) == 0
    before_docs, _, _ = snapshot(kb_dir)
    assert before_docs == 3

    code = run_ingest(kb_dir, [first, second], point)
    assert code == -signal.SIGKILL, f"the ingest should have been killed at {point}"
    docs, _, _ = snapshot(kb_dir)  # opens, counts agree, searchable
    assert docs in (3, 7)  # the previous generation, or the new one when the commit had happened

    assert run_ingest(kb_dir, [first, second], None) == 0
    after = snapshot(kb_dir)
    reference = tmp_path / "ref"
    assert run_ingest(reference, [first, second], None) == 0
    expected = snapshot(reference)
    assert after[0] == expected[0] == 7
    assert after[1] == expected[1], "no duplicate or orphan chunks after the re-run"
    on_disk = {p.name for p in (kb_dir / "segments").iterdir()}
    with KnowledgeBase.open(kb_dir, embedder_impl=FakeEmbedder(), use_ner=False) as kb:
        live = {kb.store.segment_dir(s).name for s in kb.store.live_segments()}
    assert on_disk == live, "no orphan segment directories"
