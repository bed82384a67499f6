"""The REST API over HTTP against a real server process: logins, tokens, permissions, limits, hostile input."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.helpers import PASSWORD, Site


def test_health_needs_no_login(site: Site) -> None:
    r = httpx.get(site.server.url + "/api/v1/health")
    assert r.status_code == 200 and r.json()["multi_user"] is True


@pytest.mark.parametrize("path", ["/search?q=patrulla", "/documents/x", "/collections", "/me", "/facets", "/entities"])
def test_every_other_path_needs_a_token(site: Site, path: str) -> None:
    r = site.client().get(path)
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    assert site.client().get(path, headers={"Authorization": "Bearer kbt_made-up"}).status_code == 401
    assert site.client().get(path, headers={"Authorization": "Basic cm9vdDpwdw=="}).status_code == 401


def test_wrong_password_and_unknown_user_answer_alike(site: Site) -> None:
    c = site.client()
    wrong = c.post("/auth/token", data={"username": "alice", "password": "not her password"})
    nobody = c.post("/auth/token", data={"username": "nobody", "password": "not her password"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json() and wrong.json()["error"] == "unauthorized"
    assert c.post("/auth/token", data={"username": "alice"}).status_code == 422  # no password field


def test_a_session_works_until_logout(site: Site) -> None:
    c = site.client("alice", fresh=True)
    me = c.get("/me").json()
    assert me["user"] == "alice" and [x["name"] for x in me["collections"]] == ["public"]
    assert c.post("/auth/logout").status_code == 200
    assert c.get("/me").status_code == 401


def test_an_expired_session_is_refused(site: Site) -> None:
    past = site.kb.as_principal(site.kb.principal)  # the same knowledge base, with a clock 13 hours behind
    past.clock = lambda: __import__("time").time() - 13 * 3600
    token = past.login("alice", PASSWORD)["access_token"]  # session_hours is 12: it expired an hour ago
    r = site.client().get("/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_a_revoked_api_token_is_refused(site: Site) -> None:
    token = site.kb.create_token("tokyo", label="ci")
    c = site.client()
    c.headers["Authorization"] = f"Bearer {token}"
    assert c.get("/me").json()["user"] == "tokyo"
    (row,) = [t for t in site.kb.tokens("tokyo") if t["label"] == "ci"]
    assert site.kb.revoke_token(row["id"])
    assert c.get("/me").status_code == 401


def test_users_make_and_revoke_their_own_api_tokens(site: Site) -> None:
    alice = site.client("alice")
    made = alice.post("/tokens", data={"label": "script", "days": "1"})
    assert made.status_code == 201, made.text
    script = site.client()
    script.headers["Authorization"] = f"Bearer {made.json()['token']}"
    assert script.get("/me").json()["user"] == "alice"
    (row,) = [t for t in alice.get("/tokens").json() if t["label"] == "script"]
    assert "token" not in row and row["user"] == "alice"
    bobs = site.client("bob").delete(f"/tokens/{row['id']}")  # not bob's token
    assert bobs.status_code == 403
    assert alice.delete(f"/tokens/{row['id']}").status_code == 200
    assert script.get("/me").status_code == 401


def test_five_failures_lock_the_account(site: Site) -> None:
    c = site.client()
    for _ in range(5):
        assert c.post("/auth/token", data={"username": "locky", "password": "wrong guess"}).status_code in (401, 429)
    r = c.post("/auth/token", data={"username": "locky", "password": PASSWORD})  # even the right password
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "locked"
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60 + 1
    assert c.post("/auth/token", data={"username": "alice", "password": PASSWORD}).status_code == 200  # others not


def test_an_unreadable_document_is_not_found_exactly_like_a_missing_one(site: Site) -> None:
    alice, bob = site.client("alice"), site.client("bob")
    assert bob.get(f"/documents/{site.secret}").status_code == 200
    for suffix in ("", "/file", "/similar"):
        hidden = alice.get(f"/documents/{site.secret}{suffix}")
        missing = alice.get(f"/documents/no-such-document{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content == b'{"error":"not_found","detail":"not found"}'
    assert alice.get("/entities/no-such-entity").content == hidden.content


def test_a_user_reading_one_small_collection_still_gets_k_hits(site: Site) -> None:
    """The secret document matches "zorblax" best, but the collection filter applies before ranking."""
    alice = site.client("alice")
    for k in (3, 5):
        r = alice.get("/search", params={"q": "patrulla zorblax Desaguadero", "k": k})
        assert r.status_code == 200, r.text
        hits = r.json()
        assert len(hits) == k and {h["doc_id"] for h in hits} <= set(site.public)
    assert len(alice.get("/search", params={"q": "patrulla", "k": 50}).json()) == len(site.public)
    assert "zorblax" not in alice.get("/search", params={"q": "zorblax", "k": 50}).text
    bob_hits = site.client("bob").get("/search", params={"q": "zorblax", "k": 1}).json()
    assert [h["doc_id"] for h in bob_hits] == [site.secret]


@pytest.mark.slow
def test_concurrent_users_each_see_only_their_own_collections(site: Site) -> None:
    """Requests of different users at once run on the server's thread pool: no view bleeds into another."""
    from concurrent.futures import ThreadPoolExecutor

    clients = {user: site.client(user) for user in ("alice", "bob", "eve")}
    allowed = {"alice": set(site.public), "bob": {*site.public, site.secret}, "eve": set()}

    def ask(n: int) -> tuple[str, set[str]]:
        user = ("alice", "bob", "eve")[n % 3]
        hits = clients[user].get("/search", params={"q": "patrulla zorblax", "k": 10}).json()
        return user, {h["doc_id"] for h in hits}

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(36)))
    for user, found in answers:
        assert found <= allowed[user], user
        assert len(found) == min(10, len(allowed[user])), user


def test_search_returns_the_cli_json_objects(site: Site) -> None:
    hits = site.client("root").get("/search", params={"q": "patrulla", "k": 2, "collection": "public"}).json()
    (best,) = site.kb.search("patrulla", k=1, filters={"collection": ["public"]})
    assert hits[0] == json.loads(json.dumps(site.kb.hit_json(best.best, passages=len(best.hits))))
    assert site.client("eve").get("/search", params={"q": "patrulla"}).json() == []  # no grant: nothing
    for since in ("2024-13-01", "2023-02-30", "yesterday"):
        r = site.client("eve").get("/search", params={"q": "patrulla", "since": since})
        assert r.status_code == 422 and r.json()["error"] == "invalid", since


def test_a_quoted_phrase_nobody_may_read_is_named_in_a_header_and_searched_as_words(site: Site) -> None:
    """Only in a document of "police": for alice (public only) no passage holds it, as if it did not exist."""
    alice, bob = site.client("alice"), site.client("bob")
    r = alice.get("/search", params={"q": '"zorblax" patrulla'})
    assert r.status_code == 200 and r.json() and "zorblax" not in r.text  # ranked on the words she may read
    assert r.headers["x-kb-unmatched-phrases"] == "zorblax"
    held = bob.get("/search", params={"q": '"zorblax" patrulla'})
    assert "x-kb-unmatched-phrases" not in held.headers and held.json()[0]["doc_id"] == site.secret
    two = alice.get("/search", params={"q": "“año cero” «sin, coma»"})
    assert two.headers["x-kb-unmatched-phrases"] == "a%C3%B1o%20cero,sin%2C%20coma"
    assert "x-kb-unmatched-phrases" not in alice.get("/search", params={"q": "patrulla"}).headers


def test_a_document_as_kb_show_with_a_download_link(site: Site) -> None:
    c = site.client("bob")
    doc = c.get(f"/documents/{site.secret}").json()
    assert doc["doc_id"] == site.secret and doc["collection"] == "police"
    assert doc["file"] == f"/api/v1/documents/{site.secret}/file"
    r = c.get(f"/documents/{site.secret}/file")
    assert r.status_code == 200 and b"zorblax" in r.content
    assert r.headers["content-disposition"].startswith('attachment; filename="reservado.md"')


def test_collections_facets_and_entities_count_only_what_you_read(site: Site) -> None:
    alice, bob = site.client("alice"), site.client("bob")
    assert [c["name"] for c in alice.get("/collections").json()] == ["public"]
    assert {c["name"] for c in bob.get("/collections").json()} == {"public", "police"}
    counts = {r["value"]: r["count"] for r in alice.get("/facets").json()["doc_type"]}
    assert sum(counts.values()) == len(site.public)
    entities = {e["id"]: e["doc_count"] for e in alice.get("/entities").json()}
    assert entities["bc:desaguadero"] == len(site.public)
    assert {e["id"]: e["doc_count"] for e in bob.get("/entities").json()}["bc:desaguadero"] == len(site.public) + 1
    view = alice.get("/entities/bc:desaguadero").json()
    assert {d["id"] for d in view["documents"]} == set(site.public)
    assert alice.get("/entities", params={"type": "PLANET"}).status_code == 422


@pytest.mark.slow  # an ingest in the parser sandbox
def test_upload_needs_write_on_the_collection(site: Site) -> None:
    files = {"files": ("nota de campo.md", b"# Nota de campo\n\nPatrulla fluvial en el lago Titicaca.\n")}
    r = site.client("alice").post("/documents", files=files, data={"collection": "police"})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = site.client("bob").post("/documents", files=files, data={"collection": "police"})
    assert r.status_code == 201, r.text
    (row,) = r.json()["files"]
    assert row["status"] == "ingested" and row["doc_id"]
    doc = site.client("bob").get(f"/documents/{row['doc_id']}").json()
    assert doc["collection"] == "police" and doc["source"].endswith("/nota de campo.md")
    assert site.client("alice").get(f"/documents/{row['doc_id']}").status_code == 404
    exe = {"files": ("x.exe", b"MZ\x90")}
    refused = site.client("bob").post("/documents", files=exe, data={"collection": "police"})
    assert refused.json()["files"][0]["status"] == "refused"


@pytest.mark.slow  # an ingest in the parser sandbox
def test_uploading_a_copy_of_a_hidden_document_does_not_name_it(site: Site) -> None:
    from tests.helpers import SECRET

    files = {"files": ("copia.md", SECRET.encode("utf-8"))}
    r = site.client("dora").post("/documents", files=files, data={"collection": "drafts"})
    assert r.status_code == 201, r.text
    (row,) = r.json()["files"]  # a copy in another collection is dora's own document, never "duplicate of"
    assert row["status"] == "ingested" and row["doc_id"] != site.secret
    assert site.secret not in r.text and "zorblax" not in r.text
    r = site.client("bob").post("/documents", files=files, data={"collection": "police"})  # bob reads it
    assert r.json()["files"][0] == {**r.json()["files"][0], "status": "duplicate", "doc_id": site.secret}


@pytest.mark.slow  # two ingests in the parser sandbox
def test_uploading_a_new_version_updates_the_document(site: Site) -> None:
    bob = site.client("bob")
    first = {"files": ("parte semanal.md", b"# Parte semanal\n\nPatrulla en el puerto de Guaqui.\n")}
    r = bob.post("/documents", files=first, data={"collection": "police"})
    assert r.status_code == 201, r.text
    (row,) = r.json()["files"]
    assert row["status"] == "ingested"
    second = {"files": ("parte semanal.md", b"# Parte semanal\n\nPatrulla en el puerto de Guaqui y en Tiquina.\n")}
    r = bob.post("/documents", files=second, data={"collection": "police"})
    assert r.status_code == 201, r.text
    assert r.json()["files"] == [{**row, "status": "updated", "detail": r.json()["files"][0]["detail"]}]
    doc = bob.get(f"/documents/{row['doc_id']}").json()
    assert "Tiquina" in json.dumps(doc) and doc["source"].endswith("/parte semanal.md")
    r = bob.post("/documents", files=second, data={"collection": "a/b"})
    assert r.status_code == 422 and r.json()["error"] == "invalid"


def test_oversized_bodies_are_refused_with_413(site: Site) -> None:
    big = b"palabra " * 200_000  # 1.6 MB: over the server's max_file_mb of 1
    r = site.client("bob").post("/documents", files={"files": ("big.txt", big)}, data={"collection": "police"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    r = site.client().post("/auth/token", data={"username": "x" * 100_000, "password": "y"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"

    def chunks():  # no Content-Length: the limit counts the bytes as they come
        for _ in range(20):
            yield b"a" * 10_000

    form = {"content-type": "application/x-www-form-urlencoded"}
    r = site.client().post("/auth/token", content=chunks(), headers=form)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


HOSTILE = [
    "' OR '1'='1",
    "admin'--",
    '"; DROP TABLE documents; --',
    "<script>alert(1)</script>",
    "x') UNION SELECT id, title FROM documents --",
    "%' AND 1=1 --",
    "\\\x00",
]


@pytest.mark.slow
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_is_data(site: Site, value: str) -> None:
    c = site.client()
    r = c.post("/auth/token", data={"username": value, "password": value})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    alice = site.client("alice")
    r = alice.get("/search", params={"q": value})
    assert r.status_code == 200 and {h["doc_id"] for h in r.json()} <= set(site.public)
    for field in ("country", "entity", "crossing", "collection", "lang", "doc_type"):
        r = alice.get("/search", params={"q": "patrulla", field: value})
        assert r.status_code == 422 and r.json()["error"] in ("unknown_value", "invalid"), r.text
        assert "<" not in r.text and "zorblax" not in r.text
    for path in (f"/documents/{value}", f"/entities/{value}"):
        assert alice.get(path.replace("\x00", "")).status_code == 404
    assert len(alice.get("/search", params={"q": "patrulla", "k": 5}).json()) == 5  # the store is intact


@pytest.mark.slow
def test_html_in_answers_is_escaped(site: Site) -> None:
    r = site.client("alice").get("/search", params={"q": "<script>alert(1)</script> patrulla"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert b"<" not in r.content and b">" not in r.content
    assert r.headers["x-content-type-options"] == "nosniff"
    r = site.client().get("/search", params={"q": "<b>x</b>"})
    assert r.status_code == 401 and b"<" not in r.content


@pytest.mark.slow
def test_admin_paths(site: Site) -> None:
    assert site.client("alice").get("/audit").status_code == 403
    rows = site.client("root").get("/audit", params={"limit": 10_000}).json()
    assert {"login", "search"} <= {r["action"] for r in rows}
    assert site.client("root").get("/audit/verify").json()["ok"] is True


@pytest.mark.slow
def test_single_user_mode_acts_as_the_owner_on_loopback_only(owner_server) -> None:  # type: ignore[no-untyped-def]
    server, _ = owner_server
    c = httpx.Client(base_url=server.url + "/api/v1")
    assert c.get("/health").json()["multi_user"] is False
    assert [x["name"] for x in c.get("/collections").json()] == ["notes"]
    assert len(c.get("/search", params={"q": "patrulla"}).json()) == 1
    proxied = c.get("/collections", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 401 and "no users" in proxied.json()["detail"]
    assert c.post("/auth/token", data={"username": "a", "password": "b" * 8}).status_code == 400


# --- watched searches, notes, export (issue 18) ---------------------------------------------------


def test_a_watch_over_http_shows_only_readable_new_hits(site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    alice, bob = site.client("alice"), site.client("bob")
    for c in (alice, bob):
        r = c.post("/watches", json={"name": "glorptex", "q": "glorptex contrabando"})
        assert r.status_code == 201 and r.json()["name"] == "glorptex", r.text
    again = alice.post("/watches", json={"name": "glorptex", "q": "otra"})
    assert again.status_code == 422 and again.json()["error"] == "invalid"
    bad = alice.post("/watches", json={"name": "x", "q": "y", "filters": {"lang": ["klingon"]}})
    assert bad.status_code == 422 and bad.json()["error"] == "unknown_value"
    for collection in ("public", "police"):  # the same news arrives in both collections
        folder = tmp_path / collection
        folder.mkdir()
        (folder / f"glorptex-{collection}.md").write_text(
            f"# Glorptex {collection}\n\nContrabando de glorptex en Desaguadero.\n", encoding="utf-8"
        )
        site.kb.ingest([folder], collection)
    assert [(w["name"], w["new"]) for w in alice.get("/watches").json()] == [("glorptex", 1)]
    assert bob.get("/watches").json()[0]["new"] == 2
    peek = alice.get("/watches/glorptex/new", params={"peek": 1}).json()
    assert [h["source"].rsplit("/", 1)[-1] for h in peek["hits"]] == ["glorptex-public.md"] and "glorptex" in peek[
        "hits"
    ][0]["snippet"]
    assert alice.get("/watches").json()[0]["new"] == 1  # peeking keeps them new
    assert len(alice.get("/watches/glorptex/new").json()["hits"]) == 1
    assert alice.get("/watches/glorptex/new").json()["hits"] == []  # seen now
    assert len(bob.get("/watches/glorptex/new").json()["hits"]) == 2
    assert alice.get("/watches/nothing/new").content == alice.get("/documents/nothing").content  # the one 404
    assert alice.delete("/watches/glorptex").status_code == 200
    assert alice.delete("/watches/glorptex").status_code == 404 and alice.get("/watches").json() == []
    bob.delete("/watches/glorptex")


def test_notes_over_http_follow_the_document_permissions(site: Site) -> None:
    alice, bob = site.client("alice"), site.client("bob")
    r = bob.post(f"/documents/{site.secret}/notes", json={"text": "vrumtak seen here", "quote": "zorblax"})
    assert r.status_code == 201 and r.json()["author"] == "bob", r.text
    assert bob.post(f"/documents/{site.public[0]}/notes", json={"text": "vrumtak public"}).status_code == 201
    assert [n["text"] for n in bob.get(f"/documents/{site.secret}/notes").json()] == ["vrumtak seen here"]
    hidden = alice.get(f"/documents/{site.secret}/notes")
    assert hidden.status_code == 404 and hidden.content == alice.get("/documents/nothing/notes").content
    assert alice.post(f"/documents/{site.secret}/notes", json={"text": "x"}).status_code == 404
    assert [n["text"] for n in alice.get("/notes", params={"q": "vrumtak"}).json()] == ["vrumtak public"]
    assert len(bob.get("/notes", params={"q": "vrumtak"}).json()) == 2
    blank = bob.post(f"/documents/{site.public[0]}/notes", json={"text": "   "})  # blank
    assert blank.status_code == 422 and blank.json()["error"] == "invalid"


def test_export_over_http_is_a_zip_of_readable_documents_or_413(site: Site) -> None:
    import io
    import zipfile

    alice = site.client("alice")
    r = alice.post("/export", json={"doc_ids": [site.public[0], site.secret]})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip", r.text
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "documents.csv" in names and "index.md" in names
    listing = zipfile.ZipFile(io.BytesIO(r.content)).read("documents.csv").decode("utf-8-sig")
    assert site.public[0] in listing and site.secret not in listing and "zorblax" not in r.content.decode("latin-1")
    by_search = alice.post("/export", json={"q": "patrulla", "k": 3})
    assert by_search.status_code == 200 and r.headers["x-kb-documents"] == "1"
    big = site.client("bob").post("/export", json={"doc_ids": site.public, "max_mb": 0.00001})
    assert big.status_code == 413 and big.json()["error"] == "too_large" and big.json()["detail"]
    assert alice.post("/export", json={}).status_code == 422
