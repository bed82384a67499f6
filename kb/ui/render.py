"""HTML for the app, as pure functions (no Streamlit) so they can be tested on their own.

Streamlit renders Markdown almost everywhere: ``st.markdown``, but also titles, captions, alerts,
expander and widget labels. So every piece of text that comes from a document, the store or the
user (titles, snippets, entity names, file names, the ``q`` parameter, error messages) goes
through ``esc`` before it is shown or wrapped in markup: it becomes inert text that displays as
written in every one of those places, never a Markdown image, link or HTML tag. URLs are built
by the caller's ``link`` function (it URL-encodes every parameter) and put in attributes by
``href``; ``anchor`` makes a link from both, so pages never write Markdown links.
"""

from __future__ import annotations

import csv
import html
import io
import re
import string
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from kb.types import Hit, SearchResult

Link = Callable[..., str]

TYPE_COLOURS = {
    "BORDER_CROSSING": "#c2410c",
    "COUNTRY": "#1d4ed8",
    "ORG": "#047857",
    "PROGRAMME": "#7c3aed",
    "CRIME_TYPE": "#b91c1c",
    "LEGAL_INSTRUMENT": "#0f766e",
    "PERSON": "#a16207",
    "PLACE": "#4338ca",
}
LANG_NAMES = {"es": "ES", "en": "EN", "pt": "PT", "fr": "FR"}
_QUOTES = re.compile(r"[\"“”«»]")


# Every ASCII punctuation character as a character reference. CommonMark (and GFM, and Streamlit's
# directives, math and icons) only ever reads syntax from ASCII punctuation, and a character
# reference is always literal text to it; a browser decodes the same reference in HTML text and
# attributes. So the result is plain text in Markdown, in raw HTML blocks, in inline HTML and in
# quoted attributes alike, and shows exactly the characters it was made from.
_INERT = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_INERT.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("\x00"): "\ufffd"})
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_INDENT = re.compile(r"^[ \t]+")  # four columns of it at a line's start would make a code block
# Streamlit also rewrites the *decoded* text of Markdown text nodes (not raw HTML blocks): GFM
# autolinks (http://, https://, www., e-mail), :shortcodes: (emoji, :streamlit: logo, icons) and
# typographic arrows (->, --, >=). A WORD JOINER (U+2060: invisible, no line break) at these
# points breaks each pattern without changing what is shown.
WORD_JOINER = "\u2060"
_REWRITTEN = re.compile(r"(?<=:)(?=[\w/+-])|(?=@)|(?i:(?<=www))(?=\.)|(?<=[-<>~])(?=[->=])")


def _entities(s: str) -> str:
    """``s`` with its ASCII punctuation (and a leading indent) as character references, on one line."""
    out = _LINE_BREAK.sub(" ", s).translate(_INERT)
    return _INDENT.sub(lambda m: "".join(f"&#{ord(c)};" for c in m[0]), out)


def esc(value: object) -> str:
    """Text from a document, the store or the user, made inert for every Streamlit surface.

    The one way any such text reaches the page: it displays as written in Markdown (titles,
    captions, alerts, labels) and in HTML (text and attribute values), and can never become an
    image, a link, an HTML tag, emphasis, a heading, a code block, an emoji or an icon. Line breaks
    become spaces, since a line break could end the surrounding block; NUL becomes U+FFFD, as
    Markdown shows it.
    """
    return _entities(_REWRITTEN.sub(WORD_JOINER, "" if value is None else str(value)))


def href(url: str) -> str:
    """A URL of this app (built by ``link``, which URL-encodes every value) as an attribute value.

    Only relative links to the app itself (``?...``) are accepted: a ``javascript:`` or external
    URL can never be made from data.
    """
    if not url.startswith("?"):
        raise ValueError(f"not an app link: {url!r}")
    return html.escape(url, quote=True)


def anchor(url: str, label: object, css: str | None = None) -> str:
    """A link to a page of this app, with inert text as its label (and, optionally, a CSS class)."""
    cls = f' class="{esc(css)}"' if css else ""
    return f'<a href="{href(url)}" target="_self"{cls}>{esc(label)}</a>'


def _text(s: str) -> str:
    """Document text inside the app's raw HTML blocks (cards, passages, pages), line breaks as <br>.

    Streamlit does not rewrite text in a raw HTML block, so no word joiners here: a URL copied
    from a page stays a working URL. A blank line would end the block, hence <br>.
    """
    return "<br>".join(_entities(line) for line in _LINE_BREAK.split(s))


def _term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    terms = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not terms:
        return []
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.I)
    return [m.span() for m in pattern.finditer(text)]


def highlight(
    text: str, spans: Iterable[tuple[int, int]] = (), terms: Sequence[str] = (), entities: Sequence[str] = ()
) -> str:
    """Escape ``text``; wrap ``spans`` and ``terms`` in <mark>, and ``entities`` in <mark class="kb-ent">.

    Query matches win where they overlap an entity name; overlapping spans are never nested.
    """
    marked = [(s, e, "") for s, e in spans if 0 <= s < e <= len(text)]
    marked += [(s, e, "") for s, e in _term_spans(text, terms)]
    marked += [(s, e, "kb-ent") for s, e in _term_spans(text, entities)]
    marked.sort(key=lambda m: (m[0], m[2] != "", -(m[1] - m[0])))
    out, last = [], 0
    for s, e, cls in marked:
        if s < last:
            continue
        out.append(_text(text[last:s]))
        attr = f' class="{cls}"' if cls else ""
        out.append(f"<mark{attr}>{_text(text[s:e])}</mark>")
        last = e
    out.append(_text(text[last:]))
    return "".join(out)


def query_words(query: str, min_len: int = 3) -> list[str]:
    """Words and quoted phrases of a query, for highlighting pages that have no snippet offsets."""
    phrases = re.findall(r"[\"“«]([^\"”»]+)[\"”»]", query)
    words = [w for w in re.findall(r"\w+", _QUOTES.sub(" ", query)) if len(w) >= min_len]
    return phrases + words


def chip(link: Link, entity_id: str, name: str, etype: str, count: int | None = None) -> str:
    colour = TYPE_COLOURS.get(etype, "#475569")
    suffix = esc(f" ({count})") if count is not None else ""
    return (
        f'<a class="kb-chip" href="{href(link(page="entity", id=entity_id))}" target="_self" '
        f'style="border-color:{colour};color:{colour}">{esc(name)}{suffix}</a>'
    )


def cite(hit: Hit, page_label: str) -> str:
    return f"{page_label} {hit.page}" if hit.page else ""


def other_language(hit_lang: str, query_lang: str | None) -> bool:
    """True when a passage is written in another language than a query of known language."""
    return bool(query_lang) and hit_lang in LANG_NAMES and hit_lang != query_lang


def card(result: SearchResult, query: str, query_lang: str | None, labels: dict[str, str], link: Link) -> str:
    """One search result: title, type, language, date, page citation, highlighted snippet, chips, actions."""
    hit = result.best
    snippet = highlight(hit.snippet, hit.highlights, entities=[e.name for e in hit.entities])
    where = cite(hit, labels["page"])
    badge = ""
    if other_language(hit.lang, query_lang):
        badge = f'<span class="kb-badge">{esc(LANG_NAMES.get(hit.lang, hit.lang))} · {esc(labels["other_lang"])}</span>'
    chips = " ".join(chip(link, e.id, e.name, e.type) for e in hit.entities[:8])
    open_url = link(page="doc", id=hit.doc_id, p=hit.page, q=query, c=hit.chunk_id)
    more_url = link(page="similar", id=hit.doc_id)
    dups = f" · +{len(result.duplicates)} {esc(labels.get('near_dup', 'near-duplicate'))}" if result.duplicates else ""
    same = (hit.heading or "").strip().casefold() in ("", (hit.title or "").strip().casefold())
    heading = "" if same else f" · § {esc(hit.heading)}"
    region = labels.get(f"region_{hit.region}", "") if hit.region else ""
    region = f" · {esc(region)}" if region else ""
    return _one_block(f"""<div class="kb-card">
<div class="kb-title">{anchor(open_url, hit.title or hit.doc_id)} {badge}</div>
<div class="kb-meta">{esc(hit.doc_type)} · {esc(LANG_NAMES.get(hit.lang, hit.lang))} · {esc(hit.date or "—")}{region}
{" · <b>" + esc(where) + "</b>" if where else ""} · {esc(Path(hit.source).name)}{heading}{dups}</div>
<div class="kb-snippet">{snippet}</div>
<div class="kb-chips">{chips}</div>
<div class="kb-actions">{anchor(open_url, labels["open"])} · {anchor(more_url, labels["more_like"])}</div></div>""")


def _one_block(markup: str) -> str:
    """Markup on one line, so that Markdown sees a single raw HTML block."""
    return markup.replace("\n", " ")


def bullets(items: Iterable[str]) -> str:
    """A list of HTML fragments (made with ``esc`` and ``anchor``) as one raw HTML block.

    Not a Markdown list: inside an HTML block Streamlit's Markdown plugins (emoji shortcodes,
    typographic arrows) leave the text alone, so it shows exactly as written.
    """
    rows = "".join(f"<li>{item}</li>" for item in items)
    return f'<ul class="kb-list">{rows}</ul>' if rows else "—"


def passage(hit: Hit, labels: dict[str, str], query: str, link: Link) -> str:
    """A further matching passage of a document, behind the card's "n more" expander."""
    url = link(page="doc", id=hit.doc_id, p=hit.page, q=query, c=hit.chunk_id)
    where = cite(hit, labels["page"]) or labels["open"]
    return (
        f'<div class="kb-passage">{anchor(url, where)} '
        f"{highlight(hit.snippet, hit.highlights, entities=[e.name for e in hit.entities])}</div>"
    )


def _words_pattern(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\s+".join(re.escape(w) for w in words))


def locate(text: str, passage: str, probe: int = 8) -> tuple[int, int] | None:
    """Where a passage lies in a page, ignoring whitespace differences.

    A chunk's text can differ from its page: whitespace is normalised and a section heading may
    be prefixed. So the start is found from a run of ``probe`` words near the passage's start,
    the end from its last words; None when neither can be found.
    """
    words = passage.split()
    if not words:
        return None
    begin = None
    for k in range(0, min(len(words), 3 * probe), probe):
        m = _words_pattern(words[k : k + probe]).search(text)
        if m:
            begin = m.start()
            # a prefix (a heading) made the first probe fail: walk back to the first word that matches
            for j in range(max(0, k - probe + 1), k):
                earlier = _words_pattern(words[j : k + probe]).search(text)
                if earlier:
                    begin = earlier.start()
                    break
            break
    if begin is None:
        return None
    tail = _words_pattern(words[-probe:]).search(text, begin)
    return begin, tail.end() if tail else min(len(text), begin + len(passage))


def page_html(text: str, passages: Sequence[tuple[str, bool]], terms: Sequence[str]) -> str:
    """A page's text with the matching passages shaded (the chosen one anchored as ``#kb-hit``).

    ``passages`` are ``(passage text, chosen)``; one that cannot be located stays unshaded.
    """
    found: list[tuple[int, int, bool]] = []
    for body, chosen in passages:
        where = locate(text, body)
        if where is not None:
            found.append((where[0], where[1], chosen))
    found.sort()
    out, last = [], 0
    for s, e, chosen in found:
        if s < last:
            continue
        out.append(highlight(text[last:s], terms=terms))
        anchor = ' id="kb-hit"' if chosen else ""
        out.append(f'<span class="kb-hit"{anchor}>{highlight(text[s:e], terms=terms)}</span>')
        last = e
    out.append(highlight(text[last:], terms=terms))
    return f'<div class="kb-page">{"".join(out)}</div>'


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not execute as a formula."""
    s = "" if value is None else str(value)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def export_csv(results: Sequence[SearchResult]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["rank", "title", "doc_type", "lang", "date", "file", "page", "citation", "snippet", "doc_id"])
    for i, r in enumerate(results, 1):
        h = r.best
        citation = f"{Path(h.source).name}, p. {h.page}" if h.page else Path(h.source).name
        row = [i, h.title, h.doc_type, h.lang, h.date or "", h.source, h.page or "", citation, h.snippet, h.doc_id]
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def export_markdown(query: str, results: Sequence[SearchResult]) -> str:
    """Search results as Markdown (document text escaped: no links, images or HTML in the file)."""
    from kb.service import KnowledgeBase

    return KnowledgeBase.results_markdown(query, results)


CSS = """<style>
.kb-card{border:1px solid #e2e8f0;border-radius:10px;padding:12px 16px;margin:10px 0;background:#fff}
.kb-title{font-size:1.08rem;font-weight:600}.kb-title a{text-decoration:none;color:#0f172a}
.kb-meta{color:#64748b;font-size:.85rem;margin:2px 0 6px}.kb-snippet{line-height:1.5}
.kb-card mark,.kb-passage mark,.kb-page mark{background:#fde68a;padding:0 2px;border-radius:3px}
.kb-card mark.kb-ent,.kb-passage mark.kb-ent{background:none;border-bottom:2px solid #34d399;padding:0;border-radius:0}
.kb-chip{display:inline-block;border:1px solid;border-radius:12px;padding:0 8px;margin:4px 4px 0 0;font-size:.8rem;text-decoration:none}
.kb-badge{background:#e0f2fe;color:#075985;border:1px solid #7dd3fc;border-radius:8px;padding:1px 8px;font-size:.75rem;font-weight:600;white-space:nowrap}
.kb-actions{margin-top:6px;font-size:.85rem}.kb-passage{font-size:.9rem;margin:6px 0;color:#334155}
.kb-page{white-space:pre-wrap;font-family:Georgia,serif;line-height:1.55;border-left:3px solid #e2e8f0;padding-left:12px}
.kb-meta-table{border-collapse:collapse;font-size:.9rem;width:100%}.kb-meta-table th{text-align:left;color:#64748b;font-weight:500;width:30%}
.kb-meta-table th,.kb-meta-table td{border-bottom:1px solid #e2e8f0;padding:3px 8px}
.kb-hit{background:#eff6ff;border-radius:3px}#kb-hit{background:#bfdbfe}
</style>"""
