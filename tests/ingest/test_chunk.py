"""Chunking: provenance (pages, headings, spans), sentence integrity, size caps, overlap, language."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from ingest.chunk import CHARS_PER_WORD, chunk_document
from ingest.sentences import split_spans
from ingest.types import Page, RawDocument

WORD = re.compile(r"\S+")


def fixed(lang: str):  # type: ignore[no-untyped-def]
    return lambda texts: [lang] * len(texts)


def words(text: str) -> int:
    return len(WORD.findall(text))


def es_sentence(i: int) -> str:
    return f"La frase número {i} describe el control fronterizo en el paso de Desaguadero con detalle suficiente."


def paragraph(n: int, start: int = 0) -> str:
    return " ".join(es_sentence(i) for i in range(start, start + n))


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in split_spans(text)]


# ---------------------------------------------------------------- sentences


TRICKY = (
    "El Sr. Pérez y la Dra. Gómez revisaron el art. 5 del convenio, p. ej. el núm. 3 del anexo. "
    "The report, e.g. the annex by Mr. J. Smith, cites 3.5 million crossings. "
    "M. Dupont a visité le poste etc. avec la police. "
    "La tasa subió a 12,5 % en 2023. Después bajó."
)


def test_abbreviations_initials_and_decimals_do_not_split() -> None:
    assert sentences_of(TRICKY) == [
        "El Sr. Pérez y la Dra. Gómez revisaron el art. 5 del convenio, p. ej. el núm. 3 del anexo.",
        "The report, e.g. the annex by Mr. J. Smith, cites 3.5 million crossings.",
        "M. Dupont a visité le poste etc. avec la police.",
        "La tasa subió a 12,5 % en 2023.",
        "Después bajó.",
    ]


def test_questions_exclamations_and_spanish_openers_split() -> None:
    assert sentences_of("¿Quién firmó? ¡La PNP firmó! Then it ended.") == [
        "¿Quién firmó?",
        "¡La PNP firmó!",
        "Then it ended.",
    ]


def test_list_items_and_heading_lines_are_their_own_sentences() -> None:
    text = (
        "RECOMENDACIONES\nSe proponen tres medidas\n1. Reforzar el control\n2. Capacitar al personal\n- Revisar el SOP"
    )
    assert sentences_of(text) == [
        "RECOMENDACIONES",
        "Se proponen tres medidas",
        "1. Reforzar el control",
        "2. Capacitar al personal",
        "- Revisar el SOP",
    ]


def test_wrapped_lines_of_a_paragraph_stay_one_sentence() -> None:
    text = "The committee agreed that the border crossing at\nDesaguadero would open at night. Next."
    assert sentences_of(text)[0] == "The committee agreed that the border crossing at\nDesaguadero would open at night."


def test_forced_breaks_start_a_sentence() -> None:
    text = "Texto sin punto final\nAntecedentes\nEl proyecto empezó"
    breaks = [text.index("Antecedentes"), text.index("El proyecto")]
    assert sentences_of(text) != [text[s:e] for s, e in split_spans(text, breaks=breaks)]
    assert [text[s:e] for s, e in split_spans(text, breaks=breaks)] == [
        "Texto sin punto final",
        "Antecedentes",
        "El proyecto empezó",
    ]


# ---------------------------------------------------------------- chunk provenance


def pdf_like() -> RawDocument:
    p1 = "INFORME DE VISITA TÉCNICA\n\n" + paragraph(12)
    p2 = paragraph(14, 100)
    p3 = "Conclusiones\n\n" + paragraph(3, 200)
    heads3 = ((0, "Conclusiones"),)
    return RawDocument(
        "/x/informe.pdf",
        "pdf",
        (Page(1, p1, ((0, "INFORME DE VISITA TÉCNICA"),)), Page(2, p2), Page(3, p3, heads3)),
    )


def test_spans_equal_slices_and_pages_and_headings() -> None:
    doc = pdf_like()
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    text = doc.text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert text[c.char_start : c.char_end] == c.text
        assert c.text == c.text.strip()
    # page 2 carries the page-1 heading; page 3 has its own
    by_page = {c.page_start: c for c in chunks}
    assert by_page[1].heading == "INFORME DE VISITA TÉCNICA"
    assert by_page[2].heading == "INFORME DE VISITA TÉCNICA"
    assert by_page[3].heading == "Conclusiones"
    for c in chunks:
        assert c.page_start == c.page_end  # no page crossing: the pages are long
    # every chunk lies inside its page's span of the joined text
    offsets = [0]
    for p in doc.pages:
        offsets.append(offsets[-1] + len(p.text) + 2)
    for c in chunks:
        assert c.page_start is not None
        assert offsets[c.page_start - 1] <= c.char_start < c.char_end <= offsets[c.page_start] - 2


def test_sections_are_not_mixed() -> None:
    text = "Antecedentes\n" + paragraph(3) + "\nMetodología\n" + paragraph(3, 50)
    heads = ((0, "Antecedentes"), (text.index("Metodología"), "Metodología"))
    doc = RawDocument("a.docx", "docx", (Page(None, text, heads),))
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    assert [c.heading for c in chunks] == ["Antecedentes", "Metodología"]
    assert "Metodología" not in chunks[0].text
    assert chunks[1].text.startswith("Metodología")
    assert all(c.page_start is None and c.page_end is None for c in chunks)


def test_no_sentence_is_cut_and_chunks_respect_caps() -> None:
    doc = RawDocument("t.txt", "text", (Page(None, TRICKY + " " + paragraph(60)),))
    sentences = set(sentences_of(doc.text))
    chunks = chunk_document(doc, target_words=80, max_words=110, detect_lang=fixed("es"))
    assert len(chunks) > 3
    for c in chunks:
        assert words(c.text) <= 110
        # each chunk is a run of whole sentences: its first and last sentences are real ones
        parts = sentences_of(c.text)
        assert parts[0] in sentences and parts[-1] in sentences


def test_long_single_sentence_splits_at_word_boundaries() -> None:
    sentence = " ".join(f"palabra{i}" for i in range(700)) + "."
    doc = RawDocument("t.txt", "text", (Page(None, sentence),))
    chunks = chunk_document(doc, max_words=220, detect_lang=fixed("es"))
    assert len(chunks) >= 4
    assert all(words(c.text) <= 220 for c in chunks)
    assert [w for c in chunks for w in c.text.split()] == sentence.split()  # no overlap inside one sentence


def test_overlap_of_one_sentence_within_a_section() -> None:
    doc = RawDocument("t.txt", "text", (Page(None, paragraph(40)),))
    chunks = chunk_document(doc, target_words=60, max_words=90, overlap_sentences=1, detect_lang=fixed("es"))
    assert len(chunks) >= 3
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.char_start < a.char_end  # they overlap ...
        assert sentences_of(a.text)[-1] == sentences_of(b.text)[0]  # ... by exactly the last sentence
    plain = chunk_document(doc, target_words=60, max_words=90, overlap_sentences=0, detect_lang=fixed("es"))
    assert all(b.char_start > a.char_end for a, b in zip(plain, plain[1:], strict=False))


def test_tiny_tail_on_next_page_merges_back() -> None:
    doc = RawDocument("r.pdf", "pdf", (Page(1, paragraph(6)), Page(2, "Fin del informe sobre Desaguadero.")))
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    assert len(chunks) == 1
    assert (chunks[0].page_start, chunks[0].page_end) == (1, 2)
    assert chunks[0].text == doc.text


def test_tiny_tail_does_not_merge_across_a_heading() -> None:
    p2 = "Anexo\n\nLista de participantes."
    doc = RawDocument("r.pdf", "pdf", (Page(1, paragraph(6)), Page(2, p2, ((0, "Anexo"),))))
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    assert [c.page_start for c in chunks] == [1, 2]
    assert chunks[1].heading == "Anexo"


def test_empty_and_blank_documents() -> None:
    assert chunk_document(RawDocument("e.txt", "text", ()), detect_lang=fixed("es")) == ()
    blank = RawDocument("b.txt", "text", (Page(None, "  \n\n \t "), Page(None, "")))
    assert chunk_document(blank, detect_lang=fixed("es")) == ()


# ---------------------------------------------------------------- language per chunk


def test_undetermined_chunks_take_the_document_majority() -> None:
    doc = RawDocument("m.pdf", "pdf", (Page(1, paragraph(12)), Page(2, "Anexo\n\n" + paragraph(12, 40))))

    def detect(texts: Sequence[str]) -> list[str]:
        return ["und" if i == 1 else "pt" for i, _ in enumerate(texts)]

    chunks = chunk_document(doc, detect_lang=detect)
    assert len(chunks) >= 2
    assert {c.lang for c in chunks} == {"pt"}


@pytest.mark.slow
def test_mixed_language_document_gets_per_chunk_languages() -> None:
    es = paragraph(8)
    en = " ".join(
        f"Sentence {i} explains how the customs officers inspect the trucks at the border crossing." for i in range(10)
    )
    doc = RawDocument("mix.pdf", "pdf", (Page(1, es), Page(2, en)))
    chunks = chunk_document(doc)  # the real detector
    assert {c.page_start: c.lang for c in chunks} == {1: "es", 2: "en"}


def test_heading_inside_a_paragraph_run_still_starts_a_section() -> None:
    text = "Texto del apartado anterior sin punto final\nMetodología\nSe visitaron tres pasos de frontera."
    doc = RawDocument("a.md", "markdown", (Page(None, text, ((text.index("Metodología"), "Metodología"),)),))
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    assert [c.heading for c in chunks] == [None, "Metodología"]
    assert chunks[0].text == "Texto del apartado anterior sin punto final"


def test_a_wrapped_line_at_the_top_of_a_pdf_page_is_not_a_heading() -> None:
    p1 = "Objetivos\n\n" + paragraph(10) + "\nLa misión comprobó que el paso fronterizo de"
    p2 = "Desaguadero abre de noche y los controles\nse hacen en ambos lados del puente. " + paragraph(10, 30)
    doc = RawDocument("r.pdf", "pdf", (Page(1, p1), Page(2, p2)))
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    assert {c.heading for c in chunks} == {"Objetivos"}


def test_overlap_never_breaks_the_word_cap() -> None:
    long_sentences = " ".join(" ".join(["Palabra"] * n) + "." for n in (120, 90, 200, 120, 90, 200))
    doc = RawDocument("t.txt", "text", (Page(None, long_sentences),))
    chunks = chunk_document(doc, target_words=160, max_words=220, detect_lang=fixed("es"))
    assert len(chunks) >= 4
    assert all(words(c.text) <= 220 for c in chunks)


def test_text_without_spaces_is_capped_by_characters() -> None:
    blob = "x" * 10_000 + " fin."
    doc = RawDocument("t.txt", "text", (Page(None, blob),))
    chunks = chunk_document(doc, max_words=220, detect_lang=fixed("es"))
    assert max(len(c.text) for c in chunks) <= 220 * CHARS_PER_WORD
    assert "".join(c.text for c in chunks).replace(" ", "") == blob.replace(" ", "")


def test_short_chunk_in_a_foreign_language_takes_the_majority() -> None:
    text = "Anexo\n\nNombre | Cargo\nGiulia Ferraresi | IILA"
    doc = RawDocument("m.pdf", "pdf", (Page(1, paragraph(12)), Page(2, text, ((0, "Anexo"),))))
    german = " ".join(["Die Bundespolizei kontrolliert die Grenze zu Österreich jeden Tag."] * 12)
    doc2 = RawDocument("g.pdf", "pdf", (Page(1, paragraph(12)), Page(2, german)))

    def detect(texts: Sequence[str]) -> list[str]:
        return ["es" if "frontera" in t or "fronterizo" in t else "it" if "IILA" in t else "de" for t in texts]

    assert [c.lang for c in chunk_document(doc, detect_lang=detect)] == ["es", "es"]
    assert [c.lang for c in chunk_document(doc2, detect_lang=detect)] == ["es", "de"]


def test_a_signature_line_at_the_end_closes_the_last_chunk() -> None:
    """A role line under a signature looks like a heading; alone it made a chunk of five words that
    dense search put first for unrelated questions. It joins the text before it."""
    text = "Objet\n\n" + paragraph(4) + "\n\nL'attaché de sécurité intérieure adjoint"
    doc = RawDocument("n.txt", "text", (Page(None, text),))
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    assert len(chunks) == 1 and chunks[0].text.endswith("adjoint") and chunks[0].heading == "Objet"


def test_a_setext_underline_belongs_to_its_heading() -> None:
    """ "Title\\n=====" is one heading: the rule does not make the title's lone chunk, nor start the text."""
    text = "La réponse des autorités\n========================\n\n" + paragraph(3)
    doc = RawDocument("a.txt", "text", (Page(None, text),))
    chunks = chunk_document(doc, detect_lang=fixed("es"))
    assert len(chunks) == 1 and chunks[0].heading == "La réponse des autorités"


def test_the_first_line_of_a_hard_wrapped_paragraph_is_not_a_heading() -> None:
    """Plain text wrapped at ~75 columns: a paragraph's first line runs straight into the next, which
    may start with a capital ("Superintendencia / Nacional"); it is no heading."""
    body = (
        "Côté péruvien, la Policía Nacional del Perú (PNP) et la Superintendencia\n"
        "Nacional de Migraciones ont renforcé les contrôles dans les terminaux de\n"
        "Tacna et sur la route vers la frontière, avec des patrouilles conjointes.\n"
    )
    text = "La réponse des autorités\n========================\n\n" + body + "\nAgenda\n1. Horarios del CEBAF.\n"
    doc = RawDocument("a.txt", "text", (Page(None, text),))
    chunks = chunk_document(doc, detect_lang=fixed("fr"))
    assert [c.heading for c in chunks] == ["La réponse des autorités", "Agenda"]
    assert "Superintendencia\nNacional" in chunks[0].text
