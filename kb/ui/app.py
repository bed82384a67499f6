"""kb web app (Streamlit): a thin layer over the KnowledgeBase API.

The Streamlit script: `kb app` runs this file (so an installed wheel has it), `streamlit run
app.py` the two-line script at the repository root that calls :func:`main`. Listens on 127.0.0.1
unless told otherwise (see .streamlit/config.toml and the README). Imports `kb.service` and the
`kb.ui` pages only, never faiss, spaCy or torch: the knowledge base loads its models lazily,
once per process.

Pages are chosen by `?page=` (search, doc, entity, crossings, similar, precedents, brief,
compare, upload, watched, batch, admin); to add one, decorate its function with `kb.ui.nav.register` in a `kb.ui`
module imported below.

A knowledge base with users asks for a login first (:mod:`kb.ui.session`); every page then gets
the signed-in user's view of the knowledge base, never the shared owner's object.
"""

from __future__ import annotations

import streamlit as st

from kb.service import KnowledgeBase
from kb.ui import (  # noqa: F401 - each registers its pages
    pages_admin,
    pages_batch,
    pages_doc,
    pages_entity,
    pages_reports,
    pages_search,
    pages_tools,
    pages_watch,
)
from kb.ui.context import get_kb
from kb.ui.i18n import LANGUAGES
from kb.ui.nav import DEFAULT_UI, L, link, pages, ui_lang
from kb.ui.render import anchor
from kb.ui.session import account_sidebar, signed_in

MENU_CSS = """<style>
.kb-nav a{display:block;padding:4px 8px;margin:1px 0;border-radius:6px;text-decoration:none;color:#0f172a}
.kb-nav a:hover{background:#e2e8f0}.kb-nav a.kb-here{background:#dbeafe;font-weight:600}
</style>"""


def language_selector() -> None:
    """Interface language, kept in the URL (``ui=``) so that links and reloads keep it."""
    st.session_state.setdefault("ui_lang", ui_lang())
    st.selectbox(L("interface"), list(LANGUAGES), format_func=lambda c: LANGUAGES.get(c, c), key="ui_lang")
    chosen = st.session_state["ui_lang"]
    if chosen != DEFAULT_UI and st.query_params.get("ui") != chosen:
        st.query_params["ui"] = chosen
    elif chosen == DEFAULT_UI and "ui" in st.query_params:
        del st.query_params["ui"]


def sidebar(kb: KnowledgeBase, current: str) -> None:
    """Language, the menu (the pages this user may open), counts; in multi-user mode the user too."""
    with st.sidebar:
        language_selector()
        items = "".join(
            anchor(link(page=p.name), L(p.label), css="kb-here" if p.name == current else None)
            for p in pages().values()
            if p.menu and p.visible(kb)
        )
        st.markdown(f'{MENU_CSS}<div class="kb-nav">{items}</div>', unsafe_allow_html=True)
        s = kb.stats()
        st.caption(L("stats").format(d=int(s["documents"]), c=int(s["chunks"]), e=int(s["entities"])))
        if not kb.principal.owner:
            account_sidebar(kb)


def main() -> None:
    """One run of the script: the login page, or the page named by ``?page=`` with the sidebar."""
    st.set_page_config(page_title="kb — border cooperation knowledge base", page_icon="🔎", layout="wide")
    registry = pages()
    name = st.query_params.get("page", "search")
    page = registry.get(name) or registry["search"]
    view = signed_in(get_kb())  # the owner's knowledge base in single-user mode, else the user's view
    if view is None:  # the login page was drawn (``?page=`` stays, so it opens once signed in)
        with st.sidebar:
            language_selector()
        return
    sidebar(view, page.name)
    if not page.visible(view):
        st.error(L("not_allowed"))
        return
    page.draw(view)


if __name__ == "__main__":  # `streamlit run kb/ui/app.py` (what `kb app` does)
    main()
