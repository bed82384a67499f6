"""Report pages built on kb.brief and kb.compare: prepare a visit, compare practices."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from kb.service import KnowledgeBase
from kb.ui.nav import L, param, register
from kb.ui.render import esc


def render_report(report: Any) -> None:
    """Sections of cited lines; every line and quote is escaped document text."""
    st.header(report.title)
    st.caption(report.subtitle)
    for section in report.sections:
        st.subheader(section.title)
        if not section.lines:
            st.caption(section.note or "—")
        for line in section.lines:
            cite = f" — *{esc(line.citation.label())}*" if line.citation else ""
            st.markdown(f"- {esc(line.text)}{cite}")
            if line.quote:
                st.markdown(f"> {esc(line.quote)} ({esc(line.lang)})")


@register("brief", "brief", order=30)
def page_brief(kb: KnowledgeBase) -> None:
    from kb.brief import build_brief
    from kb.report_types import to_docx, to_markdown
    from kb.store import KBError

    st.title(L("brief"))
    target = st.text_input(L("brief_target"), value=param("target"), key="brief_target")
    if not target.strip():
        return
    try:
        report = build_brief(kb, target)
    except KBError as exc:
        st.warning(str(exc))
        return
    render_report(report)
    c1, c2 = st.columns(2)
    c1.download_button("Markdown", to_markdown(report), "brief.md", "text/markdown")
    with tempfile.TemporaryDirectory() as tmp:
        c2.download_button("Word (.docx)", to_docx(report, Path(tmp) / "brief.docx").read_bytes(), "brief.docx")


@register("compare", "compare", order=40)
def page_compare(kb: KnowledgeBase) -> None:
    from kb.compare import REGIONS, compare_practices, comparison_report
    from kb.report_types import to_markdown

    st.title(L("compare"))
    topic = st.text_input(L("topic"), key="compare_topic")
    if not topic.strip():
        return
    groups = compare_practices(kb, topic)
    cols = st.columns(len(REGIONS))
    for col, (region, label) in zip(cols, REGIONS, strict=True):
        col.subheader(label)
        for g in groups.get(region, []):
            col.markdown(f"**{esc(g.place)}** — {esc(g.summary)}")
            for line in g.lines:
                cite = line.citation.label() if line.citation else ""
                col.markdown(f"- {esc(line.text)} — *{esc(cite)}* ({esc(line.lang)})\n  > {esc(line.quote or '')}")
    st.download_button("Markdown", to_markdown(comparison_report(topic, groups)), "comparison.md", "text/markdown")
