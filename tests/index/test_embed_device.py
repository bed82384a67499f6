"""Where the embedder runs (``--device``), and the length-sorted batches that keep each vector in its place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from index.embed import cpu_only, embed_cached, resolve_device
from tests.helpers import FakeEmbedder, write_docs


def _cuda(monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)


def test_auto_is_cpu_without_cuda_and_cuda_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _cuda(monkeypatch, False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"
    _cuda(monkeypatch, True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cpu") == "cpu"  # asked for explicitly: the CPU even where a GPU is


def test_cuda_without_cuda_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _cuda(monkeypatch, False)
    with pytest.raises(ValueError, match="device 'cuda' asked for, but torch sees no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        resolve_device("tpu")


def test_cpu_only_embedders_refuse_a_gpu() -> None:
    cpu_only("cpu", "use")
    with pytest.raises(ValueError, match="the use embedder runs on the CPU only"):
        cpu_only("cuda", "use")


class Recording(FakeEmbedder):
    """Remembers every batch it was handed."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed(self, texts, kind):  # type: ignore[no-untyped-def]
        self.batches.append(list(texts))
        return super().embed(texts, kind)


def test_batches_are_sorted_by_length_and_vectors_return_to_input_order() -> None:
    rng = np.random.default_rng(3)
    words = ["río", "paso", "acta", "frontera", "control", "aduana", "puente", "tren"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 40)))) for _ in range(57)]
    texts += texts[:5]  # repeats are embedded once and copied back to every place
    emb = Recording()
    out = embed_cached(emb, texts, None, batch_size=8)
    sent = [t for b in emb.batches for t in b]
    assert [len(t) for t in sent] == sorted(len(t) for t in sent)  # across batches, shortest first
    assert len(sent) == len(set(texts))
    assert max(len(b) for b in emb.batches) == 8
    expected = FakeEmbedder().embed(texts, "passage")
    assert np.allclose(out, expected)  # row i is text i's vector, whatever batch it went in


def test_ingest_device_cuda_without_a_gpu_is_one_clean_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.cli import cli

    _cuda(monkeypatch, False)
    docs = write_docs(tmp_path / "docs")
    result = CliRunner().invoke(
        cli, ["--kb", str(tmp_path / "kb"), "ingest", "--device", "cuda", "-q", str(docs)], obj={}
    )
    assert result.exit_code == 1, result.output
    assert "Error: device 'cuda' asked for, but torch sees no CUDA GPU" in result.output
    assert "Traceback" not in result.output


def test_device_setting_reaches_the_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.service import KnowledgeBase

    asked: list[Any] = []
    monkeypatch.setattr(
        "index.models.load_embedder", lambda name, device: asked.append((name, device)) or FakeEmbedder()
    )
    kb = KnowledgeBase.open(tmp_path / "kb", embedder="e5", device="cpu")
    assert kb.embedder.info.name == "fake"
    assert asked == [("e5", "cpu")]
