"""First idle worker (kb.api.gate): a worker takes a connection only while it has room for its request.

The counting is checked alone; then a real :class:`GatedServer` (uvicorn, one process, a small
ASGI app that holds each request a moment) on a real socket: never more requests at work than
its limit, every request answered, and connections that carry no request (an idle keep-alive
one, one closed at once, one sending garbage) never keep others waiting.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn

from kb.api.gate import Gate, GatedServer


def test_a_gate_counts_fresh_connections_and_requests_at_work() -> None:
    gate = Gate(1)
    assert not gate.full
    conn = gate.accepted()
    assert gate.full  # a connection whose request has not arrived yet holds the room
    gate.started(conn)
    assert (gate.working, gate.fresh, gate.full) == (1, 0, True)
    gate.closed(conn)  # its request is at work: closing does not free the room twice
    assert gate.full
    gate.ended()
    assert not gate.full
    other = gate.accepted()
    gate.closed(other)  # closed without a request
    assert (gate.working, gate.fresh, gate.full) == (0, 0, False)
    gate.started(None)  # a request the gate did not accept (no connection known) still counts
    assert gate.full
    with pytest.raises(ValueError):
        Gate(0)


class Slow:
    """An ASGI app that holds each request while counting how many are at work at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.now = self.most = self.served = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        self.now += 1
        self.most = max(self.most, self.now)
        await asyncio.sleep(0.05)
        self.now -= 1
        self.served += 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def gated(request: pytest.FixtureRequest) -> Iterator[tuple[str, Slow]]:
    """A GatedServer of ``limit`` (the test's param) on a fresh loopback socket, in a thread."""
    limit = request.param
    app = Slow(limit)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(app, lifespan="off", log_level="warning", timeout_keep_alive=60)
    server = GatedServer(config, limit)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _get(url: str) -> int:
    with httpx.Client(timeout=20) as client:  # a connection per request, as the load generator's users
        return client.get(url + "/x").status_code


@pytest.mark.parametrize("gated", [1, 2], indirect=True)
def test_a_worker_never_has_more_requests_at_work_than_its_room(gated: tuple[str, Slow]) -> None:
    """Eight users at once: the worker answers all, never more at a time than its room, and fills it."""
    url, app = gated
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: _get(url), range(16)))
    assert codes == [200] * 16 and app.served == 16
    assert app.most == app.limit


@pytest.mark.parametrize("gated", [1], indirect=True)
def test_connections_without_a_request_at_work_keep_nobody_waiting(gated: tuple[str, Slow]) -> None:
    """An idle keep-alive connection (the server keeps it 60 s), one closed before it asked anything and
    one that sent garbage (uvicorn answers 400 itself) must not hold the only room: the next user is served."""
    url, app = gated
    host, port = url.removeprefix("http://").split(":")
    with httpx.Client(timeout=20) as kept:
        assert kept.get(url + "/first").status_code == 200  # the connection stays open, idle
        silent = socket.create_connection((host, int(port)))
        silent.close()
        garbage = socket.create_connection((host, int(port)), timeout=20)
        garbage.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert garbage.recv(100).startswith(b"HTTP/1.1 400")
        garbage.close()
        assert _get(url) == 200  # would wait out the 60 s keep-alive if the idle connection held the room
        assert kept.get(url + "/again").status_code == 200  # and the kept connection still works
    assert app.most == 1 and app.served == 3
