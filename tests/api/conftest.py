"""One real ``kb serve`` process per test module, on 127.0.0.1, over a small fake-embedder knowledge base."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import PASSWORD, SECRET, TOPICS, ApiServer, Site, api_server, collections_kb, public_doc


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("api")
    public = {f"{topic}.md": public_doc(topic) for topic in TOPICS}
    kb = collections_kb(root, {"public": public, "police": {"reservado.md": SECRET}})
    kb.add_user("root", PASSWORD, admin=True)
    for user in ("alice", "bob", "eve", "locky", "tokyo", "dora"):
        kb.add_user(user, PASSWORD)
    kb.grant("dora", "drafts", "write")
    kb.grant("alice", "public", "read")
    kb.grant("bob", "police", "write")
    kb.grant("bob", "public", "read")
    ids = {r.best.title: r.best.doc_id for r in kb.search("patrulla", k=20)}
    secret = next(i for t, i in ids.items() if "zorblax" in t)
    server = api_server(root / "kb", env={"KB_MAX_FILE_MB": "1"})
    try:
        yield Site(server, kb, sorted(i for i in ids.values() if i != secret), secret)
    finally:
        server.stop()
        kb.close()


@pytest.fixture(scope="module")
def owner_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServer, Path]]:
    """A knowledge base without users (single-user mode), served on loopback."""
    root = tmp_path_factory.mktemp("single")
    kb = collections_kb(root, {"notes": {"nota.md": "# Nota\n\nPatrulla en Desaguadero.\n"}})
    kb.close()
    server = api_server(root / "kb")
    try:
        yield server, root / "kb"
    finally:
        server.stop()
