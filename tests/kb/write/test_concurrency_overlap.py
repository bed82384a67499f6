"""The concurrency of an ingest run: reading order, the embedder's share of cores, the read-ahead."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kb.write.concurrency import CoreShare, read_ahead, reading_order


def test_cheap_files_are_read_first(tmp_path: Path) -> None:
    files = {"a-scan.pdf": 5000, "b-notes.md": 300, "c-report.pdf": 800, "d-minutes.docx": 9000}
    for name, size in files.items():
        (tmp_path / name).write_bytes(b"x" * size)
    order = [p.name for p in reading_order([tmp_path / n for n in files] + [tmp_path / "missing.txt"])]
    assert order == ["missing.txt", "b-notes.md", "d-minutes.docx", "c-report.pdf", "a-scan.pdf"]


def test_ingest_report_keeps_the_input_order(tmp_path: Path, fake_embedder: object) -> None:
    from kb.service import KnowledgeBase

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Acta de la reunión binacional en Desaguadero sobre control migratorio. " * 20)
    (docs / "b.md").write_text("# Nota\n\nLa Policía Nacional del Perú patrulla el río Desaguadero. " * 5)
    (docs / "c.txt").write_text("")
    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=fake_embedder)
    report = kb.ingest([docs / "c.txt", docs / "b.md", docs / "a.txt"])
    assert [Path(r.path).name for r in report.rows] == ["c.txt", "b.md", "a.txt"]
    assert [r.status for r in report.rows] == ["skipped", "ingested", "ingested"]
    kb.close()


def test_core_share_counts_concurrent_work_and_gives_the_cores_back() -> None:
    torch = pytest.importorskip("torch")
    share = CoreShare()
    full = torch.get_num_threads()
    started, release = threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        release.wait(10)

    with share.shared():
        t = threading.Thread(target=share.run, args=(work,))
        t.start()
        started.wait(10)
        share.pace()
        assert torch.get_num_threads() == max(1, full - 1)
        release.set()
        t.join()
        share.pace()
        assert torch.get_num_threads() == full
        share.run(share.pace)  # work of its own counts while it runs
        assert torch.get_num_threads() == max(1, full - 1)
    assert torch.get_num_threads() == full  # the run ended: all threads back


def test_read_ahead_yields_in_order_and_re_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.sandbox as sandbox

    def fake_many(paths: list[Path], limits: object):  # type: ignore[no-untyped-def]
        for p in paths:
            if p.name == "boom":
                raise RuntimeError("reader died")
            yield p, f"read {p.name}"

    monkeypatch.setattr(sandbox, "read_many_isolated", fake_many)
    paths = [tmp_path / n for n in ("x", "y", "z")]
    assert [r for _, r in read_ahead(paths, None)] == ["read x", "read y", "read z"]
    with pytest.raises(RuntimeError, match="reader died"):
        list(read_ahead([tmp_path / "x", tmp_path / "boom"], None))
