"""Search page (query, facets, cited cards, export) and the "more like this" page."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import SearchResult
from kb.ui.nav import L, link, param, register
from kb.ui.render import CSS, card, esc, export_csv, export_markdown, passage
from kb.ui.userdata import watch_box, zip_button

FACETS = ("doc_type", "lang", "country", "crossing", "entity", "year", "region")
SHOWN = 20


def card_labels() -> dict[str, str]:
    keys = ("page", "other_lang", "open", "more_like", "near_dup", "region_europe", "region_latam", "region_other")
    return {k: L(k) for k in keys}


def text_language(text: str) -> str | None:
    """The language of a query or pasted text (None when too short to tell), as the search sees it."""
    return KnowledgeBase.text_language(re.sub(r"[\"“”«»]", " ", text))


def facet_filters(kb: KnowledgeBase, doc_ids: list[str]) -> dict[str, list[str]]:
    """Sidebar multiselects with document counts over the unfiltered results; returns the choices."""
    counts = kb.facets(doc_ids)
    chosen: dict[str, list[str]] = {}
    with st.sidebar:
        st.markdown(f"### {L('filters')}")
        for facet in FACETS:
            options = counts.get(facet, [])
            picked_before = st.session_state.get(f"facet_{facet}") or []
            labels = {v: f"{L('region_' + v) if facet == 'region' else lab} ({n})" for v, lab, n in options}
            for v in picked_before:  # a chosen value stays selectable even when its count drops out
                labels.setdefault(v, v)
            if not labels:
                continue
            picked = st.multiselect(L(facet), list(labels), format_func=partial(_label, labels), key=f"facet_{facet}")
            if picked:
                chosen[facet] = picked
    return chosen


def _label(labels: dict[str, str], value: str) -> str:
    return labels.get(value, value)


def to_filters(chosen: dict[str, list[str]]) -> dict[str, object]:
    """Facet choices as kb.search filters (years become a since/until range)."""
    filters: dict[str, object] = {k: v for k, v in chosen.items() if k != "year"}
    if chosen.get("year"):
        years = sorted(chosen["year"])
        filters["since"], filters["until"] = years[0], years[-1]
    return filters


def show_results(results: Sequence[SearchResult], query: str, qlang: str | None) -> None:
    """One card per document, the other matching passages behind "n more"."""
    st.markdown(CSS, unsafe_allow_html=True)
    labels = card_labels()
    for r in results:
        st.markdown(card(r, query, qlang, labels, link), unsafe_allow_html=True)
        if len(r.hits) > 1:
            with st.expander(f"{len(r.hits) - 1} {L('more')}"):
                for h in r.hits[1:]:
                    st.markdown(passage(h, labels, query, link), unsafe_allow_html=True)


def empty_help(query: str, filtered: bool) -> str:
    """What to try when nothing matched: drop filters, unquote phrases, try other words or languages."""
    tips = [L("no_results")]
    if filtered:
        tips.append(L("tip_filters"))
    if re.search(r"[\"“«]", query):
        tips.append(L("tip_quotes"))
    return " ".join(tips)


@register("search", "search", order=10)
def page_search(kb: KnowledgeBase) -> None:
    query = st.text_input(L("query"), value=param("q"), placeholder=L("placeholder"), key="query")
    if query != param("q"):
        st.query_params["q"] = query  # the search is linkable
    if not query.strip():
        st.info(L("intro"))
        return
    qlang = text_language(query)
    base = kb.search(query, k=SHOWN, per_doc=5)
    chosen = facet_filters(kb, [r.doc_id for r in base])
    sort = st.radio(L("sort"), ["relevance", "date"], format_func=L, horizontal=True, key="sort")
    results = kb.search(query, k=SHOWN, filters=to_filters(chosen), per_doc=5) if chosen else base
    if sort == "date":
        results = sorted(results, key=lambda r: r.best.date or "", reverse=True)
    if not results:
        st.warning(esc(empty_help(query, bool(chosen))))
        return
    unmatched = kb.unmatched_phrases(query, to_filters(chosen))
    if unmatched:
        st.info(esc(", ".join(f"“{p}”" for p in unmatched)) + ": " + L("unmatched_phrases"))
    also = kb.also_searched(query)
    st.caption(f"{len(results)} {L('results')}" + (f" · {L('also_searched')}: {esc(', '.join(also))}" if also else ""))
    show_results(results, query, qlang)
    watch_box(kb, query, to_filters(chosen))
    c1, c2, c3 = st.columns(3)
    ids = [r.doc_id for r in results]  # made on the click, and recorded then (a shared kb audits exports)
    csv_data = partial(audited_export, kb, ids, "kb-results.csv", lambda: export_csv(results))
    md_data = partial(audited_export, kb, ids, "kb-results.md", lambda: export_markdown(query, results))
    c1.download_button(f"{L('export')} CSV", csv_data, "kb-results.csv", "text/csv", on_click="ignore")
    c2.download_button(f"{L('export')} Markdown", md_data, "kb-results.md", "text/markdown", on_click="ignore")
    with c3:
        zip_button(kb, results, query)


def audited_export(kb: KnowledgeBase, doc_ids: Sequence[str], name: str, make: Callable[[], str]) -> str:
    """The export's content, recorded in the audit trail as the principal's export of ``doc_ids``."""
    kb.audit_export(doc_ids, name)
    return make()


@register("similar", "more_like", menu=False)
def page_similar(kb: KnowledgeBase) -> None:
    doc = kb.document(param("id"))
    if doc is None:
        st.error(L("not_found"))
        return
    st.title(f"{L('more_like')}: {esc(doc['title'] or doc['doc_id'])}")
    results = [r for r in kb.similar(doc["doc_id"], k=11) if r.doc_id != doc["doc_id"]][:10]
    if not results:
        st.info(L("no_similar"))
    show_results(results, "", doc["lang"])
