"""HTML for the app. Every piece of document text goes through ``html.escape`` before any markup
is added, so a document containing ``<script>`` or HTML is shown as text and never runs."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlencode

from kb.types import Hit, SearchResult

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


def link(**params: object) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v is not None})


def highlight(text: str, spans: Iterable[tuple[int, int]], terms: Sequence[str] = ()) -> str:
    """Escape ``text`` and wrap the given spans (and any of ``terms``) in <mark>."""
    spans = sorted(spans)
    terms = [t for t in terms if t]
    if terms:
        pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)) + r")(?!\w)", re.I
        )
        spans = sorted(set(spans) | {m.span() for m in pattern.finditer(text)})
    out, last = [], 0
    for s, e in spans:
        if s < last:
            continue
        out.append(html.escape(text[last:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        last = e
    out.append(html.escape(text[last:]))
    return "".join(out)


def chip(entity_id: str, name: str, etype: str) -> str:
    colour = TYPE_COLOURS.get(etype, "#475569")
    return (
        f'<a class="kb-chip" href="{html.escape(link(page="entity", id=entity_id))}" target="_self" '
        f'style="border-color:{colour};color:{colour}">{html.escape(name)}</a>'
    )


def card(result: SearchResult, query: str, query_lang: str | None, labels: dict[str, str]) -> str:
    hit = result.best
    names = [e.name for e in hit.entities]
    snippet = highlight(hit.snippet, hit.highlights, names)
    cite = f"{labels['page']} {hit.page}" if hit.page else ""
    badge = ""
    if query_lang and hit.lang != query_lang:
        badge = (
            f'<span class="kb-badge">{LANG_NAMES.get(hit.lang, hit.lang)} · {html.escape(labels["other_lang"])}</span>'
        )
    chips = " ".join(chip(e.id, e.name, e.type) for e in hit.entities[:8])
    open_link = link(page="doc", id=hit.doc_id, p=hit.page, q=query)
    more_link = link(page="similar", id=hit.doc_id)
    dups = f" · +{len(result.duplicates)} near-duplicate" if result.duplicates else ""
    return f"""<div class="kb-card">
<div class="kb-title"><a href="{html.escape(open_link)}" target="_self">{html.escape(hit.title)}</a> {badge}</div>
<div class="kb-meta">{html.escape(hit.doc_type)} · {LANG_NAMES.get(hit.lang, html.escape(hit.lang))} · {html.escape(hit.date or "—")}
 · <b>{html.escape(cite)}</b>{" · " if cite else ""}{html.escape(hit.source.rsplit("/", 1)[-1])}{dups}</div>
<div class="kb-snippet">{snippet}</div>
<div class="kb-chips">{chips}</div>
<div class="kb-actions"><a href="{html.escape(open_link)}" target="_self">{html.escape(labels["open"])}</a> ·
<a href="{html.escape(more_link)}" target="_self">{html.escape(labels["more_like"])}</a></div></div>"""


def passage(hit: Hit, labels: dict[str, str], query: str) -> str:
    cite = f"{labels['page']} {hit.page}" if hit.page else ""
    url = link(page="doc", id=hit.doc_id, p=hit.page, q=query)
    return (
        f'<div class="kb-passage"><a href="{html.escape(url)}" target="_self">{html.escape(cite or labels["open"])}</a> '
        f"{highlight(hit.snippet, hit.highlights)}</div>"
    )


def export_csv(results: Sequence[SearchResult]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["rank", "title", "doc_type", "lang", "date", "file", "page", "snippet", "doc_id"])
    for i, r in enumerate(results, 1):
        h = r.best
        writer.writerow([i, h.title, h.doc_type, h.lang, h.date or "", h.source, h.page or "", h.snippet, h.doc_id])
    return buf.getvalue()


def export_markdown(query: str, results: Sequence[SearchResult]) -> str:
    lines = [f"# Search: {query}", ""]
    for i, r in enumerate(results, 1):
        h = r.best
        cite = f"{h.source.rsplit('/', 1)[-1]}, p. {h.page}" if h.page else h.source.rsplit("/", 1)[-1]
        lines += [
            f"{i}. **{h.title}** ({h.doc_type}, {h.lang}, {h.date or 'undated'}) — [{cite}]",
            f"   > {h.snippet}",
            "",
        ]
    return "\n".join(lines)


CSS = """<style>
.kb-card{border:1px solid #e2e8f0;border-radius:10px;padding:12px 16px;margin:10px 0;background:#fff}
.kb-title{font-size:1.08rem;font-weight:600}.kb-title a{text-decoration:none;color:#0f172a}
.kb-meta{color:#64748b;font-size:.85rem;margin:2px 0 6px}.kb-snippet{line-height:1.5}
.kb-snippet mark,.kb-passage mark,.kb-page mark{background:#fde68a;padding:0 2px;border-radius:3px}
.kb-chip{display:inline-block;border:1px solid;border-radius:12px;padding:0 8px;margin:4px 4px 0 0;font-size:.8rem;text-decoration:none}
.kb-badge{background:#e0f2fe;color:#075985;border-radius:8px;padding:1px 8px;font-size:.75rem;font-weight:500}
.kb-actions{margin-top:6px;font-size:.85rem}.kb-passage{font-size:.9rem;margin:6px 0;color:#334155}
.kb-page{white-space:pre-wrap;font-family:Georgia,serif;line-height:1.55;border-left:3px solid #e2e8f0;padding-left:12px}
</style>"""


def safe_name(name: str) -> str:
    """A file name that cannot escape its folder (uploads are saved under the knowledge base)."""
    base = Path(name.replace("\\", "/")).name.replace("\x00", "")
    base = re.sub(r"[^\w.\- ()]", "_", base).strip(" .") or "upload"
    return base[:120]
