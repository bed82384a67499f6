"""Markdown injection: document, store and user text is shown as written, never rendered as Markdown or HTML.

Streamlit renders Markdown in titles, captions, alerts, labels and ``st.markdown``; a document
titled ``![x](http://...)`` once made the browser fetch that image (a tracking beacon). Here every
text-bearing element of each page is rendered with a CommonMark parser (markdown-it, raw HTML on,
GFM tables and strikethrough) and the result may only hold the app's own markup: no image, no
script, no event handler, no link that is not a URL-encoded link of the app, while the hostile
strings are still there as visible text. The unit tests hold ``render.esc`` to the same rule for
any text (hypothesis).
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kb.reports.render import md_literal
from kb.service import KnowledgeBase
from kb.ui.render import WORD_JOINER, anchor, bullets, esc, highlight
from tests.helpers import fake_kb, run_app

markdown_it = pytest.importorskip("markdown_it")
pytest.importorskip("streamlit.testing.v1")

IMAGE = "![x](http://127.0.0.2:9/b.png)"
TAG = "<img src=x onerror=alert(1)>"
JS_LINK = "[click](javascript:alert(1))"
HOSTILE = f"{IMAGE} {TAG} {JS_LINK}"
HOSTILE_FILE = "[c](javascript:alert(1)) ![b](b.png) <i onmouseover=alert(2)>x.txt"  # a file name cannot hold "/"
DOCS = {
    "beacon.txt": f"{HOSTILE}\n\nInforme sobre el puente de Desaguadero: {HOSTILE} y los patrullajes binacionales "
    "en el río Desaguadero contra el contrabando de combustible.\n",
    HOSTILE_FILE: "Acta de Desaguadero\n\nLa Policía Nacional del Perú y la Policía Boliviana acordaron patrullajes "
    "binacionales en el río Desaguadero contra el contrabando de combustible.\n",
}
# The app's own markup; emphasis too (the text checks catch document text turned into it).
ALLOWED_TAGS = set("a b i strong em mark div span p ul li br table tr th td blockquote style h1 h2 h3".split())
ALLOWED_ATTRS = {"class", "href", "target", "style", "id"}
BREAKS = {"br", "div", "p", "li", "tr", "td", "th", "blockquote", "h1", "h2", "h3"}
MD = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
HEADING = {"title": "# ", "header": "## ", "subheader": "### "}
MARKDOWN_VALUES = {"markdown", "caption", "error", "warning", "info", "success", "toast", *HEADING}


class _Page(HTMLParser):
    """Tags, attributes and visible text of rendered HTML (character references decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"
        if tag in BREAKS:  # a line break or a new block shows as white space
            self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def rendered(source: str) -> _Page:
    page = _Page()
    page.feed(MD.render(source))
    page.close()
    return page


def assert_inert(source: str) -> str:
    """Render ``source`` as Streamlit would (Markdown with raw HTML); fail on anything but the app's markup.

    Returns the visible text.
    """
    page = rendered(source)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, f"<{tag}> rendered from {source!r}"
        for name, value in attrs:
            assert name in ALLOWED_ATTRS, f"{name}= on <{tag}> rendered from {source!r}"
            if name == "href":
                parts = urlsplit(value or "")
                assert value and value.startswith("?") and not parts.scheme and not parts.netloc, value
                assert re.fullmatch(r"[?A-Za-z0-9&=%._~+-]*", value), f"not URL-encoded: {value!r}"
    return " ".join("".join(page.text).replace(WORD_JOINER, "").split())


# any text, and text made mostly of Markdown's syntax characters and line breaks
TEXT = st.text() | st.text(alphabet=string.punctuation + " \t\r\n\x00aé1wh\u2060")


def normalised(s: str) -> str:
    """What ``esc`` promises to display: line breaks as spaces, NUL as U+FFFD (as Markdown shows it).

    Word joiners are invisible: ``esc`` adds some, so they are left out of every comparison.
    """
    return re.sub(r"\r\n|\r|\n", " ", s).replace("\x00", "\ufffd").replace(WORD_JOINER, "")


# What Streamlit 1.67 rewrites in the decoded text of Markdown text nodes (static/js/StreamlitMarkdown.*.js):
# GFM autolink literals (links to anywhere), e-mail autolinks, :shortcodes: (emoji, the :streamlit: logo
# image, icons) and typographic arrows.
W = "[-.A-Za-z0-9_]"
STREAMLIT_REWRITES = re.compile(
    rf"(?i:https?://|www(?=\.)){W}|[-.+A-Za-z0-9_]+@[-A-Za-z0-9_]+\.{W}|:[\w+-][\w+-]*:"
    r"|(?:^|\s)(?:<->|->|<-|--|>=|<=|~=)(?:\s|$)"
)


# --- (a) the helper, for any text -------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_esc_leaves_no_markdown_or_html_and_keeps_the_text(s: str) -> None:
    out = esc(s)
    assert normalised(html.unescape(out)) == normalised(s)
    assert not STREAMLIT_REWRITES.search(html.unescape(out)), out  # what a text node of it holds
    bare = re.sub(r"&(#\d+|lt|gt|amp|quot);", "", out)
    assert not set(bare) & set(string.punctuation), out  # no syntax character is left to read
    assert "\n" not in out and "\r" not in out
    want = " ".join(normalised(s).split())
    # the same text in each place the app puts it: paragraph, heading, list item, HTML block, link
    for source in (out, f"# {out}", f"- {out}", f"<div>{out}</div>", f"- {anchor('?page=doc&id=1', s)}"):
        assert assert_inert(source) == want, source


@settings(max_examples=200, deadline=None)
@given(TEXT, st.text(max_size=5))
def test_highlight_and_bullets_are_inert(s: str, term: str) -> None:
    out = bullets([highlight(s, terms=[term])])
    assert assert_inert(out) == " ".join(normalised(s).split())


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_md_literal_for_exported_files(s: str) -> None:
    flat = " ".join(s.replace("\x00", "\ufffd").split())
    assume(flat)  # "****" is no emphasis
    md = md_literal(s)
    # every place an export puts document text: bold in a numbered item, bracketed, a list item, a
    # quote, a heading, an emphasised subtitle
    for source, tags, text in (
        (f"1. **{md}** — \\[{md}\\]", {"ol", "li", "strong"}, f"{flat} — [{flat}]"),
        (f"- {md} [{md}]", {"ul", "li"}, f"{flat} [{flat}]"),
        (f"  > “{md}” ({md})", {"blockquote", "p"}, f"“{flat}” ({flat})"),
        (f"## {md}", {"h2"}, flat),
        (f"_{md}_", {"p", "em"}, flat),
    ):
        page = rendered(source)
        assert {tag for tag, _ in page.tags} == tags, source
        assert " ".join("".join(page.text).split()) == " ".join(text.split()), source


def test_report_markdown_export_is_literal() -> None:
    from kb.reports.model import Citation, Line, Report, Section
    from kb.reports.render import to_markdown

    cite = Citation("d", HOSTILE, f"/x/{HOSTILE_FILE}", 2, "es")
    line = Line(f"# {HOSTILE}", cite, quote=f"- {IMAGE}", lang=JS_LINK)
    report = Report(HOSTILE, TAG, (Section(JS_LINK, (line,)), Section(IMAGE, (), note=HOSTILE)))
    page = rendered(to_markdown(report))
    assert {tag for tag, _ in page.tags} <= {"h1", "h2", "p", "em", "ul", "li", "blockquote"}
    text = "".join(page.text)
    assert_shown(text, HOSTILE, TAG, JS_LINK, f"# {HOSTILE}", f"- {IMAGE}", f"{HOSTILE_FILE}, p. 2")


def test_hostile_examples() -> None:
    for s in (
        IMAGE,
        TAG,
        JS_LINK,
        HOSTILE,
        "<script>alert(1)</script>",
        "[a]: http://127.0.0.2/x",
        "www.example.invalid",
    ):
        assert assert_inert(esc(s)) == s
        assert not STREAMLIT_REWRITES.search(html.unescape(esc(s)))
        assert "<img" not in MD.render(f"- {esc(s)}") and "<a" not in MD.render(f"# {esc(s)}")


# --- (b) the pages, through Streamlit's AppTest ----------------------------------------------


def markdown_sources(at: Any) -> Iterator[str]:
    """Every string of the run that Streamlit renders as Markdown: bodies, headings, alerts, labels."""

    def walk(node: Any) -> Iterator[str]:
        label = getattr(node, "label", None)
        if isinstance(label, str):  # widget, expander and tab labels render Markdown too
            yield label
        if getattr(node, "type", None) in MARKDOWN_VALUES:
            yield HEADING.get(node.type, "") + str(node.value)
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    yield from walk(at.main)
    yield from walk(at.sidebar)


def visible(at: Any) -> str:
    """The page's visible text, after checking that every Markdown source of it is inert."""
    assert not at.exception, at.exception
    return " ".join(assert_inert(source) for source in markdown_sources(at))


def build(root: Path) -> KnowledgeBase:
    kb: KnowledgeBase = fake_kb(root, DOCS)
    return kb


@pytest.fixture(scope="module")
def hostile_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    kb = build(tmp_path_factory.mktemp("hostile"))
    yield kb
    kb.close()


def doc_id(kb: KnowledgeBase, name: str) -> str:
    return next(r.doc_id for r in kb.search("Desaguadero contrabando", k=10) if Path(r.best.source).name == name)


def assert_shown(text: str, *pieces: str) -> None:
    for piece in pieces or (IMAGE, TAG, JS_LINK):
        assert piece in text, f"{piece!r} is not shown as text"


def test_search_page(hostile_kb: KnowledgeBase) -> None:
    at = run_app(hostile_kb, q="patrullajes Desaguadero contrabando")
    assert_shown(visible(at), HOSTILE, HOSTILE_FILE)


@pytest.mark.parametrize("page", ["search", "doc"])
def test_q_parameter_is_text(hostile_kb: KnowledgeBase, page: str) -> None:
    at = run_app(hostile_kb, page=page, id=doc_id(hostile_kb, "beacon.txt"), q=HOSTILE)
    text = visible(at)
    if page == "doc":  # the "passages matching ... are shaded" caption echoes q
        assert_shown(" ".join(assert_inert(c.value) for c in at.caption), HOSTILE)
    assert_shown(text)


def test_document_page(hostile_kb: KnowledgeBase) -> None:
    at = run_app(hostile_kb, page="doc", id=doc_id(hostile_kb, "beacon.txt"))
    text = visible(at)
    assert_shown(text, HOSTILE)
    assert at.title[0].value != HOSTILE
    at = run_app(hostile_kb, page="doc", id=doc_id(hostile_kb, HOSTILE_FILE))
    assert_shown(visible(at), HOSTILE_FILE, HOSTILE)  # its caption, and the other one under "similar"


def test_entity_page(hostile_kb: KnowledgeBase) -> None:
    assert_shown(visible(run_app(hostile_kb, page="entity", id="bc:desaguadero")), HOSTILE)


def test_similar_page(hostile_kb: KnowledgeBase) -> None:
    at = run_app(hostile_kb, page="similar", id=doc_id(hostile_kb, "beacon.txt"))
    assert_shown(visible(at), HOSTILE)  # in its title


def test_report_pages(hostile_kb: KnowledgeBase) -> None:
    assert_shown(visible(run_app(hostile_kb, page="brief", target="Desaguadero")), HOSTILE)
    at = run_app(hostile_kb, page="brief", target=HOSTILE)  # unknown: the warning names the target
    assert at.warning and IMAGE in assert_inert(at.warning[0].value)
    assert_shown(visible(at))
    at = run_app(hostile_kb, page="compare")
    at.text_input(key="compare_topic").input("patrullajes binacionales contrabando Desaguadero").run()
    assert_shown(visible(at), HOSTILE)


class Poisoned:
    """The knowledge base, with every name and value it returns for entities and documents made hostile."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kb, name)

    def entity(self, entity_id: str) -> dict[str, Any] | None:
        view = self._kb.entity(entity_id)
        if view is None:
            return None
        co = [{**c, "name": HOSTILE} for c in view["co_mentions"]]
        return {**view, "name": HOSTILE, "aliases": [HOSTILE, TAG], "countries": [HOSTILE], "co_mentions": co}

    def entities(self, **kw: Any) -> list[dict[str, Any]]:
        return [{**e, "name": HOSTILE} for e in self._kb.entities(**kw)]

    def document(self, key: str) -> dict[str, Any] | None:
        doc = self._kb.document(key)
        if doc is None:
            return None
        entities = {HOSTILE: [{"id": "org:x", "name": HOSTILE, "mentions": 1}]}
        text = f"{HOSTILE}\n\n# Not a heading\n\n    **not bold**\n\n{HOSTILE}"
        pages = [{"number": 2, "text": text, "ocr_confidence": None}]
        fields = ("doc_type", "lang", "date", "format", "region", "collection", "doc_id")
        return {
            **doc,
            **dict.fromkeys(fields, HOSTILE),
            "countries": [HOSTILE],
            "crossings": [HOSTILE],
            "source": f"/x/{HOSTILE_FILE}",
            "entities": entities,
            "pages": pages,
        }


def test_store_values_on_entity_crossings_and_document_pages(hostile_kb: KnowledgeBase) -> None:
    kb = Poisoned(hostile_kb)
    at = run_app(kb, page="entity", id="bc:desaguadero")  # type: ignore[arg-type]
    text = visible(at)
    assert_shown(text)
    assert at.title[0].value != HOSTILE
    assert_shown(visible(run_app(kb, page="crossings")))  # type: ignore[arg-type]
    at = run_app(kb, page="doc", id=doc_id(hostile_kb, "beacon.txt"))  # type: ignore[arg-type]
    assert_shown(visible(at), HOSTILE, HOSTILE_FILE, "# Not a heading", "**not bold**")


def test_upload_and_draft_names(tmp_path: Path) -> None:
    kb = build(tmp_path)
    try:
        at = run_app(kb, page="upload")
        refused = f"{JS_LINK} {TAG}.pdf"  # text under a .pdf name: refused, reported under the name given
        files = [
            ("[a](b) <i>.txt", b"Informe sobre el puente de Rumichaca y la frontera.", "text/plain"),
            (refused, b"Informe sobre el puente de Rumichaca.", "application/pdf"),
        ]
        at.get("file_uploader")[0].set_value(files).run()
        at.button(key="ingest").click().run()
        assert at.success and at.error and refused in assert_inert(at.error[0].value)
        assert_shown(visible(at), JS_LINK, TAG)
        at = run_app(kb, page="precedents")
        draft = f"{IMAGE} {JS_LINK}.pdf"
        at.get("file_uploader")[0].set_value((draft, b"not a pdf", "application/pdf")).run()
        assert at.error and draft in assert_inert(at.error[0].value)
        assert_shown(visible(at), IMAGE, JS_LINK)
    finally:
        kb.close()
