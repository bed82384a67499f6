"""Ingest on Ray (``kb ingest --ray``): the same knowledge base as a local ingest, workers that die, a real cluster.

The Ray tests are slow (a local cluster takes seconds to start) and share one in-process cluster of two
CPUs; the ``ray start --head`` test drives a separate cluster from a child process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from tests.helpers import ROOT, FakeEmbedder, make_docs, write_docs

TABLES = {  # every row an ingest writes, in a stable order (the report without its timestamps)
    "documents": "SELECT * FROM documents ORDER BY id",
    "chunks": "SELECT * FROM chunks ORDER BY id",
    "entities": "SELECT * FROM entities ORDER BY id",
    "mentions": "SELECT * FROM mentions ORDER BY chunk_id, start, entity_id",
    "chunk_regions": "SELECT * FROM chunk_regions ORDER BY chunk_id",
    "actions": "SELECT * FROM actions ORDER BY doc_id, text",
    "affiliations": "SELECT * FROM affiliations ORDER BY doc_id, chunk_id, person_id",
    "report": "SELECT run, path, status, reason, detail, doc_id FROM report ORDER BY rowid",
}


def corpus(folder: Path) -> Path:
    """Three languages and formats, a dozen short reports, an unreadable PDF and an empty file."""
    write_docs(folder)
    make_docs(folder, "patrulla", 12)
    (folder / "roto.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    (folder / "vacio.txt").write_text("   \n", encoding="utf-8")
    return folder


def contents(kb: Any) -> tuple[dict[str, list[tuple[Any, ...]]], dict[int, np.ndarray]]:
    """Every stored row, and every live chunk's vector by chunk id."""
    from kb.store.segments import Snapshot, refresh_snapshot

    rows = {name: [tuple(r) for r in kb.store.db.execute(sql)] for name, sql in TABLES.items()}
    vectors: dict[int, np.ndarray] = {}
    for seg in refresh_snapshot(kb.store, Snapshot()).segments.values():
        ids = seg.dense.ids()
        vectors.update(zip(ids.tolist(), seg.dense.reconstruct(ids), strict=True))
    return rows, vectors


def assert_same(local: Any, remote: Any, atol: float) -> None:
    rows_l, vec_l = contents(local)
    rows_r, vec_r = contents(remote)
    for name in TABLES:
        assert rows_r[name] == rows_l[name], name
    assert rows_l["chunks"] and sorted(vec_r) == sorted(vec_l)
    for cid, v in vec_l.items():
        assert np.allclose(vec_r[cid], v, atol=atol), cid


@pytest.fixture(scope="module")
def ray_cluster() -> Any:
    """One local Ray cluster of two CPUs for this module's in-process tests."""
    pytest.importorskip("ray")
    from kb.write.distributed import connect

    ray = connect("local", object_store_mb=300, cpus=2)
    yield ray
    ray.shutdown()


def open_kb(path: Path, **settings: Any) -> Any:
    from kb.service import KnowledgeBase

    return KnowledgeBase.open(path, embedder_impl=FakeEmbedder(), use_ner=False, **settings)


@pytest.mark.slow
def test_ray_ingest_equals_local_ingest(tmp_path: Path, ray_cluster: Any) -> None:
    from kb.write import ingest
    from kb.write.distributed import RayExecutor

    docs = corpus(tmp_path / "docs")
    remote = open_kb(tmp_path / "remote")
    seen: list[tuple[str, int, int]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "BATCH_DOCS", 6)  # three batches: their order and boundaries must match too
        local = open_kb(tmp_path / "local")
        local.ingest([docs])
        report = remote.ingest(
            [docs], executor=RayExecutor(load_embedder=FakeEmbedder), progress=lambda *a: seen.append(a)
        )
    assert {r.reason for r in report.skipped} == {"damaged", "empty"}
    assert report.count("ingested") == 15
    assert len(remote.store.live_segments()) == 3 and seen[-1] == ("embed", 17, 17)
    assert_same(local, remote, atol=0.0)  # the fake embedder is exact whatever the batches
    assert remote.search("contrabando de combustible", k=3)


class DyingOnce:
    """An embedder loader whose first embedder kills its worker process in the middle of a batch."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __call__(self) -> Any:
        marker = self.marker

        class Dying(FakeEmbedder):
            def embed(self, texts, kind):  # type: ignore[no-untyped-def]
                if not marker.exists():
                    marker.write_text(str(os.getpid()))
                    os._exit(1)  # the actor's process dies with the batch half analysed
                return super().embed(texts, kind)

        return Dying()


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(tmp_path: Path, ray_cluster: Any) -> None:
    from kb.write.distributed import RayExecutor

    docs = corpus(tmp_path / "docs")
    local = open_kb(tmp_path / "local")
    local.ingest([docs])
    remote = open_kb(tmp_path / "remote")
    marker = tmp_path / "killed"
    remote.ingest([docs], executor=RayExecutor(load_embedder=DyingOnce(marker)))
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # a worker did die
    assert_same(local, remote, atol=0.0)


class AlwaysDying:
    def __call__(self) -> Any:
        class Dying(FakeEmbedder):
            def embed(self, texts, kind):  # type: ignore[no-untyped-def]
                os._exit(1)

        return Dying()


@pytest.mark.slow
def test_workers_that_keep_dying_stop_the_run_with_nothing_half_committed(tmp_path: Path, ray_cluster: Any) -> None:
    from kb.types import KBError
    from kb.write.distributed import RayExecutor

    docs = corpus(tmp_path / "docs")
    remote = open_kb(tmp_path / "remote")
    with pytest.raises(KBError, match="the Ray workers failed.*run the same ingest again"):
        remote.ingest([docs], executor=RayExecutor(load_embedder=AlwaysDying()))
    assert remote.store.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 0
    assert remote.stats()["documents"] == 0
    report = remote.ingest([docs])  # the next run (here a local one) finishes the job
    assert report.count("ingested") == 15


@pytest.mark.slow
def test_real_embedder_and_ner_on_ray_match_a_local_ingest(tmp_path: Path, ray_cluster: Any) -> None:
    import functools

    from index.models import load_embedder
    from kb.service import KnowledgeBase
    from kb.write.distributed import RayExecutor

    docs = write_docs(tmp_path / "docs")
    local = KnowledgeBase.open(tmp_path / "local", embedder="e5-st", device="cpu")
    local.ingest([docs])
    remote = KnowledgeBase.open(tmp_path / "remote", embedder="e5-st", device="cpu")
    remote.ingest([docs], executor=RayExecutor(load_embedder=functools.partial(load_embedder, "e5-st", "cpu")))
    assert_same(local, remote, atol=1e-4)  # other batch shapes: float noise only
    assert any(origin == "ner" for *_, origin in contents(remote)[0]["entities"])  # NER entities crossed over


def test_without_ray_the_cli_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.cli import cli

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    docs = write_docs(tmp_path / "docs")
    result = CliRunner().invoke(
        cli, ["--kb", str(tmp_path / "kb"), "ingest", "-q", "--ray", "local", str(docs)], obj={}
    )
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == 'Error: distributed ingest needs Ray: pip install "kb[cluster]" (or pip install "ray[data]")'
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_ingest_through_a_ray_start_head_cluster(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    ray_bin = Path(sys.executable).with_name("ray")
    port = free_port()
    temp = Path("/tmp") / f"kbray{os.getpid()}"  # Ray's socket paths must stay short
    head = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", f"--object-store-memory={300 * 2**20}", "--include-dashboard=false",
         "--disable-usage-stats", f"--temp-dir={temp}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    docs = corpus(tmp_path / "docs")
    for _ in range(120):  # the head takes a few seconds to listen
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    script = textwrap.dedent(f"""
        from kb.service import KnowledgeBase
        from kb.write.distributed import RayExecutor
        from tests.helpers import FakeEmbedder
        kb = KnowledgeBase.open({str(tmp_path / "kb")!r}, embedder_impl=FakeEmbedder(), use_ner=False)
        r = kb.ingest([{str(docs)!r}], executor=RayExecutor("127.0.0.1:{port}", load_embedder=FakeEmbedder))
        print(r.count("ingested"), r.count("skipped"))
    """)
    try:
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={**os.environ, "RAY_DISABLE_USAGE_STATS": "1"},
        )  # fmt: skip
    finally:
        os.killpg(head.pid, 15)  # the head and the processes it started, nothing else
        head.wait(timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[-2:] == ["15", "2"]
    local = open_kb(tmp_path / "local")
    local.ingest([docs])
    assert_same(local, open_kb(tmp_path / "kb"), atol=0.0)
