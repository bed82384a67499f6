"""Readers, one module per format, behind a sniffing registry (``read_file`` never raises but ReadError)."""

from ingest.readers.limits import DEFAULT_LIMITS, ReadLimits
from ingest.readers.registry import describe, ocr_available, read_file, sniff

__all__ = ["DEFAULT_LIMITS", "ReadLimits", "describe", "ocr_available", "read_file", "sniff"]
