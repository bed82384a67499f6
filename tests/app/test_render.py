"""The app's pure helpers: escaping and highlighting, exports (uploads: test_uploads.py)."""

from __future__ import annotations

from kb.types import EntityRef, Hit, SearchResult
from kb.ui.i18n import LABELS, LANGUAGES, t
from kb.ui.render import card, export_csv, export_markdown, highlight, locate, page_html, query_words
from tests.helpers import shown

LABELS_EN = {"page": "page", "other_lang": "other language", "open": "open", "more_like": "more", "near_dup": "dup"}


def plain_link(**params: object) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


def hit(snippet: str, highlights: tuple[tuple[int, int], ...] = (), lang: str = "en") -> Hit:
    return Hit(
        chunk_id=7,
        doc_id="d1",
        source="/x/<note>.md",
        title='Title <img src=x onerror="alert(1)">',
        lang=lang,
        doc_type="report",
        date="2024-01-02",
        page=3,
        score=1.0,
        snippet=snippet,
        highlights=highlights,
        entities=(EntityRef("org:pnp", "PNP <i>", "ORG"),),
    )


def test_highlight_escapes_before_marking() -> None:
    text = "a <script>alert(1)</script> PNP and patrol"
    out = shown(highlight(text, [(28, 31)], terms=["patrol"], entities=["PNP"]))
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<mark>PNP</mark>" in out and "<mark>patrol</mark>" in out  # the query span wins over the entity
    assert highlight("one\n\ntwo", [], ["two"]) == "one<br><br><mark>two</mark>"  # no blank line for Markdown


def test_highlight_overlaps_are_never_nested() -> None:
    out = highlight("control migratorio", [(0, 7), (3, 12)], entities=["control migratorio"])
    assert out.count("<mark") == 1 and "</mark></mark>" not in out


def test_card_escapes_every_field_and_flags_the_language() -> None:
    result = SearchResult("d1", 1.0, (hit("the <b>bold</b> patrol", ((16, 22),)),))
    html = shown(card(result, "patrullas", "es", LABELS_EN, plain_link))
    assert "<img" not in html and "<b>bold" not in html and "<i>" not in html
    assert "<mark>patrol</mark>" in html and "page 3" in html and "other language" in html
    assert "\n" not in html
    same = card(result, "patrols", "en", LABELS_EN, plain_link)
    assert "other language" not in same
    neutral = card(result, "PNP", None, LABELS_EN, plain_link)
    assert "other language" not in neutral


def test_page_html_shades_the_located_passage() -> None:
    text = "Intro.\n\nThe joint patrol crossed the <river>.\n\nEnd."
    out = shown(page_html(text, [("The joint patrol crossed the <river>.", True)], ["patrol"]))
    assert '<span class="kb-hit" id="kb-hit">The joint <mark>patrol</mark> crossed the &lt;river&gt;.</span>' in out
    assert page_html("x", [("not on this page", False)], []) == '<div class="kb-page">x</div>'
    # whitespace normalised and a heading prefixed in the chunk: still found
    page = (
        "Intro line.\n\nLes CCPD réunissent des policiers\net des douaniers qui échangent des informations chaque jour."
    )
    chunk = "Heading Les CCPD réunissent des policiers et des douaniers qui échangent des informations chaque jour."
    assert locate(page, chunk) == (page.index("Les CCPD"), len(page))
    assert locate(page, "nothing of this kind is written anywhere on that page") is None


def test_query_words_keep_phrases() -> None:
    assert query_words('"Puente de la Amistad" control en') == ["Puente de la Amistad", "Puente", "Amistad", "control"]


def test_exports_cite_and_neutralise_formulas() -> None:
    r = SearchResult("d1", 1.0, (hit("=HYPERLINK(evil)"),))
    text = export_csv([r])
    assert "'=HYPERLINK(evil)" in text and "<note>.md, p. 3" in text
    assert "\\[\\<note\\>.md, p. 3\\]" in export_markdown("q", [r])  # Markdown-escaped: shown as written


def test_every_label_has_four_languages() -> None:
    assert all(set(v) == set(LANGUAGES) for v in LABELS.values())
    assert t("type_SOMETHING_NEW", "es") == "Something new"
