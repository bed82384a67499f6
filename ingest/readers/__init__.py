"""Readers, one module per format, behind a sniffing registry."""

from ingest.readers.registry import ReadLimits, ocr_available, read_file, sniff

__all__ = ["ReadLimits", "ocr_available", "read_file", "sniff"]
