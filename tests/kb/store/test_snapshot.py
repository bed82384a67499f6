"""``kb snapshot`` while ingest goes on, and serving processes that switch generations without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import ROOT, FakeEmbedder, make_docs, write_docs


def open_kb(path: Path) -> Any:
    from kb.service import KnowledgeBase

    return KnowledgeBase.open(path, embedder_impl=FakeEmbedder(), use_ner=False)


def extract(tar: Path, into: Path) -> list[str]:
    with tarfile.open(tar) as t:
        names = t.getnames()
        t.extractall(into, filter="data")
    return names


def check_replica(path: Path) -> tuple[int, int]:
    """Open an extracted snapshot: one whole generation, every segment there, searchable."""
    kb = open_kb(path)
    manifest = kb.store.read_manifest()
    assert manifest["generation"] == kb.store.generation  # no roll-forward needed: the two agree
    n = sum(s["n"] for s in manifest["segments"])
    assert all((path / "segments" / s["dir"] / "segment.json").exists() for s in manifest["segments"])
    assert n == kb.stats()["chunks"]  # the segments hold exactly the database's live chunks
    docs = kb.stats()["documents"]
    assert docs % 4 == 0  # each ingest adds 4 documents in one commit: never half of one
    if docs:
        assert kb.search("patrulla binacional", k=3)
    kb.close()
    return kb.store.generation, docs


@pytest.mark.slow
def test_snapshots_taken_during_an_ingest_are_whole_generations(tmp_path: Path) -> None:
    from kb.cli import cli

    kb = open_kb(tmp_path / "kb")
    folders = [make_docs(tmp_path / f"in{i}", f"lote{i}", 4) for i in range(8)]
    done = threading.Event()

    def ingest() -> None:
        writer = open_kb(tmp_path / "kb")
        for f in folders:
            writer.ingest([f])
        writer.close()
        done.set()

    thread = threading.Thread(target=ingest)
    thread.start()
    seen = []
    i = 0
    while not done.is_set() or i < 2:
        out = tmp_path / f"snap{i}.tar"
        gen = kb.snapshot(out)
        names = extract(out, tmp_path / f"replica{i}")
        assert names[-1] == "manifest.json" and names.index("store.sqlite") == len(names) - 2
        assert all(not n.startswith("store.sqlite-") for n in names)  # no -wal/-shm: a plain database
        assert check_replica(tmp_path / f"replica{i}")[0] == gen
        seen.append(gen)
        i += 1
    thread.join()
    assert len(set(seen)) >= 2  # the snapshots did see the ingest move on
    kb.snapshot(tmp_path / "s.tar")
    extract(tmp_path / "s.tar", tmp_path / "final")
    assert check_replica(tmp_path / "final")[1] == 32
    result = CliRunner().invoke(cli, ["--kb", str(tmp_path / "new"), "snapshot", "--out", str(tmp_path / "e.tar")])
    assert result.output.strip() == f"wrote {tmp_path / 'e.tar'} (generation 0)"
    assert extract(tmp_path / "e.tar", tmp_path / "empty") == ["store.sqlite", "manifest.json"]


SERVER = """
import sys, time
from kb.service import KnowledgeBase
from tests.helpers import FakeEmbedder
kb = KnowledgeBase.open(sys.argv[1], embedder_impl=FakeEmbedder(), use_ner=False)
first = kb.generation
print("ready", first, flush=True)
for _ in range(600):
    hits = kb.search("Rumichaca", k=3, mode="sparse")
    if hits:
        print("found", kb.generation, flush=True)
        break
    time.sleep(0.1)
"""


def serve(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SERVER), str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().split()[0] == "ready"
    return proc


def found(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    proc.wait(timeout=60)
    return line


@pytest.mark.slow
def test_a_serving_process_switches_to_a_new_generation_without_restart(tmp_path: Path) -> None:
    kb = open_kb(tmp_path / "kb")
    kb.ingest([make_docs(tmp_path / "a", "lote", 3)])
    proc = serve(tmp_path / "kb")
    kb.ingest([write_docs(tmp_path / "b")])  # visit-rumichaca.txt comes in
    assert found(proc) == ["found", str(kb.store.generation)]


@pytest.mark.slow
def test_a_replica_switches_when_its_directory_points_at_a_newer_snapshot(tmp_path: Path) -> None:
    """A replica: each snapshot extracted into its own directory, ``current`` a symlink swapped atomically."""
    primary = open_kb(tmp_path / "primary")
    primary.ingest([make_docs(tmp_path / "a", "lote", 3)])
    replica = tmp_path / "replica"
    gen1 = primary.snapshot(tmp_path / "1.tar")
    extract(tmp_path / "1.tar", replica / f"gen{gen1}")
    (replica / "current").symlink_to(f"gen{gen1}")
    proc = serve(replica / "current")
    primary.ingest([write_docs(tmp_path / "b")])
    gen2 = primary.snapshot(tmp_path / "2.tar")
    extract(tmp_path / "2.tar", replica / f"gen{gen2}")
    os.symlink(f"gen{gen2}", replica / "next")
    os.replace(replica / "next", replica / "current")  # one rename: the server sees one or the other
    assert found(proc) == ["found", str(gen2)]
