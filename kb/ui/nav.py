"""Navigation: pages are addressed by query parameters (``?page=doc&id=...&p=3``) so every view is linkable.

Links are plain anchors (cards are HTML), and following one starts a fresh Streamlit session, so
the interface language travels in the URL (``ui=es``) rather than only in the session state.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from kb.ui.i18n import LANGUAGES, t

DEFAULT_UI = "en"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the app: its URL name, the label key of its menu entry, and how to draw it."""

    name: str
    label: str
    draw: Callable[..., None]
    menu: bool = True
    order: int = 100
    #: who may open it, given the signed-in user's view of the knowledge base (None: everyone)
    allowed: Callable[[Any], bool] | None = None

    def visible(self, kb: Any) -> bool:
        """Whether the user behind ``kb`` (a principal's view, or the owner's knowledge base) may open it."""
        return self.allowed is None or self.allowed(kb)


_PAGES: dict[str, Page] = {}


def register(
    name: str, label: str, *, menu: bool = True, order: int = 100, allowed: Callable[[Any], bool] | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator adding a page to the router (and, with ``menu``, to the sidebar, by ``order``).

    New pages (a visit brief, a comparison) need only this decorator and an import in app.py.
    ``allowed`` hides a page from the menu, and refuses it by URL, for users it returns False for.
    """

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        _PAGES[name] = Page(name, label, fn, menu, order, allowed)
        return fn

    return wrap


def pages() -> dict[str, Page]:
    """The registered pages, in menu order."""
    return dict(sorted(_PAGES.items(), key=lambda kv: kv[1].order))


def ui_lang() -> str:
    """The interface language: the sidebar choice, else ``?ui=``, else ``KB_UI_LANG``, else English."""
    lang = st.session_state.get("ui_lang")
    if lang in LANGUAGES:
        return str(lang)
    lang = st.query_params.get("ui") or os.environ.get("KB_UI_LANG", DEFAULT_UI)
    return lang if lang in LANGUAGES else DEFAULT_UI


def L(key: str) -> str:  # noqa: N802 - the label helper every page uses
    """The label ``key`` in the current interface language."""
    return t(key, ui_lang())


def link(**params: object) -> str:
    """A relative URL to a page of the app, carrying the interface language when it is not English."""
    lang = ui_lang()
    if lang != DEFAULT_UI and "ui" not in params:
        params["ui"] = lang
    return "?" + urlencode({k: v for k, v in params.items() if v is not None and v != ""})


def param(name: str, default: str = "") -> str:
    return str(st.query_params.get(name, default))


def int_param(name: str) -> int | None:
    value = st.query_params.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
