"""Reading files into text, chunking, language and entity extraction; the document-side types.

The bottom layer with :mod:`index`: it imports nothing from ``index`` or ``kb``.
"""
