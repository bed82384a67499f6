"""Readers on fixtures generated in code: one test per behaviour the rest of kb relies on."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from ingest.readers import ReadLimits, ocr_available, read_file, sniff
from ingest.types import RawDocument, ReadError
from tests.helpers import sample_docx_bytes

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def error_of(path: Path, limits: ReadLimits | None = None) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_file(path, limits or ReadLimits())
    assert info.value.message, "every skip says why"
    return info.value


# --- PDF -------------------------------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]], title: str = "Informe de visita", **kw: object) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, invariant=1, **kw)  # invariant: a fixed creation date
    c.setTitle(title)
    c.setAuthor("FIIAPP")
    for lines in pages:
        y = 800
        for line in lines:
            c.drawString(60, y, line)
            y -= 16
        c.showPage()
    c.save()
    return path


PAGE_1 = [
    "Informe sobre el paso fronterizo de Desaguadero entre Peru y Bolivia, con la coope-",
    "ración de la Policía Nacional y de la Superintendencia de Migraciones en el control.",
    "",
    "Segundo párrafo: la aduana registró un aumento del tránsito de mercancías.",
]
PAGE_2 = ["Recomendaciones para el centro binacional de atención en frontera (CEBAF)."]


def test_pdf_pages_metadata_and_paragraphs(tmp_path: Path) -> None:
    doc = read_file(make_pdf(tmp_path / "informe.pdf", [PAGE_1, PAGE_2]))
    assert doc.format == "pdf"
    assert [p.number for p in doc.pages] == [1, 2]
    assert doc.title == "Informe de visita" and doc.author == "FIIAPP"
    assert doc.date is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.date)
    first = doc.pages[0].text
    assert "cooperación" in first, "a line-end hyphen is undone"
    assert "Peru y Bolivia, con la cooperación de la Policía" in first, "wrapped lines join into one paragraph"
    assert "control.\nSegundo párrafo" in first, "a line after a sentence end starts a new paragraph"
    assert "CEBAF" in doc.pages[1].text and all(p.ocr_confidence is None for p in doc.pages)


def encrypt(src: Path, dst: Path, user: str, owner: str = "propietario") -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(src)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-256")
    with open(dst, "wb") as fh:
        writer.write(fh)
    return dst


def test_encrypted_pdf_with_an_empty_user_password_opens(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", [PAGE_1])
    doc = read_file(encrypt(plain, tmp_path / "locked.pdf", user=""))
    assert "Desaguadero" in doc.text


def test_encrypted_pdf_needs_its_password(tmp_path: Path) -> None:
    path = encrypt(make_pdf(tmp_path / "plain.pdf", [PAGE_1]), tmp_path / "locked.pdf", user="secreto")
    err = error_of(path, ReadLimits(passwords=("equivocada",)))
    assert err.code == "encrypted" and "password required" in err.message
    doc = read_file(path, ReadLimits(passwords=("equivocada", "secreto")))
    assert "Desaguadero" in doc.text


def test_truncated_pdf_is_damaged(tmp_path: Path) -> None:
    whole = make_pdf(tmp_path / "whole.pdf", [PAGE_1, PAGE_2]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(whole[:400])
    assert error_of(tmp_path / "cut.pdf").code == "damaged"


def test_page_limit(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "long.pdf", [PAGE_2] * 3)
    err = error_of(path, ReadLimits(max_pages=2))
    assert err.code == "too_large" and "3 pages" in err.message


def make_scan(path: Path, sentence: str) -> Path:
    """An image-only PDF: a sentence drawn into a bitmap, no text layer at all."""
    from PIL import Image, ImageDraw, ImageFont

    if not DEJAVU.exists():
        pytest.skip("DejaVuSans is not installed")
    image = Image.new("RGB", (2480, 1000), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU), 64)
    words, line, y = sentence.split(), "", 120
    for word in words:  # wrap by hand: Pillow does not
        if draw.textlength(f"{line} {word}", font=font) > 2200:
            draw.text((120, y), line, fill="black", font=font)
            line, y = word, y + 100
        else:
            line = f"{line} {word}".strip()
    draw.text((120, y), line, fill="black", font=font)
    image.save(path, "PDF", resolution=300)
    return path


SCAN_SENTENCE = "La Policía Nacional controla el paso fronterizo de Desaguadero con los agentes de migración."


@pytest.mark.slow
def test_image_only_pdf_is_ocred(tmp_path: Path) -> None:
    if not ocr_available():
        pytest.skip("tesseract is not installed")
    doc = read_file(make_scan(tmp_path / "escaneo.pdf", SCAN_SENTENCE))
    [page] = doc.pages
    assert page.ocr_confidence is not None and 50 < page.ocr_confidence <= 100
    words = set(re.findall(r"\w+", page.text.lower()))
    assert {"policía", "nacional", "fronterizo", "desaguadero", "migración"} <= words, page.text


def test_image_only_pdf_without_ocr_is_no_text(tmp_path: Path) -> None:
    err = error_of(make_scan(tmp_path / "escaneo.pdf", SCAN_SENTENCE), ReadLimits(ocr=False))
    assert err.code == "no_text" and err.message.startswith("no text layer; OCR not available")


def test_image_only_pdf_when_tesseract_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.readers.ocr as ocr

    monkeypatch.setattr(ocr, "available", lambda: False)
    err = error_of(make_scan(tmp_path / "escaneo.pdf", SCAN_SENTENCE))
    assert err.code == "no_text" and "OCR not available" in err.message


# --- sniffing and hostile bytes ----------------------------------------------------------------


def test_zero_bytes_is_empty(tmp_path: Path) -> None:
    (tmp_path / "nada.pdf").write_bytes(b"")
    assert error_of(tmp_path / "nada.pdf").code == "empty"


def test_a_png_renamed_pdf_says_what_it_is(tmp_path: Path) -> None:
    (tmp_path / "foto.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    err = error_of(tmp_path / "foto.pdf")
    assert err.code == "unsupported" and err.message == "PNG image, not a PDF despite the .pdf suffix"


def test_unknown_binary_is_unsupported(tmp_path: Path) -> None:
    (tmp_path / "datos.bin").write_bytes(bytes(range(256)) * 8)
    err = error_of(tmp_path / "datos.bin")
    assert err.code == "unsupported" and "binary content" in err.message


def test_size_limit(tmp_path: Path) -> None:
    (tmp_path / "grande.txt").write_text("palabra " * 2000)
    assert error_of(tmp_path / "grande.txt", ReadLimits(max_bytes=1000)).code == "too_large"


def test_missing_file_and_directory_are_read_errors(tmp_path: Path) -> None:
    assert error_of(tmp_path / "no-existe.txt").code == "damaged"
    assert error_of(tmp_path).code == "damaged"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("pagina", b"<!DOCTYPE html><html><body><p>Hola</p></body></html>", "html"),
        ("notas.txt", b"# Acta\n\n- punto uno\n- punto dos\n- [enlace](http://x.org)\n\n## Cierre\n", "markdown"),
        ("notas.txt", b"Acta de la reunion.\nSin marcas.\n", "text"),
        ("doc.txt", "Informe de la frontera".encode("utf-16-le"), "text"),
        ("raro.pdf", b"garbage header\n%PDF-1.4\n", "pdf"),
        ("texto.pdf", b"just text under a pdf name", None),
        ("viejo.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, None),
    ],
)
def test_sniff_by_content(tmp_path: Path, name: str, data: bytes, kind: str | None) -> None:
    (tmp_path / name).write_bytes(data)
    assert sniff(tmp_path / name) == kind


# --- DOCX --------------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    path.write_bytes(sample_docx_bytes())
    return path


def test_docx_paragraphs_tables_headings_and_properties(tmp_path: Path) -> None:
    doc = read_file(make_docx(tmp_path / "nota.docx"))
    [page] = doc.pages
    assert doc.format == "docx" and page.number is None
    assert doc.title == "Nota de coordinación" and doc.author == "EL PAcCTO"
    assert page.text.index("Rumichaca") < page.text.index("Ecuador | Policía Nacional") < page.text.index("patrulla")
    assert "País | Agencia\nEcuador | Policía Nacional" in page.text, "one line per table row"
    assert [t for _, t in page.headings] == ["Antecedentes", "Acuerdos"]
    assert all(page.text[o : o + len(t)] == t for o, t in page.headings)


def test_corrupt_docx_is_damaged(tmp_path: Path) -> None:
    whole = make_docx(tmp_path / "nota.docx").read_bytes()
    (tmp_path / "rota.docx").write_bytes(whole[: len(whole) // 2])
    assert error_of(tmp_path / "rota.docx").code == "damaged"


def test_docx_that_expands_too_far_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomba.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document>" + " " * 200_000 + "</w:document>")
    assert path.stat().st_size < 2000
    err = error_of(path, ReadLimits(max_bytes=2000))
    assert err.code == "too_large" and "zip bomb" in err.message


# --- HTML --------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html><html lang="es"><head><meta charset="windows-1252"><title>Visita a Rumichaca</title>
<script>var tracking = "rastreo-secreto";</script><style>body{color:#333}</style></head><body>
<div id="cookie-banner" class="cookie-consent">Usamos cookies para mejorar su experiencia. Aceptar cookies.</div>
<nav><ul><li><a href="/">Inicio</a></li><li><a href="/noticias">Menú de noticias</a></li></ul></nav>
<main><article><h1>Visita técnica al CEBAF de Rumichaca</h1>
<p>La delegación de la FIIAPP visitó el centro binacional de atención en frontera entre Colombia y Ecuador,
donde los funcionarios de migración explicaron el control integrado de pasajeros y vehículos.</p>
<h2>Conclusiones</h2>
<p>Los equipos acordaron compartir las alertas de documentos falsos en tiempo real y revisar el protocolo
de intercambio de información cada seis meses, con apoyo del programa EUROFRONT.</p>
<script>document.write("texto-inyectado")</script></article></main>
<footer>© 2024 Todos los derechos reservados. Aviso legal. Política de privacidad.</footer></body></html>"""


def test_html_main_text_only_with_headings(tmp_path: Path) -> None:
    (tmp_path / "visita.html").write_bytes(HTML.encode("cp1252"))
    doc = read_file(tmp_path / "visita.html")
    [page] = doc.pages
    assert doc.format == "html" and doc.title in ("Visita a Rumichaca", "Visita técnica al CEBAF de Rumichaca")
    assert "control integrado de pasajeros" in page.text and "EUROFRONT" in page.text
    assert "delegación" in page.text, "the declared windows-1252 is honoured"
    for noise in ("rastreo-secreto", "texto-inyectado", "cookies", "Menú de noticias", "derechos reservados"):
        assert noise not in page.text, noise
    assert [t for _, t in page.headings] == ["Visita técnica al CEBAF de Rumichaca", "Conclusiones"]
    assert all(page.text[o : o + len(t)] == t for o, t in page.headings)


def test_html_escaped_markup_is_kept_as_text(tmp_path: Path) -> None:
    """trafilatura's Markdown escapes "&lt;input&gt;" as "\\<input>"; it is text, not a tag to strip."""
    (tmp_path / "nota.html").write_text(
        "<html><body><article><h1>Nota técnica</h1><p>El formulario usa la etiqueta &lt;input&gt; y el "
        "símbolo &amp; para separar campos; la Policía Nacional del Perú lo revisó en Desaguadero.</p>"
        "<p>Se registraron 5 &lt; 10 incidencias &quot;menores&quot; en el paso fronterizo.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    text = read_file(tmp_path / "nota.html").pages[0].text
    assert "la etiqueta <input> y el símbolo & para" in text
    assert '5 < 10 incidencias "menores"' in text and "\\" not in text


# --- text and Markdown -------------------------------------------------------------------------

SPANISH = "Informe del paso fronterizo\n\nLa migración por Tacna y Arica aumentó; la aduana señaló más controles."


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-16-le", "utf-8-sig"])
def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "nota.txt").write_bytes(SPANISH.encode(encoding))
    doc = read_file(tmp_path / "nota.txt")
    assert doc.format == "text" and doc.text == SPANISH
    assert doc.title == "Informe del paso fronterizo"


def test_long_cp1252_text_is_not_mistaken_for_another_code_page(tmp_path: Path) -> None:
    text = "Acción, migración y señalización en la frontera: São Paulo, Coração, élève, façade. " * 60
    (tmp_path / "larga.txt").write_bytes(text.encode("cp1252"))
    assert read_file(tmp_path / "larga.txt").text == text.strip()


MARKDOWN = """---
title: "Acta de la reunión binacional"
date: 2023-05-17
tags: [frontera, aduana]
---

# Acta

La reunión del **comité binacional** revisó el [protocolo](https://example.org/p) de `control`.

## Acuerdos

| País | Compromiso |
|------|------------|
| Perú | Ampliar horarios |
"""


def test_markdown_front_matter_headings_and_markup(tmp_path: Path) -> None:
    (tmp_path / "acta.md").write_text(MARKDOWN, encoding="utf-8")
    doc = read_file(tmp_path / "acta.md")
    [page] = doc.pages
    assert doc.format == "markdown"
    assert doc.title == "Acta de la reunión binacional" and doc.date == "2023-05-17"
    assert "title:" not in page.text and "---" not in page.text
    assert "La reunión del comité binacional revisó el protocolo de control." in page.text
    assert "Perú | Ampliar horarios" in page.text
    assert [t for _, t in page.headings] == ["Acta", "Acuerdos"]
    assert all(page.text[o : o + len(t)] == t for o, t in page.headings)


@pytest.mark.parametrize("name", ["vacio.txt", "vacio.md", "vacio.html"])
def test_whitespace_only_files_are_empty(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("   \n\n\t\n" if not name.endswith("html") else "<html><body> </body></html>")
    assert error_of(tmp_path / name).code == "empty"


def test_unexpected_parser_errors_become_damaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.readers.text as text

    def boom(path: Path) -> RawDocument:
        raise KeyError("missing part")

    monkeypatch.setattr(text, "read_text", boom)
    (tmp_path / "nota.txt").write_text("texto")
    err = error_of(tmp_path / "nota.txt")
    assert err.code == "damaged" and err.message.startswith("KeyError")
