"""Who is signed in: the login page, the session token, and the user's view of the knowledge base.

A knowledge base without users (single-user mode) needs none of this: :func:`signed_in` returns it
as it is. With users, every rerun turns the session token into a fresh view of the shared,
cached knowledge base (``kb.for_token``): the pages only ever get that view, whose every read is
scoped to the user's collections, so a revoked or expired token, a disabled user or a changed
grant takes effect on the next click. The owner's object is used for nothing but signing in.

The token lives in ``st.session_state``. App links are plain anchors, and following one (or
reloading) starts a new Streamlit session, so the token is also kept in a browser-session cookie
(``SameSite=Strict``: another site cannot send it along; ``Secure`` behind HTTPS) that a new
session reads once from the WebSocket handshake (``st.context.cookies``). The cookie carries
nothing the server does not check on every rerun; signing out revokes the token and clears it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

from kb.types import LoginFailed, NotFound
from kb.ui.nav import L
from kb.ui.render import bullets, esc

COOKIE = "kb_session"
TOKEN = "kb_token"  # session-state keys
_COOKIE_READ = "kb_cookie_read"
_NOTICE = "kb_login_notice"
#: the shape of a session token (``kbt_`` and URL-safe characters): anything else is never echoed into a script
_TOKEN_SHAPE = re.compile(r"kbt_[A-Za-z0-9_-]{16,200}")


def signed_in(kb: Any) -> Any | None:
    """The knowledge base as the signed-in user sees it; ``None`` once the login page is drawn instead.

    Single-user mode: ``kb`` itself, unchanged.
    """
    if not kb.multi_user:
        return kb
    token = _token()
    if token is not None:
        try:
            view = kb.for_token(token)
        except (LoginFailed, NotFound):  # expired, revoked, or its user disabled: back to the login page
            st.session_state.pop(TOKEN, None)
            st.session_state[_NOTICE] = "session_ended"
        else:
            st.session_state[TOKEN] = token
            if st.context.cookies.get(COOKIE) != token:
                _set_cookie(token)
            return view
    login_page(kb)
    return None


def _token() -> str | None:
    """This session's token, else (once per session) the one the browser's cookie brought."""
    token = st.session_state.get(TOKEN)
    if token is None and not st.session_state.get(_COOKIE_READ):
        st.session_state[_COOKIE_READ] = True
        token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) and _TOKEN_SHAPE.fullmatch(token) else None


def login_page(kb: Any) -> None:
    """User name and password; a wrong one (or a locked account) is said so, a right one starts a session."""
    _set_cookie(None)  # whatever the browser still holds is not a live session
    st.title(L("sign_in"))
    notice = st.session_state.pop(_NOTICE, None)
    if notice in ("session_ended", "signed_out"):
        st.info(L(notice))
    st.caption(L("sign_in_intro"))
    with st.form("login", clear_on_submit=True):
        name = st.text_input(L("user_name"), key="login_user", autocomplete="username")
        password = st.text_input(L("password"), type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button(L("sign_in"), type="primary")
    if not submitted:
        return
    try:
        session = kb.login(name.strip(), password)
    except LoginFailed as exc:  # one message for a wrong name, password or disabled account
        if exc.locked_until:
            st.error(L("login_locked").format(t=esc(exc.locked_until)))
        else:
            st.error(L("login_failed"))
        return
    st.session_state[TOKEN] = session["access_token"]
    st.rerun()


def account_sidebar(view: Any) -> None:
    """The user, the collections it may read (with its role and document count), and signing out."""
    principal = view.principal
    role = f" · {L('administrator')}" if principal.admin else ""
    st.markdown(f"{L('signed_in_as')} **{esc(principal.name)}**{role}")
    collections = view.collections()
    st.markdown(f"**{L('your_collections')}**")
    if collections:
        lines = (
            f"{esc(c['name'])} · {int(c['documents'])} {L('results')} · {L('role_' + str(c['role']))}"
            for c in collections
        )
        st.markdown(bullets(lines), unsafe_allow_html=True)
    else:
        st.caption(L("no_collections"))
    if st.button(L("sign_out"), key="logout"):
        sign_out(view)


def sign_out(view: Any) -> None:
    """End the session on the server (the token stops working everywhere) and forget it here."""
    token = st.session_state.pop(TOKEN, None)
    if token:
        view.logout(token)
    st.session_state[_NOTICE] = "signed_out"
    st.rerun()


def _set_cookie(token: str | None) -> None:
    """Keep ``token`` in the browser for links and reloads (``None``: drop it), as a session cookie."""
    if token is not None and not _TOKEN_SHAPE.fullmatch(token):
        return
    value = json.dumps(f"{COOKIE}={token}" if token else f"{COOKIE}=; Max-Age=0")
    st.html(
        "<script>(function(){var s=location.protocol==='https:'?'; Secure':'';"
        f"document.cookie={value}+'; Path=/; SameSite=Strict'+s;}})();</script>",
        unsafe_allow_javascript=True,
    )
