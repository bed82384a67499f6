"""A small knowledge base with two collections and users who read one or both (fake embedder, no NER)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.service import KnowledgeBase
from tests.helpers import FakeEmbedder

FUEL = "La patrulla binacional decomisó {n} bidones de combustible de contrabando en el puente de {place}."
OTHER = "El comité de frontera acordó reunirse cada trimestre con los gobiernos locales de {place}."


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"# {name}\n\n{text}\n", encoding="utf-8")
    return folder / name


@pytest.fixture
def two_collections(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Collections A and B, one fuel report and one other text in each; users: root (admin), alice (A, B),
    bob (B only). Returns the kb (acting as the owner), the source folder and document ids by name."""
    kb = KnowledgeBase.open(tmp_path / "kb", embedder_impl=FakeEmbedder(), use_ner=False)
    ids: dict[str, str] = {}
    for coll, place in (("A", "Desaguadero"), ("B", "Rumichaca")):
        folder = tmp_path / "src" / coll
        write(folder, f"fuel{coll.lower()}.md", FUEL.format(n=12, place=place))
        write(folder, f"comite{coll.lower()}.md", OTHER.format(place=place))
        for row in kb.ingest([folder], coll).rows:
            assert row.doc_id, row
            ids[Path(row.path).stem] = row.doc_id
    kb.add_user("root", "root-password", admin=True)
    kb.add_user("alice", "alice-password")
    kb.add_user("bob", "bob-password")
    kb.grant("alice", "A", "write")
    kb.grant("alice", "B", "read")
    kb.grant("bob", "B", "write")
    yield {"kb": kb, "src": tmp_path / "src", "ids": ids, "tmp": tmp_path}
    kb.close()
