"""Write doctypes.tsv (file name, document type) from the sources' front matter.

Run from the repository root: ``python corpus/eval/doctypes.py``. Each ``corpus/sources/docs/<id>.md``
gives ``id:``, ``type:`` and ``format:``; the published file is ``corpus/documents/<id>.<format>``
(the file actually there when its extension differs).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "corpus" / "sources" / "docs"
DOCUMENTS = ROOT / "corpus" / "documents"
OUT = Path(__file__).resolve().parent / "doctypes.tsv"


def front_matter(text: str) -> dict[str, str]:
    """The ``key: value`` lines between the leading ``---`` fences."""
    block = text.split("---", 2)[1] if text.startswith("---") else ""
    return {m[1]: m[2].strip().strip('"') for m in re.finditer(r"^(\w+):\s*(.*)$", block, re.M)}


def main() -> None:
    rows = []
    for source in sorted(SOURCES.glob("*.md")):
        meta = front_matter(source.read_text(encoding="utf-8"))
        files = sorted(p.name for p in DOCUMENTS.glob(f"{meta['id']}.*"))
        name = files[0] if files else f"{meta['id']}.{meta.get('format', '')}"
        rows.append(f"{name}\t{meta['type']}")
    OUT.write_text("file\ttype\n" + "\n".join(sorted(rows)) + "\n", encoding="utf-8")
    print(f"{len(rows)} documents -> {OUT}")


if __name__ == "__main__":
    main()
