"""The parser workers' memory cap: a file that needs more is skipped as too_large, and the batch goes on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ingest.readers.text as text_reader
from ingest.readers import ReadLimits, read_file
from ingest.readers.limits import MIN_MEMORY_MB
from ingest.sandbox import read_isolated, read_many_isolated
from ingest.types import Page, RawDocument, ReadError
from kb.config import Config

CAP_MB = 600


def hungry_reader(path: Path, limits: ReadLimits) -> RawDocument:
    """A parser that wants twice the cap on files named ``hungry*`` (calloc'd: no page is touched)."""
    if path.name.startswith("hungry"):
        block = bytes(2 * CAP_MB * 1024 * 1024)
        return RawDocument(str(path), "text", (Page(None, f"allocated {len(block)} bytes"),))
    return RawDocument(str(path), "text", (Page(None, f"{os.getpid()} {path.read_text()}"),))


def address_space_reader(path: Path, limits: ReadLimits) -> RawDocument:
    """Reports the worker's soft RLIMIT_AS."""
    import resource

    return RawDocument(str(path), "text", (Page(None, str(resource.getrlimit(resource.RLIMIT_AS)[0])),))


def notes(folder: Path, *names: str) -> list[Path]:
    for name in names:
        (folder / name).write_text(f"nota {name}")
    return [folder / n for n in names]


def test_a_worker_over_the_cap_is_too_large_and_the_batch_goes_on(tmp_path: Path) -> None:
    paths = notes(tmp_path, "a.txt", "hungry.txt", "b.txt", "hungry2.txt", "c.txt")
    limits = ReadLimits(max_memory_mb=CAP_MB, timeout_s=60)
    results = [r for _, r in read_many_isolated(paths, limits, reader=hungry_reader)]
    codes = [r.code if isinstance(r, ReadError) else "ok" for r in results]
    assert codes == ["ok", "too_large", "ok", "too_large", "ok"]
    messages = {r.message for r in results if isinstance(r, ReadError)}
    assert messages == {f"needs more than {CAP_MB} MB of memory to parse"}
    pids = [r.text.split()[0] for r in results if isinstance(r, RawDocument)]
    assert len(set(pids)) == 3, "a worker that ran out of memory is replaced, not reused"


def test_without_a_cap_the_same_reader_gets_its_memory(tmp_path: Path) -> None:
    [path] = notes(tmp_path, "hungry.txt")
    doc = read_isolated(path, ReadLimits(max_memory_mb=0), reader=hungry_reader)
    assert doc.text == f"allocated {2 * CAP_MB * 1024 * 1024} bytes"


def test_each_call_gets_its_own_cap_in_a_reused_worker(tmp_path: Path) -> None:
    [path] = notes(tmp_path, "a.txt")
    caps = [read_isolated(path, ReadLimits(max_memory_mb=mb), reader=address_space_reader).text for mb in (1500, 0, 64)]
    import resource

    assert caps == [str(1500 * 2**20), str(resource.getrlimit(resource.RLIMIT_AS)[1]), str(MIN_MEMORY_MB * 2**20)]


def test_the_setting_reaches_the_limits(tmp_path: Path) -> None:
    from kb.service import KnowledgeBase
    from kb.write.ingest import read_limits
    from tests.helpers import FakeEmbedder

    assert Config().max_parser_memory_mb == ReadLimits().max_memory_mb == 2048
    with KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), max_parser_memory_mb=900) as kb:
        assert read_limits(kb.config).max_memory_mb == 900


def test_a_memory_error_inside_a_reader_is_a_reasoned_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(path: Path) -> RawDocument:
        raise MemoryError

    monkeypatch.setattr(text_reader, "read_text", exhausted)
    [path] = notes(tmp_path, "a.txt")
    with pytest.raises(ReadError) as info:
        read_file(path, ReadLimits(max_memory_mb=700))
    assert info.value.code == "too_large" and info.value.message == "needs more than 700 MB of memory to parse"
