"""kb web app (Streamlit): a thin layer over the KnowledgeBase API.

Run with `kb app` or `make run`. Listens on 127.0.0.1 unless told otherwise. Never imports
faiss, spaCy or torch itself: the knowledge base loads its models lazily, once per process.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path

import streamlit as st

from kb.service import KnowledgeBase
from kb.ui.i18n import LANGUAGES, t
from kb.ui.render import CSS, card, export_csv, export_markdown, highlight, link, passage, safe_name

MAX_UPLOAD_MB = 50
UPLOAD_TYPES = ["pdf", "docx", "html", "htm", "md", "markdown", "txt"]
PAGES = ("search", "doc", "entity", "crossings", "similar", "precedents", "brief", "compare", "upload")

st.set_page_config(page_title="kb — border cooperation knowledge base", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner=False)
def open_kb(path: str) -> KnowledgeBase:
    return KnowledgeBase.open(path)


def get_kb() -> KnowledgeBase:
    injected = st.session_state.get("kb")
    if injected is not None:  # tests inject a knowledge base
        return injected  # type: ignore[no-any-return]
    path = os.environ.get("KB_PATH") or str(Path(".kb/corpus").resolve())
    kb = open_kb(path)
    bootstrap = os.environ.get("KB_BOOTSTRAP", str(Path(__file__).parent / "corpus" / "documents"))
    if kb.stats()["documents"] == 0 and Path(bootstrap).is_dir() and not st.session_state.get("bootstrapped"):
        st.session_state["bootstrapped"] = True
        bar = st.progress(0.0, text=t("building", ui_lang()))

        def progress(stage: str, done: int, total: int) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=f"{t('building', ui_lang())} {stage} {done}/{total}")

        kb.ingest([bootstrap], progress=progress)
        bar.empty()
    return kb


def ui_lang() -> str:
    return str(st.session_state.get("ui_lang", "en"))


def L(key: str) -> str:  # noqa: N802 - short label helper used everywhere
    return t(key, ui_lang())


def sidebar(kb: KnowledgeBase, page: str) -> None:
    with st.sidebar:
        st.selectbox(L("interface"), list(LANGUAGES), format_func=LANGUAGES.get, key="ui_lang")
        st.markdown("### kb")
        for name, label in (
            ("search", "search"),
            ("precedents", "precedents"),
            ("brief", "brief"),
            ("compare", "compare"),
            ("crossings", "crossing"),
            ("upload", "upload"),
        ):
            marker = "**" if name == page else ""
            st.markdown(f"{marker}[{L(label)}]({link(page=name)}){marker}")
        s = kb.stats()
        st.caption(L("stats").format(d=s["documents"], c=s["chunks"], e=s["entities"]))


def facet_filters(kb: KnowledgeBase, doc_ids: list[str]) -> dict[str, list[str]]:
    counts = kb.facets(doc_ids)
    chosen: dict[str, list[str]] = {}
    with st.sidebar:
        st.markdown(f"### {L('filters')}")
        for facet in ("doc_type", "lang", "country", "crossing", "entity", "year", "region"):
            options = counts.get(facet, [])
            if not options:
                continue
            labels = {v: f"{lab} ({n})" for v, lab, n in options}
            picked = st.multiselect(L(facet), list(labels), format_func=labels.get, key=f"facet_{facet}")
            if picked:
                chosen[facet] = picked
    return chosen


def to_filters(chosen: dict[str, list[str]]) -> dict[str, object]:
    filters: dict[str, object] = {k: v for k, v in chosen.items() if k != "year"}
    if chosen.get("year"):
        years = sorted(chosen["year"])
        filters["since"], filters["until"] = years[0], years[-1]
    return filters


def page_search(kb: KnowledgeBase) -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    default = st.query_params.get("q", "")
    query = st.text_input(L("query"), value=default, placeholder=L("placeholder"), key="query")
    if not query.strip():
        st.info(L("placeholder"))
        return
    from ingest.language import query_language

    qlang = query_language(query)
    base = kb.search(query, k=40, per_doc=1)
    chosen = facet_filters(kb, [r.doc_id for r in base])
    sort = st.radio(L("sort"), ["relevance", "date"], format_func=L, horizontal=True, key="sort")
    results = kb.search(query, k=20, filters=to_filters(chosen)) if chosen else kb.search(query, k=20)
    if sort == "date":
        results = sorted(results, key=lambda r: r.best.date or "", reverse=True)
    if not results:
        st.warning(L("no_results"))
        return
    st.caption(f"{len(results)} {L('results')}")
    labels = {k: L(k) for k in ("page", "other_lang", "open", "more_like")}
    for r in results:
        st.markdown(card(r, query, qlang, labels), unsafe_allow_html=True)
        if len(r.hits) > 1:
            with st.expander(f"{len(r.hits) - 1} {L('more')}"):
                for h in r.hits[1:]:
                    st.markdown(passage(h, labels, query), unsafe_allow_html=True)
    c1, c2 = st.columns(2)
    c1.download_button(f"{L('export')} CSV", export_csv(results), "kb-results.csv", "text/csv")
    c2.download_button(f"{L('export')} Markdown", export_markdown(query, results), "kb-results.md", "text/markdown")


def page_doc(kb: KnowledgeBase) -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    doc = kb.document(st.query_params.get("id", ""))
    if doc is None:
        st.error(L("not_found"))
        return
    st.title(doc["title"] or doc["doc_id"])
    meta = {k: doc[k] for k in ("doc_type", "lang", "date", "format", "page_count", "region", "countries", "source")}
    st.table({k: [str(v)] for k, v in meta.items()})
    if doc["file"] and Path(doc["file"]).is_file():
        st.download_button(L("download"), Path(doc["file"]).read_bytes(), Path(doc["source"]).name)
    st.subheader(L("entities"))
    for etype, items in doc["entities"].items():
        if etype == "DATE":
            continue
        chips = " ".join(
            f'<a class="kb-chip" href="{html.escape(link(page="entity", id=e["id"]))}" target="_self">'
            f"{html.escape(e['name'])} ({e['mentions']})</a>"
            for e in items[:20]
        )
        st.markdown(f"**{etype}** {chips}", unsafe_allow_html=True)
    query = st.query_params.get("q", "")
    terms = [w for w in re.findall(r"\w{4,}", query)]
    hit_page = st.query_params.get("p")
    for p in doc["pages"]:
        label = f"{L('page')} {p['number']}" if p["number"] else L("document")
        with st.expander(label, expanded=(str(p["number"]) == hit_page or len(doc["pages"]) == 1)):
            st.markdown(f'<div class="kb-page">{highlight(p["text"], [], terms)}</div>', unsafe_allow_html=True)
    st.subheader(L("similar"))
    for r in kb.similar(doc["doc_id"], k=5):
        h = r.best
        st.markdown(
            f"- [{h.title}]({link(page='doc', id=h.doc_id, p=h.page)}) — {h.doc_type}, {h.lang}, {h.date or '—'}"
        )


def page_entity(kb: KnowledgeBase) -> None:
    import pandas as pd

    view = kb.entity(st.query_params.get("id", ""))
    if view is None:
        st.error(L("not_found"))
        return
    st.title(view["name"])
    st.caption(f"{view['type']} · {view['id']} · {view['doc_count']} {L('results')}")
    if view["aliases"]:
        st.markdown(f"**{L('aliases')}:** " + html.escape("; ".join(view["aliases"])))
    if view.get("lat") is not None:
        crossing_chart(kb, highlight_id=view["id"])
    st.subheader(L("mentioned_in"))
    for d in view["documents"]:
        st.markdown(
            f"- [{d['title']}]({link(page='doc', id=d['id'], p=d['page'])}) — {d['doc_type']}, {d['lang']}, "
            f"{d['date'] or '—'} ({d['mentions']}×)"
        )
    c1, c2 = st.columns(2)
    if view["co_mentions"]:
        c1.subheader(L("co_mentions"))
        c1.bar_chart(pd.DataFrame(view["co_mentions"]).set_index("name")["docs"].head(15), horizontal=True)
    if view["mentions_by_year"]:
        c2.subheader(L("over_time"))
        c2.bar_chart(pd.Series(view["mentions_by_year"], name="mentions"))


def crossing_chart(kb: KnowledgeBase, highlight_id: str | None = None) -> None:
    """A map drawn without tiles (Vega-Lite scatter of longitude/latitude): works offline."""
    import pandas as pd

    rows = [e for e in kb.entities(type="BORDER_CROSSING") if e.get("lat") is not None]
    if not rows:
        return
    df = pd.DataFrame(
        [
            {
                "name": e["name"],
                "lat": e["lat"],
                "lon": e["lon"],
                "documents": e["doc_count"],
                "selected": e["id"] == highlight_id,
            }
            for e in rows
        ]
    )
    st.subheader(L("map"))
    where = {
        "longitude": {"field": "lon", "type": "quantitative"},
        "latitude": {"field": "lat", "type": "quantitative"},
    }
    colour = {
        "field": "selected",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": [False, True], "range": ["#2563eb", "#dc2626"]},
    }
    size = {"field": "documents", "type": "quantitative", "scale": {"range": [60, 900]}}
    st.vega_lite_chart(
        df,
        {
            "layer": [
                {
                    "mark": {"type": "circle", "opacity": 0.8},
                    "encoding": {
                        **where,
                        "size": size,
                        "color": colour,
                        "tooltip": [{"field": "name"}, {"field": "documents"}],
                    },
                },
                {
                    "mark": {"type": "text", "dx": 9, "align": "left", "fontSize": 11},
                    "encoding": {**where, "text": {"field": "name"}},
                },
            ],
            "projection": {"type": "mercator"},
            "height": 460,
        },
        use_container_width=True,
    )


def page_crossings(kb: KnowledgeBase) -> None:
    crossing_chart(kb)
    for e in kb.entities(type="BORDER_CROSSING"):
        st.markdown(f"- [{e['name']}]({link(page='entity', id=e['id'])}) — {e['doc_count']} {L('results')}")


def show_results(results: list, query: str = "") -> None:  # type: ignore[type-arg]
    st.markdown(CSS, unsafe_allow_html=True)
    labels = {k: L(k) for k in ("page", "other_lang", "open", "more_like")}
    for r in results:
        st.markdown(card(r, query, None, labels), unsafe_allow_html=True)


def page_similar(kb: KnowledgeBase) -> None:
    doc = kb.document(st.query_params.get("id", ""))
    if doc is None:
        st.error(L("not_found"))
        return
    st.title(f"{L('more_like')}: {doc['title']}")
    show_results(kb.similar(doc["doc_id"], k=10))


def page_precedents(kb: KnowledgeBase) -> None:
    st.title(L("precedents"))
    text = st.text_area(L("paste"), height=180, key="precedent_text")
    draft = st.file_uploader(L("upload_help"), type=UPLOAD_TYPES, key="precedent_file")
    if draft is not None and draft.size <= MAX_UPLOAD_MB * 1024 * 1024:
        from ingest.readers import read_file
        from kb.types import ReadError

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / safe_name(draft.name)
            path.write_bytes(draft.getvalue())
            try:
                text = read_file(path).text
            except ReadError as exc:
                st.error(f"{draft.name}: {exc}")
    if text.strip():
        show_results(kb.similar(text, k=10))


def page_upload(kb: KnowledgeBase) -> None:
    st.title(L("upload"))
    files = st.file_uploader(L("upload_help"), type=UPLOAD_TYPES, accept_multiple_files=True, key="uploads")
    if not files or not st.button(L("ingest"), type="primary"):
        return
    folder = Path(kb.root) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    bar = st.progress(0.0)
    for i, f in enumerate(files):
        if f.size > MAX_UPLOAD_MB * 1024 * 1024:
            st.error(f"{f.name}: too_large — over {MAX_UPLOAD_MB} MB")
            continue
        target = (folder / safe_name(f.name)).resolve()
        if folder.resolve() not in target.parents:
            st.error(f"{f.name}: refused file name")
            continue
        target.write_bytes(f.getvalue())
        report = kb.ingest([target])
        for row in report.rows:
            if row.status == "skipped":
                st.error(f"{f.name}: {row.reason} — {row.detail}")
            else:
                st.success(f"{f.name}: {row.status} {row.detail or ''}")
        bar.progress((i + 1) / len(files))


def page_brief(kb: KnowledgeBase) -> None:
    from kb.brief import build_brief
    from kb.report_types import to_docx, to_markdown
    from kb.store import KBError

    st.title(L("brief"))
    target = st.text_input(L("brief_target"), value=st.query_params.get("target", ""), key="brief_target")
    if not target.strip():
        return
    try:
        report = build_brief(kb, target)
    except KBError as exc:
        st.warning(str(exc))
        return
    render_report(report)
    md = to_markdown(report)
    c1, c2 = st.columns(2)
    c1.download_button("Markdown", md, "brief.md", "text/markdown")
    with tempfile.TemporaryDirectory() as tmp:
        c2.download_button("Word (.docx)", to_docx(report, Path(tmp) / "brief.docx").read_bytes(), "brief.docx")


def render_report(report) -> None:  # type: ignore[no-untyped-def]
    st.header(report.title)
    st.caption(report.subtitle)
    for section in report.sections:
        st.subheader(section.title)
        if not section.lines:
            st.caption(section.note or "—")
        for line in section.lines:
            cite = f" — *{html.escape(line.citation.label())}*" if line.citation else ""
            st.markdown(f"- {html.escape(line.text)}{cite}")
            if line.quote:
                st.markdown(f"> {html.escape(line.quote)} ({line.lang})")


def page_compare(kb: KnowledgeBase) -> None:
    from kb.compare import REGIONS, compare_practices, comparison_report
    from kb.report_types import to_markdown

    st.title(L("compare"))
    topic = st.text_input(L("topic"), key="compare_topic")
    if not topic.strip():
        return
    groups = compare_practices(kb, topic)
    cols = st.columns(2)
    for col, (region, label) in zip(cols, REGIONS, strict=True):
        col.subheader(label)
        for g in groups.get(region, []):
            col.markdown(f"**{html.escape(g.place)}** — {html.escape(g.summary)}")
            for line in g.lines:
                cite = line.citation.label() if line.citation else ""
                col.markdown(
                    f"- {html.escape(line.text)} — *{html.escape(cite)}* ({line.lang})\n  > {html.escape(line.quote or '')}"
                )
    st.download_button("Markdown", to_markdown(comparison_report(topic, groups)), "comparison.md", "text/markdown")


def main() -> None:
    st.session_state.setdefault("ui_lang", os.environ.get("KB_UI_LANG", "en"))
    page = st.query_params.get("page", "search")
    page = page if page in PAGES else "search"
    kb = get_kb()
    sidebar(kb, page)
    {
        "search": page_search,
        "doc": page_doc,
        "entity": page_entity,
        "crossings": page_crossings,
        "similar": page_similar,
        "precedents": page_precedents,
        "brief": page_brief,
        "compare": page_compare,
        "upload": page_upload,
    }[page](kb)


main()
