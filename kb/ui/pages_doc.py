"""Document view: metadata, entities by type, the text page by page with the hit shaded, the original, similar documents."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.ui.nav import L, int_param, link, param, register
from kb.ui.render import CSS, LANG_NAMES, anchor, bullets, chip, esc, page_html, query_words
from kb.ui.userdata import notes_section

META = ("doc_type", "lang", "date", "format", "page_count", "region", "countries", "crossings", "collection")


def matching_passages(
    kb: KnowledgeBase, doc_id: str, query: str, chosen: int | None
) -> dict[Any, list[tuple[str, bool]]]:
    """The query's passages in this document, by page number: what the page view shades."""
    if not query.strip():
        return {}
    out: dict[Any, list[tuple[str, bool]]] = {}
    for r in kb.search(query, k=1, filters={"doc_id": [doc_id]}, per_doc=10):
        for h in r.hits:
            out.setdefault(h.page, []).append((h.text or h.snippet, h.chunk_id == chosen))
    return out


def original_bytes(kb: KnowledgeBase, doc_id: str) -> bytes:
    """The original file of a document, through the facade (which checks the reader and logs the download)."""
    path = kb.original_file(doc_id)
    return path.read_bytes() if path is not None else b""


def _meta_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value in (None, "") else str(value)


@register("doc", "document", menu=False)
def page_doc(kb: KnowledgeBase) -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    doc = kb.document(param("id"))
    if doc is None:
        st.error(L("not_found"))
        return
    st.title(esc(doc["title"] or doc["doc_id"]))
    st.caption(f"{esc(Path(doc['source']).name)} · {esc(doc['doc_id'])}")
    left, right = st.columns([3, 1])
    with left:
        rows = "".join(f"<tr><th>{esc(L('meta_' + k))}</th><td>{esc(_meta_value(doc.get(k)))}</td></tr>" for k in META)
        st.markdown(f'<table class="kb-meta-table">{rows}</table>', unsafe_allow_html=True)
    with right:
        if doc.get("file") and Path(doc["file"]).is_file():
            # read on the click, not on every view: a shared knowledge base audits each download
            fetch = partial(original_bytes, kb, doc["doc_id"])
            st.download_button(L("download"), fetch, Path(doc["source"]).name, key="download", on_click="ignore")
        st.markdown(anchor(link(page="similar", id=doc["doc_id"]), L("more_like")), unsafe_allow_html=True)
    st.subheader(L("entities"))
    for etype, items in doc["entities"].items():
        if etype == "DATE":
            continue
        chips = " ".join(chip(link, e["id"], e["name"], etype, e["mentions"]) for e in items[:25])
        st.markdown(f"<div><b>{esc(L('type_' + etype))}</b> {chips}</div>", unsafe_allow_html=True)
    query = param("q")
    terms = query_words(query, min_len=4)
    hits = matching_passages(kb, doc["doc_id"], query, int_param("c"))
    wanted = int_param("p")
    pages = doc["pages"]
    st.subheader(L("text"))
    if query:
        st.caption(L("hits_shaded").format(q=esc(query)))
    for p in pages:
        number = p["number"]
        label = f"{L('page')} {esc(number)}" if number else L("document")
        if number in hits:
            label += f" · {L('matching').format(n=len(hits[number]))}"
        open_it = len(pages) == 1 or number == wanted or (wanted is None and number in hits)
        with st.expander(label, expanded=open_it):
            if p.get("ocr_confidence") is not None:
                st.caption(f"OCR {float(p['ocr_confidence']):.0%}")
            st.markdown(page_html(p["text"], hits.get(number, []), terms), unsafe_allow_html=True)
    notes_section(kb, doc)
    st.subheader(L("similar"))
    similar = [r for r in kb.similar(doc["doc_id"], k=6) if r.doc_id != doc["doc_id"]][:5]
    if similar:
        st.markdown(bullets(_similar_line(r.best) for r in similar), unsafe_allow_html=True)
    else:
        st.caption(L("no_similar"))


def _similar_line(h: Any) -> str:
    where = f", {L('page')} {h.page}" if h.page else ""
    return (
        f"{anchor(link(page='doc', id=h.doc_id, p=h.page), h.title or h.doc_id)}"
        f" — {esc(h.doc_type)}, {esc(LANG_NAMES.get(h.lang, h.lang))}, {esc(h.date or '—')}{esc(where)}"
    )
