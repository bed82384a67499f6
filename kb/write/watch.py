"""Watched searches at ingest: each new segment is searched once per watch, and owners are told.

A watch costs nothing while nothing arrives: the facade hooks :func:`match_segment` into the
ingest's post-commit callback (:data:`kb.write.commit.OnCommit`), which runs only for a batch that
stored something, and then searches only the segment that batch wrote — never the whole
knowledge base again. A passage matches a watch when BM25 finds the watch's words in it (with
the gazetteer's aliases in the other languages, as every search does) or, when the setting
``watch_min_similarity`` is above 0, when its dense similarity to the query reaches it.

Notifications (:func:`notify`) go to a command (given the JSON on stdin) or a webhook URL (a
JSON POST) whose host must be in ``watch_hook_hosts`` (loopback only by default, so a watch
cannot make the server call into the network behind it). A failed notification is logged and
returned, never raised: it must not fail the ingest that found the hits.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from kb.read.context import ReadContext
from kb.read.search import search
from kb.store import Store
from kb.store.segments import Snapshot, load_segment
from kb.types import Filters

log = logging.getLogger(__name__)

#: seconds a notification command or webhook may take
NOTIFY_TIMEOUT_S = 10.0


def segment_snapshot(store: Store, segment: int, generation: int) -> Snapshot:
    """A view of one new segment alone (its chunks cannot be tombstoned yet)."""
    return Snapshot(generation, {segment: load_segment(segment, store.segment_dir(segment))})


def match_segment(
    ctx: ReadContext, query: str, k: int, f: Filters, min_similarity: float
) -> list[tuple[str, int, float]]:
    """``(doc_id, chunk_id, score)`` of the passages of ``ctx.view`` (one new segment) that match the watch."""
    found: dict[int, tuple[str, int, float]] = {}
    for r in search(ctx, query, k, f, mode="sparse", per_doc=3, snippets=False):
        for h in r.hits:
            found[h.chunk_id] = (h.doc_id, h.chunk_id, h.score)
    if min_similarity > 0:
        for r in search(ctx, query, k, f, mode="dense", per_doc=3, snippets=False):
            for h in r.hits:
                if h.score >= min_similarity and h.chunk_id not in found:
                    found[h.chunk_id] = (h.doc_id, h.chunk_id, h.score)
    return list(found.values())


def hook_hosts(setting: str) -> tuple[str, ...]:
    """The hosts a webhook may call, from the comma-separated setting (``*``: any)."""
    return tuple(h.strip().lower() for h in setting.split(",") if h.strip())


def check_target(target: str, hosts: Sequence[str], *, commands: bool) -> str:
    """``target`` if it is a webhook URL on an allowed host, or a command and ``commands`` are allowed.

    Raises:
        ValueError: a URL on another host, a malformed URL, or a command from a principal that may not run one.
    """
    target = target.strip()
    if target.startswith(("http://", "https://")):
        host = (urllib.parse.urlsplit(target).hostname or "").lower()
        if not host:
            raise ValueError(f"{target!r} is not a URL with a host")
        if "*" not in hosts and host not in hosts:
            raise ValueError(
                f"webhooks may only call {', '.join(hosts) or 'no host'} (the setting watch_hook_hosts); not {host!r}"
            )
        return target
    if "://" in target:
        raise ValueError(f"{target!r}: a webhook must be an http:// or https:// URL")
    if not commands:
        raise ValueError("only the knowledge base's owner or an administrator may set a command as a notification")
    if not shlex.split(target):
        raise ValueError("the notification command is empty")
    return target


def notify(target: str, payload: dict[str, Any], hosts: Sequence[str]) -> str | None:
    """Send ``payload`` as JSON to a webhook (POST) or a command (stdin); an error message, or ``None``."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        if target.startswith(("http://", "https://")):
            check_target(target, hosts, commands=False)  # the setting may have changed since the watch was saved
            request = urllib.request.Request(target, body, {"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_S) as response:  # noqa: S310 - host checked
                response.read()
        else:
            done = subprocess.run(shlex.split(target), input=body, capture_output=True, timeout=NOTIFY_TIMEOUT_S)
            if done.returncode:
                raise OSError(f"exit status {done.returncode}: {done.stderr.decode(errors='replace')[:200]}")
    except (OSError, ValueError, subprocess.TimeoutExpired, urllib.error.URLError) as exc:
        log.warning("watch notification to %s failed: %s", target, exc)
        return str(exc)
    return None
