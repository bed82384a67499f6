"""Shared fixtures: every test gets its own kb home; real models load once per session."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _kb_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default knowledge base at a temporary directory: tests never touch the user's."""
    home = tmp_path_factory.mktemp("kbhome")
    monkeypatch.setenv("KB_PATH", str(home / "kb"))


def shared_dir(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


class FakeEmbedder:
    """Deterministic bag-of-hashed-words vectors: similar words, similar vectors; no model."""

    def __init__(self, dim: int = 64) -> None:
        from index.embed import EmbedderInfo

        self.info = EmbedderInfo("fake", "fake/hashed-words", "test", dim)
        self.calls = 0

    def embed(self, texts, kind):  # type: ignore[no-untyped-def]
        self.calls += len(texts)
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word[:5].encode()).hexdigest(), 16)
                out[i, h % self.info.dim] += 1.0
            out[i, 0] += 1e-3
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The default multilingual embedder, loaded once for the whole session."""
    from index.models import load_embedder

    return load_embedder("e5")


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The bundled corpus ingested once per session with the real default components."""
    from kb.service import KnowledgeBase

    docs = ROOT / "corpus" / "documents"
    if not any(docs.iterdir()):
        pytest.skip("the bundled corpus is empty")
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("corpus") / "kb")
    kb.ingest([docs])
    yield kb
    kb.close()
