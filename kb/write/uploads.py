"""Uploads: checked for name, size and content before they are kept, staged inside the knowledge base.

The one upload path of the app and the REST API (``KnowledgeBase.upload``). Nothing here trusts
the uploader: the file name is reduced to a bare safe name, the size is checked before writing,
the content is sniffed (a ``.pdf`` must start like a PDF), and every path is resolved and
verified to stay under ``<kb>/uploads``. Files are kept under ``uploads/`` (a named collection
in its own folder, :func:`collection_folder`) so that uploading a new version of a file updates
its document instead of adding a second one: a document's id is stable for its path within a
collection.

A batch is all-or-nothing per file: a file that fails any check (or cannot be written) is
refused by name and the others go on; a file the ingest skips is taken back out (a replaced
earlier version put back), and if the ingest itself fails every file the batch placed is, so
``uploads/`` never holds a file that is not indexed. Staging and ingest run under one hold of
the writer lock: two uploads of the same name never swap each other's files, and a busy
knowledge base is refused (``LockHeld``) before a byte is placed.
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
from typing import Any, BinaryIO

from kb.config import Config
from kb.types import DEFAULT_COLLECTION, MAX_UPLOAD_MB, UPLOAD_FORMATS, UPLOAD_TYPES, Progress, UploadOutcome
from kb.write.context import WriteContext
from kb.write.ingest import run_ingest

#: an uploaded file: the name it came with, and its bytes or a readable binary stream
Upload = tuple[str, bytes | BinaryIO]
#: bytes of a stored file name (UTF-8): well under the 255 bytes most filesystems allow
MAX_NAME_BYTES = 120
_MB = 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\- ()]")  # \w is Unicode: letters of every script are kept
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,16}\Z")


def upload_limit_mb(config: Config) -> int:
    """The largest upload in MB: :data:`MAX_UPLOAD_MB`, never above ``max_file_mb`` (ingest would skip it)."""
    return min(MAX_UPLOAD_MB, int(config.max_file_mb))


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


def refusal(name: str, size: int, max_mb: int = MAX_UPLOAD_MB) -> UploadOutcome | None:
    """Refuse a file by name and size alone, before any byte is written."""
    suffix = suffix_of(name)
    if suffix not in UPLOAD_FORMATS:
        detail = f".{suffix or '?'} is not one of: {', '.join(UPLOAD_TYPES)}"
        return UploadOutcome(name, "refused", "unsupported", detail)
    if size > max_mb * _MB:
        return UploadOutcome(name, "refused", "too_large", f"{size / 1e6:.1f} MB is over the {max_mb} MB limit")
    if size == 0:
        return UploadOutcome(name, "refused", "empty", "zero-byte file")
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

    The same file name uploaded into two collections must not share a path (one upload would
    replace the other's file). Collection names may hold any character but ``/`` and ``\\``, so the
    name is reduced like a file name and a hash of the exact name keeps ``a b`` and ``a_b`` apart.
    The prefix keeps it from ever looking like an uploaded file or the staging folder.
    """
    readable = _UNSAFE.sub("_", unicodedata.normalize("NFC", collection)).strip(" .")[:40]
    digest = hashlib.sha256(collection.encode("utf-8")).hexdigest()[:10]
    return f"collection-{readable}-{digest}" if readable else f"collection-{digest}"


def _inside(path: Path, folder: Path) -> bool:
    return folder in path.resolve().parents


def size_of(data: bytes | BinaryIO) -> int | None:
    """The bytes left to read (``None`` for a stream that cannot seek: counted while copying)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return len(data)
    try:
        here = data.tell()
        end = data.seek(0, os.SEEK_END)
        data.seek(here)
    except (OSError, AttributeError, ValueError):
        return None
    return int(end - here)


def _precheck(name: str, data: bytes | BinaryIO, max_mb: int) -> UploadOutcome | None:
    """:func:`refusal` before writing (a stream of unknown size is measured again once written)."""
    size = size_of(data)
    return refusal(name, 1 if size is None else size, max_mb)


def _write(path: Path, data: bytes | BinaryIO, cap: int) -> int:
    """Write ``data`` to ``path``, at most ``cap + 1`` bytes (enough to know it was too large)."""
    if isinstance(data, bytes | bytearray | memoryview):
        path.write_bytes(bytes(data[: cap + 1]))
        return min(len(data), cap + 1)
    written = 0
    with path.open("wb") as out:
        while written <= cap:
            block = data.read(min(_MB, cap + 1 - written))
            if not block:
                break
            out.write(block)
            written += len(block)
    return written


@dataclass(frozen=True, slots=True)
class Placed:
    """A file this batch put under ``uploads/``, and where the version it replaced waits meanwhile."""

    index: int  # position in the batch
    path: Path
    previous: Path | None

    def take_back(self) -> None:
        """Take this file out of ``uploads/`` and put back the version it replaced, if any."""
        if self.previous is not None and self.previous.exists():
            os.replace(self.previous, self.path)
        else:
            self.path.unlink(missing_ok=True)


@contextmanager
def staged(
    kb_root: Path, files: Sequence[Upload], max_mb: int = MAX_UPLOAD_MB, collection: str | None = None
) -> Iterator[tuple[list[Placed], dict[int, UploadOutcome]]]:
    """Check and place uploads under ``<kb>/uploads``: yields the placed files and refusals by batch index.

    If the body raises, every placed file is taken back out and replaced versions are restored.
    """
    folder = upload_dir(kb_root, collection)
    placed: list[Placed] = []
    refused: dict[int, UploadOutcome] = {}
    with tempfile.TemporaryDirectory(prefix=".incoming-", dir=folder) as tmp:
        names: set[str] = set()
        for i, (name, data) in enumerate(files):
            try:
                out, item = _place(Path(tmp), folder, i, name, data, max_mb, names)
            except (OSError, ValueError, UnicodeError) as exc:  # e.g. a name the filesystem refuses
                out, item = UploadOutcome(name, "refused", "unsupported", f"cannot save this file: {exc}"), None
            if out is not None:
                refused[i] = out
            if item is not None:
                placed.append(item)
        try:
            yield placed, refused
        except BaseException:
            for item in placed:
                item.take_back()
            raise


def _place(
    tmp: Path, folder: Path, index: int, name: str, data: bytes | BinaryIO, max_mb: int, names: set[str]
) -> tuple[UploadOutcome | None, Placed | None]:
    """One file: refused (an outcome) or placed under ``uploads/``."""
    from ingest.readers import sniff

    out = _precheck(name, data, max_mb)
    if out is not None:
        return out, None
    clean = safe_name(name)
    if clean.casefold() in names:
        return UploadOutcome(
            name, "refused", "unsupported", f"another file of this upload is also saved as {clean}"
        ), None
    staged_path, target = tmp / clean, folder / clean
    if not (_inside(staged_path, tmp.resolve()) and _inside(target, folder)):
        return UploadOutcome(name, "refused", "unsupported", "file name refused"), None
    out = refusal(name, _write(staged_path, data, max_mb * _MB), max_mb)  # a stream's real size
    if out is not None:
        return out, None
    kind = sniff(staged_path)
    expected = UPLOAD_FORMATS[suffix_of(clean)]
    if kind not in expected:
        what = kind or "binary or unknown content"
        return UploadOutcome(name, "refused", "unsupported", f"content is {what}, not {expected[0]}"), None
    previous = None
    if target.exists():
        previous = tmp / f".previous-{index}"
        os.replace(target, previous)
    os.replace(staged_path, target)
    names.add(clean.casefold())
    return None, Placed(index, target, previous)


def upload_files(
    ctx: WriteContext,
    files: Sequence[Upload],
    collection: str | None,
    *,
    progress: Progress | None = None,
    **ingest_options: Any,
) -> list[UploadOutcome]:
    """Stage and ingest uploaded files into ``collection`` (``None``: the default one); one outcome per file.

    The caller has checked that the principal may write ``collection``. Files over
    :func:`upload_limit_mb` are refused. ``ingest_options`` go to :func:`kb.write.ingest.run_ingest` as
    the facade's ``ingest`` passes them (hooks), so that an upload is ingested exactly as any file is.

    Raises:
        LockHeld: another process is writing this knowledge base; nothing was placed.
        KBError: the ingest could not run; every placed file was taken back out.
    """
    outcomes: dict[int, UploadOutcome] = {}
    max_mb = upload_limit_mb(ctx.config)
    with ctx.store.writer_lock(), staged(ctx.store.root, files, max_mb, collection) as (placed, refused):
        outcomes.update(refused)
        if placed:
            paths = [p.path for p in placed]
            report = run_ingest(ctx, paths, collection, progress=progress, locked=True, **ingest_options)
            rows = {str(Path(row.path).resolve()): row for row in report.rows}
            for item in placed:
                row = rows.get(str(item.path.resolve()))
                name = files[item.index][0]
                out = UploadOutcome(name, row.status, row.reason, row.detail, row.doc_id) if row else None
                outcomes[item.index] = out or UploadOutcome(
                    name, "skipped", "damaged", "missing from the ingest report"
                )
                if outcomes[item.index].status == "skipped":  # keep uploads/ to what is indexed
                    item.take_back()
    return [outcomes[i] for i in range(len(files))]


def draft_text(
    kb_root: Path, name: str, data: bytes | BinaryIO, read: Callable[[Path], str], max_mb: int = MAX_UPLOAD_MB
) -> str:
    """The text of an uploaded draft (the precedent finder), read from a temporary folder and not kept.

    ``read`` parses the file (the facade's ``read_file``: in the parser sandbox, with the knowledge
    base's limits), never in the web server's process.

    Raises:
        ValueError: the file is refused or cannot be read; the message gives the skip code and why.
    """
    from kb.types import ReadError

    out = _precheck(name, data, max_mb)
    if out is not None:
        raise ValueError(f"{out.reason}: {out.detail}")
    tmp = tempfile.mkdtemp(prefix=".draft-", dir=upload_dir(kb_root))
    try:
        path = Path(tmp) / safe_name(name)
        out = refusal(name, _write(path, data, max_mb * _MB), max_mb)
        if out is not None:
            raise ValueError(f"{out.reason}: {out.detail}")
        return read(path)
    except ReadError as exc:
        raise ValueError(str(exc)) from exc
    except OSError as exc:
        raise ValueError(f"cannot save this file: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
