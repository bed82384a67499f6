"""First idle worker: worker processes that take a connection from the shared socket only when they have room.

uvicorn's workers each accept every connection waiting on the shared socket as soon as their
event loop looks, and then answer them all at once in their thread pools: with eight users on
two workers the split is uneven (five and three, say), each worker's requests share its core,
and the unlucky users wait 1.7 times the mean (issue 19: 97 searches/s, p95 138 ms). Here a
worker accepts one connection at a time and only while fewer than ``limit`` of its requests are
at work, so the kernel's queue of waiting connections is one first-come queue that every idle
worker draws from: a request is answered by whichever worker frees first, as a bank's single
line serves its counters.

A :class:`Gate` counts, in one worker, the requests at work and the accepted connections whose
first request has not arrived. :class:`GatedServer` is uvicorn's server with its accept loop
replaced by :meth:`Gate.serve`; :class:`Counted` is the ASGI middleware that tells the gate
when a request starts and ends. A keep-alive connection counts only while one of its requests
is at work (its later requests come to the same worker, as with any server); an idle one holds
nothing. Everything runs on the worker's event loop, so the counts need no lock.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

LOG = logging.getLogger("uvicorn.error")

#: the connection whose bytes are being read: set while uvicorn parses them, so the request task
#: it creates (asyncio copies the context into every task) knows which connection it serves
CONNECTION: contextvars.ContextVar[Connection | None] = contextvars.ContextVar("kb_gate_connection", default=None)


class Connection:
    """One accepted connection: ``fresh`` until its first request starts or it closes."""

    __slots__ = ("fresh",)

    def __init__(self) -> None:
        self.fresh = True


class Gate:
    """A worker's room: requests at work plus fresh connections, at most ``limit``."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a worker needs room for one request at least")
        self.limit = limit
        self.working = 0
        self.fresh = 0
        self._changed = asyncio.Event()

    @property
    def full(self) -> bool:
        return self.working + self.fresh >= self.limit

    def accepted(self) -> Connection:
        self.fresh += 1
        return Connection()

    def started(self, conn: Connection | None) -> None:
        """A request starts (on ``conn``, when it came through :meth:`serve`)."""
        if conn is not None:
            self._settled(conn)
        self.working += 1

    def ended(self) -> None:
        self.working -= 1
        self._changed.set()

    def closed(self, conn: Connection) -> None:
        """``conn`` closed; if no request ever started on it, its room is free again."""
        if self._settled(conn):
            self._changed.set()

    def _settled(self, conn: Connection) -> bool:
        """``conn`` stops counting as fresh (once); whether it did until now."""
        was, conn.fresh = conn.fresh, False
        self.fresh -= was
        return was

    async def room(self) -> None:
        """Return once this worker may take another connection."""
        while self.full:
            self._changed.clear()
            await self._changed.wait()

    async def serve(self, sock: socket.socket, protocol: Callable[[], asyncio.Protocol]) -> None:
        """Accept from ``sock`` one connection at a time, while there is room, and hand each to ``protocol()``."""
        loop = asyncio.get_running_loop()
        sock.setblocking(False)
        while True:
            await self.room()
            try:
                conn, _ = await loop.sock_accept(sock)
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue  # another worker took it, or the client gave up while it waited
            except OSError:  # EMFILE and the like: let the system breathe, as asyncio's own loop does
                await asyncio.sleep(0.1)
                continue
            state = self.accepted()
            try:
                await loop.connect_accepted_socket(functools.partial(_tracked, protocol, self, state), conn)
            except OSError:
                self.closed(state)
                conn.close()


def _tracked(make: Callable[[], asyncio.Protocol], gate: Gate, conn: Connection) -> asyncio.Protocol:
    """A protocol from ``make`` with its reads marked as ``conn``'s and its close reported to ``gate``."""
    protocol = make()
    received, lost = protocol.data_received, protocol.connection_lost

    def data_received(data: bytes) -> None:
        token = CONNECTION.set(conn)
        try:
            received(data)
        finally:
            CONNECTION.reset(token)

    def connection_lost(exc: Exception | None) -> None:
        gate.closed(conn)
        lost(exc)

    protocol.data_received = data_received  # type: ignore[method-assign]
    protocol.connection_lost = connection_lost  # type: ignore[method-assign]
    return protocol


class Counted:
    """ASGI middleware: tells the gate when each HTTP request starts and ends."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.gate.started(CONNECTION.get())
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.ended()


class GatedServer(uvicorn.Server):
    """uvicorn's server, accepting through a :class:`Gate` of ``limit`` requests instead of asyncio's loop."""

    def __init__(self, config: uvicorn.Config, limit: int) -> None:
        super().__init__(config)
        self.limit = limit
        self._accepting: list[asyncio.Task[None]] = []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if not sockets:
            raise ValueError("a gated server serves sockets bound by its parent")
        gate = Gate(self.limit)
        config = self.config
        config.loaded_app = Counted(config.loaded_app, gate)
        await super().startup(sockets=[])  # the lifespan, and no accept loop of asyncio's
        if self.should_exit:
            return

        def protocol() -> asyncio.Protocol:
            made: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )
            return made

        self._accepting = [asyncio.create_task(gate.serve(sock, protocol)) for sock in sockets]

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for task in self._accepting:
            task.cancel()
        await super().shutdown(sockets=None)


def run_workers(config: uvicorn.Config, limit: int) -> None:
    """``config.workers`` processes on one socket bound here, each a :class:`GatedServer`; a worker that dies is
    started again, and SIGINT or SIGTERM stops them all (each finishes the requests it has)."""
    import multiprocessing.connection
    import signal

    from uvicorn._subprocess import get_subprocess  # spawns a worker with uvicorn's logging set up again

    sock = config.bind_socket()
    sock.listen(config.backlog)  # asyncio's create_server would; the queue of waiting connections is this one
    server = GatedServer(config, limit)
    stop = False

    def start() -> Any:
        process = get_subprocess(config, target=server.run, sockets=[sock])
        process.start()
        return process

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stop
        stop = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    workers = [start() for _ in range(config.workers)]
    try:
        while not stop:
            multiprocessing.connection.wait([w.sentinel for w in workers], timeout=0.5)
            for i, w in enumerate(workers):
                if not w.is_alive() and not stop:
                    LOG.warning("worker %s exited (code %s); starting another", w.pid, w.exitcode)
                    workers[i] = start()
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
        for s, handler in previous.items():
            signal.signal(s, handler)
        sock.close()
