"""``kb serve`` itself, as a user runs it: the command line, the loopback rule, several workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import PASSWORD, ROOT, ApiServer, free_port

pytestmark = pytest.mark.slow  # each test starts Python processes that import FastAPI and the kb


def _kb(path: Path, admin: bool) -> Path:
    from kb.service import KnowledgeBase

    with KnowledgeBase.open(path) as kb:  # no documents: nothing loads a model
        if admin:
            kb.add_user("root", PASSWORD, admin=True)
    return path


def _serve(kb_dir: Path, *args: str) -> ApiServer:
    port = free_port()
    return ApiServer(["-m", "kb.cli", "--kb", str(kb_dir), "serve", "--port", str(port), *args], port).wait_ready()


def test_a_knowledge_base_without_users_is_not_served_beyond_loopback(tmp_path: Path) -> None:
    kb_dir = _kb(tmp_path / "kb", admin=False)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for host in ("0.0.0.0", "192.0.2.10", "example.org"):
        cmd = [sys.executable, "-m", "kb.cli", "--kb", str(kb_dir), "serve", "--host", host, "--port", str(free_port())]
        out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode != 0 and "no users" in out.stderr, (host, out.stderr)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_kb_serve_answers_logins_and_reads(tmp_path: Path, workers: str) -> None:
    server = _serve(_kb(tmp_path / "kb", admin=True), "--workers", workers)
    try:
        c = httpx.Client(base_url=server.url + "/api/v1", timeout=30)
        assert c.get("/health").json()["multi_user"] is True
        assert c.get("/collections").status_code == 401
        token = c.post("/auth/token", data={"username": "root", "password": PASSWORD}).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        for _ in range(6):  # with two workers, both get requests: each opened the knowledge base itself
            assert c.get("/me").json()["user"] == "root"
        assert httpx.get(server.url + "/docs").status_code == 200  # the OpenAPI page
        assert "/api/v1/search" in httpx.get(server.url + "/openapi.json").json()["paths"]
    finally:
        out = server.stop()
    assert "Traceback" not in out, out


def test_workers_share_the_cores_out_unless_the_user_chose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of N workers gets cores/N query-encoder threads (at least one); a kb.toml setting wins."""
    from kb.api import server

    cores = os.cpu_count() or 1
    assert server.worker_threads(1) is None
    assert server.worker_threads(2) == max(1, cores // 2)
    assert server.worker_threads(64) == 1
    kb_dir = _kb(tmp_path / "kb", admin=False)
    monkeypatch.setenv(server.PATH_ENV, str(kb_dir))
    monkeypatch.setenv(server.WORKERS_ENV, "64")
    monkeypatch.delenv("KB_QUERY_THREADS", raising=False)
    app = server.app_from_env()
    assert app.state.kb.config.query_threads == 1
    (kb_dir / "kb.toml").write_text("query_threads = 3\n", encoding="utf-8")
    assert server.app_from_env().state.kb.config.query_threads == 3


def _workers(parent: int) -> list[int]:
    """The worker processes ``kb serve --workers N`` (pid ``parent``) started (multiprocessing's spawned children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads worker processes from /proc")
def test_a_worker_that_dies_is_replaced_and_stopping_stops_them_all(tmp_path: Path) -> None:
    import signal
    import time

    server = _serve(_kb(tmp_path / "kb", admin=False), "--workers", "2")
    try:
        first = _workers(server.proc.pid)
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (len(now := _workers(server.proc.pid)) == 2 and first[0] not in now):
            time.sleep(0.2)
        assert len(_workers(server.proc.pid)) == 2 and first[0] not in _workers(server.proc.pid)
        for _ in range(6):
            assert httpx.get(server.url + "/api/v1/health", timeout=30).status_code == 200
        alive = _workers(server.proc.pid)
    finally:
        out = server.stop()
    assert f"worker {first[0]} exited" in out and "starting another" in out
    assert "Traceback" not in out, out
    assert not [pid for pid in alive if Path(f"/proc/{pid}").exists()]  # stopped with the server
