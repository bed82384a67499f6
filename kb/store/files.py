"""Files a knowledge base writes: owner-only modes, and write-beside-then-replace.

A knowledge base holds the full text of its documents, so its directory is created 0700 and
every file in it 0600, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700  # a knowledge base holds the full text of its documents: owner only
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with the new leaf directory readable by its owner only."""
    if not path.is_dir():
        path.mkdir(parents=True, mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode passes through the umask; say it exactly


def private_tree(path: Path) -> None:
    """Make every directory under ``path`` 0700 and every file 0600 (files written by FAISS, NumPy, bm25s)."""
    os.chmod(path, PRIVATE_DIR)
    for base, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(base, name), PRIVATE_DIR)
        for name in files:
            os.chmod(os.path.join(base, name), PRIVATE_FILE)


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """``os.open`` that creates the file 0600 whatever the umask (an existing file keeps its mode)."""
    fd = os.open(path, flags, PRIVATE_FILE)
    if flags & os.O_CREAT and flags & os.O_TRUNC:
        os.fchmod(fd, PRIVATE_FILE)
    return fd


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside, fsync, then ``os.replace``: readers see the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(open_private(tmp), "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
