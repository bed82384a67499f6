"""Uploads: checked for size and type before they touch disk, staged inside the knowledge base.

Nothing here trusts the browser: the file name is reduced to a bare safe name, the size is
checked before writing, the content is sniffed (a ``.pdf`` must start like a PDF), and every
path is resolved and verified to stay under ``<kb>/uploads``. Files are staged in a temporary
folder inside the knowledge base (same filesystem, so the final move is atomic) and kept under
``uploads/`` so that uploading a new version of a file updates its document instead of adding
a second one.

A batch is all-or-nothing per file: a file that fails any check (or cannot be written) is
refused by name and the others go on; if the ingest itself fails, every file this batch placed
under ``uploads/`` is taken back out (a replaced earlier version is put back), so ``uploads/``
never holds a file that is not indexed. Drafts for the precedent finder are parsed like ingested
files: in the parser sandbox, with the knowledge base's time, size and memory limits.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.types import DEFAULT_COLLECTION

MAX_UPLOAD_MB = 50
#: bytes of a stored file name (UTF-8): well under the 255 bytes most filesystems allow
MAX_NAME_BYTES = 120
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
_UNSAFE = re.compile(r"[^\w.\- ()]")  # \w is Unicode: letters of every script are kept
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,16}\Z")


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


def suffix_of(name: str) -> str:
    """The extension that decides the format, lower case without the dot (``""`` when there is none).

    As :attr:`pathlib.PurePath.suffix`: ``....txt`` has the extension ``txt``, ``.txt`` alone is a
    hidden file's name without one; only letters and digits count. :func:`safe_name` keeps exactly
    this extension, so what was checked and what is stored agree.
    """
    return _suffix(_base(name)).lower()


def _suffix(base: str) -> str:
    found = _SUFFIX.search(base)
    return found.group()[1:] if found is not None and found.start() > 0 else ""


def safe_name(name: str) -> str:
    """A bare file name that cannot escape its folder and that every filesystem accepts.

    No path separators, NUL or control characters, no leading dot (no hidden files, never ``..``),
    at most :data:`MAX_NAME_BYTES` bytes of UTF-8, a stem with at least one letter or digit
    (``upload`` otherwise), and the extension of :func:`suffix_of` kept (in its own case) however
    long the name was: it decides the format.
    """
    base = _base(name)
    suffix = _suffix(base)
    stem = base[: len(base) - len(suffix) - 1] if suffix else base
    stem = _UNSAFE.sub("_", stem).strip(" .")
    ext = f".{suffix}" if suffix else ""
    room = MAX_NAME_BYTES - len(ext)
    stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").strip(" .")  # never half a character
    return (stem if any(c.isalnum() for c in stem) else "upload") + ext


def _base(name: str) -> str:
    """The last path component, NFC-normalised (a name typed on macOS arrives decomposed)."""
    return unicodedata.normalize("NFC", name.replace("\\", "/")).rsplit("/", 1)[-1].replace("\x00", "")


def refusal(name: str, size: int, max_mb: int = MAX_UPLOAD_MB) -> Outcome | None:
    """Refuse a file by name and size alone, before any byte is written."""
    suffix = suffix_of(name)
    if suffix not in ALLOWED:
        return Outcome(name, "refused", "unsupported", f".{suffix or '?'} is not one of: {', '.join(UPLOAD_TYPES)}")
    if size > max_mb * 1024 * 1024:
        return Outcome(name, "refused", "too_large", f"{size / 1e6:.1f} MB is over the {max_mb} MB limit")
    if size == 0:
        return Outcome(name, "refused", "empty", "zero-byte file")
    return None


def upload_dir(kb_root: Path, collection: str | None = None) -> Path:
    """``<kb>/uploads``, or for a named collection its own folder below it (see :func:`collection_folder`)."""
    folder = (Path(kb_root) / "uploads").resolve()
    if collection is not None and collection != DEFAULT_COLLECTION:
        folder = folder / collection_folder(collection)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def collection_folder(collection: str) -> str:
    """A folder name for a collection's uploads: readable, safe, and distinct for distinct names.

    A document's id is stable for its path within a collection, so the same file name uploaded into
    two collections must not share a path (one upload would replace the other's file). Collection
    names may hold any character but ``/`` and ``\\``, so the name is reduced like a file name and a
    hash of the exact name keeps ``a b`` and ``a_b`` apart. The prefix keeps it from ever looking
    like an uploaded file or the staging folder.
    """
    readable = _UNSAFE.sub("_", unicodedata.normalize("NFC", collection)).strip(" .")[:40]
    digest = hashlib.sha256(collection.encode("utf-8")).hexdigest()[:10]
    return f"collection-{readable}-{digest}" if readable else f"collection-{digest}"


def _inside(path: Path, folder: Path) -> bool:
    return folder in path.resolve().parents


@dataclass(frozen=True, slots=True)
class Placed:
    """A file this batch put under ``uploads/``, and where the version it replaced waits meanwhile."""

    index: int  # position in the batch
    path: Path
    previous: Path | None


@contextmanager
def staged(
    kb_root: Path, files: Sequence[tuple[str, bytes]], max_mb: int = MAX_UPLOAD_MB, collection: str | None = None
) -> Iterator[tuple[list[Placed], dict[int, Outcome]]]:
    """Check and place uploads under ``<kb>/uploads``: yields the placed files and refusals by batch index.

    If the body raises, every placed file is taken back out and replaced versions are restored.
    """
    folder = upload_dir(kb_root, collection)
    placed: list[Placed] = []
    refused: dict[int, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix=".incoming-", dir=folder) as tmp:
        names: set[str] = set()
        for i, (name, data) in enumerate(files):
            try:
                out, item = _place(Path(tmp), folder, i, name, data, max_mb, names)
            except (OSError, ValueError, UnicodeError) as exc:  # e.g. a name the filesystem refuses
                out, item = Outcome(name, "refused", "unsupported", f"cannot save this file: {exc}"), None
            if out is not None:
                refused[i] = out
            if item is not None:
                placed.append(item)
        try:
            yield placed, refused
        except BaseException:
            for item in placed:
                if item.previous is None:
                    item.path.unlink(missing_ok=True)
                elif item.previous.exists():
                    os.replace(item.previous, item.path)
            raise


def _place(
    tmp: Path, folder: Path, index: int, name: str, data: bytes, max_mb: int, names: set[str]
) -> tuple[Outcome | None, Placed | None]:
    """One file: refused (an outcome) or placed under ``uploads/``."""
    from kb.service import KnowledgeBase

    out = refusal(name, len(data), max_mb)
    if out is not None:
        return out, None
    clean = safe_name(name)
    if clean.casefold() in names:
        return Outcome(name, "refused", "unsupported", f"another file of this upload is also saved as {clean}"), None
    staged_path, target = tmp / clean, folder / clean
    if not (_inside(staged_path, tmp.resolve()) and _inside(target, folder)):
        return Outcome(name, "refused", "unsupported", "file name refused"), None
    staged_path.write_bytes(data)
    kind = KnowledgeBase.content_format(staged_path)
    expected = ALLOWED[suffix_of(clean)]
    if kind not in expected:
        what = kind or "binary or unknown content"
        return Outcome(name, "refused", "unsupported", f"content is {what}, not {expected[0]}"), None
    previous = None
    if target.exists():
        previous = tmp / f".previous-{index}"
        os.replace(target, previous)
    os.replace(staged_path, target)
    names.add(clean.casefold())
    return None, Placed(index, target, previous)


def ingest_uploads(
    kb: Any,
    files: Sequence[tuple[str, bytes]],
    progress: Callable[[str, int, int], None] | None = None,
    max_mb: int = MAX_UPLOAD_MB,
    collection: str | None = None,
) -> list[Outcome]:
    """Stage and ingest uploaded ``(name, bytes)`` pairs into ``collection``; one outcome per file, in order.

    Raises:
        KBError: the ingest could not run (another process is writing, or ``Forbidden``: the user
            may not write ``collection``); nothing was kept.
    """
    if collection == DEFAULT_COLLECTION:
        collection = None  # where documents without a collection live (and single-user uploads went)
    outcomes: dict[int, Outcome] = {}
    with staged(Path(kb.root), files, max_mb, collection) as (placed, refused):
        outcomes.update(refused)
        if placed:
            report = kb.ingest([p.path for p in placed], collection=collection, progress=progress)
            rows = {str(Path(row.path).resolve()): row for row in report.rows}
            for item in placed:
                row = rows.get(str(item.path.resolve()))
                name = files[item.index][0]
                out = Outcome(name, row.status, row.reason, row.detail, row.doc_id) if row else None
                outcomes[item.index] = out or Outcome(name, "skipped", "damaged", "missing from the ingest report")
                if outcomes[item.index].status == "skipped":  # keep uploads/ to what is indexed
                    item.path.unlink(missing_ok=True)
                    if item.previous is not None:
                        os.replace(item.previous, item.path)  # the version still indexed
    return [outcomes[i] for i in range(len(files))]


def read_draft(kb: Any, name: str, data: bytes, max_mb: int = MAX_UPLOAD_MB) -> str:
    """The text of an uploaded draft (precedent finder), read in a temporary folder inside the kb.

    The draft is parsed in the parser sandbox with the knowledge base's limits
    (``KnowledgeBase.read_file``), never in the web server's process: a crafted file costs at
    most the per-file time budget and the parser's memory cap.

    Raises:
        ValueError: the file is refused or cannot be read; the message gives the skip code and why.
    """
    from kb.types import ReadError

    out = refusal(name, len(data), max_mb)
    if out is not None:
        raise ValueError(f"{out.reason}: {out.detail}")
    tmp = tempfile.mkdtemp(prefix=".draft-", dir=upload_dir(Path(kb.root)))
    try:
        path = Path(tmp) / safe_name(name)
        path.write_bytes(data)
        return str(kb.read_file(path).text)
    except ReadError as exc:
        raise ValueError(str(exc)) from exc
    except OSError as exc:
        raise ValueError(f"cannot save this file: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
