"""Bulk export: a ZIP with the original files, a CSV of metadata and citations, and a Markdown index.

The facade decides what goes in (only documents its principal may read, see
``KnowledgeBase.export``) and hands this module plain values: per document its metadata, the
stored original (or ``None``) and the passages to quote. The size limit is checked on the
originals' sizes before anything is written, so a refused export leaves no half-written file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kb.reports.batch import safe_cell
from kb.types import KBError

CSV_FIELDS = (
    "rank", "doc_id", "title", "collection", "lang", "doc_type", "date", "source", "file",
    "page", "citation", "score", "snippet",
)  # fmt: skip


def _name(n: int, item: Mapping[str, Any]) -> str:
    """The original's name inside the ZIP: its rank and its source's file name, made safe."""
    stem = re.sub(r"[^\w.\-]+", "_", Path(item["source"]).name)[:80] or "document"
    return f"files/{n:03d}-{stem}"


def _citation(item: Mapping[str, Any]) -> str:
    name = Path(item["source"]).name
    return f"{name}, p. {item['page']}" if item.get("page") else name


def export_zip(
    items: Sequence[Mapping[str, Any]], path: Path, max_bytes: int, title: str = "kb export"
) -> dict[str, Any]:
    """Write the export of ``items`` (doc_id, title, source, ..., ``file``: a Path or None, ``snippets``) to ``path``.

    Raises:
        KBError: the originals together exceed ``max_bytes`` (nothing is written).
    """
    total = sum(item["file"].stat().st_size for item in items if item["file"] is not None)
    if total > max_bytes:
        raise KBError(
            f"the export would hold {total / 2**20:.1f} MB of original files, over the limit of "
            f"{max_bytes / 2**20:.0f} MB: export fewer documents (a smaller -k, more filters) or raise the limit"
        )
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(CSV_FIELDS)
    index = [f"# {title}", "", f"{len(items)} documents.", ""]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, item in enumerate(items, 1):
            inside = _name(n, item) if item["file"] is not None else ""
            if inside:
                zf.write(item["file"], inside)
            snippets = item.get("snippets") or []
            first = snippets[0] if snippets else {}
            cells = [
                n, item["doc_id"], item["title"], item["collection"], item["lang"], item["doc_type"], item["date"],
                item["source"], inside, first.get("page"), _citation({**item, "page": first.get("page")}),
                first.get("score"), first.get("snippet"),
            ]  # fmt: skip
            writer.writerow([safe_cell(c) for c in cells])
            index.append(f"## {n}. {item['title'] or Path(item['source']).name}")
            link = f"[{inside}]({inside})" if inside else "original not stored"
            index.append(
                f"{item['doc_type'] or 'other'} · {item['lang'] or 'und'} · {item['date'] or 'undated'} · {link}"
            )
            index.append("")
            for s in snippets:
                index.append(f"> {' '.join(s['snippet'].split())}")
                index.append(f"> — {_citation({**item, 'page': s.get('page')})}")
                index.append("")
        zf.writestr("documents.csv", "\ufeff" + table.getvalue())
        zf.writestr("index.md", "\n".join(index) + "\n")
    os.replace(tmp, path)
    return {
        "path": str(path),
        "documents": len(items),
        "files": sum(1 for i in items if i["file"]),
        "bytes": path.stat().st_size,
    }
