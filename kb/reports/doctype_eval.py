"""Document type accuracy against a labelled list (``kb eval --doctypes``).

The list (``corpus/eval/doctypes.tsv``, written by ``corpus/eval/doctypes.py``) has a header line and
``file name<TAB>type`` rows; a document is found by the file name its source path ends with.
Built on the facade's :meth:`evidence` only.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any


def load_labels(path: Path) -> dict[str, str]:
    """``{file name: type}`` from a labelled list (the ``file``/``type`` header line is skipped)."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r[0].strip(): r[1].strip() for r in rows if len(r) >= 2 and r[0] != "file"}


def run_doctype_eval(kb: Any, labels_path: Path) -> dict[str, Any]:
    """Accuracy and confusion (gold type -> predicted type -> documents) of the stored document types."""
    labels = load_labels(labels_path)
    predicted = {Path(source).name: doc_type or "none" for _, source, doc_type in kb.evidence().document_list()}
    confusion: dict[str, Counter[str]] = {}
    wrong: list[dict[str, str]] = []
    missing: list[str] = []
    for name, gold in sorted(labels.items()):
        if name not in predicted:
            missing.append(name)
            continue
        confusion.setdefault(gold, Counter())[predicted[name]] += 1
        if predicted[name] != gold:
            wrong.append({"file": name, "gold": gold, "predicted": predicted[name]})
    scored = len(labels) - len(missing)
    correct = scored - len(wrong)
    return {
        "labels": str(labels_path),
        "documents": scored,
        "correct": correct,
        "accuracy": round(correct / scored, 3) if scored else None,
        "missing": missing,
        "confusion": {g: dict(sorted(c.items())) for g, c in sorted(confusion.items())},
        "wrong": wrong,
    }


def format_doctype_table(result: dict[str, Any]) -> str:
    """A document type evaluation as text: accuracy, the confusion table (gold rows, predicted columns)."""
    confusion = result["confusion"]
    columns = sorted({p for row in confusion.values() for p in row} | set(confusion))
    width = max([len(c) for c in columns] + [10]) + 1
    out = [
        f"labels: {result['labels']}",
        f"accuracy {result['accuracy']} ({result['correct']}/{result['documents']} documents)",
        "",
        "gold \\ predicted".ljust(width) + "".join(c[:9].rjust(10) for c in columns),
    ]
    for gold, row in confusion.items():
        out.append(gold.ljust(width) + "".join(str(row.get(c, "")).rjust(10) for c in columns))
    if result["wrong"]:
        out += ["", "Wrong:"] + [f"  {w['file']}: {w['gold']} -> {w['predicted']}" for w in result["wrong"]]
    out += [f"  not in the knowledge base: {m}" for m in result["missing"]]
    return "\n".join(out)
