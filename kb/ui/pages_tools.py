"""Upload page and the precedent finder: thin over ``KnowledgeBase.upload`` and ``read_upload``.

Names, sizes, content, placement under ``<kb>/uploads`` and the rollback of a refused or skipped
file are the write path's (:mod:`kb.write.uploads`); this page picks the collection, shows the
progress, and says what happened to each file in the interface language.
"""

from __future__ import annotations

import re

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import UPLOAD_TYPES, Forbidden, KBError
from kb.ui.nav import L, register
from kb.ui.pages_search import show_results, text_language
from kb.ui.render import esc, export_markdown

STAGES = ("scan", "read", "analyse", "embed")


NEW = ""  # the "new collection" choice: no collection is named "" (the facade refuses it)
_BAD_COLLECTION = re.compile(r"[\x00-\x1f\x7f/\\]")


def writable(kb: KnowledgeBase) -> list[str]:
    """The collections the user may add documents to (every one it reads with write or manage)."""
    return [str(c["name"]) for c in kb.collections() if c["role"] in ("write", "admin")]


def can_upload(kb: KnowledgeBase) -> bool:
    """Single-user mode, an administrator, or a user with write access somewhere."""
    return kb.principal.admin or bool(writable(kb))


def upload_collection(kb: KnowledgeBase) -> tuple[bool, str | None]:
    """Which collection an upload goes into: ``(ready, name)``; single-user mode keeps today's default.

    A user chooses among the collections it may write; only an administrator may name a new one.
    """
    if not kb.multi_user:
        return True, None
    options = writable(kb) + ([NEW] if kb.principal.admin else [])
    if not options:
        st.info(L("no_writable"))
        return False, None
    choice = st.selectbox(L("upload_into"), options, format_func=_collection_label, key="upload_collection")
    if choice != NEW:
        return True, choice
    name = st.text_input(L("new_collection_name"), key="upload_new_collection").strip()
    if name and (len(name) > 128 or name == "*" or _BAD_COLLECTION.search(name)):
        st.error(L("bad_collection"))
        return False, None
    return bool(name), name or None


def _collection_label(name: str) -> str:
    return L("new_collection") if name == NEW else name


@register("upload", "upload", order=60, allowed=can_upload)
def page_upload(kb: KnowledgeBase) -> None:
    st.title(L("upload"))
    st.caption(L("upload_note").format(mb=int(kb.max_upload_mb)))
    ready, collection = upload_collection(kb)
    if not ready:
        return
    # The type list is only the browser's filter: kb.upload checks suffix, size and content again.
    files = st.file_uploader(L("upload_help"), type=list(UPLOAD_TYPES), accept_multiple_files=True, key="uploads")
    if not files:
        return
    if not st.button(L("ingest"), type="primary", key="ingest"):
        return
    bar = st.progress(0.0, text=L("stage_scan"))

    def progress(stage: str, done: int, total: int) -> None:
        label = L(f"stage_{stage}") if stage in STAGES else esc(stage)
        bar.progress(min(done / max(total, 1), 1.0), text=f"{label} {int(done)}/{int(total)}")

    try:
        outcomes = kb.upload([(f.name, f.getvalue()) for f in files], collection, progress=progress)
    except Forbidden as exc:  # the grant changed since the page was drawn: nothing was kept
        bar.empty()
        st.error(f"{L('forbidden')}: {esc(exc)}")
        return
    except KBError as exc:  # e.g. another process is writing: nothing was changed
        bar.empty()
        st.error(f"{L('status_skipped')}: {esc(exc)}")
        return
    bar.progress(1.0, text=L("done"))
    for o in outcomes:  # names and details are the uploader's and the file's text
        if o.ok:
            st.success(f"{esc(o.name)}: {L('status_' + o.status)}" + (f" — {esc(o.detail)}" if o.detail else ""))
        else:
            st.error(f"{esc(o.name)}: {L('status_' + o.status)} — {esc(o.reason)}: {esc(o.detail or '')}")
    s = kb.stats()
    st.caption(L("stats").format(d=int(s["documents"]), c=int(s["chunks"]), e=int(s["entities"])))


@register("precedents", "precedents", order=20)
def page_precedents(kb: KnowledgeBase) -> None:
    st.title(L("precedents"))
    st.caption(L("precedents_help"))
    text = st.text_area(L("paste"), height=180, key="precedent_text")
    draft = st.file_uploader(L("draft"), type=list(UPLOAD_TYPES), key="precedent_file")
    if draft is not None:
        try:
            text = kb.read_upload(draft.name, draft.getvalue())
        except ValueError as exc:
            st.error(f"{esc(draft.name)}: {esc(exc)}")
            return
        st.caption(f"{esc(draft.name)}: {len(text.split())} {L('words')}")
    if not text.strip():
        return
    results = kb.similar(text, k=10)
    if not results:
        st.info(L("no_similar"))
        return
    show_results(results, "", text_language(text[:2000]))
    st.download_button(
        f"{L('export')} Markdown", export_markdown(text[:80] + "…", results), "kb-precedents.md", "text/markdown"
    )
