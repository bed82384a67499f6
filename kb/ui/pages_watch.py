"""The "Watched" page: the user's watched searches, each with a badge of its new hits, and the hits.

The hits were found at ingest (the facade matched each new segment against the watches) and are
read here through the user's view, with the grants as they are now. Opening a watch ("Show what
is new") marks its hits seen; they stay on the page for the rest of the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import EntityRef, Hit, SearchResult
from kb.ui.nav import L, register
from kb.ui.pages_search import show_results
from kb.ui.render import esc

_OPENED = "_watch_hits"  # session state: watch name -> the hits shown when it was opened


def result_of(hit: Mapping[str, Any]) -> SearchResult:
    """A watch hit (search JSON) as the search page's result, so that it shows as the same card."""
    h = Hit(
        chunk_id=int(hit["chunk_id"]), doc_id=hit["doc_id"], source=hit["source"], title=hit["title"],
        lang=hit["lang"], doc_type=hit["doc_type"], date=hit.get("date"), page=hit.get("page"),
        score=float(hit["score"]), snippet=hit["snippet"],
        highlights=tuple((int(a), int(b)) for a, b in hit.get("highlights", ())),
        entities=tuple(EntityRef(e["id"], e["name"], e["type"]) for e in hit.get("entities", ())),
        heading=hit.get("heading"), region=hit.get("region"),
    )  # fmt: skip
    return SearchResult(h.doc_id, h.score, (h,))


def _open(kb: KnowledgeBase, name: str) -> None:
    """Button callback (before the rerun, so the badges drawn next already count these as seen)."""
    st.session_state.setdefault(_OPENED, {})[name] = kb.watch_new(name)["hits"]


def _remove(kb: KnowledgeBase, name: str) -> None:
    kb.watch_remove(name)
    st.session_state.get(_OPENED, {}).pop(name, None)


@register("watched", "watched", order=25)
def page_watched(kb: KnowledgeBase) -> None:
    st.title(L("watched"))
    watches = kb.watches()
    if not watches:
        st.info(L("no_watches"))
        return
    opened: dict[str, list[dict[str, Any]]] = st.session_state.get(_OPENED, {})
    for i, w in enumerate(watches):
        name = w["name"]
        label = f"{esc(name)} · {int(w['new'])} {L('new_hits')}"
        with st.expander(label, expanded=name in opened or bool(w["new"])):
            looked = esc(w["last_run"][:16].replace("T", " ")) if w.get("last_run") else L("never")
            filters = ", ".join(
                f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in w["filters"].items() if v
            )
            st.caption(
                f"{L('watch_query')}: {esc(w['query'])}"
                + (f" · {esc(filters)}" if filters else "")
                + f" · {L('last_looked')}: {looked}"
            )
            show, drop = st.columns(2)
            show.button(L("show_new"), key=f"watch_show_{i}", on_click=_open, args=(kb, name))
            drop.button(L("watch_remove"), key=f"watch_drop_{i}", on_click=_remove, args=(kb, name))
            if name in opened:
                if opened[name]:
                    show_results([result_of(h) for h in opened[name]], w["query"], None)
                else:
                    st.caption(L("nothing_new"))
