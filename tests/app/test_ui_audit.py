"""Static audit: every text handed to a Streamlit call that renders Markdown is escaped or the app's own.

The pages tests check what the pages do today; this one checks the source, so that a new page (or a
new line on an old one) that hands document text to ``st.title``, a caption, an alert or a label
without ``render.esc`` fails here, naming the file and line. An argument passes when it is built
only from literals, module constants, interface labels (``L``), sizes (``len``) and the output of
the escaping helpers, through f-strings, ``+``, ``.format``, ``join`` and conditionals; a local
variable passes when every value assigned to it in the function does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import ROOT

#: Streamlit calls whose text (first argument, or these keywords) is rendered as Markdown
MARKDOWN_CALLS = {
    "markdown", "write", "caption", "title", "header", "subheader", "info", "warning", "error", "success",
    "toast", "expander", "tabs", "popover", "status", "spinner", "button", "download_button", "link_button",
    "form_submit_button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "text_input", "text_area",
    "number_input", "file_uploader", "metric", "page_link", "progress",
}  # fmt: skip
TEXT_KEYWORDS = {"body", "label", "text", "help", "caption"}
NOT_TEXT_FIRST = {"progress"}  # its first argument is the fraction
#: calls whose result is safe text: the escaping helpers, interface labels, numbers
SAFE_CALLS = {
    "esc",
    "anchor",
    "href",
    "bullets",
    "chip",
    "card",
    "passage",
    "page_html",
    "highlight",
    "L",
    "len",
    "int",
    "float",
}
#: (file, enclosing function): why its text cannot come from a document or the user
EXEMPT = {
    ("kb/ui/context.py", "progress"): "stage names and counts from kb.ingest's progress callback",
    ("kb/ui/context.py", "bootstrap_if_empty"): "a count of ingested documents",
}


def sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "kb" / "ui").glob("*.py"))]


class Audit:
    def __init__(self, fn: ast.AST) -> None:
        self.assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    self.assigned.setdefault(node.target.id, []).append(node.value)

    def safe(self, e: ast.expr, seen: frozenset[str] = frozenset()) -> bool:  # noqa: PLR0911
        if isinstance(e, ast.Constant):
            return True
        if isinstance(e, ast.JoinedStr):
            return all(self.safe(v.value, seen) for v in e.values if isinstance(v, ast.FormattedValue))
        if isinstance(e, ast.BinOp):
            return self.safe(e.left, seen) and self.safe(e.right, seen)
        if isinstance(e, ast.IfExp):
            return self.safe(e.body, seen) and self.safe(e.orelse, seen)
        if isinstance(e, ast.GeneratorExp | ast.ListComp):
            return self.safe(e.elt, seen)
        if isinstance(e, ast.List | ast.Tuple):
            return all(self.safe(x, seen) for x in e.elts)
        if isinstance(e, ast.Call):
            if isinstance(e.func, ast.Name):
                return e.func.id in SAFE_CALLS
            if isinstance(e.func, ast.Attribute) and e.func.attr in ("format", "join"):
                args = [*e.args, *(k.value for k in e.keywords)]
                return self.safe(e.func.value, seen) and all(self.safe(a, seen) for a in args)
            return False
        if isinstance(e, ast.Name):
            if e.id.isupper():  # a module constant: the app's own markup or text
                return True
            values = self.assigned.get(e.id)
            return bool(values) and e.id not in seen and all(self.safe(v, seen | {e.id}) for v in values)
        return False


def texts(call: ast.Call) -> Iterator[ast.expr]:
    assert isinstance(call.func, ast.Attribute)
    if call.args and call.func.attr not in NOT_TEXT_FIRST:
        yield call.args[0]
    yield from (k.value for k in call.keywords if k.arg in TEXT_KEYWORDS)


def own_nodes(scope: ast.Module | ast.FunctionDef) -> Iterator[ast.AST]:
    """The nodes of a module or function, without those of the functions defined inside it."""
    todo: list[ast.AST] = list(scope.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend(ast.iter_child_nodes(node))


def findings(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    scopes: list[ast.Module | ast.FunctionDef] = [tree]
    scopes += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for scope in scopes:
        if (rel, getattr(scope, "name", "")) in EXEMPT:
            continue
        audit = Audit(scope)
        for node in own_nodes(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            # st.title, col.markdown, st.sidebar.caption, bar.progress ...
            if node.func.attr not in MARKDOWN_CALLS or not isinstance(node.func.value, ast.Name | ast.Attribute):
                continue
            for arg in texts(node):
                if not audit.safe(arg):
                    yield f"{rel}:{node.lineno}: {node.func.attr}({ast.unparse(arg)[:80]}) is not escaped"


def test_every_markdown_text_is_escaped_or_the_apps_own() -> None:
    found = sorted({f for path in sources() for f in findings(path)})
    assert found == [], "\n".join(found)


def test_the_audit_catches_raw_document_text(tmp_path: Path) -> None:
    page = tmp_path / "new_page.py"
    page.write_text(
        "import streamlit as st\n"
        "def draw(kb, doc, o):\n"
        "    st.title(doc['title'])\n"
        "    st.caption(f\"{L('x')} {o.name}\")\n"
        "    label = o.name\n"
        "    with st.expander(label):\n"
        "        st.sidebar.info(doc['source'])\n"
        "        st.markdown(esc(doc['title']) + ' ' + L('ok'))\n",
        encoding="utf-8",
    )
    assert sorted(f.split(": ", 1)[1] for f in findings(page)) == [
        "caption(f\"{L('x')} {o.name}\") is not escaped",
        "expander(label) is not escaped",
        "info(doc['source']) is not escaped",
        "title(doc['title']) is not escaped",
    ]
