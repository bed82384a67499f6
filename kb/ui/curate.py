"""The entity page's "Correct this entity" box: merge into another entity, rename, possible duplicates.

Each button calls one facade verb (``merge_entities``, ``rename_entity``, ``reject_duplicate``),
which checks the user's write access itself; a refusal (``Forbidden``, an unknown id) is shown
where the user clicked and nothing changes. Everything else curation offers (split, aliases, types,
wrong mentions, export) is on the command line: ``kb curate``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import KBError
from kb.ui.nav import L, link
from kb.ui.render import anchor, esc

_DONE = "kb_curated"


def _act(action: Callable[[], object]) -> None:
    try:
        changed = action()
    except (KBError, ValueError) as exc:  # Forbidden, NotFound, an empty name
        st.error(esc(exc))
        return
    st.session_state[_DONE] = changed if isinstance(changed, int) else 0
    st.rerun()


def curate_box(kb: KnowledgeBase, view: dict[str, Any]) -> None:
    """The correction form for one entity, with its possible duplicates to confirm or reject."""
    eid = view["id"]
    with st.expander(L("curate")):
        if _DONE in st.session_state:
            st.success(esc(L("curate_done").format(n=st.session_state.pop(_DONE))))
        st.caption(L("curate_help"))
        merge, rename = st.columns(2)
        with merge:
            target = st.text_input(L("curate_merge_into"), key="kb_merge_target")
            if st.button(L("curate_merge"), key="kb_merge") and target.strip():
                _act(lambda: kb.merge_entities(eid, target.strip()))
        with rename:
            name = st.text_input(L("curate_rename_to"), value=view["name"], key="kb_rename")
            if st.button(L("curate_rename"), key="kb_rename_go") and name.strip() != view["name"]:
                _act(lambda: kb.rename_entity(eid, name))
        pairs = kb.entity_duplicates(limit=8, of=eid)
        if pairs:
            st.markdown(f"**{esc(L('curate_duplicates'))}**")
        for p in pairs:
            other, other_name = (p["b"], p["b_name"]) if p["a"] == eid else (p["a"], p["a_name"])
            text, same, different = st.columns([4, 1, 1])
            text.markdown(
                f"{anchor(link(page='entity', id=other), other_name)} · {esc(other)} · {esc(round(p['score']))}%",
                unsafe_allow_html=True,
            )
            if same.button(L("curate_same"), key=f"kb_same_{other}"):
                _act(partial(kb.merge_entities, eid, other))
            if different.button(L("curate_different"), key=f"kb_diff_{other}"):
                _act(partial(kb.reject_duplicate, eid, other))
