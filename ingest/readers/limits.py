"""The per-file budgets every reader and the sandbox share, in a module of their own.

``registry`` imports the readers and the readers need the limits: keeping :class:`ReadLimits`
here, below both, lets the arrows run one way. ``from ingest.readers import ReadLimits`` is the
public spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.types import ReadError


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Per-file budgets and options; one value is shared by every reader and the sandbox."""

    max_bytes: int = 200 * 1024 * 1024
    max_pages: int = 2000
    timeout_s: float = 120.0
    ocr: bool = True  # OCR image-only pages when tesseract is available
    ocr_langs: str = "spa+eng+por+fra"
    passwords: tuple[str, ...] = ()  # tried after the empty password
    #: address space of a sandbox worker (and the Tesseract it starts), in MB; 0 = no cap.
    #: Applied by :mod:`ingest.sandbox` only: an in-process read cannot cap its own process.
    max_memory_mb: int = 2048

    @property
    def memory_cap_mb(self) -> int:
        """The cap applied: ``max_memory_mb``, raised to :data:`MIN_MEMORY_MB`; 0 for none."""
        return max(self.max_memory_mb, MIN_MEMORY_MB) if self.max_memory_mb > 0 else 0


#: The lowest memory cap applied. A worker reading the bundled corpus and the torture PDFs peaks at
#: ~170 MB of address space and Tesseract (four languages) at ~150 MB; under ~150 MB Tesseract fails
#: quietly ("OCR found no text") instead of with a memory error, so a lower setting would turn scans
#: into misleading skips.
MIN_MEMORY_MB = 512
DEFAULT_LIMITS = ReadLimits()


class OverMemory(ReadError):
    """A parser needed more memory than the cap: ``too_large``, and the sandbox retires the worker."""

    def __init__(self, limits: ReadLimits) -> None:
        cap = f"more than {limits.memory_cap_mb} MB" if limits.memory_cap_mb else "more memory than is free"
        super().__init__("too_large", f"needs {cap} of memory to parse")
