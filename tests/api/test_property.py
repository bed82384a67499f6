"""Property: through HTTP, nothing of a collection a user cannot read ever reaches that user.

Random groups, memberships and grants over four small collections (changed by the test process
in the knowledge base that a real server process serves), random users and queries: every
endpoint's answer is free of the hidden documents' ids, titles and text markers, counts only the
readable documents, and a search still fills k from what the user may read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import api_server, collections_kb

COLLECTIONS = ("c0", "c1", "c2", "c3")
USERS = ("u0", "u1", "u2")
GROUPS = ("g0", "g1")
SUBJECTS = USERS + GROUPS
TOPICS = (
    "el contrabando de combustible en camiones cisterna",
    "el registro de viajeros menores de edad",
    "el cruce ilegal de ganado vacuno por el altiplano",
    "la capacitación de inspectores en documentos falsos",
    "la reparación del puente internacional",
    "los horarios de atención al público en la aduana",
    "la trata de personas en las rutas de buses nocturnos",
    "el intercambio de alertas migratorias entre policías",
)
NOT_FOUND = b'{"error":"not_found","detail":"not found"}'


def marker(c: int, j: int) -> str:
    return f"mk{c}q{j}zx"  # a word only that document has: in its title, its text and so its snippets


def corpus() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for c, name in enumerate(COLLECTIONS):
        out[name] = {
            f"{name}-{j}.md": f"# Informe {marker(c, j)}\n\nLa patrulla de Desaguadero revisó {TOPICS[2 * c + j]}. "
            f"Código {marker(c, j)}.\n"
            for j in range(2)
        }
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("prop")
    kb = collections_kb(root, corpus())
    kb.add_user("root", "root password", admin=True)
    for user in USERS:
        kb.add_user(user, f"{user} password")
    for group in GROUPS:
        kb.add_group(group)
    docs = {}  # doc_id -> (collection, title, marker)
    for r in kb.search("patrulla Desaguadero", k=50):
        doc = kb.document(r.best.doc_id)
        mark = doc["title"].split()[-1]
        docs[doc["doc_id"]] = (doc["collection"], doc["title"], mark)
    assert len(docs) == 2 * len(COLLECTIONS)
    tokens = {user: kb.create_token(user, label="prop") for user in USERS}
    server = api_server(root / "kb")
    try:
        yield {"kb": kb, "server": server, "docs": docs, "tokens": tokens}
    finally:
        server.stop()
        kb.close()


GRANT = st.tuples(
    st.sampled_from(SUBJECTS),
    st.sampled_from((*COLLECTIONS, *COLLECTIONS, "*")),
    st.sampled_from(("read", "write", "admin")),
)
WORDS = st.sampled_from(["patrulla", "Desaguadero", "combustible", "puente", "aduana", "Informe", "Código"])


def apply(kb: Any, members: dict[tuple[str, str], bool], grants: list[tuple[str, str, str]]) -> None:
    for g in kb.grants():
        kb.revoke(g["subject"], g["collection"])
    for (group, user), member in members.items():
        kb.set_member(group, user, member)
    for subject, collection, role in grants:
        kb.grant(subject, collection, role)


def readable(user: str, members: dict[tuple[str, str], bool], grants: list[tuple[str, str, str]]) -> set[str]:
    """The collections ``user`` may read, worked out here from the grants (not asked of kb)."""
    subjects = {user} | {g for (g, u), m in members.items() if u == user and m}
    names = {c for s, c, _ in grants if s in subjects}
    return set(COLLECTIONS) if "*" in names else names


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.fixed_dictionaries({(g, u): st.booleans() for g in GROUPS for u in USERS}),
    grants=st.lists(GRANT, max_size=5, unique_by=lambda g: (g[0], g[1])),
    user=st.sampled_from(USERS),
    query=st.lists(
        st.one_of(WORDS, st.sampled_from([marker(c, j) for c in range(4) for j in range(2)])), min_size=1, max_size=3
    ),
    k=st.integers(1, 10),
)
def test_nothing_of_an_unreadable_collection_reaches_a_user(
    world: dict[str, Any], members: Any, grants: Any, user: str, query: list[str], k: int
) -> None:
    import httpx

    apply(world["kb"], members, grants)
    can = readable(user, members, grants)
    docs: dict[str, tuple[str, str, str]] = world["docs"]
    shown = {d for d, (c, _, _) in docs.items() if c in can}
    secrets = [s for d, (c, title, mark) in docs.items() if c not in can for s in (d, title, mark)]
    c = httpx.Client(base_url=world["server"].url + "/api/v1", timeout=60)
    c.headers["Authorization"] = f"Bearer {world['tokens'][user]}"
    answers: list[bytes] = []

    hits = c.get("/search", params={"q": " ".join(query), "k": k})
    assert hits.status_code == 200, hits.text
    found = [h["doc_id"] for h in hits.json()]
    assert set(found) <= shown and len(found) == min(k, len(shown))  # filtered before ranking: k still filled
    answers.append(hits.content)
    for doc_id in docs:
        for suffix in ("", "/file", "/similar"):
            r = c.get(f"/documents/{doc_id}{suffix}")
            if doc_id in shown:
                assert r.status_code == 200
                if suffix == "/similar":
                    assert {h["doc_id"] for h in r.json()} <= shown
            else:
                assert r.status_code == 404 and r.content == NOT_FOUND
            answers.append(r.content)
    entities = c.get("/entities")
    counts = {e["id"]: e["doc_count"] for e in entities.json()}
    assert counts.get("bc:desaguadero", 0) == len(shown)
    entity = c.get("/entities/bc:desaguadero")
    assert entity.status_code == (200 if shown else 404)
    if shown:
        assert {d["id"] for d in entity.json()["documents"]} == shown
    facets = c.get("/facets").json()
    assert sum(n["count"] for n in facets["lang"]) == len(shown)
    collections = c.get("/collections").json()
    assert {x["name"] for x in collections if x["documents"]} == {n for n in can if n in COLLECTIONS}
    answers += [entities.content, entity.content, c.get("/facets").content, c.get("/me").content]
    text = b"\n".join(answers).decode("utf-8")
    leaked = [s for s in secrets if s in text]
    assert not leaked, leaked
