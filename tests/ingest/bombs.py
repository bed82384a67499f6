"""Crafted DOCX files made in code: a valid package whose body decompresses to a lot of XML."""

from __future__ import annotations

import io
import zipfile

#: a paragraph with one run of one word: the smallest markup python-docx turns into text
WORD_PARAGRAPH = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>"


def docx_with_body(body: bytes) -> bytes:
    """python-docx's own template with ``body`` as the contents of ``<w:body>``, deflated."""
    import docx

    template = io.BytesIO()
    docx.Document().save(template)
    src = zipfile.ZipFile(io.BytesIO(template.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head = data.partition(b"<w:body>")[0]
                data = head + b"<w:body>" + body + b"</w:body></w:document>"
            zf.writestr(info.filename, data)
    return out.getvalue()


def paragraph_bomb(paragraphs: int = 900_000, paragraph: bytes = WORD_PARAGRAPH) -> bytes:
    """By default the issue's file: ~125 KB that expands to ~31 MB of one-word paragraphs."""
    return docx_with_body(paragraph * paragraphs)
