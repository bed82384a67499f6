"""Readers, one module per format, behind a sniffing registry."""
