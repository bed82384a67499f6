"""Replace a whole directory at once: readers see the old one or the new one, never half of either.

A model cache folder (:mod:`index.e5convert`, :mod:`index.e5onnx`) and a search segment
(``kb``'s segment writer) are written the same way: build everything in a temporary directory
beside the target (same file system, so a rename is atomic), then rename it into place. The old
directory, if any, is first renamed aside and deleted only after the new one is in place, so a
crash leaves either the old or the new directory at the target name plus a stray sibling whose
name starts with a dot, which a later cleanup may delete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["building_directory", "replace_directory"]


def replace_directory(built: Path, target: Path) -> None:
    """Move the finished directory ``built`` to ``target``, replacing what was there.

    ``built`` must be on the same file system as ``target`` (a sibling is best). The parent
    directory is synced afterwards so the rename survives a power cut.
    """
    built, target = Path(built), Path(target)
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        try:
            os.replace(target, old / "x")
        except BaseException:
            shutil.rmtree(old, ignore_errors=True)
            raise
    try:
        os.replace(built, target)
    except BaseException:
        if old is not None:  # put the old directory back rather than leave none
            os.replace(old / "x", target)
            shutil.rmtree(old, ignore_errors=True)
        raise
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def building_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh empty directory beside ``target``; on a clean exit it replaces ``target``.

    On an exception the partial directory is deleted and ``target`` is left as it was. The
    directory is created with mode 0700 (``mkdtemp``); set the modes the result should have
    inside the ``with`` block.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        replace_directory(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a platform without directory handles: nothing to sync
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
