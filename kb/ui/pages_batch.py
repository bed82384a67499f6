"""The batch page: upload a CSV of queries (a name, a question, a plate per row), get the top hits of
each row back as CSV, with a progress bar. Each row is an ordinary search of the user's view (scoped
and audited like one); a malformed row gets its reason in the ``error`` column, the run goes on."""

from __future__ import annotations

import io

import streamlit as st

from kb.service import KnowledgeBase
from kb.ui.nav import L, register
from kb.ui.render import esc

_RESULT = "_batch_result"  # session state: (csv bytes, rows, errors) of the last run


def run_batch(kb: KnowledgeBase, text: str, k: int) -> tuple[bytes, int, int]:
    """The results CSV (UTF-8 with BOM, for spreadsheets), the number of rows and of rows with an error.

    Raises:
        ValueError: the table has no ``query`` column.
    """
    rows = kb.batch_rows(text)
    columns = list(dict.fromkeys(c for r in rows for c in r))
    bar = st.progress(0.0, text=L("batch_rows").format(n=0, total=len(rows)))
    done, errors = [0], [0]

    def step(n: int) -> None:
        done[0] += n
        bar.progress(done[0] / max(len(rows), 1), text=L("batch_rows").format(n=int(done[0]), total=len(rows)))

    def counted() -> object:
        for r in kb.batch(rows, k=k, progress=step):
            errors[0] += r["error"] is not None
            yield r

    out = io.StringIO()
    n = kb.batch_csv(counted(), out, columns, k)  # type: ignore[arg-type]
    return out.getvalue().encode("utf-8-sig"), n, errors[0]


@register("batch", "batch", order=28)
def page_batch(kb: KnowledgeBase) -> None:
    st.title(L("batch"))
    st.caption(L("batch_intro"))
    upload = st.file_uploader(L("batch_file"), type=["csv", "txt"], key="batch_file")
    k = int(st.number_input(L("batch_k"), 1, 20, 3, key="batch_k"))
    if upload is not None and st.button(L("batch_run"), key="batch_run"):
        try:
            st.session_state[_RESULT] = run_batch(kb, upload.getvalue().decode("utf-8-sig", errors="replace"), k)
        except ValueError as exc:  # no query column
            st.error(esc(exc))
            st.session_state.pop(_RESULT, None)
    if _RESULT in st.session_state:
        data, rows, errors = st.session_state[_RESULT]
        st.success(L("batch_done").format(n=int(rows), e=int(errors)))
        st.download_button(L("batch_download"), data, "kb-batch-results.csv", "text/csv", key="batch_download")
