"""Entity curation over HTTP: write on every affected collection, the one 404, admin-only export/import."""

from __future__ import annotations

import json

from tests.helpers import Site


def _desaguadero(site: Site) -> str:
    found = [
        e for e in site.client("root").get("/entities", params={"limit": 200}).json() if e["name"] == "Desaguadero"
    ]
    assert found, "the gazetteer links the crossing in both collections"
    return str(found[0]["id"])


def test_a_curation_needs_write_on_every_collection_that_mentions_the_entity(site: Site) -> None:
    crossing = _desaguadero(site)
    alice, bob, root = site.client("alice"), site.client("bob"), site.client("root")
    # alice reads "public" only; bob writes "police" but only reads "public": both collections name it
    assert alice.post(f"/entities/{crossing}/rename", json={"name": "Puente Desaguadero"}).status_code == 403
    assert bob.post(f"/entities/{crossing}/rename", json={"name": "Puente Desaguadero"}).status_code == 403
    r = root.post(f"/entities/{crossing}/rename", json={"name": "Puente Desaguadero"})
    assert r.status_code == 200 and r.json()["entity"] == crossing, r.text
    assert root.get(f"/entities/{crossing}").json()["name"] == "Puente Desaguadero"
    assert [c["kind"] for c in root.get("/curations").json()] == ["rename"]
    assert alice.get("/curations").json() == []  # it affected "police", which alice cannot read
    r = root.post(f"/entities/{crossing}/aliases", json={"alias": "Desaguadero bridge"})
    assert r.status_code == 200, r.text
    assert root.delete(f"/entities/{crossing}/aliases", params={"alias": "Desaguadero bridge"}).status_code == 200
    root.post(f"/entities/{crossing}/rename", json={"name": "Desaguadero"})


def test_unknown_entities_are_the_one_404_and_bad_values_a_clear_400(site: Site) -> None:
    root = site.client("root")
    missing = root.post("/entities/place:nowhere-zz/rename", json={"name": "x"})
    assert missing.status_code == 404 and missing.content == root.get("/documents/nothing").content
    bad = root.post(f"/entities/{_desaguadero(site)}/retype", json={"type": "BANANA"})
    assert bad.status_code == 400 and "unknown entity type" in bad.json()["detail"]
    merged_into_itself = root.post(f"/entities/{_desaguadero(site)}/merge", json={"into": _desaguadero(site)})
    assert merged_into_itself.status_code == 400
    assert root.post("/entities/x/rename", json={}).status_code == 422


def test_export_and_import_are_for_administrators(site: Site) -> None:
    root, alice = site.client("root"), site.client("alice")
    assert alice.get("/curations/export").status_code == 403
    assert alice.post("/curations/import", json={"jsonl": "{}"}).status_code == 403
    crossing = _desaguadero(site)
    root.post(f"/entities/{crossing}/aliases", json={"alias": "Paso Desaguadero"})
    exported = root.get("/curations/export")
    assert exported.status_code == 200
    rows = [json.loads(line) for line in exported.text.splitlines()]
    assert {"kind": "alias_add", "entity": crossing} | {"value": "Paso Desaguadero"} in [
        {k: r[k] for k in ("kind", "entity", "value")} for r in rows
    ]
    r = root.post("/curations/import", json={"jsonl": exported.text})
    assert r.status_code == 200 and r.json()["imported"] == len(rows)
    assert root.get("/curations/duplicates", params={"limit": 5}).status_code == 200
