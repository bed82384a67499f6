"""Shared fixtures: every test gets its own kb home; real models load once per session.

Helpers that test files import (FakeEmbedder, shared_dir, sample documents) live in tests/helpers.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tests.helpers import ROOT, FakeEmbedder  # noqa: E402 - after the offline switches


@pytest.fixture(autouse=True)
def _kb_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default knowledge base at a temporary directory: tests never touch the user's."""
    home = tmp_path_factory.mktemp("kbhome")
    monkeypatch.setenv("KB_PATH", str(home / "kb"))


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


@pytest.fixture(scope="session")
def real_extractor():  # type: ignore[no-untyped-def]
    """The entity extractor with the installed spaCy models (loaded lazily, once for the session)."""
    from ingest.entities import EntityExtractor
    from ingest.gazetteer import Gazetteer

    return EntityExtractor(Gazetteer.load())


@pytest.fixture
def fresh_team_kb(tmp_path: Path) -> Iterator[Any]:
    """A multi-user knowledge base of one's own (tests.helpers.team_kb), for tests that change accounts or grants."""
    from tests.helpers import team_kb

    kb = team_kb(tmp_path)
    yield kb
    kb.close()
