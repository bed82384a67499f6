"""Small knowledge bases for the app tests (fake embedder, gazetteer-only entities), one of them shared.

The AppTest runner and the markup helpers (run_app, shown, html_of, cards) are in tests/helpers.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.service import KnowledgeBase
from tests.helpers import APP_DOCS, fake_kb, team_kb


def build(root: Path) -> KnowledgeBase:
    kb: KnowledgeBase = fake_kb(root, APP_DOCS)
    return kb


@pytest.fixture(scope="session")
def app_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """Shared and read-only: tests that write (uploads) build their own with ``fresh_kb``."""
    kb = build(tmp_path_factory.mktemp("appkb"))
    yield kb
    kb.close()


@pytest.fixture
def fresh_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    kb = build(tmp_path)
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def shared_team_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """A multi-user knowledge base (tests.helpers.team_kb) for tests that change no account or grant."""
    kb: KnowledgeBase = team_kb(tmp_path_factory.mktemp("teamkb"))
    yield kb
    kb.close()
