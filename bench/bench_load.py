"""Throughput: a closed-loop load generator (1, 4, 8, 16 concurrent users), searches/s and p50/p95.

Usage: .venv/bin/python bench/bench_load.py --kb DIR [--users 1,4,8,16] [--seconds 20]
       .venv/bin/python bench/bench_load.py --url http://HOST:PORT --token TOKEN   (a running ``kb serve``)

Each user sends the gold questions one after another, the next as soon as the previous answered
(closed loop: the offered load follows the service's speed), ``k=10``, hybrid. In-process, the
users are threads sharing one ``KnowledgeBase`` (the facade a server holds); with ``--url`` they
call ``GET /api/v1/search?q=...&k=10`` with a bearer token. Every request is a distinct string
(trailing spaces: the same words; the tokenizer adds one whitespace token) so the facade's query-vector cache never
answers for the embedder. The 1-user level is the baseline the others are compared with.
Writes ``bench/results/load[_url].json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import gold_queries, log, summary_ms, table, write_result


def in_process(kb_dir: Path, **settings: Any) -> Callable[[str], int]:
    """A search function on one shared facade (the knowledge base is opened once, models warmed)."""
    from kb.service import KnowledgeBase

    kb = KnowledgeBase.open(kb_dir, **settings)
    for q in gold_queries()[:5]:  # models, gazetteer, language detection loaded before the clock
        kb.search(q["text"] + " ", k=10)
    return lambda q: len(kb.search(q, k=10))


def over_http(url: str, token: str | None) -> Callable[[str], int]:
    """A search function calling ``GET /api/v1/search`` of a running ``kb serve``."""
    base = url.rstrip("/") + "/api/v1/search?"

    def search(q: str) -> int:
        req = urllib.request.Request(base + urllib.parse.urlencode({"q": q, "k": 10}))
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=60) as resp:
            body = json.loads(resp.read())
        return len(body) if isinstance(body, list) else len(body.get("results", body.get("hits", [])))

    for _ in range(2):  # every worker process loads its models on its first request: reach them all first
        threads = [threading.Thread(target=search, args=(f" warm up {i}",)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return search


def level(search: Callable[[str], int], users: int, seconds: float, queries: list[str]) -> dict[str, Any]:
    """``users`` closed-loop threads for ``seconds``: searches/s, latency percentiles, errors."""
    counter = itertools.count()
    stop = time.perf_counter() + seconds
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def user() -> None:
        while time.perf_counter() < stop:
            i = next(counter)
            q = queries[i % len(queries)] + " " * (i // len(queries) + 1)  # distinct text (one more space a round)
            t0 = time.perf_counter()
            try:
                search(q)
            except Exception as exc:  # noqa: BLE001 - counted and reported, the load goes on
                with lock:
                    errors.append(repr(exc)[:200])
                continue
            with lock:
                lat.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=user) for _ in range(users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    load = round(os.getloadavg()[0], 1)  # the machine is shared: the 1-minute load average says how quiet it was
    return {"users": users, "searches_per_s": round(len(lat) / wall, 1), **summary_ms(lat), "errors": len(errors),
            "load_avg": load}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kb", type=Path, help="knowledge base to open in-process")
    ap.add_argument("--url", help="base URL of a running kb serve (instead of --kb)")
    ap.add_argument("--token", help="bearer token for --url")
    ap.add_argument("--users", default="1,4,8,16")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--batch-ab", action="store_true",
                    help="in-process: each level with query batching on (16) and off (0), alternately")  # fmt: skip
    args = ap.parse_args()
    if not args.kb and not args.url:
        ap.error("give --kb DIR or --url URL")
    if args.url:
        variants = {"-": over_http(args.url, args.token)}
    elif args.batch_ab:
        variants = {"16": in_process(args.kb, query_batch=16), "0": in_process(args.kb, query_batch=0)}
    else:
        variants = {"-": in_process(args.kb)}
    queries = [q["text"] for q in gold_queries()]
    rows = []
    for users in (int(u) for u in args.users.split(",")):
        for name, search in variants.items():
            log(f"{users} users for {args.seconds:.0f} s (query_batch {name})")
            rows.append({"query_batch": name, **level(search, users, args.seconds, queries)})
    for r in rows:
        first = next(b for b in rows if b["query_batch"] == r["query_batch"])
        r["vs_first"] = round(r["searches_per_s"] / (first["searches_per_s"] or 1.0), 2)
    target = args.url or str(args.kb)
    cols = ["users", "searches_per_s", "vs_first", "p50_ms", "p95_ms", "p99_ms", "n", "errors", "load_avg"]
    cols = (["query_batch"] if args.batch_ab else []) + cols
    print(table(rows, cols, f"Closed-loop load on {target} (hybrid, k=10)"))
    name = "load_url" if args.url else ("load_batch_ab" if args.batch_ab else "load")
    write_result(name, {"target": target, "seconds": args.seconds, "levels": rows})


if __name__ == "__main__":
    main()
