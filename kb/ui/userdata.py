"""What a user keeps from the pages: "Watch this search", the ZIP export of results, notes on a document.

Widgets drawn by the search and document pages; each calls one facade verb on the user's view,
so permissions, checks and the audit trail are the facade's. Every text from documents or users
goes through :func:`kb.ui.render.esc`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import KBError, SearchResult
from kb.ui.nav import L
from kb.ui.render import bullets, esc

_NOTE_ADDED = "_note_added"
MAX_NOTE = 4000


def watch_box(kb: KnowledgeBase, query: str, filters: Mapping[str, Any]) -> None:
    """A name and a button that save the search (query and the chosen filters) as a watch."""
    with st.expander(L("watch_this")):
        name = st.text_input(L("watch_name"), value=query.strip()[:80], key="watch_name", max_chars=200)
        if st.button(L("watch_this"), key="watch_add"):
            try:
                kb.watch_add(name, query, dict(filters))
            except (KBError, ValueError) as exc:  # a blank or taken name, a bad filter
                st.error(esc(exc))
            else:
                st.success(L("watch_added"))


def zip_export(kb: KnowledgeBase, results: Sequence[SearchResult], query: str) -> tuple[bytes, int]:
    """The ZIP of these results (originals the user may read, documents.csv, index.md) and how many
    documents it holds. The facade audits the export; a size over its limit raises KBError."""
    with tempfile.TemporaryDirectory(prefix="kb-zip-") as folder:
        summary = kb.export(list(results), Path(folder) / "kb-results.zip", title=f"kb search: {query}")
        return Path(summary["path"]).read_bytes(), int(summary["documents"])


def zip_button(kb: KnowledgeBase, results: Sequence[SearchResult], query: str) -> None:
    """ "Export ZIP", made on the click (large), then its download button; the size refusal as a message."""
    if not st.button(L("export_zip"), key="export_zip"):
        return
    try:
        data, documents = zip_export(kb, results, query)
    except KBError as exc:
        st.error(esc(exc))
        return
    label = L("download_zip").format(n=int(documents))
    st.download_button(label, data, "kb-results.zip", "application/zip", on_click="ignore", key="download_zip")


def note_line(note: Mapping[str, Any], page_label: str) -> str:
    """One note: author, date, page, the quoted passage and the text, all inert."""
    where = f" · {esc(page_label)} {esc(note['page'])}" if note.get("page") else ""
    quote = f" <q>{esc(note['quote'])}</q>" if note.get("quote") else ""
    date = esc(str(note.get("created") or "")[:16].replace("T", " "))
    return f"<b>{esc(note['author'])}</b> · {date}{where} —{quote} {esc(note['text'])}"


def notes_section(kb: KnowledgeBase, doc: Mapping[str, Any]) -> None:
    """The notes on a document (author, date, page, quote) and a form to add one."""
    st.subheader(L("notes"))
    if st.session_state.pop(_NOTE_ADDED, False):
        st.success(L("note_added"))
    notes = kb.notes(doc["doc_id"])
    if notes:
        st.markdown(bullets(note_line(n, L("page")) for n in notes), unsafe_allow_html=True)
    else:
        st.caption(L("no_notes"))
    numbers = [int(p["number"]) for p in doc.get("pages", []) if p.get("number")]
    with st.form("add_note", clear_on_submit=True):
        text = st.text_area(L("note_text"), key="note_text", max_chars=MAX_NOTE)
        quote = st.text_input(L("note_quote"), key="note_quote", max_chars=MAX_NOTE)
        page = st.number_input(L("note_page"), 0, max(numbers, default=0), 0, key="note_page") if numbers else 0
        if st.form_submit_button(L("note_add")):
            try:
                kb.note_add(doc["doc_id"], text, page=int(page) or None, quote=quote.strip() or None)
            except (KBError, ValueError) as exc:  # blank, too long, no such page
                st.error(esc(exc))
                return
            st.session_state[_NOTE_ADDED] = True
            st.rerun()
