"""Administration of a shared knowledge base: users, groups, permissions (grants) and the audit log.

Only a knowledge base administrator sees it (the menu hides it, ``?page=admin`` refuses it for
anyone else, and every facade verb used here checks again and raises ``Forbidden``). Every action
goes through the facade, which records it in the audit trail; a refused or malformed one shows the
facade's reason. Tables are ``st.dataframe`` (cells are text, never Markdown), so a user, group or
collection name, or a logged query, is shown as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import ALL_COLLECTIONS, ROLES, KBError
from kb.ui.nav import L, register
from kb.ui.render import bullets, esc

_SAVED = "kb_admin_saved"
AUDIT_ROWS = 200  # the newest rows shown by default


def is_admin(kb: KnowledgeBase) -> bool:
    """A signed-in knowledge base administrator (single-user mode has no accounts to administer)."""
    return bool(kb.multi_user and kb.principal.admin and not kb.principal.owner)


def act(action: Callable[[], object]) -> None:
    """Run one administrative action: its refusal shown, or a rerun so that every table shows the change."""
    try:
        action()
    except (KBError, ValueError) as exc:  # Forbidden, NotFound, a malformed name, a short password
        st.error(esc(exc))
        return
    st.session_state[_SAVED] = True
    st.rerun()


@register("admin", "admin", order=90, allowed=is_admin)
def page_admin(kb: KnowledgeBase) -> None:
    st.title(L("admin"))
    if st.session_state.pop(_SAVED, False):
        st.success(L("saved"))
    users = kb.users()
    names = [str(u["name"]) for u in users]
    groups = kb.groups()
    tab_users, tab_groups, tab_grants, tab_audit = st.tabs([L("users"), L("groups"), L("grants"), L("audit")])
    with tab_users:
        users_tab(kb, users)
    with tab_groups:
        groups_tab(kb, groups, names)
    with tab_grants:
        grants_tab(kb, names + [g for g, _ in groups])
    with tab_audit:
        audit_tab(kb, names)


def users_tab(kb: KnowledgeBase, users: list[dict[str, Any]]) -> None:
    """Every user; add one, disable or enable one, reset a password."""
    table = [
        {L("user"): u["name"], L("administrator"): bool(u["admin"]), L("disabled"): bool(u["disabled"]),
         L("created"): u["created"], L("groups"): ", ".join(u["groups"])}
        for u in users
    ]  # fmt: skip
    st.dataframe(table, hide_index=True)
    names = [str(u["name"]) for u in users]
    with st.form("add_user", clear_on_submit=True):
        st.markdown(f"**{L('add_user')}**")
        name = st.text_input(L("user_name"), key="new_user_name")
        password = st.text_input(L("password"), type="password", key="new_user_password", autocomplete="new-password")
        admin = st.checkbox(L("administrator"), key="new_user_admin")
        if st.form_submit_button(L("add")):
            act(lambda: kb.add_user(name.strip(), password, admin=admin))
    left, right = st.columns(2)
    with left.form("user_state"):
        who = st.selectbox(L("user"), names, key="state_user")
        off, on = st.columns(2)
        if off.form_submit_button(L("disable")) and who:
            act(lambda: kb.disable_user(who, True))
        if on.form_submit_button(L("enable")) and who:
            act(lambda: kb.disable_user(who, False))
    with right.form("reset_password", clear_on_submit=True):
        whose = st.selectbox(L("user"), names, key="password_user")
        new = st.text_input(L("new_password"), type="password", key="password_new", autocomplete="new-password")
        if st.form_submit_button(L("reset_password")) and whose:
            act(lambda: kb.set_password(whose, new))


def groups_tab(kb: KnowledgeBase, groups: list[tuple[str, list[str]]], users: list[str]) -> None:
    """Every group and its members; add a group, put a user in one or take it out."""
    st.dataframe([{L("group"): g, L("members"): ", ".join(m)} for g, m in groups], hide_index=True)
    left, right = st.columns(2)
    with left.form("add_group", clear_on_submit=True):
        name = st.text_input(L("add_group"), key="new_group_name")
        if st.form_submit_button(L("add")):
            act(lambda: kb.add_group(name.strip()))
    with right.form("membership"):
        group = st.selectbox(L("group"), [g for g, _ in groups], key="member_group")
        user = st.selectbox(L("user"), users, key="member_user")
        add, remove = st.columns(2)
        if add.form_submit_button(L("add_member")) and group and user:
            act(lambda: kb.set_member(group, user, True))
        if remove.form_submit_button(L("remove_member")) and group and user:
            act(lambda: kb.set_member(group, user, False))


def grants_tab(kb: KnowledgeBase, subjects: list[str]) -> None:
    """Every grant; give a user or group a role on a collection (or ``*``), or take it back.

    The collection list holds those with documents; a new name may be typed, so that access can be
    granted before the first upload.
    """
    rows = kb.grants()
    table = [
        {L("subject"): g["subject"], L("meta_collection"): g["collection"], L("role"): L("role_" + str(g["role"]))}
        for g in rows
    ]
    st.dataframe(table, hide_index=True)
    known = sorted({str(c["name"]) for c in kb.collections()} | {str(g["collection"]) for g in rows})
    with st.form("grant"):
        subject = st.selectbox(L("subject"), subjects, key="grant_subject")
        collection = st.selectbox(
            L("meta_collection"),
            [*known, ALL_COLLECTIONS],
            format_func=lambda c: L("every_collection") if c == ALL_COLLECTIONS else c,
            accept_new_options=True,
            key="grant_collection",
        )
        role = st.selectbox(L("role"), ROLES, format_func=lambda r: L("role_" + r), key="grant_role")
        give, take = st.columns(2)
        if give.form_submit_button(L("grant")) and subject and collection:
            act(lambda: kb.grant(subject, collection, role))
        if take.form_submit_button(L("revoke")) and subject and collection:
            act(lambda: kb.revoke(subject, collection))


def audit_tab(kb: KnowledgeBase, users: list[str]) -> None:
    """The newest audit rows (of one user, from a day on), and a check of the hash chain."""
    c1, c2, c3 = st.columns(3)
    user = c1.selectbox(L("user"), ["", *users], format_func=lambda u: u or L("everyone"), key="audit_user")
    since = c2.date_input(L("since"), value=None, key="audit_since")
    limit = c3.number_input(L("rows"), min_value=10, max_value=10_000, value=AUDIT_ROWS, step=50, key="audit_limit")
    rows = kb.audit_log(user=user or None, since=since.isoformat() if since else None, limit=int(limit))
    if rows:
        st.dataframe([audit_row(r) for r in reversed(rows)], hide_index=True)  # newest first
    else:
        st.caption(L("nothing_yet"))
    if st.button(L("verify_audit"), key="verify_audit"):
        ok, problems, head = kb.verify_audit()
        if ok:
            st.success(L("audit_ok").format(h=esc(head)))
        else:
            st.error(L("audit_broken"))
            st.markdown(bullets(esc(p) for p in problems), unsafe_allow_html=True)


def audit_row(r: dict[str, Any]) -> dict[str, str]:
    """One audit row as text columns in the interface language (JSON fields as compact JSON)."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    return {
        L("at"): text(r["at"]),
        L("user"): text(r["user"]),
        L("action"): text(r["action"]),
        L("audit_query"): text(r.get("query")),
        L("filters"): text(r.get("filters")),
        L("collections"): text(r.get("collections")),
        L("documents"): text(r.get("ids")),
        L("detail"): text(r.get("detail")),
    }
