"""Report pages built on the facade's report verbs: prepare a visit (brief), compare practices."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.types import KBError
from kb.ui.nav import L, param, register
from kb.ui.render import bullets, esc


def report_line(line: Any) -> str:
    """One cited line of a report, its quote below it: document text, so all of it through ``esc``."""
    cite = f" — <i>{esc(line.citation.label())}</i>" if line.citation else ""
    quote = f'<blockquote class="kb-quote">{esc(line.quote)} ({esc(line.lang)})</blockquote>' if line.quote else ""
    return f"{esc(line.text)}{cite}{quote}"


def render_report(report: Any) -> None:
    """Sections of cited lines; titles (they carry the user's target and entity names) escaped too."""
    st.header(esc(report.title))
    st.caption(esc(report.subtitle))
    for section in report.sections:
        st.subheader(esc(section.title))
        if not section.lines:
            st.caption(esc(section.note or "—"))
            continue
        st.markdown(bullets(report_line(line) for line in section.lines), unsafe_allow_html=True)


@register("brief", "brief", order=30)
def page_brief(kb: KnowledgeBase) -> None:
    st.title(L("brief"))
    target = st.text_input(L("brief_target"), value=param("target"), key="brief_target")
    if not target.strip():
        return
    try:
        report = kb.brief(target)
    except KBError as exc:
        st.warning(esc(exc))
        return
    render_report(report)
    c1, c2 = st.columns(2)
    c1.download_button("Markdown", kb.report_markdown(report), "brief.md", "text/markdown")
    with tempfile.TemporaryDirectory() as tmp:
        c2.download_button("Word (.docx)", kb.report_docx(report, Path(tmp) / "brief.docx").read_bytes(), "brief.docx")


@register("compare", "compare", order=40)
def page_compare(kb: KnowledgeBase) -> None:
    st.title(L("compare"))
    topic = st.text_input(L("topic"), key="compare_topic")
    if not topic.strip():
        return
    groups = kb.compare(topic)
    regions = kb.compared_regions()
    cols = st.columns(len(regions))
    for col, (region, label) in zip(cols, regions, strict=True):
        col.subheader(esc(label))
        for g in groups.get(region, []):
            col.markdown(f"<div><b>{esc(g.place)}</b> — {esc(g.summary)}</div>", unsafe_allow_html=True)
            if g.lines:
                col.markdown(bullets(report_line(line) for line in g.lines), unsafe_allow_html=True)
    report = kb.comparison_report(topic, groups)
    st.download_button("Markdown", kb.report_markdown(report), "comparison.md", "text/markdown")
