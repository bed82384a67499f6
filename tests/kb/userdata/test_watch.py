"""Watched searches: matched at ingest against the new segment only, read with the owner's current grants."""

from __future__ import annotations

import json
import shlex
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

import kb.write.watch as watch_module
from kb.types import NotFound
from tests.kb.userdata.conftest import FUEL, OTHER, write


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    calls: list[Any] = []
    real = getattr(watch_module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(watch_module, name, spy)
    return calls


def test_new_documents_are_matched_at_ingest_and_shown_once(two_collections: dict[str, Any]) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    kb.watch_add("fuel", "combustible contrabando")
    assert kb.watch_new("fuel")["hits"] == []  # documents stored before the watch are not news
    write(src / "A2", "fuel-new.md", FUEL.format(n=40, place="Tacna"))
    write(src / "A2", "other-new.md", OTHER.format(place="Tacna"))
    report = kb.ingest([src / "A2"], "A")
    new_ids = {r.doc_id for r in report.rows}
    assert [w["new"] for w in kb.watches()] == [1]
    news = kb.watch_new("fuel")
    hits = news["hits"]
    assert [Path(h["source"]).name for h in hits] == ["fuel-new.md"]  # the old fuel reports were not re-found
    assert {h["doc_id"] for h in hits} <= new_ids
    assert "combustible" in hits[0]["snippet"] and hits[0]["found"] and hits[0]["title"]
    assert kb.watch_new("fuel")["hits"] == [] and kb.watches()[0]["new"] == 0  # seen now
    assert kb.watches()[0]["last_run"] is not None


def test_each_commit_searches_its_own_segment_and_nothing_without_new_segments(
    two_collections: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    matched = _spy(monkeypatch, "match_segment")
    snapshots = _spy(monkeypatch, "segment_snapshot")
    kb.ingest([src / "A"], "A")  # nothing watched: no hook at all
    assert matched == [] and snapshots == []
    kb.watch_add("fuel", "combustible")
    kb.watch_add("other", "trimestre")
    assert kb.ingest([src / "A"], "A").count("unchanged") == 2  # nothing new: no watch work
    assert matched == [] and snapshots == []
    write(src / "A3", "fuel-3.md", FUEL.format(n=3, place="Puno"))
    before = set(kb.store.live_segments())
    kb.ingest([src / "A3"], "A")
    (new_segment,) = set(kb.store.live_segments()) - before
    assert [args[1] for args in snapshots] == [new_segment]  # one snapshot of the new segment only
    assert all(set(args[0].view.segments) == {new_segment} for args in matched)
    assert len(matched) == 2  # one search per watch


def test_filters_of_a_watch_apply(two_collections: dict[str, Any]) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    kb.watch_add("fuel-b", "combustible", {"collection": ["B"]})
    write(src / "A4", "fuel-4.md", FUEL.format(n=4, place="Puno"))
    kb.ingest([src / "A4"], "A")
    assert kb.watch_new("fuel-b")["hits"] == []
    write(src / "B4", "fuel-b4.md", FUEL.format(n=5, place="Ipiales"))
    kb.ingest([src / "B4"], "B")
    assert [Path(h["source"]).name for h in kb.watch_new("fuel-b")["hits"]] == ["fuel-b4.md"]


def test_watches_are_private_and_hits_obey_current_grants(two_collections: dict[str, Any]) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    alice, bob = kb.as_user("alice"), kb.as_user("bob")
    alice.watch_add("fuel", "combustible")
    bob.watch_add("fuel", "combustible")  # the same name is another user's own watch
    assert [w["name"] for w in kb.watches()] == []  # the owner sees none of theirs
    write(src / "A5", "fuel-a5.md", FUEL.format(n=6, place="Puno"))
    write(src / "B5", "fuel-b5.md", FUEL.format(n=7, place="Ipiales"))
    kb.ingest([src / "A5"], "A")
    kb.ingest([src / "B5"], "B")
    # bob reads only B: a hit in A was never his (not even stored for his watch)
    assert [Path(h["source"]).name for h in bob.watch_new("fuel", mark_seen=False)["hits"]] == ["fuel-b5.md"]
    assert alice.watches()[0]["new"] == 2
    kb.revoke("alice", "B")
    alice = kb.as_user("alice")  # grants are resolved per view: a new request after the change
    assert alice.watches()[0]["new"] == 1
    shown = json.dumps(alice.watch_new("fuel"))
    assert "fuel-a5.md" in shown and "fuel-b5.md" not in shown and "Ipiales" not in shown
    kb.grant("alice", "B", "read")  # given back later: what was hidden when she looked stays old
    assert kb.as_user("alice").watch_new("fuel")["hits"] == []
    with pytest.raises(NotFound):
        kb.as_user("bob").watch_new("no-such-watch")
    assert kb.as_user("bob").watch_remove("fuel") and not kb.as_user("bob").watch_remove("fuel")
    assert [w["name"] for w in kb.as_user("alice").watches()] == ["fuel"]


def test_a_removed_document_leaves_its_hits(two_collections: dict[str, Any]) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    kb.watch_add("fuel", "combustible")
    write(src / "A6", "fuel-a6.md", FUEL.format(n=8, place="Puno"))
    doc = kb.ingest([src / "A6"], "A").rows[0].doc_id
    assert kb.remove(doc)
    assert kb.watch_new("fuel")["hits"] == []


@pytest.mark.parametrize(
    ("name", "query", "kwargs", "match"),
    [
        ("", "x", {}, "name"),
        ("a/b", "x", {}, "name"),
        ("ok", "  ", {}, "query"),
        ("ok", "x", {"k": 0}, "k must"),
        ("ok", "x", {"notify": "http://192.0.2.1/hook"}, "watch_hook_hosts"),
        ("ok", "x", {"notify": "ftp://127.0.0.1/x"}, "http"),
    ],
)
def test_bad_watches_are_refused(
    two_collections: dict[str, Any], name: str, query: str, kwargs: Any, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        two_collections["kb"].watch_add(name, query, **kwargs)


def test_names_are_unique_per_owner_and_commands_need_the_owner(two_collections: dict[str, Any]) -> None:
    kb = two_collections["kb"]
    kb.watch_add("fuel", "combustible")
    with pytest.raises(ValueError, match="already"):
        kb.watch_add("fuel", "otra cosa")
    with pytest.raises(ValueError, match="owner or an administrator"):
        kb.as_user("alice").watch_add("cmd", "combustible", notify="touch /tmp/x")
    kb.as_user("root").watch_add("cmd", "combustible", notify="true")  # an administrator may


class _Receiver(BaseHTTPRequestHandler):
    received: list[Any] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_a_webhook_on_loopback_gets_the_new_hits(two_collections: dict[str, Any]) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    try:
        alice = kb.as_user("alice")
        alice.watch_add("fuel", "combustible", notify=f"http://127.0.0.1:{server.server_port}/hook")
        kb.ingest([two_collections["src"] / "A"], "A")  # nothing new: nothing sent
        assert _Receiver.received == []
        write(src / "B7", "fuel-b7.md", FUEL.format(n=9, place="Ipiales"))
        write(src / "B7", "other-b7.md", OTHER.format(place="Ipiales"))
        kb.ingest([src / "B7"], "B")
    finally:
        server.shutdown()
        server.server_close()
    (payload,) = _Receiver.received
    assert payload["watch"] == "fuel" and payload["owner"] == "alice"
    assert [Path(h["source"]).name for h in payload["hits"]] == ["fuel-b7.md"]
    assert payload["hits"][0]["snippet"] and payload["hits"][0]["doc_id"]
    assert alice.watches()[0]["new"] == 1  # telling is not showing: the hits are still new


def test_a_command_gets_the_json_on_stdin_and_a_failing_one_does_not_fail_the_ingest(
    two_collections: dict[str, Any],
) -> None:
    kb, src, tmp = two_collections["kb"], two_collections["src"], two_collections["tmp"]
    out = tmp / "hook.json"
    script = f"import sys, pathlib; pathlib.Path({str(out)!r}).write_bytes(sys.stdin.buffer.read())"
    kb.watch_add("fuel", "combustible", notify=shlex.join([sys.executable, "-c", script]))
    kb.watch_add("broken", "combustible", notify=shlex.join([sys.executable, "-c", "import sys; sys.exit(3)"]))
    write(src / "A8", "fuel-a8.md", FUEL.format(n=10, place="Puno"))
    report = kb.ingest([src / "A8"], "A")
    assert report.count("ingested") == 1
    payload = json.loads(out.read_text("utf-8"))
    assert payload["watch"] == "fuel" and [Path(h["source"]).name for h in payload["hits"]] == ["fuel-a8.md"]


def test_a_webhook_refused_later_is_not_called(two_collections: dict[str, Any]) -> None:
    assert watch_module.notify("http://192.0.2.1/x", {"hits": []}, ("127.0.0.1",)) is not None
    assert "watch_hook_hosts" in str(watch_module.notify("http://example.org/", {}, ("127.0.0.1",)))


def test_dense_similarity_matches_only_when_the_setting_asks_for_it(two_collections: dict[str, Any]) -> None:
    kb, src = two_collections["kb"], two_collections["src"]
    kb.watch_add("near", "patrullero")  # no word in common with the reports (stemmed), a similar vector
    write(src / "A10", "fuel-a10.md", FUEL.format(n=13, place="Puno"))
    kb.ingest([src / "A10"], "A")
    assert kb.watch_new("near")["hits"] == []
    kb.config = replace(kb.config, watch_min_similarity=0.1)
    write(src / "A11", "fuel-a11.md", FUEL.format(n=14, place="Puno"))
    kb.ingest([src / "A11"], "A")
    assert [Path(h["source"]).name for h in kb.watch_new("near")["hits"]] == ["fuel-a11.md"]
