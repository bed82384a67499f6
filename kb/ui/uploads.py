"""Uploads: checked for size and type before they touch disk, staged inside the knowledge base.

Nothing here trusts the browser: the file name is reduced to a bare safe name, the size is
checked before writing, the content is sniffed (a ``.pdf`` must start like a PDF), and every
path is resolved and verified to stay under ``<kb>/uploads``. Files are staged in a temporary
folder inside the knowledge base (same filesystem, so the final move is atomic) and kept under
``uploads/`` so that uploading a new version of a file updates its document instead of adding
a second one. A failed upload never touches what is already indexed: ingest is transactional.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.ui.render import safe_name

MAX_UPLOAD_MB = 50
#: suffix -> formats the content sniffer may report for it
ALLOWED: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "docx": ("docx",),
    "html": ("html",),
    "htm": ("html",),
    "md": ("markdown", "html", "text"),
    "markdown": ("markdown", "html", "text"),
    "txt": ("text", "markdown", "html"),
}
UPLOAD_TYPES = sorted(ALLOWED)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one uploaded file (``status`` as in an ingest report, plus ``refused``)."""

    name: str
    status: str
    reason: str | None = None
    detail: str | None = None
    doc_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status not in ("skipped", "refused")


def refusal(name: str, size: int, max_mb: int = MAX_UPLOAD_MB) -> Outcome | None:
    """Refuse a file by name and size alone, before any byte is written."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in ALLOWED:
        return Outcome(name, "refused", "unsupported", f".{suffix or '?'} is not one of: {', '.join(UPLOAD_TYPES)}")
    if size > max_mb * 1024 * 1024:
        return Outcome(name, "refused", "too_large", f"{size / 1e6:.1f} MB is over the {max_mb} MB limit")
    if size == 0:
        return Outcome(name, "refused", "empty", "zero-byte file")
    return None


def upload_dir(kb_root: Path) -> Path:
    folder = (Path(kb_root) / "uploads").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _inside(path: Path, folder: Path) -> bool:
    return folder in path.resolve().parents


def stage(
    kb_root: Path, files: Sequence[tuple[str, bytes]], max_mb: int = MAX_UPLOAD_MB
) -> tuple[list[Path], list[Outcome]]:
    """Check, stage and place uploads under ``<kb>/uploads``; return accepted paths and refusals."""
    from ingest.readers import sniff

    folder = upload_dir(kb_root)
    accepted: list[Path] = []
    refused: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix=".incoming-", dir=folder) as tmp:
        for name, data in files:
            out = refusal(name, len(data), max_mb)
            if out is not None:
                refused.append(out)
                continue
            clean = safe_name(name)
            staged = Path(tmp) / clean
            target = folder / clean
            if not (_inside(staged, Path(tmp).resolve()) and _inside(target, folder)):
                refused.append(Outcome(name, "refused", "unsupported", "file name refused"))
                continue
            staged.write_bytes(data)
            kind = sniff(staged)
            expected = ALLOWED[Path(clean).suffix.lower().lstrip(".")]
            if kind not in expected:
                what = kind or "binary or unknown content"
                refused.append(Outcome(name, "refused", "unsupported", f"content is {what}, not {expected[0]}"))
                continue
            os.replace(staged, target)
            accepted.append(target)
    return accepted, refused


def ingest_uploads(
    kb: Any,
    files: Sequence[tuple[str, bytes]],
    progress: Callable[[str, int, int], None] | None = None,
    max_mb: int = MAX_UPLOAD_MB,
) -> list[Outcome]:
    """Stage and ingest uploaded ``(name, bytes)`` pairs; one outcome per file, in upload order."""
    accepted, refused = stage(Path(kb.root), files, max_mb)
    by_path: dict[str, Outcome] = {}
    if accepted:
        report = kb.ingest(accepted, progress=progress)
        for row in report.rows:
            name = Path(row.path).name
            by_path[name] = Outcome(name, row.status, row.reason, row.detail, row.doc_id)
            if row.status == "skipped":
                Path(row.path).unlink(missing_ok=True)  # keep uploads/ to what is indexed
    refused_by_name = {o.name: o for o in refused}
    outcomes = []
    for name, _ in files:
        found = refused_by_name.get(name) or by_path.get(safe_name(name))
        outcomes.append(found or Outcome(name, "skipped", "unsupported", "not ingested"))
    return outcomes


def read_draft(kb_root: Path, name: str, data: bytes, max_mb: int = MAX_UPLOAD_MB) -> str:
    """The text of an uploaded draft (precedent finder), read in a temporary folder inside the kb.

    Raises:
        ValueError: the file is refused or cannot be read; the message says why.
    """
    from ingest.readers import read_file
    from kb.types import ReadError

    out = refusal(name, len(data), max_mb)
    if out is not None:
        raise ValueError(f"{out.reason}: {out.detail}")
    folder = upload_dir(kb_root)
    tmp = tempfile.mkdtemp(prefix=".draft-", dir=folder)
    try:
        path = Path(tmp) / safe_name(name)
        path.write_bytes(data)
        return read_file(path).text
    except ReadError as exc:
        raise ValueError(str(exc)) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
