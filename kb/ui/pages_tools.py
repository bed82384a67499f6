"""Upload page (checked, staged, ingested with progress) and the precedent finder."""

from __future__ import annotations

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import KBError
from kb.ui.nav import L, register
from kb.ui.pages_search import show_results, text_language
from kb.ui.render import esc, export_markdown
from kb.ui.uploads import MAX_UPLOAD_MB, UPLOAD_TYPES, ingest_uploads, read_draft

STAGES = ("scan", "read", "analyse", "embed")


@register("upload", "upload", order=60)
def page_upload(kb: KnowledgeBase) -> None:
    st.title(L("upload"))
    st.caption(L("upload_note").format(mb=MAX_UPLOAD_MB))
    # The type list is only the browser's filter: uploads.stage checks suffix, size and content again.
    files = st.file_uploader(L("upload_help"), type=UPLOAD_TYPES, accept_multiple_files=True, key="uploads")
    if not files:
        return
    if not st.button(L("ingest"), type="primary", key="ingest"):
        return
    bar = st.progress(0.0, text=L("stage_scan"))

    def progress(stage: str, done: int, total: int) -> None:
        label = L(f"stage_{stage}") if stage in STAGES else esc(stage)
        bar.progress(min(done / max(total, 1), 1.0), text=f"{label} {int(done)}/{int(total)}")

    try:
        outcomes = ingest_uploads(kb, [(f.name, f.getvalue()) for f in files], progress=progress)
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
    draft = st.file_uploader(L("draft"), type=UPLOAD_TYPES, key="precedent_file")
    if draft is not None:
        try:
            text = read_draft(kb, draft.name, draft.getvalue())
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
