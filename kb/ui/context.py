"""The knowledge base the app works on: opened once per process, built on first start if empty.

Tests inject their own (``st.session_state["kb"]``), so that the pages run on a small knowledge
base with a fake embedder instead of the one at ``KB_PATH``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import streamlit as st

from kb.service import KnowledgeBase
from kb.ui.nav import L

REPO = Path(__file__).resolve().parents[2]


@st.cache_resource(show_spinner=False)
def _open(path: str) -> KnowledgeBase:
    """One KnowledgeBase (and so one set of loaded models) per process and path.

    Every session (a thread) shares it: its store gives each thread its own SQLite connection,
    so one session never reads another's uncommitted upload, and the writer lock lets one
    session write at a time. Each search takes one whole generation (``KnowledgeBase._refresh``).
    """
    return KnowledgeBase.open(path)


@st.cache_resource(show_spinner=False)
def _bootstrap_lock(path: str) -> threading.Lock:
    """Two browser tabs opening an empty knowledge base must not both build it."""
    return threading.Lock()


def kb_path() -> str:
    return os.environ.get("KB_PATH") or str((REPO / ".kb" / "corpus").resolve())


def get_kb() -> KnowledgeBase:
    """The session's knowledge base: the injected one, else the cached one at ``KB_PATH``."""
    injected = st.session_state.get("kb")
    kb: KnowledgeBase = injected if injected is not None else _open(kb_path())
    bootstrap_if_empty(kb)
    return kb


def bootstrap_if_empty(kb: KnowledgeBase) -> None:
    """Ingest ``KB_BOOTSTRAP`` (default: the bundled corpus) into an empty knowledge base, with progress.

    Single-user mode only: a shared knowledge base is filled by its users, into their collections,
    never by whoever opens the login page first.
    """
    if kb.multi_user:
        return
    folder = Path(os.environ.get("KB_BOOTSTRAP") or REPO / "corpus" / "documents")
    if kb.stats()["documents"] or not folder.is_dir() or not any(folder.iterdir()):
        return
    with _bootstrap_lock(str(kb.root)):
        if kb.stats()["documents"]:
            return  # built by another session while this one waited
        bar = st.progress(0.0, text=L("building"))

        def progress(stage: str, done: int, total: int) -> None:
            label = L(f"stage_{stage}") if stage in ("scan", "read", "analyse", "embed") else stage
            bar.progress(min(done / max(total, 1), 1.0), text=f"{L('building')} {label} {done}/{total}")

        report = kb.ingest([folder], progress=progress)
        bar.empty()
        st.toast(L("built").format(n=report.count("ingested")))
